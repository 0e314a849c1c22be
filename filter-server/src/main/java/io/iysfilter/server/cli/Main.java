package io.iysfilter.server.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code iys-filter}: the server's command line. Exit status 2 means a usage or runtime error throughout.
 * <p>
 * The developer tools ({@link #TOOLS}: the demo, the İYS emulator, the load rig) live in the loadtest module with a
 * main of their own, which the {@code ./iys-filter} launcher of a source checkout runs; they are not in the
 * production distribution, and this main says so when asked for one.
 */
public final class Main
{
    /**
     * Success (for {@code check}: the message may be sent).
     */
    public static final int EXIT_OK = 0;
    /**
     * A DENY (for {@code check}), or a load test that missed its bounds.
     */
    public static final int EXIT_DENY = 1;
    /**
     * A usage or runtime error.
     */
    public static final int EXIT_ERROR = 2;

    /**
     * The developer tools' commands, run by the launcher with the tools' main from a source checkout.
     */
    public static final Set<String> TOOLS = Set.of("demo", "emulator", "loadtest");

    private static final String USAGE = String.join("\n",
        "usage: iys-filter <command> [options]",
        "",
        "commands:",
        "  serve    run the server (binary protocol on 7700, HTTP on 7701)",
        "  import   load an İYS daily change file (CSV) into a brand's index; the server must be stopped",
        "  check    ask a running server whether a message may be sent",
        "  scrub    split a campaign list into the rows that may be sent and those that may not",
        "  reconcile  compare a brand's İYS daily change file with a running server's index and repair it",
        "",
        "developer tools, from a source checkout only (not in the distribution): demo, emulator, loadtest",
        "",
        "'iys-filter <command> --help' describes a command.");

    private Main()
    {
    }

    /**
     * @param argv command and options.
     */
    public static void main(final String[] argv)
    {
        System.exit(run(argv, System.out, System.err));
    }

    static int run(final String[] argv, final PrintStream out, final PrintStream err)
    {
        if (argv.length > 0 && TOOLS.contains(argv[0]))
        {
            err.println("iys-filter: '" + argv[0] + "' is a developer tool, not part of the server: run " +
                "./iys-filter " + argv[0] + " from a source checkout (the production distribution does not hold it)");
            return EXIT_ERROR;
        }
        return run(argv, out, err, USAGE, (name) -> switch (name)
        {
            case "serve" -> new ServeCommand();
            case "import" -> new ImportCommand();
            case "check" -> new CheckCommand();
            case "scrub" -> new ScrubCommand();
            case "reconcile" -> new ReconcileCommand();
            default -> null;
        });
    }

    /**
     * Run one command of a command table: the usage for no command or {@code --help}, the command's help for
     * {@code <command> --help}, a usage error with a hint, a runtime error as its message; all errors exit 2.
     *
     * @param argv     command and options.
     * @param out      standard output.
     * @param err      standard error.
     * @param usage    the overview of the table's commands.
     * @param commands the command of a name, or null for none.
     * @return the exit status.
     */
    public static int run(final String[] argv, final PrintStream out, final PrintStream err, final String usage,
        final Function<String, Command> commands)
    {
        if (argv.length == 0 || "--help".equals(argv[0]) || "-h".equals(argv[0]) || "help".equals(argv[0]))
        {
            out.println(usage);
            return argv.length == 0 ? EXIT_ERROR : EXIT_OK;
        }
        final String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        final Command command = commands.apply(argv[0]);
        if (command == null)
        {
            err.println("iys-filter: unknown command '" + argv[0] + "'\n\n" + usage);
            return EXIT_ERROR;
        }
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h"))
        {
            out.println(command.help());
            return EXIT_OK;
        }
        try
        {
            return command.run(rest, out, err);
        }
        catch (final Args.UsageException ex)
        {
            err.println("iys-filter " + argv[0] + ": " + ex.getMessage());
            err.println("try 'iys-filter " + argv[0] + " --help'");
            return EXIT_ERROR;
        }
        catch (final Exception ex)
        {
            err.println("iys-filter " + argv[0] + ": " + ex.getMessage());
            return EXIT_ERROR;
        }
    }

    /**
     * A subcommand.
     */
    public interface Command
    {
        /**
         * @return the text of {@code iys-filter <command> --help}, starting {@code usage: iys-filter <command>}.
         */
        String help();

        /**
         * @param args the arguments after the command's name.
         * @param out  standard output.
         * @param err  standard error.
         * @return the exit status.
         * @throws Exception a runtime error, reported as its message with exit status 2.
         */
        int run(String[] args, PrintStream out, PrintStream err) throws Exception;
    }
}
