package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.FilterTarget;
import io.iysfilter.loadtest.LoadRun;
import io.iysfilter.loadtest.LoadSettings;
import io.iysfilter.loadtest.ProcessCpu;
import io.iysfilter.loadtest.RedisBenchmark;
import io.iysfilter.loadtest.RedisServer;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.loadtest.RunResult;
import io.iysfilter.loadtest.ThreadCpu;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import io.iysfilter.server.index.IndexKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code iys-filter loadtest receipts}: what the decision journal costs. Two servers over two copies of the same
 * load-test brands, one with {@code --receipts off} and one with {@code --receipts on}, both running throughout;
 * round after round, each shape (pipelined, batches) on each endpoint (RESP by {@code redis-benchmark}, binary by
 * the Java rig) against one server then the other, the order swapped every round so that the machine's drift
 * cancels in the per-round ratios; every run checked against what the server counted (decisions, receipts recorded,
 * none unrecorded); then the journal's bytes on disk per receipt.
 */
@Command(name = "receipts", sortOptions = false, description = {
    "measure what the decision journal costs: the same load against a server with receipts off and one with " +
        "receipts on, in alternating rounds",
    "",
    "Prepares the load-test brands (reused when DIR already holds them), copies them twice under --out, starts " +
        "two servers (receipts off, receipts on with policy deny) as child processes, checks with redis-cli that " +
        "both answer real lookups and that only the second gives decision ids, then runs R rounds of: pipelined " +
        "C x D (IYS.CHECK by redis-benchmark on RESP, CHECK by the Java rig on the binary port) and batches C x BD " +
        "of B (IYS.MCHECK, CHECK_BATCH), against one server then the other, the order swapped each round. Each run " +
        "reads the server's CPU time over its interval and is checked against the server's own counters: every " +
        "decision counted and, with receipts on, recorded, none unrecorded. Prints every run, the medians, the " +
        "per-round ratios on/off (target >= 0.85) and the journal's bytes per receipt on disk. Writes summary.json " +
        "to --out. Both servers are stopped by PID. Exit status 1 when a run failed its check."})
final class ReceiptsCost implements Callable<Integer>
{
    private static final Pattern METRIC = Pattern.compile("^([a-z_]+)(\\{[^}]*})? ([0-9.eE+-]+)$");
    private static final String DECISIONS = "iys_decisions_total";
    private static final String RECORDED = "iys_receipts_recorded_total";
    private static final String UNRECORDED = "iys_receipts_unrecorded_total";
    private static final String NOT_RECORDED_ID = "0000000000000000";

    private final PrintStream out;

    @Mixin
    private LoadTestCommand.WorkloadOptions workloadOptions;

    @Option(names = "--connections", paramLabel = "C", description = "(default 4)")
    private long connections = 4;

    @Option(names = "--depth", paramLabel = "D", description = "requests outstanding per connection (default 16)")
    private long depth = 16;

    @Option(names = "--batch", paramLabel = "B", description = "keys per IYS.MCHECK / CHECK_BATCH (default 100)")
    private long batch = 100;

    @Option(names = "--batch-depth", paramLabel = "D", description = "batches outstanding per connection (default 4)")
    private long batchDepth = 4;

    @Option(names = "--rounds", paramLabel = "R", description = "alternating rounds (default 3)")
    private long rounds = 3;

    @Option(names = "--warmup", paramLabel = "S", description = "seconds of warm-up of each server, shape and " +
        "endpoint before the rounds, also sizing redis-benchmark's -n (default 5)")
    private long warmup = 5;

    @Option(names = "--duration", paramLabel = "S", description = "seconds of each run (default 10)")
    private long duration = 10;

    @Option(names = "--io-threads", paramLabel = "T", description = "both servers' event loops (default 1, as " +
        "compare-redis)")
    private long ioThreads = 1;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "the load-test brands (default " +
        "loadtest-data/N-SEED); copied, never written")
    private Path dataDirOption;

    @Option(names = "--out", paramLabel = "DIR", description = "the copies, the journal and the report (default " +
        "loadtest-results/receipts)")
    private Path outDir = Path.of("loadtest-results/receipts");

    @Option(names = "--base-port", paramLabel = "P", description = "ports from P: receipts off binary P, HTTP P+1, " +
        "RESP P+3; receipts on P+10, P+11, P+13 (default 0: free ports the system picks)")
    private long basePort;

    @Option(names = "--receipts-queue-size", paramLabel = "N", description = "the receipts-on server's queue " +
        "slots (default: the server's own; the server checks it)")
    private String queueSize;

    @Option(names = "--pool", paramLabel = "K", description = "the Java rig's pre-generated requests (default " +
        "1000000)")
    private long pool = 1_000_000;

    ReceiptsCost(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * One server of the pair.
     */
    enum Side
    {
        OFF("receipts off"),
        ON("receipts on");

        private final String label;

        Side(final String label)
        {
            this.label = label;
        }
    }

    /**
     * How a run is driven.
     */
    enum Endpoint
    {
        RESP("RESP (redis-benchmark)"),
        BINARY("binary (Java rig)");

        private final String label;

        Endpoint(final String label)
        {
            this.label = label;
        }
    }

    /**
     * @param name        for reports.
     * @param connections connections.
     * @param depth       commands outstanding per connection.
     * @param keys        decisions per command.
     */
    record Shape(String name, int connections, int depth, int keys)
    {
    }

    /**
     * A running server and its ports.
     */
    private record Server(Side side, ServerProcess process, int port, int httpPort, int respPort, Path dataDir)
    {
    }

    /**
     * One run of one shape against one server.
     *
     * @param serverUs  the server's CPU per decision, µs.
     * @param threadsUs the same by {@link ThreadCpu#GROUPS group} of the server's threads, µs per decision.
     */
    private record Measurement(
        int round, Shape shape, Endpoint endpoint, Side side, double decisionsPerSec, double serverUs,
        Map<String, Double> threadsUs, String check)
    {
    }

    @Override
    public Integer call() throws Exception
    {
        final Workload workload = workloadOptions.workload();
        final int c = (int)UsageException.inRange("connections", connections, 1, LoadSettings.MAX_CONNECTIONS);
        final List<Shape> shapes = List.of(
            new Shape("pipelined " + c + "x" + depth, c, (int)UsageException.inRange("depth", depth, 1,
                LoadSettings.MAX_DEPTH), 1),
            new Shape("batches " + c + "x" + batchDepth + "x" + batch, c, (int)UsageException.inRange("batch-depth",
                batchDepth, 1, LoadSettings.MAX_DEPTH), (int)UsageException.inRange("batch", batch, 2,
                Math.min(1_000, LoadSettings.MAX_BATCH))));
        final int roundCount = (int)UsageException.inRange("rounds", rounds, 1, 20);
        final long warmupMs = LoadTestCommand.seconds("warmup", warmup);
        final long durationMs = Math.max(1_000, LoadTestCommand.seconds("duration", duration));
        final int threads = (int)UsageException.inRange("io-threads", ioThreads, 1, 64);
        final int port = (int)UsageException.inRange("base-port", basePort, 0, 65_500);
        final Path dataDir = dataDirOption != null ? dataDirOption :
            Path.of("loadtest-data/" + workload.recipients() + "-" + workload.seed());
        Files.createDirectories(outDir);
        RedisServer.ensureInstalled(out);
        LoadTestData.prepare(dataDir, workload, true, out);
        out.printf("generating the Java rig's request pool over %,d recipients...%n", workload.recipients());
        final Workload.Requests requests = LoadTestCommand.pool(pool, workload);

        final List<Measurement> measurements = new ArrayList<>();
        final List<RunResult> runs = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        final Map<String, Object> figures = new LinkedHashMap<>();
        final List<Reports.Table> tables = new ArrayList<>();
        final long recorded;
        final Path onData;
        try (Pair pair = new Pair(dataDir, workload, threads, port))
        {
            onData = pair.on.dataDir();
            for (final Server server : pair.both())
            {
                preflight(server, workload);
            }
            final RedisBenchmark bench = new RedisBenchmark(List.of());
            final Map<String, Long> sized = new LinkedHashMap<>();
            out.printf("%nwarm-up and sizing (%.0f s each; not measured)%n", warmupMs / 1e3);
            for (final Shape shape : shapes)
            {
                for (final Server server : pair.both())
                {
                    final RedisBenchmark.Spec probe = spec(server, shape, workload, Math.max(2_000L,
                        20_000L * shape.connections() / shape.keys()));
                    double rate = bench.run(probe, server.process().pid()).requestsPerSec();
                    if (warmupMs > 0)
                    {
                        rate = bench.run(probe.withRequests(requests(probe, rate, warmupMs)),
                            server.process().pid()).requestsPerSec();
                        rig(server, shape, requests, "warmup-" + server.side() + "-" + shape.name(), warmupMs, null);
                    }
                    sized.put(server.side() + shape.name(), requests(probe, rate, durationMs));
                }
            }
            for (int round = 1; round <= roundCount; round++)
            {
                out.printf("%nround %d of %d%n", round, roundCount);
                final List<Server> order = round % 2 == 1 ? pair.both() : List.of(pair.on, pair.off);
                for (final Shape shape : shapes)
                {
                    for (final Endpoint endpoint : Endpoint.values())
                    {
                        for (final Server server : order)
                        {
                            final Measurement m = endpoint == Endpoint.RESP ?
                                resp(round, shape, server, bench, spec(server, shape, workload,
                                    sized.get(server.side() + shape.name())), failures) :
                                binary(round, shape, server, requests, durationMs, runs, failures);
                            measurements.add(m);
                            out.printf("  %-26s %-24s %-13s %,12.0f dec/s  server %6.3f us/dec  %s%n",
                                shape.name(), endpoint.label, server.side().label, m.decisionsPerSec(), m.serverUs(),
                                m.check());
                        }
                    }
                }
            }
            recorded = (long)metrics(pair.on).getOrDefault(RECORDED, 0.0).doubleValue();
        }
        report(shapes, measurements, figures, tables);
        journalSize(onData.resolve("receipts"), recorded, figures);
        for (final Map.Entry<String, Object> entry : figures.entrySet())
        {
            out.printf("  %-75s %s%n", entry.getKey(), entry.getValue() instanceof Double d ?
                String.format("%,.3f", d) : entry.getValue());
        }
        final String machine = RedisComparison.machine() + "; io-threads " + threads;
        Reports.writeJson(outDir.resolve("summary.json"), machine, runs, figures, tables);
        out.println("\nwrote " + outDir.resolve("summary.json") + "; both servers stopped");
        failures.forEach((failure) -> out.println("FAILED: " + failure));
        return failures.isEmpty() ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    /**
     * The two servers, each over its own copy of the brands, stopped together.
     */
    private final class Pair implements AutoCloseable
    {
        private final Server off;
        private final Server on;

        Pair(final Path dataDir, final Workload workload, final int threads, final int port) throws Exception
        {
            off = start(Side.OFF, dataDir, workload, threads, port == 0 ? freePorts() : ports(port));
            Server started = null;
            try
            {
                started = start(Side.ON, dataDir, workload, threads, port == 0 ? freePorts() : ports(port + 10));
            }
            finally
            {
                if (started == null)
                {
                    off.process().close();
                }
            }
            on = started;
        }

        List<Server> both()
        {
            return List.of(off, on);
        }

        @Override
        public void close() throws IOException
        {
            try
            {
                on.process().close();
            }
            finally
            {
                off.process().close();
            }
        }
    }

    private static int[] ports(final int base)
    {
        return new int[]{base, base + 1, base + 3};
    }

    private static int[] freePorts() throws IOException
    {
        final int[] ports = new int[3];
        final java.net.ServerSocket[] held = new java.net.ServerSocket[3];
        try
        {
            for (int i = 0; i < 3; i++)
            {
                held[i] = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                ports[i] = held[i].getLocalPort();
            }
        }
        finally
        {
            for (final java.net.ServerSocket socket : held)
            {
                if (socket != null)
                {
                    socket.close();
                }
            }
        }
        return ports;
    }

    private Server start(final Side side, final Path dataDir, final Workload workload, final int threads,
        final int[] ports) throws Exception
    {
        final int port = ports[0];
        final Path copy = outDir.resolve("data-" + side.name().toLowerCase(java.util.Locale.ROOT));
        BulkRates.deleteTree(copy);
        copyTree(dataDir, copy);
        // the brands' keys are derived from the data directory's key file, kept beside it
        Files.deleteIfExists(IndexKey.defaultFile(copy));
        Files.copy(IndexKey.defaultFile(dataDir), IndexKey.defaultFile(copy),
            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        final List<String> args = new ArrayList<>(List.of("--data-dir", copy.toString(), "--port",
            Integer.toString(port), "--http-port", Integer.toString(ports[1]), "--resp-port",
            Integer.toString(ports[2]), "--milter-port", "off", "--unbounded-brands", Workload.BRAND + "," +
            Workload.EMAIL_BRAND, "--io-threads", Integer.toString(threads), "--entries-per-map",
            Long.toString(Math.max(10_000, workload.recipients())), "--receipts", side == Side.ON ? "on" : "off"));
        if (side == Side.ON)
        {
            args.addAll(List.of("--receipts-policy", "deny"));
            if (queueSize != null)
            {
                args.addAll(List.of("--receipts-queue-size", queueSize));
            }
        }
        final Path log = outDir.resolve("server-" + side.name().toLowerCase(java.util.Locale.ROOT) + ".log");
        final ServerProcess process = ServerProcess.start(args, port, ports[1], log);
        out.printf("iys-filter (%s) pid %d on 127.0.0.1:%d (HTTP %d, RESP %d), data %s, log %s%n", side.label,
            process.pid(), port, ports[1], ports[2], copy, log);
        return new Server(side, process, port, ports[1], ports[2], copy);
    }

    /**
     * Before anything is measured: both servers answer the workload's decision for a few recipients, and only the one
     * with receipts on gives them decision ids.
     */
    private void preflight(final Server server, final Workload workload) throws Exception
    {
        for (int k = 0; k < 8; k++)
        {
            final long i = k * Math.max(1, workload.recipients() / 8) % workload.recipients();
            final String answer = RedisServer.cli(server.respPort(), "IYS.CHECK", Long.toString(Workload.EMAIL_BRAND),
                "EPOSTA", Workload.emailAddress(i)).orElse("(redis-cli failed)");
            final List<String> lines = answer.lines().map(String::strip).filter((l) -> !l.isEmpty()).toList();
            final String expected = workload.emailExpected(i).name();
            if (lines.size() < 4 || !lines.get(1).equals(expected))
            {
                throw new IOException(server.side().label + ": IYS.CHECK of " + Workload.emailAddress(i) +
                    " answered '" + answer.strip() + "', expected reason " + expected + " and a decision id");
            }
            final String id = lines.get(3);
            if (server.side() == Side.ON ? id.equals(NOT_RECORDED_ID) || !id.matches("[0-9a-f]{16}") :
                !id.equals(NOT_RECORDED_ID))
            {
                throw new IOException(server.side().label + ": decision id '" + id + "' for " +
                    Workload.emailAddress(i));
            }
        }
        out.printf("checked with redis-cli: %s answers 8 recipients as the workload says, %s%n", server.side().label,
            server.side() == Side.ON ? "each with a decision id" : "without decision ids");
    }

    private static long requests(final RedisBenchmark.Spec probe, final double rate, final long ms)
    {
        final double perSecond = Double.isFinite(rate) ? rate : 1e6;
        return Math.max(probe.requests(), (long)(perSecond * ms / 1_000.0));
    }

    private static RedisBenchmark.Spec spec(
        final Server server, final Shape shape, final Workload workload, final long requests)
    {
        final List<String> command = new ArrayList<>(List.of(shape.keys() == 1 ? "IYS.CHECK" : "IYS.MCHECK",
            Long.toString(Workload.EMAIL_BRAND), "EPOSTA"));
        command.addAll(Collections.nCopies(shape.keys(), "u" + RedisBenchmark.RAND + "@" + Workload.EMAIL_DOMAIN));
        return new RedisBenchmark.Spec(server.respPort(), shape.connections(), shape.depth(), requests,
            workload.recipients(), 0, shape.keys(), command);
    }

    private Measurement resp(
        final int round,
        final Shape shape,
        final Server server,
        final RedisBenchmark bench,
        final RedisBenchmark.Spec spec,
        final List<String> failures) throws Exception
    {
        final Map<String, Double> before = metrics(server);
        final ThreadCpu threadsBefore = ThreadCpu.read(server.process().pid());
        final RedisBenchmark.Result result = bench.run(spec, server.process().pid());
        final ThreadCpu threadsAfter = ThreadCpu.read(server.process().pid());
        final Map<String, Double> after = metrics(server);
        final double least = spec.requests() * (double)shape.keys();
        final double most = (spec.requests() + (double)shape.connections() * shape.depth()) * shape.keys();
        final String check = check(round, shape, Endpoint.RESP, server, before, after, least, most, failures);
        final double decisions = Math.max(1, delta(before, after, DECISIONS));
        return new Measurement(round, shape, Endpoint.RESP, server.side(), result.decisionsPerSec(),
            result.server().totalUs() / decisions, perDecision(threadsAfter.since(threadsBefore), decisions), check);
    }

    private Measurement binary(
        final int round,
        final Shape shape,
        final Server server,
        final Workload.Requests requests,
        final long durationMs,
        final List<RunResult> runs,
        final List<String> failures) throws Exception
    {
        final ProcessCpu[] cpu = new ProcessCpu[2];
        final ThreadCpu[] threads = new ThreadCpu[2];
        final Map<String, Double> before = metrics(server);
        final RunResult result = rig(server, shape, requests, "r" + round + "-" + server.side() + "-" + shape.name(),
            durationMs, new LoadRun.MeasureWindow()
            {
                @Override
                public void opened() throws IOException
                {
                    cpu[0] = ProcessCpu.read(server.process().pid());
                    threads[0] = ThreadCpu.read(server.process().pid());
                }

                @Override
                public void closed() throws IOException
                {
                    cpu[1] = ProcessCpu.read(server.process().pid());
                    threads[1] = ThreadCpu.read(server.process().pid());
                }
            });
        final Map<String, Double> after = metrics(server);
        runs.add(result);
        final ProcessCpu.Spent spent = cpu[1].since(cpu[0]);
        final double decisions = Math.max(1, result.decisionsPerSec() * spent.wallUs() / 1e6);
        String check = check(round, shape, Endpoint.BINARY, server, before, after, 1, Double.MAX_VALUE, failures);
        if (!result.passed())
        {
            failures.add(String.format("round %d, %s, %s, %s: %s", round, shape.name(), Endpoint.BINARY.label,
                server.side().label, result.failures()));
            check = "FAIL " + result.failures();
        }
        return new Measurement(round, shape, Endpoint.BINARY, server.side(), result.decisionsPerSec(),
            spent.totalUs() / decisions, perDecision(threads[1].since(threads[0]), decisions), check);
    }

    private static Map<String, Double> perDecision(final Map<String, ProcessCpu.Spent> spent, final double decisions)
    {
        final Map<String, Double> perDecision = new LinkedHashMap<>();
        spent.forEach((group, time) -> perDecision.put(group, time.totalUs() / decisions));
        return perDecision;
    }

    private RunResult rig(
        final Server server,
        final Shape shape,
        final Workload.Requests requests,
        final String name,
        final long ms,
        final LoadRun.MeasureWindow window) throws Exception
    {
        final LoadSettings settings = LoadSettings.maxThroughput(name, shape.connections(), shape.depth(),
            shape.keys(), window == null ? 0 : Math.min(1_000, ms / 4), ms);
        try (FilterTarget target = new FilterTarget("127.0.0.1", server.port(), requests, 1, false))
        {
            return LoadRun.run(target, requests, settings, null, null, window);
        }
    }

    /**
     * Every decision the server counted over a run is within what the generator sent and, with receipts on, was
     * recorded; none was left unrecorded.
     */
    private static String check(
        final int round,
        final Shape shape,
        final Endpoint endpoint,
        final Server server,
        final Map<String, Double> before,
        final Map<String, Double> after,
        final double least,
        final double most,
        final List<String> failures)
    {
        final double decisions = delta(before, after, DECISIONS);
        final double recorded = delta(before, after, RECORDED);
        final double unrecorded = delta(before, after, UNRECORDED);
        String problem = null;
        if (decisions < least || decisions > most)
        {
            problem = String.format("the server counted %,.0f decisions, the generator sent %,.0f", decisions, least);
        }
        else if (unrecorded != 0)
        {
            problem = String.format("%,.0f decisions unrecorded", unrecorded);
        }
        else if (server.side() == Side.ON ? recorded != decisions : recorded != 0)
        {
            problem = String.format("%,.0f decisions, %,.0f receipts recorded", decisions, recorded);
        }
        if (problem != null)
        {
            failures.add(String.format("round %d, %s, %s, %s: %s", round, shape.name(), endpoint.label,
                server.side().label, problem));
            return "FAIL " + problem;
        }
        return String.format("%,.0f decisions, %,.0f recorded", decisions, recorded);
    }

    private static double delta(final Map<String, Double> before, final Map<String, Double> after, final String name)
    {
        return after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0);
    }

    /**
     * @return the server's decision and receipt counters, each summed over its labels.
     */
    private static Map<String, Double> metrics(final Server server) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200)
        {
            throw new IOException("GET /metrics of " + server.side().label + ": status " + response.statusCode());
        }
        final Map<String, Double> counted = new LinkedHashMap<>();
        for (final String line : response.body().split("\n"))
        {
            final java.util.regex.Matcher matcher = METRIC.matcher(line);
            if (matcher.matches() && (matcher.group(1).equals(DECISIONS) || matcher.group(1).equals(RECORDED) ||
                matcher.group(1).equals(UNRECORDED)))
            {
                counted.merge(matcher.group(1), Double.parseDouble(matcher.group(3)), Double::sum);
            }
        }
        return counted;
    }

    private void report(
        final List<Shape> shapes,
        final List<Measurement> measurements,
        final Map<String, Object> figures,
        final List<Reports.Table> tables)
    {
        final List<List<Object>> medians = medianTable(
            "medians over the rounds (min–max); ratio = receipts on / receipts off in the same round",
            String.format("  %-26s %-24s %-34s %-34s %-26s %-26s", "shape", "endpoint", "decisions/s off",
            "decisions/s on", "ratio on/off (>= 0.85)", "server us/dec off -> on"),
            shapes, measurements, (shape, endpoint, off, on, rows) ->
            {
                final double[] ratios = new double[Math.min(off.size(), on.size())];
                for (int i = 0; i < ratios.length; i++)
                {
                    ratios[i] = on.get(i).decisionsPerSec() / off.get(i).decisionsPerSec();
                }
                final SideBySide.Stats offRate = rates(off);
                final SideBySide.Stats onRate = rates(on);
                final SideBySide.Stats ratio = SideBySide.Stats.of(ratios);
                final SideBySide.Stats offCpu = SideBySide.Stats.of(
                    off.stream().mapToDouble(Measurement::serverUs).toArray());
                final SideBySide.Stats onCpu = SideBySide.Stats.of(
                    on.stream().mapToDouble(Measurement::serverUs).toArray());
                out.printf("  %-26s %-24s %-34s %-34s %-26s %.3f -> %.3f%n", shape.name(), endpoint.label,
                    offRate.format("%,.0f"), onRate.format("%,.0f"), ratio.format("%.3f"), offCpu.median(),
                    onCpu.median());
                figures.put(shape.name() + ", " + endpoint.label + ": decisions/s on / off (median; target >= 0.85)",
                    ratio.median());
                figures.put(shape.name() + ", " + endpoint.label + ": server us per decision off, on (medians)",
                    String.format("%.3f, %.3f", offCpu.median(), onCpu.median()));
                rows.add(List.of(shape.name(), endpoint.label, offRate.median(), onRate.median(), ratio.median(),
                    ratio.min(), ratio.max(), offCpu.median(), onCpu.median()));
            });
        tables.add(new Reports.Table("receipts on and off", List.of("shape", "endpoint", "decisions/s off",
            "decisions/s on", "on/off median", "on/off min", "on/off max", "server us/decision off",
            "server us/decision on"), medians));
        threadsReport(shapes, measurements, figures, tables);
        final List<List<Object>> runRows = new ArrayList<>();
        for (final Measurement m : measurements)
        {
            runRows.add(List.of(m.round(), m.shape().name(), m.endpoint().label, m.side().label, m.decisionsPerSec(),
                m.serverUs(), m.check()));
        }
        tables.add(new Reports.Table("rounds", List.of("round", "shape", "endpoint", "side", "decisions/s",
            "server us/decision", "checked"), runRows));
    }

    /**
     * Where the server's CPU per decision went, by group of threads, off and on (medians over the rounds), and what
     * receipts added to each group: the event loops' share (recording on the decision's thread, the decision id in
     * the answer) apart from the drain's and the segments' own threads.
     */
    private void threadsReport(
        final List<Shape> shapes,
        final List<Measurement> measurements,
        final Map<String, Object> figures,
        final List<Reports.Table> tables)
    {
        final StringBuilder heading = new StringBuilder(String.format("  %-26s %-24s %-5s", "shape", "endpoint",
            "side"));
        for (final String group : ThreadCpu.GROUPS)
        {
            heading.append(String.format(" %15s", group));
        }
        final List<List<Object>> medians = medianTable(
            "the server's CPU per decision by its threads, us (medians over the rounds)", heading.toString(),
            shapes, measurements, (shape, endpoint, offRounds, onRounds, rows) ->
            {
                final Map<String, Double> off = groupMedians(offRounds);
                final Map<String, Double> on = groupMedians(onRounds);
                final String[] sides = {"off", "on", "on-off"};
                for (final String side : sides)
                {
                    final StringBuilder line = new StringBuilder(String.format("  %-26s %-24s %-5s", shape.name(),
                        endpoint.label, side));
                    final List<Object> row = new ArrayList<>(List.of(shape.name(), endpoint.label, side));
                    for (final String group : ThreadCpu.GROUPS)
                    {
                        final double value = switch (side)
                        {
                            case "off" -> off.get(group);
                            case "on" -> on.get(group);
                            default -> on.get(group) - off.get(group);
                        };
                        line.append(String.format(" %15.3f", value));
                        row.add(value);
                    }
                    out.println(line);
                    rows.add(row);
                }
                for (final String group : ThreadCpu.GROUPS)
                {
                    figures.put(shape.name() + ", " + endpoint.label + ": " + group + " us per decision off, on " +
                        "(medians)", String.format("%.3f, %.3f", off.get(group), on.get(group)));
                }
            });
        final List<String> columns = new ArrayList<>(List.of("shape", "endpoint", "side"));
        columns.addAll(ThreadCpu.GROUPS);
        tables.add(new Reports.Table("server CPU by threads, us per decision", columns, medians));
    }

    /**
     * Print a table of medians over the rounds: its title and heading, then the lines {@code lines} prints for each
     * shape and endpoint from their rounds with receipts off and on.
     *
     * @return the rows {@code lines} added, one for each line, for the report's table.
     */
    private List<List<Object>> medianTable(
        final String title,
        final String heading,
        final List<Shape> shapes,
        final List<Measurement> measurements,
        final MedianLines lines)
    {
        final List<List<Object>> rows = new ArrayList<>();
        out.printf("%n%s%n", title);
        out.println(heading);
        for (final Shape shape : shapes)
        {
            for (final Endpoint endpoint : Endpoint.values())
            {
                lines.print(shape, endpoint, select(measurements, shape, endpoint, Side.OFF),
                    select(measurements, shape, endpoint, Side.ON), rows);
            }
        }
        return rows;
    }

    /**
     * The lines of one shape and endpoint in a table of medians.
     */
    @FunctionalInterface
    private interface MedianLines
    {
        /**
         * Print the lines of a shape and endpoint, adding a row of the table for each.
         *
         * @param off  its rounds with receipts off.
         * @param on   its rounds with receipts on.
         * @param rows the table's rows.
         */
        void print(
            Shape shape, Endpoint endpoint, List<Measurement> off, List<Measurement> on, List<List<Object>> rows);
    }

    private static Map<String, Double> groupMedians(final List<Measurement> measurements)
    {
        final Map<String, Double> medians = new LinkedHashMap<>();
        for (final String group : ThreadCpu.GROUPS)
        {
            medians.put(group, measurements.isEmpty() ? Double.NaN : SideBySide.Stats.of(measurements.stream()
                .mapToDouble((m) -> m.threadsUs().getOrDefault(group, 0.0)).toArray()).median());
        }
        return medians;
    }

    private static SideBySide.Stats rates(final List<Measurement> measurements)
    {
        return SideBySide.Stats.of(measurements.stream().mapToDouble(Measurement::decisionsPerSec).toArray());
    }

    private static List<Measurement> select(
        final List<Measurement> measurements, final Shape shape, final Endpoint endpoint, final Side side)
    {
        return measurements.stream().filter((m) -> m.shape().equals(shape) && m.endpoint() == endpoint &&
            m.side() == side).toList();
    }

    /**
     * The journal's day directories on disk over the receipts it holds, per receipt: the files' sizes, so the
     * unused tail of a segment allocated ahead counts too (an upper bound; it shrinks as the run grows).
     */
    private void journalSize(final Path receipts, final long recorded, final Map<String, Object> figures)
        throws IOException
    {
        final long[] sizes = new long[1];
        if (Files.isDirectory(receipts))
        {
            try (Stream<Path> days = Files.list(receipts))
            {
                for (final Path day : days.filter(Files::isDirectory).toList())
                {
                    Files.walkFileTree(day, new SimpleFileVisitor<>()
                    {
                        @Override
                        public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs)
                            throws IOException
                        {
                            sizes[0] += attrs.size();
                            return FileVisitResult.CONTINUE;
                        }
                    });
                }
            }
        }
        figures.put("receipts recorded (receipts-on server, whole run)", recorded);
        figures.put("journal day directories, bytes", sizes[0]);
        final double perReceipt = recorded == 0 ? Double.NaN : sizes[0] / (double)recorded;
        figures.put("journal bytes per receipt on disk (files / receipts; target <= 48 + block overhead)",
            perReceipt);
        figures.put("journal disk per billion decisions, GB (bytes per receipt x 10^9 / 10^9)", perReceipt);
    }

    static void copyTree(final Path from, final Path to) throws IOException
    {
        Files.walkFileTree(from, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attrs)
                throws IOException
            {
                if (!dir.equals(from) && dir.getFileName().toString().equals("receipts"))
                {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(from.relativize(dir)));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
            {
                if (!file.getFileName().toString().equals(".lock"))
                {
                    Files.copy(file, to.resolve(from.relativize(file)));
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
