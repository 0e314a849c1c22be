package io.iysfilter.loadtest.cli;

import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.emulator.PushDelivery;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The developer tools' command line, run by the {@code ./iys-filter} launcher of a source checkout for
 * {@code demo}, {@code emulator} and {@code loadtest} ({@link Main#TOOLS}); the server's commands are
 * {@link Main}'s. None of this is in the production distribution. Errors, help, version and exit statuses are
 * {@link Main#execute}'s.
 */
public final class ToolsMain
{
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
        final CommandLine line = new CommandLine(new Tools())
            .addSubcommand("demo", new DemoCommand(out, err))
            .addSubcommand("emulator", new EmulatorCommand(out))
            .addSubcommand("loadtest", LoadTestCommand.commandLine(out, err));
        return Main.execute(line, argv, out, err);
    }

    /**
     * The top of the tools' command tree: the overview of the tools.
     */
    @Command(name = "iys-filter", customSynopsis = "iys-filter <tool> [options]",
        description = "developer tools (a source checkout's ./iys-filter; not in the production distribution)",
        footer = {"the server's commands (serve, import, check, scrub, reconcile): 'iys-filter --help'.",
            "'iys-filter <tool> --help' describes a tool."})
    static final class Tools implements Callable<Integer>
    {
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call()
        {
            spec.commandLine().usage(spec.commandLine().getOut());
            return Main.EXIT_ERROR;
        }
    }

    /**
     * {@code iys-filter emulator}: the İYS emulator, until the JVM is asked to stop.
     */
    @Command(name = "emulator", sortOptions = false, description = {
        "run the İYS emulator (for tests and the demo)",
        "",
        "Serves an İYS stand-in on 127.0.0.1: POST /oauth2/token, GET /sps/{iysCode}/brands, " +
            "GET /sps/{iysCode}/brands/{brand}/consents/changes?source=HS|IYS&after=&limit=, and " +
            "POST /emulator/changes {\"brand\",\"source\",\"recipient\",\"type\",\"status\"} to make a movement now. " +
            "--exclusion-seconds withholds the newest movements, as İYS does for an hour.",
        "İYS's push: POST|GET /sps/{iysCode}/brands/{brand}/push/registration and POST …/push/unregistration; " +
            "each citizen's (IYS_*) movement is posted to the brand's registered connections. The --push-* " +
            "options set what İYS does not document: delay, duplicates, reordering, attempts and the wait between " +
            "them, lost deliveries and lost registration answers."})
    static final class EmulatorCommand implements Callable<Integer>
    {
        private final PrintStream out;

        @Option(names = "--port", paramLabel = "P", description = "its port, 0 for any free one (default 7780)")
        private int port = 7780;

        @Option(names = "--iys-code", paramLabel = "N", description = "the service provider's code (default 700001)")
        private long iysCode = 700_001;

        @Option(names = "--brands", paramLabel = "B,B", split = ",", description = "its brands (default 600001)")
        private List<Long> brands = new ArrayList<>(List.of(600_001L));

        @Option(names = "--recipients", paramLabel = "N", description = "recipients per brand (default 10000)")
        private int recipients = 10_000;

        @Option(names = "--seed", paramLabel = "N", description = "of the generated movements (default 6563)")
        private long seed = 6563;

        @Option(names = "--username", paramLabel = "U", description = "API user (default iys-user)")
        private String username = "iys-user";

        @Option(names = "--password", paramLabel = "P", description = "API password (default iys-password)")
        private String password = "iys-password";

        @Option(names = "--exclusion-seconds", paramLabel = "S",
            description = "how recent movements the feed withholds (default 3600)")
        private long exclusionSec = 3600;

        @Option(names = "--token-ttl-seconds", paramLabel = "S", description = "access token lifetime (default 7200)")
        private long tokenTtlSec = 7200;

        @Option(names = "--change-rate", paramLabel = "N", description = "new ONAY/RET movements per second " +
            "(default 0)")
        private double changeRate;

        @Option(names = "--push-delay-ms", paramLabel = "MS", description = "from a citizen's movement to its " +
            "first push (default 0)")
        private long pushDelayMs;

        @Option(names = "--push-duplicates", paramLabel = "P", description = "probability, 0..1, that a push is " +
            "sent twice (default 0)")
        private double pushDuplicates;

        @Option(names = "--push-reorder", description = "send each push after the next one (pairs swapped)")
        private boolean pushReorder;

        @Option(names = "--push-attempts", paramLabel = "N", description = "attempts per push, the first included; " +
            "a non-2xx answer or a lost attempt is retried (default 3)")
        private int pushAttempts = PushDelivery.Behaviour.PROMPT.maxAttempts();

        @Option(names = "--push-retry-ms", paramLabel = "MS", description = "between attempts (default 1000)")
        private long pushRetryMs = PushDelivery.Behaviour.PROMPT.retryDelayMs();

        @Option(names = "--push-concurrency", paramLabel = "N", description = "deliveries under way at once " +
            "(default 1: one after the other)")
        private int pushConcurrency = 1;

        @Option(names = "--push-lose", paramLabel = "N", description = "lose the first N push attempts as a " +
            "dropped network would (default 0)")
        private int pushLose;

        @Option(names = "--push-lose-registration-answers", paramLabel = "N", description = "carry out the first N " +
            "push registrations but lose their answers; lose the unregistrations among them before they act " +
            "(default 0)")
        private int pushLoseAnswers;

        @Option(names = "--push-require-https", description = "refuse http:// push URLs at registration, as İYS " +
            "does (H531; off for loopback)")
        private boolean pushRequireHttps;

        EmulatorCommand(final PrintStream out)
        {
            this.out = out;
        }

        @Override
        public Integer call() throws Exception
        {
            final IysEmulator emulator = start();
            out.printf("İYS emulator on %s: iysCode %d, brands %s, %d recipients each, user %s, %s movements/s%n",
                emulator.baseUrl(), iysCode, brands, recipients, username, changeRate);
            out.flush();
            final CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() ->
            {
                emulator.close();
                stopped.countDown();
            }, "iys-emulator-shutdown"));
            stopped.await();
            return Main.EXIT_OK;
        }

        /**
         * @return the emulator, started once every option was checked: a wrong one starts nothing.
         */
        IysEmulator start() throws IOException
        {
            UsageException.inRange("port", port, 0, 65535);
            UsageException.inRange("push-delay-ms", pushDelayMs, 0, TimeUnit.HOURS.toMillis(1));
            if (!(pushDuplicates >= 0 && pushDuplicates <= 1))
            {
                throw new UsageException("push-duplicates: " + pushDuplicates + " (expected: 0..1)");
            }
            UsageException.inRange("push-attempts", pushAttempts, 1, 100);
            UsageException.inRange("push-retry-ms", pushRetryMs, 0, TimeUnit.HOURS.toMillis(1));
            UsageException.inRange("push-concurrency", pushConcurrency, 1, PushDelivery.MAX_CONCURRENCY);
            UsageException.inRange("push-lose", pushLose, 0, 1_000_000);
            UsageException.inRange("push-lose-registration-answers", pushLoseAnswers, 0, 1_000);
            final IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(port, iysCode, brands, recipients,
                seed, username, password, TimeUnit.SECONDS.toMillis(exclusionSec),
                TimeUnit.SECONDS.toMillis(tokenTtlSec)));
            emulator.pushes().behaviour(new PushDelivery.Behaviour(pushDelayMs, pushDuplicates, pushReorder,
                pushAttempts, pushRetryMs));
            emulator.pushes().concurrency(pushConcurrency);
            emulator.pushes().loseNext(pushLose);
            emulator.pushes().requireHttps(pushRequireHttps);
            emulator.loseNextRegistrationAnswers(pushLoseAnswers);
            emulator.churn(changeRate);
            return emulator;
        }
    }
}
