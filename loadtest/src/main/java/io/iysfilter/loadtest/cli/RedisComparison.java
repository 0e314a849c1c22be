package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.FilterTarget;
import io.iysfilter.loadtest.LoadRun;
import io.iysfilter.loadtest.LoadSettings;
import io.iysfilter.loadtest.LoadTarget;
import io.iysfilter.loadtest.RedisServer;
import io.iysfilter.loadtest.RedisTarget;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.loadtest.RunResult;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iys-filter loadtest compare-redis}: iys-filter and Redis side by side on the same machine, in one run, with
 * the same recipients, connections, pipeline depth and keys per request; prints both and their ratio, and stops
 * both servers by PID at the end.
 */
@Command(name = "compare-redis", sortOptions = false, description = {
    "run iys-filter and Redis side by side on this machine and compare them",
    "",
    "Installs Redis from Debian packages if missing (as root or through sudo -n), prepares the load-test brand " +
        "(reused when DIR already holds it), starts an iys-filter server and a Redis (127.0.0.1, no persistence) " +
        "as child processes, loads the same N recipients into Redis, then runs, in this order:",
    "  1. unpipelined: redis-benchmark -c 1 -P 1 GET, and iys-filter max 1 x 1",
    "  2. pipelined:   redis-benchmark -c C -P D GET, and iys-filter max C x D (single CHECKs)",
    "  3. batches:     redis-benchmark -c C -P BD MGET of B keys, and iys-filter max C x BD x B",
    "  4. open loop at half of Redis's unpipelined maximum, one connection, against both (this rig's RESP client " +
        "for Redis), p99 compared",
    "and prints every result, the ratios and the server's own time per CHECK (from its /metrics). Writes " +
        "summary.json, latency.html and one .hlog per rig run to --out. Both servers are stopped by PID. Exit " +
        "status 1 when a run failed (rate not held, answers missing or wrong); targets missed are reported."})
final class RedisComparison implements Callable<Integer>
{
    private static final Pattern BUCKET = Pattern.compile(
        "^iys_request_latency_seconds_bucket\\{(.*)} ([0-9.eE+-]+)$");
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    private final PrintStream out;
    private final PrintStream err;

    @Mixin
    private LoadTestCommand.WorkloadOptions workloadOptions;

    @Option(names = "--connections", paramLabel = "C", description = "(default 4)")
    private long connections = 4;

    @Option(names = "--depth", paramLabel = "D", description = "requests outstanding per connection (default 16)")
    private long depth = 16;

    @Option(names = "--batch", paramLabel = "B", description = "keys per MGET / entries per CHECK_BATCH (default 100)")
    private long batch = 100;

    @Option(names = "--batch-depth", paramLabel = "D", description = "batches outstanding per connection (default 4)")
    private long batchDepth = 4;

    @Option(names = "--warmup", paramLabel = "S", description = "seconds before each rig measurement (default 5)")
    private long warmup = 5;

    @Option(names = "--duration", paramLabel = "S", description = "seconds of each measurement, and of each " +
        "redis-benchmark run (default 15)")
    private long duration = 15;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "the load-test brand (default " +
        "loadtest-data/N-SEED)")
    private Path dataDirOption;

    @Option(names = "--out", paramLabel = "DIR", description = "the reports (default loadtest-results/compare-redis)")
    private Path outDir = Path.of("loadtest-results/compare-redis");

    @Option(names = "--port", paramLabel = "P", description = "the server's binary port (default 17700)")
    private long serverPort = 17_700;

    @Option(names = "--http-port", paramLabel = "P", description = "its HTTP port (default 17701)")
    private long serverHttpPort = 17_701;

    @Option(names = "--redis-port", paramLabel = "P", description = "Redis's port (default 16379)")
    private long redisPortOption = 16_379;

    @Option(names = "--io-threads", paramLabel = "T", description = "server event-loop threads (default 1: Redis " +
        "has one, and the load generators need the other core of a 2-core machine)")
    private String ioThreads = "1";

    @Option(names = "--pool", paramLabel = "K", description = "pre-generated requests cycled through " +
        "(default 1000000)")
    private long pool = 1_000_000;

    RedisComparison(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        final Workload workload = workloadOptions.workload();
        final Plan plan = new Plan(
            (int)UsageException.inRange("connections", connections, 1, LoadSettings.MAX_CONNECTIONS),
            (int)UsageException.inRange("depth", depth, 1, LoadSettings.MAX_DEPTH),
            (int)UsageException.inRange("batch", batch, 2, LoadSettings.MAX_BATCH),
            (int)UsageException.inRange("batch-depth", batchDepth, 1, LoadSettings.MAX_DEPTH),
            LoadTestCommand.seconds("warmup", warmup),
            Math.max(1_000, LoadTestCommand.seconds("duration", duration)),
            (int)UsageException.inRange("port", serverPort, 1, 65535),
            (int)UsageException.inRange("http-port", serverHttpPort, 1, 65535),
            (int)UsageException.inRange("redis-port", redisPortOption, 1, 65535), outDir);
        final Path dataDir = dataDirOption != null ? dataDirOption :
            Path.of("loadtest-data/" + workload.recipients() + "-" + workload.seed());
        Files.createDirectories(outDir);
        final int port = plan.port();
        final int httpPort = plan.httpPort();
        final int redisPort = plan.redisPort();

        RedisServer.ensureInstalled(err);
        LoadTestData.prepare(dataDir, workload, out);
        out.printf("generating the request pool over %,d recipients...%n", workload.recipients());
        final Workload.Requests requests = LoadTestCommand.pool(pool, workload);

        final List<RunResult> runs = new ArrayList<>();
        final Map<String, Object> figures = new LinkedHashMap<>();
        final List<String> serveArgs = List.of("--data-dir", dataDir.toString(), "--port", Integer.toString(port),
            "--http-port", Integer.toString(httpPort), "--milter-port", "off", "--unbounded-brands",
            Long.toString(Workload.BRAND), "--io-threads", ioThreads, "--entries-per-map",
            Long.toString(Math.max(10_000, workload.recipients())));
        out.println("starting iys-filter (log: " + outDir.resolve("server.log") + ") and Redis...");
        try (ServerProcess server = ServerProcess.start(serveArgs, port, httpPort, outDir.resolve("server.log"));
            RedisServer redis = RedisServer.start(redisPort, outDir.resolve("redis")))
        {
            out.printf("iys-filter pid %d on 127.0.0.1:%d; %s pid %d on 127.0.0.1:%d%n", server.pid(), port,
                redis.version(), redis.pid(), redisPort);
            final long before = redis.usedMemory();
            final long loadStartNs = System.nanoTime();
            redis.load(workload);
            final double loadSec = (System.nanoTime() - loadStartNs) / 1e9;
            final long bytesPerKey = (redis.usedMemory() - before) / workload.recipients();
            out.printf("loaded %,d keys into Redis in %.1f s (%,.0f/s), %d bytes per key%n", workload.recipients(),
                loadSec, workload.recipients() / loadSec, bytesPerKey);
            figures.put("redis bytes per key (used_memory)", bytesPerKey);

            measure(plan, workload, requests, redis, runs, figures, out);
            out.println("\nresults");
            for (final RunResult run : runs)
            {
                out.println("  " + run.summaryLine());
            }
            out.println();
            for (final Map.Entry<String, Object> entry : figures.entrySet())
            {
                out.printf("  %-55s %s%n", entry.getKey(), entry.getValue() instanceof Double d ?
                    String.format("%,.2f", d) : entry.getValue());
            }
        }
        final String machine = machine();
        Reports.writeJson(outDir.resolve("summary.json"), machine, runs, figures);
        Reports.writeHtml(outDir.resolve("latency.html"), "iys-filter and Redis side by side, " +
            workload.recipients() + " recipients", machine, runs, figures);
        out.println("\nwrote " + outDir.resolve("summary.json") + " and " + outDir.resolve("latency.html") +
            "; both servers stopped");
        return runs.stream().allMatch(RunResult::passed) ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    /**
     * What to run: connections, depths, batch size, durations and ports.
     */
    private record Plan(
        int connections,
        int depth,
        int batch,
        int batchDepth,
        long warmupMs,
        long durationMs,
        int port,
        int httpPort,
        int redisPort,
        Path outDir)
    {
    }

    private static void measure(
        final Plan plan,
        final Workload workload,
        final Workload.Requests requests,
        final RedisServer redis,
        final List<RunResult> runs,
        final Map<String, Object> figures,
        final PrintStream out) throws Exception
    {
        final int connections = plan.connections();
        final int depth = plan.depth();
        final int batch = plan.batch();
        final int batchDepth = plan.batchDepth();
        final long warmupMs = plan.warmupMs();
        final long durationMs = plan.durationMs();
        final int port = plan.port();
        final int httpPort = plan.httpPort();
        final int redisPort = plan.redisPort();
        final Path outDir = plan.outDir();
        final String host = "127.0.0.1";
        final double durationSec = durationMs / 1_000.0;

        out.println("\n1. unpipelined, one connection");
        final RedisServer.BenchmarkResult redisUnpipelined = benchmark(redis, 1, 1, 1, durationSec, workload);
        out.println("   " + describe(redisUnpipelined));
        final RunResult oursUnpipelined = rig(new FilterTarget(host, port, requests, 1, false), requests,
            LoadSettings.maxThroughput("unpipelined-1x1", 1, 1, 1, warmupMs, durationMs), outDir, runs, out);

        out.printf("%n2. pipelined: %d connections x depth %d%n", connections, depth);
        final Map<Double, Double> bucketsBefore = checkLatencyBuckets(httpPort);
        final RunResult oursPipelined = rig(new FilterTarget(host, port, requests, 1, false), requests,
            LoadSettings.maxThroughput("pipelined-" + connections + "x" + depth, connections, depth, 1, warmupMs,
                durationMs), outDir, runs, out);
        final Map<Double, Double> bucketsAfter = checkLatencyBuckets(httpPort);
        final RedisServer.BenchmarkResult redisPipelined =
            benchmark(redis, connections, depth, 1, durationSec, workload);
        out.println("   " + describe(redisPipelined));

        out.printf("%n3. batches of %d: %d connections x depth %d%n", batch, connections, batchDepth);
        final RunResult oursBatch = rig(new FilterTarget(host, port, requests, 1, false), requests,
            LoadSettings.maxThroughput("batch-" + connections + "x" + batchDepth + "x" + batch, connections,
                batchDepth, batch, warmupMs, durationMs), outDir, runs, out);
        final RedisServer.BenchmarkResult redisBatch =
            benchmark(redis, connections, batchDepth, batch, durationSec, workload);
        out.println("   " + describe(redisBatch));

        final double rate = Math.max(1, Math.floor(redisUnpipelined.requestsPerSec() / 2));
        out.printf("%n4. open loop at %.0f requests/s (half of Redis's unpipelined maximum), one connection%n",
            rate);
        final RunResult oursOpen = rig(new FilterTarget(host, port, requests, 1, false), requests,
            LoadSettings.openLoop("open-loop-iys-filter", rate, 1, 1, warmupMs, durationMs), outDir, runs, out);
        final RunResult redisOpen = rig(new RedisTarget(host, redisPort, workload, requests, 1, false), requests,
            LoadSettings.openLoop("open-loop-redis", rate, 1, 1, warmupMs, durationMs), outDir, runs, out);

        final double pipelinedRatio = oursPipelined.decisionsPerSec() / redisPipelined.requestsPerSec();
        final double batchRatio = oursBatch.decisionsPerSec() / (redisBatch.requestsPerSec() * batch);
        figures.put("redis unpipelined GET requests/s", redisUnpipelined.requestsPerSec());
        figures.put("iys-filter unpipelined CHECK decisions/s", oursUnpipelined.decisionsPerSec());
        figures.put("unpipelined ratio", oursUnpipelined.decisionsPerSec() / redisUnpipelined.requestsPerSec());
        figures.put("redis pipelined GET requests/s", redisPipelined.requestsPerSec());
        figures.put("iys-filter pipelined CHECK decisions/s", oursPipelined.decisionsPerSec());
        figures.put("pipelined ratio (target >= 3)", pipelinedRatio);
        figures.put("redis MGET keys/s", redisBatch.requestsPerSec() * batch);
        figures.put("iys-filter CHECK_BATCH decisions/s", oursBatch.decisionsPerSec());
        figures.put("batch ratio (target >= 3)", batchRatio);
        figures.put("open-loop rate requests/s", rate);
        figures.put("open-loop p99 iys-filter us", oursOpen.latencyUs(99));
        figures.put("open-loop p99 redis us", redisOpen.latencyUs(99));
        figures.put("open-loop p99 iys-filter <= redis", oursOpen.latencyUs(99) <= redisOpen.latencyUs(99));
        figures.put("redis-benchmark p99 us: unpipelined / pipelined / MGET", String.format("%.0f / %.0f / %.0f",
            redisUnpipelined.p99Us(), redisPipelined.p99Us(), redisBatch.p99Us()));
        final InServer inServer = inServer(bucketsBefore, bucketsAfter);
        figures.put("in-server CHECK time: % within 2 us (step 2)", inServer.shareWithin2us() * 100);
        figures.put("in-server CHECK time: p99 <= (bucket bound, us)", inServer.p99BoundUs());
        figures.put("in-server CHECKs counted", inServer.count());
    }

    private static RunResult rig(
        final LoadTarget target,
        final io.iysfilter.loadtest.Workload.Requests requests,
        final LoadSettings settings,
        final Path outDir,
        final List<RunResult> runs,
        final PrintStream out) throws Exception
    {
        final RunResult result;
        try (target)
        {
            result = LoadRun.run(target, requests, settings, outDir.resolve(settings.name() + ".hlog"), null);
        }
        out.println("   " + result.summaryLine());
        runs.add(result);
        return result;
    }

    private static RedisServer.BenchmarkResult benchmark(
        final RedisServer redis,
        final int connections,
        final int pipeline,
        final int keys,
        final double durationSec,
        final Workload workload) throws Exception
    {
        final long probeRequests = Math.max(2_000L, 20_000L * connections / keys);
        final RedisServer.BenchmarkResult probe =
            redis.benchmark(connections, pipeline, keys, probeRequests, workload.recipients());
        final long requests = Math.max(probeRequests, (long)(probe.requestsPerSec() * durationSec));
        return redis.benchmark(connections, pipeline, keys, requests, workload.recipients());
    }

    private static String describe(final RedisServer.BenchmarkResult result)
    {
        return String.format("%-40s %12.0f req/s  p50 %8.1f  p99 %8.1f  max %9.1f us", result.command(),
            result.requestsPerSec(), result.p50Us(), result.p99Us(), result.maxUs());
    }

    static String machine()
    {
        return String.format("%d cores, %s %s, Java %s (%s)", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("java.version"),
            System.getProperty("java.vm.name"));
    }

    /**
     * @return cumulative count per upper bound (seconds) of the binary endpoint's CHECK latency, all threads.
     */
    static Map<Double, Double> checkLatencyBuckets(final int httpPort) throws Exception
    {
        final HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        final Map<Double, Double> buckets = new TreeMap<>();
        for (final String line : response.body().split("\n"))
        {
            final Matcher matcher = BUCKET.matcher(line);
            if (matcher.matches() && matcher.group(1).contains("endpoint=\"binary\"") &&
                matcher.group(1).contains("type=\"check\""))
            {
                final Matcher le = LE.matcher(matcher.group(1));
                if (le.find())
                {
                    final double bound = "+Inf".equals(le.group(1)) ? Double.POSITIVE_INFINITY :
                        Double.parseDouble(le.group(1));
                    buckets.merge(bound, Double.parseDouble(matcher.group(2)), Double::sum);
                }
            }
        }
        return buckets;
    }

    /**
     * The server's own time per CHECK over an interval, from its histogram buckets.
     *
     * @param count          CHECKs in the interval.
     * @param shareWithin2us the share that took at most 2 µs.
     * @param p99BoundUs     the smallest bucket bound that 99 % of them are within, µs.
     */
    record InServer(double count, double shareWithin2us, double p99BoundUs)
    {
    }

    static InServer inServer(final Map<Double, Double> before, final Map<Double, Double> after)
    {
        final double total = after.getOrDefault(Double.POSITIVE_INFINITY, 0.0) -
            before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        double within2 = 0;
        double p99 = Double.NaN;
        for (final Map.Entry<Double, Double> entry : after.entrySet())
        {
            final double count = entry.getValue() - before.getOrDefault(entry.getKey(), 0.0);
            if (entry.getKey() <= 2e-6 + 1e-12)
            {
                within2 = count;
            }
            if (Double.isNaN(p99) && total > 0 && count >= 0.99 * total)
            {
                p99 = entry.getKey() * 1e6;
            }
        }
        return new InServer(total, total > 0 ? within2 / total : Double.NaN, p99);
    }
}
