package io.iysfilter.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter}: the server's command line, parsed by picocli. Exit status 2 means a usage or runtime error
 * throughout.
 * <p>
 * The developer tools ({@link #TOOLS}: the demo, the İYS emulator, the load rig) live in the loadtest module with a
 * main of their own, which the {@code ./iys-filter} launcher of a source checkout runs; they are not in the
 * production distribution, and this main says so when asked for one. Public for them: the exit statuses,
 * {@link #TOOLS} and {@link #execute}, which runs a command tree with this command line's errors, help and version.
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

    private static final int HELP_WIDTH = 110;

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
        return execute(commandLine(out, err), argv, out, err);
    }

    /**
     * @param out standard output, for the commands.
     * @param err standard error, for the commands.
     * @return the server's command tree.
     */
    static CommandLine commandLine(final PrintStream out, final PrintStream err)
    {
        return new CommandLine(new ServerCommands())
            .addSubcommand("serve", ServeCommand.commandLine(out))
            .addSubcommand("import", new ImportCommand(out, err))
            .addSubcommand("check", new CheckCommand(out, err))
            .addSubcommand("scrub", new ScrubCommand(out, err))
            .addSubcommand("reconcile", new ReconcileCommand(out, err))
            .addSubcommand("token", new TokenCommand(out))
            .addSubcommand("push", new PushCommand(out, System.getenv()))
            .addSubcommand("receipts", ReceiptsCommand.commandLine(out, err));
    }

    /**
     * Run a command tree: its usage, exit status 2, for no command; the generated help of any command for
     * {@code --help} or {@code help COMMAND}; the version for {@code --version}; a usage error (a parse error or a
     * {@link UsageException}) as one line naming the command, with a hint, exit status 2; a runtime error as its
     * message, exit status 2; otherwise the command's own exit status.
     *
     * @param line the command tree; the top command's {@code call()} runs when no command is given.
     * @param argv the arguments.
     * @param out  standard output.
     * @param err  standard error.
     * @return the exit status.
     */
    public static int execute(final CommandLine line, final String[] argv, final PrintStream out, final PrintStream err)
    {
        line.addSubcommand("help", new CommandLine.HelpCommand());
        configure(line.getCommandSpec());
        // as the hand-made parser did: an argument starting with @ is a value, never a file of arguments, and an
        // option given twice takes the later value
        line.setExpandAtFiles(false).setOverwrittenOptionsAllowed(true);
        // plain text on a terminal too, as before: no ANSI colours in help or errors
        line.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        line.setOut(writer(out)).setErr(writer(err))
            .setParameterExceptionHandler((ex, args) ->
            {
                final CommandLine failed = ex.getCommandLine();
                final String name = failed.getCommandSpec().qualifiedName();
                if (ex instanceof CommandLine.UnmatchedArgumentException && !failed.getSubcommands().isEmpty() &&
                    !ex.getMessage().contains("'-"))
                {
                    final String unknown = ((CommandLine.UnmatchedArgumentException)ex).getUnmatched().get(0);
                    err.println(name + ": unknown command '" + unknown + "'");
                    err.println();
                    err.print(failed.getUsageMessage());
                    return EXIT_ERROR;
                }
                final List<String> unmatched = failed.getUnmatchedArguments();
                // picocli checks required options before it reports unknown ones: a typo is the real error
                final String message = ex instanceof CommandLine.MissingParameterException && !unmatched.isEmpty() &&
                    unmatched.get(0).startsWith("-") ? "Unknown option: '" + unmatched.get(0) + "'" : ex.getMessage();
                err.println(name + ": " + message);
                err.println("try '" + name + " --help'");
                return EXIT_ERROR;
            })
            .setExecutionExceptionHandler((ex, failed, parsed) ->
            {
                final String name = failed.getCommandSpec().qualifiedName();
                err.println(name + ": " + ex.getMessage());
                if (ex instanceof UsageException)
                {
                    err.println("try '" + name + " --help'");
                }
                return EXIT_ERROR;
            });
        final int exit = line.execute(argv);
        out.flush();
        err.flush();
        return exit;
    }

    private static void configure(final CommandSpec spec)
    {
        if (!(spec.userObject() instanceof CommandLine.HelpCommand))
        {
            spec.mixinStandardHelpOptions(true);
        }
        spec.versionProvider(Main::version);
        spec.usageMessage().synopsisHeading("usage: ").width(HELP_WIDTH)
            .descriptionHeading("%n").optionListHeading("%n").parameterListHeading("%n")
            .commandListHeading("%ncommands:%n").footerHeading("%n");
        for (final CommandLine sub : spec.subcommands().values())
        {
            configure(sub.getCommandSpec());
        }
    }

    private static String[] version()
    {
        final String version = Main.class.getPackage().getImplementationVersion();
        return new String[]{"iys-filter " + (version == null ? "(development build, not from a packaged jar)" :
            version), "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
    }

    /**
     * A writer onto a print stream, so that help and errors use the stream's own encoding.
     */
    private static PrintWriter writer(final PrintStream stream)
    {
        return new PrintWriter(new Writer()
        {
            @Override
            public void write(final char[] chars, final int offset, final int length)
            {
                stream.print(new String(chars, offset, length));
            }

            @Override
            public void flush()
            {
                stream.flush();
            }

            @Override
            public void close()
            {
                stream.flush();
            }
        }, true);
    }

    /**
     * The top of the server's command tree: the overview of its commands.
     */
    @Command(name = "iys-filter", customSynopsis = "iys-filter <command> [options]",
        description = "iys-filter answers \"may brand B send channel C to recipient R now?\" from İYS consent data.",
        footer = {"developer tools, from a source checkout only (not in the distribution): demo, emulator, " +
            "loadtest", "", "'iys-filter <command> --help' describes a command."})
    static final class ServerCommands implements Callable<Integer>
    {
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call()
        {
            spec.commandLine().usage(spec.commandLine().getOut());
            return EXIT_ERROR;
        }
    }
}
