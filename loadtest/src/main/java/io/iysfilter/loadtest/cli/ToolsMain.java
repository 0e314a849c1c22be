package io.iysfilter.loadtest.cli;

import io.iysfilter.emulator.EmulatorMain;
import io.iysfilter.server.cli.Main;

import java.io.PrintStream;

/**
 * The developer tools' command line, run by the {@code ./iys-filter} launcher of a source checkout for
 * {@code demo}, {@code emulator} and {@code loadtest} ({@link Main#TOOLS}); the server's commands are
 * {@link Main}'s. None of this is in the production distribution. Exit statuses are {@link Main}'s.
 */
public final class ToolsMain
{
    private static final String USAGE = String.join("\n",
        "usage: iys-filter <tool> [options]",
        "",
        "developer tools (a source checkout's ./iys-filter; not in the production distribution):",
        "  demo       generate sample data, start a server on it with the İYS emulator and show what to try",
        "  emulator   run the İYS emulator (for tests and the demo)",
        "  loadtest   load-test a server (open loop or max throughput) and compare it with Redis",
        "",
        "the server's commands (serve, import, check, scrub, reconcile): 'iys-filter --help'.",
        "'iys-filter <tool> --help' describes a tool.");

    private ToolsMain()
    {
    }

    /**
     * @param argv tool and options.
     */
    public static void main(final String[] argv)
    {
        System.exit(run(argv, System.out, System.err));
    }

    /**
     * @param argv tool and options.
     * @param out  standard output.
     * @param err  standard error.
     * @return the exit status.
     */
    public static int run(final String[] argv, final PrintStream out, final PrintStream err)
    {
        return Main.run(argv, out, err, USAGE, (name) -> switch (name)
        {
            case "demo" -> new DemoCommand();
            case "emulator" -> new EmulatorCommand();
            case "loadtest" -> new LoadTestCommand();
            default -> null;
        });
    }

    /**
     * {@code iys-filter emulator}: the emulator module's own main, until the JVM is asked to stop.
     */
    private static final class EmulatorCommand implements Main.Command
    {
        @Override
        public String help()
        {
            return EmulatorMain.USAGE;
        }

        @Override
        public int run(final String[] args, final PrintStream out, final PrintStream err) throws Exception
        {
            EmulatorMain.main(args);
            return Main.EXIT_OK;
        }
    }
}
