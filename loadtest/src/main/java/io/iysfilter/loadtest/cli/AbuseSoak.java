package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.FilterTarget;
import io.iysfilter.loadtest.LoadRun;
import io.iysfilter.loadtest.LoadSettings;
import io.iysfilter.loadtest.LoadTarget;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.loadtest.RunResult;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.loadtest.abuse.BinaryAbuse;
import io.iysfilter.loadtest.abuse.HostileClient;
import io.iysfilter.loadtest.abuse.HttpAbuse;
import io.iysfilter.loadtest.abuse.MilterAbuse;
import io.iysfilter.loadtest.abuse.ServerWatch;
import io.iysfilter.loadtest.abuse.Targets;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code iys-filter loadtest abuse}: the abuse soak. Starts a server as a child process with short timeouts and a
 * small connection cap, then runs the normal open-loop workload (every answer known) three times: alone, with every
 * kind of hostile client of issue 13 attacking all three ports at once, and alone again. Reports answers wrong and
 * missing, normal latency per phase, the server's RSS per phase, each hostile kind's attempts and how the server
 * answered them, and the server's own counters across the abuse.
 */
@Command(name = "abuse", sortOptions = false, description = {
    "soak a server with normal load and every kind of hostile client at once",
    "",
    "Prepares the load-test brand (reused when DIR already holds it), starts a server as a child process on " +
        "127.0.0.1 with short timeouts (binary idle 3s, frame 1s; HTTP idle 2s, request 1s; milter packet 3s), a " +
        "binary connection cap (--max-connections) and its milter endpoint, and runs the normal open-loop workload " +
        "in three phases of --warmup + --duration seconds: baseline, abuse, baseline-after. During the abuse phase, " +
        "bounded in threads and rate, hostile clients:",
    "  binary: pipeline CHECKs and never read; send half a frame and hold it; hold idle connections up to the " +
        "cap less a reserve; send an oversized length, a foreign schema, a batch overrunning its frame; " +
        "connect and close in a storm",
    "  http:   recipient=%%zz and a bare %%; a 100 KB header; Content-Length with Transfer-Encoding; headers begun " +
        "and never finished; idle keep-alive connections",
    "  milter: a transaction without option negotiation; half a packet held; a packet over 1 MiB",
    "Each hostile kind's attempts are checked against the answer the server documents. Prints and writes to " +
        "--out: every phase's p50/p99/p99.9, wrong and missing answers, the server's RSS (start, peak, end) and the " +
        "load average, each kind's outcomes, the server's counters before and after the abuse (summary.json, " +
        "latency.html, report.txt, one .hlog per phase, server.log). Exit status 1 when an answer was wrong or " +
        "missing, a request failed, or a hostile kind did not run or got an answer other than the documented one."})
final class AbuseSoak implements Callable<Integer>
{
    static final String[] PHASES = {"baseline", "abuse", "baseline-after"};
    private static final long BINARY_IDLE_MS = 3_000;
    private static final long BINARY_FRAME_MS = 1_000;
    private static final long HTTP_IDLE_MS = 2_000;
    private static final long HTTP_REQUEST_MS = 1_000;
    private static final long MILTER_PACKET_MS = 3_000;
    private static final int HTTP_MAX_CONNECTIONS = 512;
    private static final int CAP_RESERVE = 64;
    private static final long LEAD_IN_MS = 1_000;

    private final PrintStream out;

    @Mixin
    private LoadTestCommand.WorkloadOptions workloadOptions;

    @Option(names = "--rate", paramLabel = "R", description = "normal requests per second, open loop (default 2000)")
    private long rate = 2_000;

    @Option(names = "--connections", paramLabel = "C", description = "normal client connections (default 2)")
    private long connections = 2;

    @Option(names = "--warmup", paramLabel = "S", description = "seconds before each phase's measurement (default 5)")
    private long warmup = 5;

    @Option(names = "--duration", paramLabel = "S", description = "seconds of each phase's measurement (default 20)")
    private long duration = 20;

    @Option(names = "--max-connections", paramLabel = "N", description = "the server's binary connection cap " +
        "(default 256)")
    private long maxConnections = 256;

    @Option(names = "--idle-connections", paramLabel = "N", description = "idle binary connections held (default: " +
        "the cap less the other clients' connections and a reserve of " + CAP_RESERVE + ")")
    private Long idleConnections;

    @Option(names = "--hostile-threads", paramLabel = "T", description = "threads per hostile kind that makes one " +
        "attempt at a time (default 2)")
    private long hostileThreads = 2;

    @Option(names = "--hostile-rate", paramLabel = "R", description = "attempts per second per such thread, at most " +
        "(default 20)")
    private long hostileRate = 20;

    @Option(names = "--storm-rate", paramLabel = "R", description = "connections per second per connect-storm " +
        "thread, at most (default 50)")
    private long stormRate = 50;

    @Option(names = "--unread-connections", paramLabel = "N", description = "connections that pipeline and never " +
        "read (default 2)")
    private long unreadConnections = 2;

    @Option(names = "--http-idle-connections", paramLabel = "N", description = "idle keep-alive HTTP connections " +
        "held (default 64)")
    private long httpIdleConnections = 64;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "the load-test brand (default " +
        "loadtest-data/N-SEED)")
    private Path dataDirOption;

    @Option(names = "--out", paramLabel = "DIR", description = "the reports (default loadtest-results/abuse)")
    private Path outDir = Path.of("loadtest-results/abuse");

    @Option(names = "--port", paramLabel = "P", description = "the server's binary port (default 17710)")
    private long port = 17_710;

    @Option(names = "--http-port", paramLabel = "P", description = "its HTTP port (default 17711)")
    private long httpPort = 17_711;

    @Option(names = "--milter-port", paramLabel = "P", description = "its milter port (default 17712)")
    private long milterPort = 17_712;

    @Option(names = "--io-threads", paramLabel = "T", description = "server event-loop threads (default: the " +
        "server's, one per core)")
    private Long ioThreads;

    @Option(names = "--pool", paramLabel = "K", description = "pre-generated requests cycled through (default 100000)")
    private long pool = 100_000;

    AbuseSoak(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * The numbers of hostile clients.
     */
    private record Sizes(int threads, double rate, double stormRate, int unread, int idle, int httpIdle)
    {
    }

    @Override
    public Integer call() throws Exception
    {
        final Workload workload = workloadOptions.workload();
        final int normalConnections = (int)UsageException.inRange("connections", connections, 1, 64);
        final double perSecond = UsageException.inRange("rate", rate, 1, 1_000_000);
        final long warmupMs = LoadTestCommand.seconds("warmup", warmup);
        final long durationMs = Math.max(1_000, LoadTestCommand.seconds("duration", duration));
        final int cap = (int)UsageException.inRange("max-connections", maxConnections, 64, 100_000);
        final int threads = (int)UsageException.inRange("hostile-threads", hostileThreads, 1, 16);
        final int unread = (int)UsageException.inRange("unread-connections", unreadConnections, 1, 64);
        final int othersAtOnce = normalConnections + unread + 3 * threads + CAP_RESERVE;
        if (cap <= othersAtOnce)
        {
            throw new UsageException("max-connections: " + cap + " (expected: more than " + othersAtOnce + ", the " +
                "other clients' connections and a reserve of " + CAP_RESERVE + ", to leave room for idle ones)");
        }
        final int idle = (int)UsageException.inRange("idle-connections", idleConnections != null ? idleConnections :
            cap - othersAtOnce, 1, cap - othersAtOnce);
        final Sizes sizes = new Sizes(threads, UsageException.inRange("hostile-rate", hostileRate, 1, 1_000),
            UsageException.inRange("storm-rate", stormRate, 1, 10_000), unread, idle,
            (int)UsageException.inRange("http-idle-connections", httpIdleConnections, 1, HTTP_MAX_CONNECTIONS / 2));
        final Targets targets = new Targets((int)UsageException.inRange("port", port, 1, 65535),
            (int)UsageException.inRange("http-port", httpPort, 1, 65535),
            (int)UsageException.inRange("milter-port", milterPort, 1, 65535), cap, BINARY_IDLE_MS, BINARY_FRAME_MS,
            HTTP_IDLE_MS, HTTP_REQUEST_MS, MILTER_PACKET_MS);
        final Path dataDir = dataDirOption != null ? dataDirOption :
            Path.of("loadtest-data/" + workload.recipients() + "-" + workload.seed());
        Files.createDirectories(outDir);
        LoadTestData.prepare(dataDir, workload, out);
        final Workload.Requests requests = LoadTestCommand.pool(pool, workload);
        final String[] milterRecipients = milterRecipients(workload);
        final Path brandMap = outDir.resolve("milter-brands.conf");
        Files.writeString(brandMap, "sender:" + MilterAbuse.SENDER + " = " + Workload.BRAND + "\n",
            StandardCharsets.UTF_8);

        final List<String> serveArgs = new ArrayList<>(List.of("--data-dir", dataDir.toString(),
            "--port", Integer.toString(targets.binaryPort()), "--http-port", Integer.toString(targets.httpPort()),
            "--milter-port", Integer.toString(targets.milterPort()), "--milter-brand-map", brandMap.toString(),
            "--resp-port", "off", "--unbounded-brands", Long.toString(Workload.BRAND),
            "--entries-per-map", Long.toString(Math.max(10_000, workload.recipients())),
            "--max-connections", Integer.toString(cap), "--binary-idle-timeout", seconds(BINARY_IDLE_MS),
            "--binary-frame-timeout", seconds(BINARY_FRAME_MS), "--http-idle-timeout", seconds(HTTP_IDLE_MS),
            "--http-request-timeout", seconds(HTTP_REQUEST_MS), "--http-max-connections",
            Integer.toString(HTTP_MAX_CONNECTIONS), "--milter-packet-timeout", seconds(MILTER_PACKET_MS),
            // every client here, hostile or not, is 127.0.0.1: a per-address cap would stop the idle kinds long
            // before the whole cap this soak is about
            "--max-connections-per-address", "off"));
        if (ioThreads != null)
        {
            serveArgs.addAll(List.of("--io-threads", Long.toString(UsageException.inRange("io-threads", ioThreads, 1,
                256))));
        }
        out.println("starting iys-filter (log: " + outDir.resolve("server.log") + ")...");
        final Soak soak = new Soak(targets, requests, LoadSettings.openLoop("baseline", perSecond, normalConnections,
            1, warmupMs, durationMs), outDir);
        try (ServerProcess server = ServerProcess.start(serveArgs, targets.binaryPort(), targets.httpPort(),
            outDir.resolve("server.log"));
            ServerWatch watch = new ServerWatch(server.pid(), targets.httpPort()))
        {
            out.printf("iys-filter pid %d on 127.0.0.1:%d (binary), %d (HTTP), %d (milter)%n", server.pid(),
                targets.binaryPort(), targets.httpPort(), targets.milterPort());
            soak.run(watch, hostile(targets, sizes, milterRecipients), out);
            soak.rssAfter = ServerWatch.rssKb(server.pid());
        }
        final String report = soak.report(sizes, cap);
        out.println();
        out.print(report);
        Files.writeString(outDir.resolve("report.txt"), report, StandardCharsets.UTF_8);
        final String machine = RedisComparison.machine();
        Reports.writeJson(outDir.resolve("summary.json"), machine, soak.runs, soak.figures());
        Reports.writeHtml(outDir.resolve("latency.html"), "iys-filter abuse soak", machine, soak.runs,
            soak.figures());
        out.println("wrote " + outDir.resolve("summary.json") + ", latency.html, report.txt and the phases' .hlog " +
            "files; the server was stopped");
        return soak.passed() ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    private static String seconds(final long ms)
    {
        return TimeUnit.MILLISECONDS.toSeconds(ms) + "s";
    }

    /**
     * @return an e-mail recipient of the workload with consent (its record ONAY, BIREYSEL: the milter decides as
     * BIREYSEL) and one without a record.
     */
    static String[] milterRecipients(final Workload workload)
    {
        String consented = null;
        String refused = null;
        for (long i = 0; i < 2 * workload.recipients() && (consented == null || refused == null); i++)
        {
            if (workload.channel(i) != Channel.EPOSTA)
            {
                continue;
            }
            if (consented == null && workload.recorded(i) && !workload.rejected(i) &&
                workload.type(i) == RecipientType.BIREYSEL)
            {
                consented = workload.address(i);
            }
            else if (refused == null && !workload.recorded(i))
            {
                refused = workload.address(i);
            }
        }
        if (consented == null || refused == null)
        {
            throw new UsageException("recipients: " + workload.recipients() + " has no e-mail recipient with " +
                "consent and one without (expected: a larger brand)");
        }
        return new String[]{consented, refused};
    }

    private List<HostileClient> hostile(final Targets targets, final Sizes sizes, final String[] milterRecipients)
    {
        final int threads = sizes.threads();
        final double attempts = sizes.rate();
        final String malformedHttp = httpClose("MALFORMED");
        return List.of(
            BinaryAbuse.unread(targets, sizes.unread()).counting("iys_read_pauses_total{endpoint=\"binary\"}"),
            BinaryAbuse.halfFrame(targets, threads, attempts).counting(protocolError("FRAME_TIMEOUT")),
            BinaryAbuse.idle(targets, sizes.idle()).counting(protocolError("IDLE_TIMEOUT")),
            BinaryAbuse.garbage(targets, threads, attempts).counting(protocolError("MALFORMED_FRAME")),
            BinaryAbuse.connectStorm(targets, threads, sizes.stormRate()),
            HttpAbuse.undecodableQuery(targets, threads, attempts).counting(malformedHttp),
            HttpAbuse.hugeHeader(targets, threads, attempts).counting(malformedHttp),
            HttpAbuse.lengthAndChunked(targets, threads, attempts).counting(malformedHttp),
            HttpAbuse.slowHeaders(targets, threads, attempts).counting(httpClose("REQUEST_TIMEOUT")),
            HttpAbuse.idleKeepAlive(targets, sizes.httpIdle()).counting(httpClose("IDLE_TIMEOUT")),
            MilterAbuse.noNegotiation(targets, threads, attempts, milterRecipients[0], milterRecipients[1])
                .counting(milterError("NO_NEGOTIATION")),
            MilterAbuse.halfPacket(targets, threads, attempts).counting(milterError("PACKET_TIMEOUT")),
            MilterAbuse.oversizePacket(targets, threads, attempts).counting(milterError("CONNECTION_ERROR")));
    }

    private static String protocolError(final String code)
    {
        return "iys_protocol_errors_total{code=\"" + code + "\"}";
    }

    private static String httpClose(final String why)
    {
        return "iys_http_closes_total{why=\"" + why + "\"}";
    }

    private static String milterError(final String kind)
    {
        return "iys_milter_errors_total{kind=\"" + kind + "\"}";
    }

    /**
     * A load target whose connections are opened before the run asks for them: the abuse phase's normal clients
     * connect before the hostile ones fill the connection cap.
     */
    private static final class PreConnected implements LoadTarget
    {
        private final LoadTarget target;
        private final Deque<Connection> ready = new ArrayDeque<>();

        PreConnected(final LoadTarget target, final int connections) throws Exception
        {
            this.target = target;
            try
            {
                for (int i = 0; i < connections; i++)
                {
                    ready.add(target.connect());
                }
            }
            catch (final Exception ex)
            {
                target.close();
                throw ex;
            }
        }

        @Override
        public String name()
        {
            return target.name();
        }

        @Override
        public Connection connect() throws Exception
        {
            final Connection connection = ready.poll();
            return connection != null ? connection : target.connect();
        }

        @Override
        public void close()
        {
            target.close();
        }
    }

    /**
     * One soak: three phases of normal load, the middle one under attack, and what was seen.
     */
    private static final class Soak
    {
        final Targets targets;
        final Workload.Requests requests;
        final LoadSettings normal;
        final Path outDir;
        final List<RunResult> runs = new ArrayList<>();
        final Map<String, String> loadAverage = new LinkedHashMap<>();
        Map<String, long[]> rss = Map.of();
        long rssAfter;
        List<HostileClient> hostile = List.of();
        Map<String, Double> countersBefore = Map.of();
        Map<String, Double> countersAfter = Map.of();
        long abuseMs;

        Soak(final Targets targets, final Workload.Requests requests, final LoadSettings normal, final Path outDir)
        {
            this.outDir = outDir;
            this.targets = targets;
            this.requests = requests;
            this.normal = normal;
        }

        void run(final ServerWatch watch, final List<HostileClient> clients, final PrintStream out) throws Exception
        {
            try
            {
                runPhases(watch, clients, out);
            }
            finally
            {
                // after a failure half-way: no hostile thread outlives the soak
                for (final HostileClient client : hostile)
                {
                    client.stop(0);
                }
                for (final HostileClient client : hostile)
                {
                    client.join(targets.longestWaitMs());
                }
            }
        }

        private void runPhases(final ServerWatch watch, final List<HostileClient> clients, final PrintStream out)
            throws Exception
        {
            for (final String phase : PHASES)
            {
                out.printf("%nphase %s: %,.0f requests/s over %d connections, %d s + %d s%n", phase, normal.rate(),
                    normal.connections(), normal.warmupMs() / 1_000, normal.durationMs() / 1_000);
                watch.begin(phase);
                final boolean abuse = "abuse".equals(phase);
                final long startNs = System.nanoTime();
                if (abuse)
                {
                    countersBefore = watch.counters();
                }
                final LoadSettings settings = new LoadSettings(phase, true, normal.connections(), 1, 1,
                    normal.rate(), normal.warmupMs(), normal.durationMs(), normal.drainMs());
                try (PreConnected target = new PreConnected(new FilterTarget("127.0.0.1", targets.binaryPort(),
                    requests, 1, false), normal.connections()))
                {
                    if (abuse)
                    {
                        startHostile(clients, out);
                    }
                    runs.add(LoadRun.run(target, requests, settings, outDir.resolve(phase + ".hlog"), out));
                }
                if (abuse)
                {
                    final long graceMs = targets.longestWaitMs();
                    out.printf("stopping the hostile clients (answers still owed may take %d ms)%n", graceMs);
                    for (final HostileClient client : clients)
                    {
                        client.stop(graceMs);
                    }
                    for (final HostileClient client : clients)
                    {
                        client.join(graceMs + 5_000);
                    }
                    abuseMs = (System.nanoTime() - startNs) / 1_000_000;
                    countersAfter = watch.counters();
                    for (final HostileClient client : clients)
                    {
                        if (client.serverCounter() != null)
                        {
                            client.serverCounterRose(countersAfter.getOrDefault(client.serverCounter(), 0.0) -
                                countersBefore.getOrDefault(client.serverCounter(), 0.0));
                        }
                    }
                }
                loadAverage.put(phase, ServerWatch.loadAverage());
                out.println("  " + runs.get(runs.size() - 1).summaryLine());
            }
            rss = watch.rss();
        }

        /**
         * Start the hostile clients once the normal ones are connected (the idle ones fill the connection cap), and
         * give them a moment to open their connections.
         */
        void startHostile(final List<HostileClient> clients, final PrintStream out) throws InterruptedException
        {
            hostile = clients;
            out.printf("starting %d kinds of hostile client%n", clients.size());
            for (final HostileClient client : clients)
            {
                client.start();
            }
            TimeUnit.MILLISECONDS.sleep(LEAD_IN_MS);
        }

        boolean passed()
        {
            for (final RunResult run : runs)
            {
                if (run.wrong() > 0 || run.missing() > 0 || run.errors() > 0 || run.measuredRequests() == 0)
                {
                    return false;
                }
            }
            return hostile.stream().allMatch(HostileClient::passed) && runs.size() == PHASES.length;
        }

        Map<String, Object> figures()
        {
            final Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("passed", passed());
            for (final RunResult run : runs)
            {
                final String phase = run.settings().name();
                final long[] kb = rss.getOrDefault(phase, new long[]{-1, -1, -1});
                figures.put(phase + " server RSS MiB at start", kb[0] / 1024.0);
                figures.put(phase + " server RSS MiB peak", kb[1] / 1024.0);
                figures.put(phase + " server RSS MiB at end", kb[2] / 1024.0);
                figures.put(phase + " load average (1, 5, 15 min) at end", loadAverage.get(phase));
            }
            figures.put("server RSS MiB after the soak", rssAfter / 1024.0);
            figures.put("abuse phase ms", abuseMs);
            for (final HostileClient client : hostile)
            {
                final String kind = "hostile " + client.kind();
                figures.put(kind + " attempts", client.attempts());
                figures.put(kind + " bytes sent", client.bytesSent());
                figures.put(kind + " documented", String.join(" | ", client.expected()));
                client.outcomes().forEach((outcome, count) -> figures.put(kind + " outcome " + outcome, count));
                figures.put(kind + " unexpected", client.unexpected());
                if (client.serverCounter() != null)
                {
                    figures.put(kind + " server counter " + client.serverCounter() + " rise",
                        client.serverCounterRise());
                }
                figures.put(kind + " passed", client.passed());
            }
            for (final Map.Entry<String, Double> entry : countersAfter.entrySet())
            {
                figures.put("server " + entry.getKey() + " before abuse",
                    countersBefore.getOrDefault(entry.getKey(), 0.0));
                figures.put("server " + entry.getKey() + " after abuse", entry.getValue());
            }
            return figures;
        }

        String report(final Sizes sizes, final int cap)
        {
            final StringBuilder text = new StringBuilder();
            text.append(String.format(Locale.ROOT, "normal load: open loop %,.0f requests/s over %d connections, " +
                "%d s warm-up + %d s per phase%n", normal.rate(), normal.connections(), normal.warmupMs() / 1_000,
                normal.durationMs() / 1_000));
            text.append(String.format(Locale.ROOT, "%-15s %9s %6s %8s %7s %9s %9s %9s %9s   %-23s %s%n", "phase",
                "requests", "wrong", "missing", "errors", "p50 us", "p99 us", "p99.9 us", "max us",
                "server RSS MiB s/pk/e", "load avg at end"));
            for (final RunResult run : runs)
            {
                final String phase = run.settings().name();
                final long[] kb = rss.getOrDefault(phase, new long[]{-1, -1, -1});
                text.append(String.format(Locale.ROOT, "%-15s %9d %6d %8d %7d %9.1f %9.1f %9.1f %9.1f   " +
                    "%-23s %s%s%n", phase, run.measuredRequests(), run.wrong(), run.missing(), run.errors(),
                    run.latencyUs(50), run.latencyUs(99), run.latencyUs(99.9), run.maxUs(),
                    String.format(Locale.ROOT, "%.0f / %.0f / %.0f", kb[0] / 1024.0, kb[1] / 1024.0, kb[2] / 1024.0),
                    loadAverage.get(phase), run.passed() ? "" : "  " + run.failures()));
            }
            text.append(String.format(Locale.ROOT, "server RSS after the soak: %.0f MiB%n", rssAfter / 1024.0));
            text.append(String.format(Locale.ROOT, "%nhostile clients (abuse phase, %.1f s with the grace; binary " +
                "cap %d, %d idle connections held; %d threads per kind at <= %.0f attempts/s each, storm <= %.0f/s " +
                "each):%n", abuseMs / 1_000.0, cap, sizes.idle(), sizes.threads(), sizes.rate(), sizes.stormRate()));
            for (final HostileClient client : hostile)
            {
                text.append(String.format(Locale.ROOT, "  %-24s %7d attempts %11d bytes  %s%s%n", client.kind(),
                    client.attempts(), client.bytesSent(), client.passed() ? "as documented" : "NOT AS DOCUMENTED" +
                    (client.firstUnexpected() != null ? " (first: " + client.firstUnexpected() + ")" : ""),
                    client.serverCounter() == null ? "" : String.format(Locale.ROOT, "; server: %s +%.0f",
                    client.serverCounter(), client.serverCounterRise())));
                client.outcomes().forEach((outcome, count) -> text.append(String.format(Locale.ROOT,
                    "      %8d  %s%s%n", count, outcome, client.expected().contains(outcome) ? "" :
                    HostileClient.refusedAtCap(outcome) ? "  (refused at the cap)" : "  (unexpected)")));
            }
            text.append(String.format(Locale.ROOT, "%nserver counters, before -> after the abuse phase:%n"));
            for (final Map.Entry<String, Double> entry : countersAfter.entrySet())
            {
                final double before = countersBefore.getOrDefault(entry.getKey(), 0.0);
                if (before != 0 || entry.getValue() != 0)
                {
                    text.append(String.format(Locale.ROOT, "  %-60s %10.0f -> %10.0f%n", entry.getKey(), before,
                        entry.getValue()));
                }
            }
            text.append(String.format(Locale.ROOT, "%nresult: %s%n", passed() ? "PASS (0 wrong, 0 missing, every " +
                "hostile kind answered as documented)" : "FAIL"));
            return text.toString();
        }
    }
}
