package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.FilterTarget;
import io.iysfilter.loadtest.LoadRun;
import io.iysfilter.loadtest.LoadSettings;
import io.iysfilter.loadtest.LoadTarget;
import io.iysfilter.loadtest.RedisBenchmark;
import io.iysfilter.loadtest.RedisServer;
import io.iysfilter.loadtest.RedisTarget;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.loadtest.RespCheckTarget;
import io.iysfilter.loadtest.RunResult;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iys-filter loadtest compare-redis}: iys-filter and Redis side by side on the same machine, in one run, with
 * the same recipients, connections, pipeline depth and keys per request, both driven by the same C load generator
 * ({@code redis-benchmark}) in alternating rounds, with each server's CPU time per decision; iys-filter's binary
 * protocol driven by the Java rig beside them; an open-loop p99 at equal offered load; both servers stopped by PID.
 */
@Command(name = "compare-redis", sortOptions = false, description = {
    "run iys-filter and Redis side by side on this machine and compare them",
    "",
    "Installs Redis from Debian packages if missing (as root or through sudo -n), prepares the load-test brands " +
        "(reused when DIR already holds them: " + Workload.BRAND + " for the Java rig, " + Workload.EMAIL_BRAND +
        " with the e-mail recipients u%%012d@example.com for redis-benchmark), starts an iys-filter server (binary " +
        "and RESP endpoints) and a Redis (127.0.0.1, no persistence) as child processes, loads the same recipients " +
        "into Redis (c:%%012d and e:%%012d), checks with redis-cli that both answer real lookups and that " +
        "redis-benchmark puts a new random number into every __rand_int__, then, for each shape",
    "  unpipelined 1 x 1; pipelined C x D; batches C x BD of B keys,",
    "warms up and sizes each side, and runs R alternating rounds: redis-benchmark against Redis (GET e:__rand_int__ " +
        "/ MGET of B), the same redis-benchmark against iys-filter's RESP endpoint (IYS.CHECK " + Workload.EMAIL_BRAND +
        " EPOSTA u__rand_int__@example.com / IYS.MCHECK of B), and the Java rig against its binary endpoint " +
        "(CHECK / CHECK_BATCH). Every run reads the server's CPU time (user, system; /proc/PID/stat) over exactly " +
        "its interval, and the generator's own, and is checked against what the server counted (Redis's keyspace " +
        "hits and misses, iys-filter's decisions by reason). Then an open loop at half of Redis's unpipelined rate " +
        "against iys-filter's binary endpoint (its Java client), its RESP endpoint and Redis (both through this " +
        "rig's RESP client), p99 compared.",
    "Prints every run, the medians with min-max, and the per-round ratios (throughput, and CPU per decision). " +
        "Writes summary.json, latency.html and one .hlog per rig run to --out. --pin puts the generators and the " +
        "servers on separate CPUs with taskset; --io-threads sets both servers' I/O threads. Both servers are " +
        "stopped by PID. Exit status 1 when a run failed (a check, a rate not held, answers missing or wrong); " +
        "targets missed are reported."})
final class RedisComparison implements Callable<Integer>
{
    private static final Pattern BUCKET = Pattern.compile(
        "^iys_request_latency_seconds_bucket\\{(.*)} ([0-9.eE+-]+)$");
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");
    private static final int SPOT_CHECKS = 24;

    private final PrintStream out;
    private final PrintStream err;

    @Mixin
    private LoadTestCommand.WorkloadOptions workloadOptions;

    @Option(names = "--connections", paramLabel = "C", description = "(default 4)")
    private long connections = 4;

    @Option(names = "--depth", paramLabel = "D", description = "requests outstanding per connection (default 16)")
    private long depth = 16;

    @Option(names = "--batch", paramLabel = "B", description = "keys per MGET / IYS.MCHECK / CHECK_BATCH " +
        "(default 100)")
    private long batch = 100;

    @Option(names = "--batch-depth", paramLabel = "D", description = "batches outstanding per connection (default 4)")
    private long batchDepth = 4;

    @Option(names = "--rounds", paramLabel = "R", description = "alternating rounds of every side and shape " +
        "(default 3)")
    private long rounds = 3;

    @Option(names = "--warmup", paramLabel = "S", description = "seconds of warm-up of each side and shape before " +
        "the rounds, also sizing redis-benchmark's -n; and of the open-loop runs (default 5)")
    private long warmup = 5;

    @Option(names = "--duration", paramLabel = "S", description = "seconds of each run of each round, and of the " +
        "open-loop runs (default 10)")
    private long duration = 10;

    @Option(names = "--open-loop-rate", paramLabel = "R", description = "requests/s of the open-loop runs " +
        "(default: half of Redis's median unpipelined rate in the rounds)")
    private Long openLoopRate;

    @Option(names = "--pin", description = "pin with taskset: the load generators (redis-benchmark, this JVM) on " +
        "--generator-cpus, both servers on --server-cpus")
    private boolean pin;

    @Option(names = "--generator-cpus", paramLabel = "LIST", description = "with --pin (default 0)")
    private String generatorCpus = "0";

    @Option(names = "--server-cpus", paramLabel = "LIST", description = "with --pin (default 1)")
    private String serverCpus = "1";

    @Option(names = "--io-threads", paramLabel = "T", description = "I/O threads of both servers: iys-filter's " +
        "event loops, Redis's io-threads (with io-threads-do-reads above 1) (default 1: Redis executes commands on " +
        "one thread, and the load generator needs the other core of a 2-core machine)")
    private long ioThreads = 1;

    @Option(names = "--bench-threads", paramLabel = "T", description = "redis-benchmark --threads (default 0: " +
        "not given, one thread)")
    private long benchThreads;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "the load-test brands (default " +
        "loadtest-data/N-SEED)")
    private Path dataDirOption;

    @Option(names = "--out", paramLabel = "DIR", description = "the reports (default loadtest-results/compare-redis)")
    private Path outDir = Path.of("loadtest-results/compare-redis");

    @Option(names = "--port", paramLabel = "P", description = "the server's binary port (default 17700)")
    private long serverPort = 17_700;

    @Option(names = "--http-port", paramLabel = "P", description = "its HTTP port (default 17701)")
    private long serverHttpPort = 17_701;

    @Option(names = "--resp-port", paramLabel = "P", description = "its RESP port (default 17703)")
    private long serverRespPort = 17_703;

    @Option(names = "--redis-port", paramLabel = "P", description = "Redis's port (default 16379)")
    private long redisPortOption = 16_379;

    @Option(names = "--pool", paramLabel = "K", description = "the Java rig's pre-generated requests, cycled " +
        "through (default 1000000)")
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
            (int)UsageException.inRange("batch", batch, 2, Math.min(1_000, LoadSettings.MAX_BATCH)),
            (int)UsageException.inRange("batch-depth", batchDepth, 1, LoadSettings.MAX_DEPTH),
            (int)UsageException.inRange("rounds", rounds, 1, 20),
            LoadTestCommand.seconds("warmup", warmup),
            Math.max(1_000, LoadTestCommand.seconds("duration", duration)),
            (int)UsageException.inRange("port", serverPort, 1, 65535),
            (int)UsageException.inRange("http-port", serverHttpPort, 1, 65535),
            (int)UsageException.inRange("resp-port", serverRespPort, 1, 65535),
            (int)UsageException.inRange("redis-port", redisPortOption, 1, 65535),
            (int)UsageException.inRange("io-threads", ioThreads, 1, 64),
            (int)UsageException.inRange("bench-threads", benchThreads, 0, 64),
            openLoopRate == null ? 0 : UsageException.inRange("open-loop-rate", openLoopRate, 1,
                (long)LoadSettings.MAX_RATE), outDir);
        final CoreLayout layout = new CoreLayout(pin, generatorCpus, serverCpus);
        final Path dataDir = dataDirOption != null ? dataDirOption :
            Path.of("loadtest-data/" + workload.recipients() + "-" + workload.seed());
        Files.createDirectories(outDir);

        RedisServer.ensureInstalled(err);
        layout.pinThisProcess();
        LoadTestData.prepare(dataDir, workload, true, out);
        out.printf("generating the Java rig's request pool over %,d recipients...%n", workload.recipients());
        final Workload.Requests requests = LoadTestCommand.pool(pool, workload);

        final List<RunResult> runs = new ArrayList<>();
        final Map<String, Object> figures = new LinkedHashMap<>();
        final List<Reports.Table> tables = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        final List<String> serveArgs = List.of("--data-dir", dataDir.toString(), "--port",
            Integer.toString(plan.port()), "--http-port", Integer.toString(plan.httpPort()), "--resp-port",
            Integer.toString(plan.respPort()), "--milter-port", "off", "--unbounded-brands", Workload.BRAND + "," +
            Workload.EMAIL_BRAND, "--io-threads", Integer.toString(plan.ioThreads()), "--entries-per-map",
            Long.toString(Math.max(10_000, workload.recipients())));
        out.println("starting iys-filter (log: " + outDir.resolve("server.log") + ") and Redis...");
        final String machine;
        try (ServerProcess server = ServerProcess.start(layout.serverPrefix(), serveArgs, plan.port(),
                plan.httpPort(), outDir.resolve("server.log"));
            RedisServer redis = RedisServer.start(plan.redisPort(), outDir.resolve("redis"), plan.ioThreads(),
                layout.serverPrefix()))
        {
            out.printf("iys-filter pid %d on 127.0.0.1:%d (RESP %d); %s pid %d on 127.0.0.1:%d%n", server.pid(),
                plan.port(), plan.respPort(), redis.version(), redis.pid(), plan.redisPort());
            final String cores = layout.describe(redis.pid(), server.pid());
            out.println("cores: " + cores);
            out.println("io-threads: " + plan.ioThreads() + " in both servers" + (plan.ioThreads() > 1 ?
                " (Redis: io-threads-do-reads yes)" : ""));
            machine = machine() + "; " + cores + "; io-threads " + plan.ioThreads();
            figures.put("core layout", cores);
            figures.put("io-threads (both servers)", plan.ioThreads());
            final long before = redis.usedMemory();
            final long loadStartNs = System.nanoTime();
            final long keys = redis.load(workload);
            final double loadSec = (System.nanoTime() - loadStartNs) / 1e9;
            final long bytesPerKey = (redis.usedMemory() - before) / keys;
            out.printf("loaded %,d keys into Redis in %.1f s (%,.0f/s), %d bytes per key%n", keys, loadSec,
                keys / loadSec, bytesPerKey);
            figures.put("redis bytes per key (used_memory)", bytesPerKey);

            final RedisBenchmark bench = new RedisBenchmark(layout.generatorPrefix());
            preflight(bench, redis, plan.respPort(), workload, out);
            final SideBySide sides = new SideBySide(new SideBySide.Rig(workload, requests, bench, redis,
                server.pid(), plan.port(), plan.httpPort(), plan.respPort(), plan.benchThreads(), outDir),
                plan.warmupMs(), plan.durationMs(), out);
            measure(plan, workload, requests, sides, redis, runs, figures, tables);
            failures.addAll(sides.failures());
            out.println("\nJava rig runs");
            for (final RunResult run : runs)
            {
                out.println("  " + run.summaryLine());
            }
            out.println();
            for (final Map.Entry<String, Object> entry : figures.entrySet())
            {
                out.printf("  %-75s %s%n", entry.getKey(), entry.getValue() instanceof Double d ?
                    String.format("%,.2f", d) : entry.getValue());
            }
        }
        Reports.writeJson(outDir.resolve("summary.json"), machine, runs, figures, tables);
        Reports.writeHtml(outDir.resolve("latency.html"), "iys-filter and Redis side by side, " +
            workload.recipients() + " recipients", machine, runs, figures, tables);
        out.println("\nwrote " + outDir.resolve("summary.json") + " and " + outDir.resolve("latency.html") +
            "; both servers stopped");
        for (final String failure : failures)
        {
            out.println("FAILED: " + failure);
        }
        return failures.isEmpty() && runs.stream().allMatch(RunResult::passed) ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    /**
     * What to run: connections, depths, batch size, rounds, durations, ports and threads.
     */
    private record Plan(
        int connections,
        int depth,
        int batch,
        int batchDepth,
        int rounds,
        long warmupMs,
        long durationMs,
        int port,
        int httpPort,
        int respPort,
        int redisPort,
        int ioThreads,
        int benchThreads,
        long openLoopRate,
        Path outDir)
    {
    }

    /**
     * Before anything is measured: redis-benchmark puts its own random number into every {@code __rand_int__} of a
     * command (an SADD of 100 of them adds 100 members), and both servers answer real lookups of the same
     * recipients, as redis-cli shows them: Redis has {@code e:%012d} exactly for the recorded ones, iys-filter
     * answers IYS.CHECK and IYS.MCHECK with the workload's decision for each.
     */
    static void preflight(final RedisBenchmark bench, final RedisServer redis, final int respPort,
        final Workload workload, final PrintStream out) throws Exception
    {
        final String probe = "iys-loadtest:rand-probe";
        redis.cli("DEL", probe);
        final List<String> sadd = new ArrayList<>(List.of("SADD", probe));
        sadd.addAll(Collections.nCopies(100, RedisBenchmark.RAND));
        bench.run(new RedisBenchmark.Spec(redis.port(), 1, 1, 20, 1_000_000_000L, 0, 100, sadd), redis.pid());
        final long members = Long.parseLong(redis.cli("SCARD", probe).orElse("-1").trim());
        redis.cli("DEL", probe);
        if (members < 1_990)
        {
            throw new IOException("redis-benchmark did not put a new random number into every __rand_int__: 20 " +
                "SADDs of 100 added " + members + " members, expected 2,000");
        }
        final long n = workload.recipients();
        final List<String> recipients = new ArrayList<>(List.of("IYS.MCHECK", Long.toString(Workload.EMAIL_BRAND),
            "EPOSTA"));
        final StringBuilder expectedBatch = new StringBuilder();
        final int[] seen = new int[3];
        for (int k = 0; k < SPOT_CHECKS; k++)
        {
            final long i = k * Math.max(1, n / SPOT_CHECKS) % n;
            final Reason expected = workload.emailExpected(i);
            final String address = Workload.emailAddress(i);
            final String answer = RedisServer.cli(respPort, "IYS.CHECK", Long.toString(Workload.EMAIL_BRAND),
                "EPOSTA", address).orElse("(redis-cli failed)");
            final String held = redis.cli("GET", Workload.emailRedisKey(i)).orElse("(redis-cli failed)").trim();
            if (!verdictAndReason(answer).equals(verdict(expected) + " " + expected.name()) ||
                held.isEmpty() == workload.emailRecorded(i))
            {
                throw new IOException("spot check of recipient " + address + ": expected " + verdict(expected) + " " +
                    expected + " and Redis " + (workload.emailRecorded(i) ? "holding" : "not holding") + " " +
                    Workload.emailRedisKey(i) + "; iys-filter answered '" + answer.strip() + "', Redis '" + held +
                    "'");
            }
            seen[expected == Reason.CONSENT ? 0 : expected == Reason.REJECTED ? 1 : 2]++;
            recipients.add(address);
            expectedBatch.append(verdict(expected)).append(' ').append(expected.name()).append(' ');
        }
        final String batchAnswer = verdictsAndReasons(RedisServer.cli(respPort, recipients.toArray(new String[0]))
            .orElse(""));
        if (!batchAnswer.equals(expectedBatch.toString().strip()))
        {
            throw new IOException("spot check of IYS.MCHECK of " + SPOT_CHECKS + " recipients: expected " +
                expectedBatch.toString().strip() + ", iys-filter answered " + batchAnswer);
        }
        out.printf("checked with redis-cli: redis-benchmark substitutes every __rand_int__ (%,d distinct of 2,000); " +
            "%d recipients answered as the workload says by IYS.CHECK and IYS.MCHECK (%d CONSENT, %d REJECTED, %d " +
            "NO_CONSENT), and Redis holds exactly the recorded ones%n", members, SPOT_CHECKS, seen[0], seen[1],
            seen[2]);
    }

    private static String verdict(final Reason reason)
    {
        return reason == Reason.CONSENT || reason == Reason.EXEMPT ? "ALLOW" : "DENY";
    }

    /**
     * @param text redis-cli's lines for one decision (verdict, reason, as-of).
     * @return "VERDICT REASON".
     */
    private static String verdictAndReason(final String text)
    {
        return verdictsAndReasons(text);
    }

    /**
     * @param text redis-cli's lines for decisions, each verdict, reason, as-of (nested arrays come out flat).
     * @return "VERDICT REASON VERDICT REASON ...".
     */
    static String verdictsAndReasons(final String text)
    {
        final List<String> words = new ArrayList<>();
        for (final String line : text.split("\r?\n"))
        {
            final String word = line.strip();
            if (word.equals("ALLOW") || word.equals("DENY") || word.matches("[A-Z_]+") && !words.isEmpty() &&
                (words.get(words.size() - 1).equals("ALLOW") || words.get(words.size() - 1).equals("DENY")))
            {
                words.add(word);
            }
        }
        return String.join(" ", words);
    }

    private static void measure(
        final Plan plan,
        final Workload workload,
        final Workload.Requests requests,
        final SideBySide sides,
        final RedisServer redis,
        final List<RunResult> runs,
        final Map<String, Object> figures,
        final List<Reports.Table> tables) throws Exception
    {
        final int c = plan.connections();
        final List<SideBySide.Shape> shapes = List.of(
            new SideBySide.Shape("unpipelined-1x1", 1, 1, 1),
            new SideBySide.Shape("pipelined-" + c + "x" + plan.depth(), c, plan.depth(), 1),
            new SideBySide.Shape("batch-" + c + "x" + plan.batchDepth() + "x" + plan.batch(), c, plan.batchDepth(),
                plan.batch()));
        sides.warmUp(shapes);
        final Map<Double, Double> bucketsBefore = checkLatencyBuckets(plan.httpPort());
        sides.rounds(shapes, plan.rounds());
        final Map<Double, Double> bucketsAfter = checkLatencyBuckets(plan.httpPort());
        sides.report(shapes, figures, tables);
        runs.addAll(sides.runs());

        final String host = "127.0.0.1";
        final double rate = plan.openLoopRate() > 0 ? plan.openLoopRate() :
            Math.max(1, Math.floor(sides.medianRate(shapes.get(0), SideBySide.Side.REDIS) / 2));
        sides.out().printf("%nopen loop at %.0f requests/s (%s), one connection, %d s + %d s: iys-filter's binary " +
            "endpoint (FilterClient), its RESP endpoint and Redis (both through the rig's RESP client)%n", rate,
            plan.openLoopRate() > 0 ? "--open-loop-rate" : "half of Redis's median unpipelined rate",
            plan.warmupMs() / 1_000, plan.durationMs() / 1_000);
        final RunResult oursOpen = rig(new FilterTarget(host, plan.port(), requests, 1, false), requests,
            LoadSettings.openLoop("open-loop-iys-filter", rate, 1, 1, plan.warmupMs(), plan.durationMs()),
            plan.outDir(), runs, sides.out());
        final RunResult respOpen = rig(new RespCheckTarget(host, plan.respPort(), workload, requests, 1), requests,
            LoadSettings.openLoop("open-loop-iys-filter-resp", rate, 1, 1, plan.warmupMs(), plan.durationMs()),
            plan.outDir(), runs, sides.out());
        final RunResult redisOpen = rig(new RedisTarget(host, plan.redisPort(), workload, requests, 1, false),
            requests, LoadSettings.openLoop("open-loop-redis", rate, 1, 1, plan.warmupMs(), plan.durationMs()),
            plan.outDir(), runs, sides.out());
        figures.put("open-loop rate requests/s", rate);
        figures.put("open-loop p99 iys-filter binary us", oursOpen.latencyUs(99));
        figures.put("open-loop p99 iys-filter RESP us", respOpen.latencyUs(99));
        figures.put("open-loop p99 redis us", redisOpen.latencyUs(99));
        figures.put("open-loop p99 iys-filter RESP <= redis", respOpen.latencyUs(99) <= redisOpen.latencyUs(99));
        figures.put("open-loop p99 iys-filter binary <= redis", oursOpen.latencyUs(99) <= redisOpen.latencyUs(99));
        final InServer inServer = inServer(bucketsBefore, bucketsAfter);
        figures.put("in-server binary CHECK time over the rounds: % within 2 us", inServer.shareWithin2us() * 100);
        figures.put("in-server binary CHECK time over the rounds: p99 <= (bucket bound, us)", inServer.p99BoundUs());
        figures.put("in-server binary CHECKs counted", inServer.count());
    }

    private static RunResult rig(
        final LoadTarget target,
        final Workload.Requests requests,
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

    static String machine()
    {
        return String.format("CPUs %s online, %s %s, Java %s (%s)", CoreLayout.online(),
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
