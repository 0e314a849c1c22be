package io.iysfilter.server.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code iys-filter}: the command line. Exit status 2 means a usage or runtime error throughout.
 */
public final class Main
{
    static final int EXIT_OK = 0;
    static final int EXIT_DENY = 1;
    static final int EXIT_ERROR = 2;

    private static final String USAGE = String.join("\n",
        "usage: iys-filter <command> [options]",
        "",
        "commands:",
        "  serve    run the server (binary protocol on 7700, HTTP on 7701)",
        "  import   load an İYS daily change file (CSV) into a brand's index; the server must be stopped",
        "  check    ask a running server whether a message may be sent",
        "  scrub    split a campaign list into the rows that may be sent and those that may not",
        "  reconcile  compare a brand's İYS daily change file with a running server's index and repair it",
        "  emulator   run the İYS emulator (for tests and the demo)",
        "  loadtest   load-test a server (open loop or max throughput) and compare it with Redis",
        "  demo     generate sample data, start a server on it and show what to try",
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
        if (argv.length == 0 || "--help".equals(argv[0]) || "-h".equals(argv[0]) || "help".equals(argv[0]))
        {
            out.println(USAGE);
            return argv.length == 0 ? EXIT_ERROR : EXIT_OK;
        }
        final String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        final Command command = switch (argv[0])
        {
            case "serve" -> new ServeCommand();
            case "import" -> new ImportCommand();
            case "check" -> new CheckCommand();
            case "demo" -> new DemoCommand();
            case "scrub" -> new ScrubCommand();
            case "reconcile" -> new ReconcileCommand();
            case "loadtest" -> new LoadTestCommand();
            default -> null;
        };
        if (command == null)
        {
            err.println("iys-filter: unknown command '" + argv[0] + "'\n\n" + USAGE);
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
    interface Command
    {
        String help();

        int run(String[] args, PrintStream out, PrintStream err) throws Exception;
    }
}
