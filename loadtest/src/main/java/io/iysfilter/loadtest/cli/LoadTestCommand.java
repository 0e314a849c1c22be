package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.FilterTarget;
import io.iysfilter.loadtest.LoadRun;
import io.iysfilter.loadtest.LoadSettings;
import io.iysfilter.loadtest.LoadTarget;
import io.iysfilter.loadtest.RedisTarget;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.loadtest.RunResult;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.client.ClientTls;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.TlsClientOptions;
import io.iysfilter.server.cli.UsageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter loadtest}: prepares a load-test brand, drives a server at a fixed rate (open loop) or as fast as
 * it answers (max throughput), compares iys-filter with Redis on the same machine in one run, and soaks a server with
 * normal load and hostile clients at once ({@link AbuseSoak}).
 */
@Command(name = "loadtest", description = {
    "load-test a server (open loop or max throughput), compare it with Redis, soak it with hostile clients",
    "",
    "prepare writes the load-test brand; open-loop and max drive a server serving it; compare-redis runs " +
        "iys-filter and Redis side by side; abuse mixes normal load with every kind of hostile client; " +
        "bulk measures import and scrub; receipts what the decision journal costs; replication the figures of " +
        "replication through Kafka; push those of İYS push (pushed RET to DENY latency, pushes applied a second). " +
        "'iys-filter loadtest <command> --help' describes each."})
final class LoadTestCommand implements Callable<Integer>
{
    /**
     * @param out standard output.
     * @param err standard error.
     * @return the command with its subcommands.
     */
    static CommandLine commandLine(final PrintStream out, final PrintStream err)
    {
        return new CommandLine(new LoadTestCommand())
            .addSubcommand("prepare", new Prepare(out))
            .addSubcommand("open-loop", new OpenLoop(out))
            .addSubcommand("max", new Max(out))
            .addSubcommand("compare-redis", new RedisComparison(out, err))
            .addSubcommand("abuse", new AbuseSoak(out))
            .addSubcommand("bulk", new BulkRates(out))
            .addSubcommand("receipts", new ReceiptsCost(out))
            .addSubcommand("replication", new ReplicationFigures(out))
            .addSubcommand("push", new PushFigures(out));
    }

    @Override
    public Integer call()
    {
        throw new UsageException("expected prepare, open-loop, max, compare-redis, abuse, bulk, receipts, " +
            "replication or push");
    }

    /**
     * The load-test brand: how many recipients, from which seed.
     */
    static final class WorkloadOptions
    {
        @Option(names = "--recipients", paramLabel = "N", description = "recipients of the load-test brand " +
            "(default 1000000)")
        private long recipients = Workload.RECIPIENTS_DEFAULT;

        @Option(names = "--seed", paramLabel = "S", description = "its seed (default 6563)")
        private long seed = Workload.SEED_DEFAULT;

        Workload workload()
        {
            return new Workload(seed, UsageException.inRange("recipients", recipients, 1, Workload.MAX_RECIPIENTS));
        }
    }

    /**
     * {@code loadtest prepare}.
     */
    @Command(name = "prepare", description = {
        "write the load-test brand into a data directory",
        "",
        "Writes load-test brand " + Workload.BRAND + " with N recipients into a data directory (new, empty, or " +
            "prepared before with the same N and seed, then reused). Serve it with",
        "  iys-filter serve --data-dir DIR --unbounded-brands " + Workload.BRAND,
        "(unbounded, so that a directory prepared days ago is not STALE)."})
    static final class Prepare implements Callable<Integer>
    {
        private final PrintStream out;

        @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "the data directory")
        private Path dataDir;

        @Mixin
        private WorkloadOptions workload;

        Prepare(final PrintStream out)
        {
            this.out = out;
        }

        @Override
        public Integer call() throws Exception
        {
            LoadTestData.prepare(dataDir, workload.workload(), out);
            return Main.EXIT_OK;
        }
    }

    /**
     * What open-loop and max share.
     */
    abstract static class Run implements Callable<Integer>
    {
        private final PrintStream out;

        @Mixin
        private WorkloadOptions workloadOptions;

        @Option(names = "--host", paramLabel = "H", description = "the server (default 127.0.0.1)")
        private String host = "127.0.0.1";

        @Option(names = "--port", paramLabel = "P", description = "its binary protocol port (default 7700)")
        private int port = 7700;

        @Option(names = "--pool", paramLabel = "K", description = "pre-generated requests cycled through " +
            "(default 1000000)")
        private long pool = 1_000_000;

        @Option(names = "--connections", paramLabel = "C", description = "(default 1)")
        private long connections = 1;

        @Option(names = "--batch", paramLabel = "B", description = "decisions per request: 1 = CHECK, more = " +
            "CHECK_BATCH (default 1)")
        private long batch = 1;

        @Option(names = "--warmup", paramLabel = "S", description = "seconds (default 5)")
        private long warmup = 5;

        @Option(names = "--duration", paramLabel = "S", description = "seconds (default 20)")
        private long duration = 20;

        @Option(names = "--out", paramLabel = "DIR", description = "where the reports go (default loadtest-results)")
        private Path outDir = Path.of("loadtest-results");

        @Option(names = "--client-threads", paramLabel = "T", description = "client event-loop threads (default 1)")
        private long clientThreads = 1;

        @Option(names = "--busy-poll", description = "client threads poll without sleeping (pair with a busy-poll " +
            "server)")
        private boolean busyPoll;

        @Option(names = "--target", paramLabel = "iys-filter|redis", description = "redis: drive a Redis loaded by " +
            "compare-redis instead (GET / MGET; needs --redis-port)")
        private String target = "iys-filter";

        @Option(names = "--redis-port", paramLabel = "P", description = "the Redis of --target redis")
        private Integer redisPort;

        @Option(names = "--name", paramLabel = "NAME", description = "run name in the reports")
        private String name;

        @Mixin
        private TlsClientOptions tls = new TlsClientOptions();

        Run(final PrintStream out)
        {
            this.out = out;
        }

        abstract LoadSettings settings(String runName, int connections, int batch, long warmupMs, long durationMs);

        @Override
        public Integer call() throws Exception
        {
            final Workload workload = workloadOptions.workload();
            final int connectionCount = (int)UsageException.inRange("connections", connections, 1,
                LoadSettings.MAX_CONNECTIONS);
            final int batchSize = (int)UsageException.inRange("batch", batch, 1, LoadSettings.MAX_BATCH);
            final LoadSettings settings = settings(name, connectionCount, batchSize, seconds("warmup", warmup),
                seconds("duration", duration));
            Files.createDirectories(outDir);
            final Workload.Requests requests = pool(pool, workload);
            out.printf("generated %,d requests over %,d recipients (seed %d)%n", requests.size(),
                workload.recipients(), workload.seed());
            final int threads = (int)UsageException.inRange("client-threads", clientThreads, 1, 64);
            final ClientTls clientTls = tls.clientTls();
            if (clientTls != null && "redis".equals(target))
            {
                throw new UsageException("--tls-* options apply to --target iys-filter only");
            }
            final RunResult result;
            try (LoadTarget loadTarget = "redis".equals(target) ?
                new RedisTarget(host, redisPort(), workload, requests, threads, busyPoll) :
                new FilterTarget(host, (int)UsageException.inRange("port", port, 1, 65535), requests, threads,
                    busyPoll, clientTls))
            {
                result = LoadRun.run(loadTarget, requests, settings, outDir.resolve(settings.name() + ".hlog"), out);
            }
            out.println(result.summaryLine());
            final String machine = RedisComparison.machine();
            Reports.writeJson(outDir.resolve("summary.json"), machine, List.of(result), new LinkedHashMap<>());
            Reports.writeHtml(outDir.resolve("latency.html"), "iys-filter load run " + settings.name(), machine,
                List.of(result), new LinkedHashMap<>());
            out.println("wrote " + outDir.resolve("summary.json") + ", " + outDir.resolve("latency.html") + " and " +
                outDir.resolve(settings.name() + ".hlog"));
            return result.passed() ? Main.EXIT_OK : Main.EXIT_DENY;
        }

        private int redisPort()
        {
            if (redisPort == null)
            {
                throw new UsageException("missing required option --redis-port");
            }
            return (int)UsageException.inRange("redis-port", redisPort, 1, 65535);
        }
    }

    /**
     * {@code loadtest open-loop}.
     */
    @Command(name = "open-loop", sortOptions = false, description = {
        "send a fixed rate of requests and measure latency from each one's intended send time",
        "",
        "Sends R requests/s spread over the connections, each stamped with its intended send time; latency is " +
            "measured from that time (no coordinated omission). The run fails (exit 1) when the rate was not held, " +
            "or an answer is missing or differs from the workload's expected answer. Prints p50/p90/p99/p99.9/max " +
            "and writes to --out DIR: NAME.hlog (HdrHistogram interval log, ns), summary.json and latency.html."})
    static final class OpenLoop extends Run
    {
        @Option(names = "--rate", required = true, paramLabel = "R", description = "requests per second over all " +
            "connections")
        private long rate;

        OpenLoop(final PrintStream out)
        {
            super(out);
        }

        @Override
        LoadSettings settings(final String runName, final int connections, final int batch, final long warmupMs,
            final long durationMs)
        {
            final double perSecond = UsageException.inRange("rate", rate, 1, (long)LoadSettings.MAX_RATE);
            return LoadSettings.openLoop(runName != null ? runName : "open-loop-" + (long)perSecond, perSecond,
                connections, batch, warmupMs, durationMs);
        }
    }

    /**
     * {@code loadtest max}.
     */
    @Command(name = "max", sortOptions = false, description = {
        "keep requests outstanding on each connection and report decisions/s",
        "",
        "Keeps --depth requests outstanding on each connection and reports decisions/s, p50/p90/p99/p99.9/max, " +
            "and writes to --out DIR as open-loop does. The run fails (exit 1) when an answer is missing or differs " +
            "from the workload's expected answer."})
    static final class Max extends Run
    {
        @Option(names = "--depth", paramLabel = "D", description = "requests outstanding per connection (default 16)")
        private long depth = 16;

        Max(final PrintStream out)
        {
            super(out);
        }

        @Override
        LoadSettings settings(final String runName, final int connections, final int batch, final long warmupMs,
            final long durationMs)
        {
            final int outstanding = (int)UsageException.inRange("depth", depth, 1, LoadSettings.MAX_DEPTH);
            return LoadSettings.maxThroughput(runName != null ? runName : "max-" + connections + "x" + outstanding +
                "x" + batch, connections, outstanding, batch, warmupMs, durationMs);
        }
    }

    static Workload.Requests pool(final long size, final Workload workload)
    {
        return workload.requests((int)UsageException.inRange("pool", size, 1_000, 50_000_000));
    }

    static long seconds(final String name, final long seconds)
    {
        return UsageException.inRange(name, seconds, 0, 3_600) * 1_000;
    }
}
