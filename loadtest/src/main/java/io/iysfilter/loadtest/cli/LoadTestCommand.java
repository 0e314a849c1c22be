package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.FilterTarget;
import io.iysfilter.loadtest.LoadRun;
import io.iysfilter.loadtest.LoadSettings;
import io.iysfilter.loadtest.LoadTarget;
import io.iysfilter.loadtest.RedisTarget;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.loadtest.RunResult;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.server.cli.Args;
import io.iysfilter.server.cli.Main;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * {@code iys-filter loadtest}: prepares a load-test brand, drives a server at a fixed rate (open loop) or as fast as
 * it answers (max throughput), and compares iys-filter with Redis on the same machine in one run.
 */
final class LoadTestCommand implements Main.Command
{
    static final Set<String> RUN_OPTIONS = Set.of("host", "port", "recipients", "seed", "pool", "connections",
        "depth", "batch", "rate", "warmup", "duration", "out", "client-threads", "target", "redis-port", "name");

    @Override
    public String help()
    {
        return String.join("\n",
            "usage: iys-filter loadtest prepare --data-dir DIR [--recipients N] [--seed S]",
            "       iys-filter loadtest open-loop --rate R [options]",
            "       iys-filter loadtest max [options]",
            "       iys-filter loadtest compare-redis [options]   (below)",
            "",
            "prepare writes load-test brand " + Workload.BRAND + " with N recipients (default 1000000) into a",
            "data directory (new, empty, or prepared before with the same N and seed, then reused). Serve it with",
            "  iys-filter serve --data-dir DIR --unbounded-brands " + Workload.BRAND,
            "(unbounded, so that a directory prepared days ago is not STALE).",
            "",
            "open-loop sends R requests/s spread over the connections, each stamped with its intended send time;",
            "latency is measured from that time (no coordinated omission). The run fails (exit 1) when the rate",
            "was not held, or an answer is missing or differs from the workload's expected answer.",
            "max keeps --depth requests outstanding on each connection and reports decisions/s.",
            "",
            "Both print p50/p90/p99/p99.9/max and write to --out DIR (default loadtest-results): NAME.hlog",
            "(HdrHistogram interval log, ns), summary.json and latency.html (percentile plot and table).",
            "",
            "  --host H --port P       server (default 127.0.0.1:7700)",
            "  --recipients N --seed S the prepared brand (defaults 1000000 and 6563): answers are checked",
            "  --pool K                pre-generated requests cycled through (default 1000000)",
            "  --connections C         (default 1)",
            "  --depth D               max: requests outstanding per connection (default 16)",
            "  --batch B               decisions per request: 1 = CHECK, more = CHECK_BATCH (default 1)",
            "  --rate R                open-loop: requests per second over all connections",
            "  --warmup S --duration S seconds (defaults 5 and 20)",
            "  --client-threads T      client event-loop threads (default 1)",
            "  --busy-poll             client threads poll without sleeping (pair with a busy-poll server)",
            "  --target redis --redis-port P   drive a Redis loaded by compare-redis instead (GET / MGET)",
            "  --name NAME             run name in the reports",
            "",
            RedisComparison.help());
    }

    @Override
    public int run(final String[] argv, final PrintStream out, final PrintStream err) throws Exception
    {
        if (argv.length == 0)
        {
            throw new Args.UsageException("expected prepare, open-loop, max or compare-redis");
        }
        final String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
        return switch (argv[0])
        {
            case "prepare" -> prepare(rest, out);
            case "open-loop" -> single(rest, true, out);
            case "max" -> single(rest, false, out);
            case "compare-redis" -> new RedisComparison().run(rest, out, err);
            default -> throw new Args.UsageException("unknown loadtest command '" + argv[0] +
                "': expected prepare, open-loop, max or compare-redis");
        };
    }

    private static int prepare(final String[] argv, final PrintStream out) throws Exception
    {
        final Args args = Args.parse(argv, Set.of("data-dir", "recipients", "seed"), Set.of());
        LoadTestData.prepare(Path.of(args.required("data-dir")), workload(args), out);
        return Main.EXIT_OK;
    }

    static Workload workload(final Args args)
    {
        return new Workload(Args.parseLong("seed", args.get("seed", Long.toString(Workload.SEED_DEFAULT)),
            Long.MIN_VALUE, Long.MAX_VALUE), Args.parseLong("recipients", args.get("recipients",
            Long.toString(Workload.RECIPIENTS_DEFAULT)), 1, Workload.MAX_RECIPIENTS));
    }

    static Workload.Requests pool(final Args args, final Workload workload)
    {
        return workload.requests((int)Args.parseLong("pool", args.get("pool", "1000000"), 1_000, 50_000_000));
    }

    private static int single(final String[] argv, final boolean openLoop, final PrintStream out) throws Exception
    {
        final Args args = Args.parse(argv, RUN_OPTIONS, Set.of("busy-poll"));
        final Workload workload = workload(args);
        final int connections = (int)Args.parseLong("connections", args.get("connections", "1"), 1,
            LoadSettings.MAX_CONNECTIONS);
        final int batch = (int)Args.parseLong("batch", args.get("batch", "1"), 1, LoadSettings.MAX_BATCH);
        final long warmupMs = seconds(args, "warmup", "5");
        final long durationMs = seconds(args, "duration", "20");
        final LoadSettings settings;
        if (openLoop)
        {
            final double rate = Args.parseLong("rate", args.required("rate"), 1, (long)LoadSettings.MAX_RATE);
            settings = LoadSettings.openLoop(args.get("name", "open-loop-" + (long)rate), rate, connections, batch,
                warmupMs, durationMs);
        }
        else
        {
            final int depth = (int)Args.parseLong("depth", args.get("depth", "16"), 1, LoadSettings.MAX_DEPTH);
            settings = LoadSettings.maxThroughput(args.get("name", "max-" + connections + "x" + depth + "x" + batch),
                connections, depth, batch, warmupMs, durationMs);
        }
        final Path outDir = Path.of(args.get("out", "loadtest-results"));
        Files.createDirectories(outDir);
        final Workload.Requests requests = pool(args, workload);
        out.printf("generated %,d requests over %,d recipients (seed %d)%n", requests.size(), workload.recipients(),
            workload.seed());
        final int threads = (int)Args.parseLong("client-threads", args.get("client-threads", "1"), 1, 64);
        final boolean busyPoll = args.has("busy-poll");
        final String host = args.get("host", "127.0.0.1");
        final RunResult result;
        try (LoadTarget target = "redis".equals(args.get("target", "iys-filter")) ?
            new RedisTarget(host, (int)Args.parseLong("redis-port", args.required("redis-port"), 1, 65535), workload,
                requests, threads, busyPoll) :
            new FilterTarget(host, (int)Args.parseLong("port", args.get("port", "7700"), 1, 65535), requests, threads,
                busyPoll))
        {
            result = LoadRun.run(target, requests, settings, outDir.resolve(settings.name() + ".hlog"), out);
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

    static long seconds(final Args args, final String name, final String fallback)
    {
        return Args.parseLong(name, args.get(name, fallback), 0, 3_600) * 1_000;
    }
}
