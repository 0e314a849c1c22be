package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.FilterTarget;
import io.iysfilter.loadtest.LoadRun;
import io.iysfilter.loadtest.LoadSettings;
import io.iysfilter.loadtest.ProcessCpu;
import io.iysfilter.loadtest.RedisBenchmark;
import io.iysfilter.loadtest.RedisServer;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.loadtest.RunResult;
import io.iysfilter.loadtest.Workload;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The alternating rounds of {@code compare-redis}: for each shape of load (unpipelined, pipelined, multi-key), round
 * after round, Redis and iys-filter's RESP endpoint each driven by the same {@code redis-benchmark} (A, B), then
 * iys-filter's binary endpoint by the Java rig; each run with the server's CPU time (user, system) over exactly its
 * interval and the load generator's own, and each checked against what the server counted (Redis's keyspace hits
 * and misses, iys-filter's decisions by reason), so that an error reply can never pass for a fast answer.
 */
final class SideBySide
{
    private static final Pattern DECISIONS = Pattern.compile("^iys_decisions_total\\{(.*)} ([0-9.eE+-]+)$");
    private static final Pattern REASON = Pattern.compile("reason=\"([^\"]+)\"");
    private static final List<String> EXPECTED_REASONS = List.of("CONSENT", "REJECTED", "NO_CONSENT");

    /**
     * Who is measured, and by what.
     */
    enum Side
    {
        REDIS("Redis", "redis-benchmark"),
        RESP("iys-filter RESP", "redis-benchmark"),
        BINARY("iys-filter binary", "Java rig");

        private final String label;
        private final String generator;

        Side(final String label, final String generator)
        {
            this.label = label;
            this.generator = generator;
        }

        String label()
        {
            return label + " (" + generator + ")";
        }
    }

    /**
     * A shape of load: connections, commands outstanding per connection, keys (decisions) per command.
     *
     * @param name        for reports.
     * @param connections {@code -c}.
     * @param depth       {@code -P}.
     * @param keys        1 (GET, IYS.CHECK, CHECK) or more (MGET, IYS.MCHECK, CHECK_BATCH).
     */
    record Shape(String name, int connections, int depth, int keys)
    {
    }

    /**
     * One run of one side in one round.
     *
     * @param round               1, 2, …
     * @param shape               the load.
     * @param side                who.
     * @param decisionsPerSec     decisions (keys) per second.
     * @param serverUserUs        the server's user CPU per decision, µs.
     * @param serverSystemUs      its system CPU per decision, µs.
     * @param serverPercentCore   its CPU over the interval, % of one core.
     * @param generatorUs         the load generator's CPU (user + system) per decision, µs.
     * @param generatorPercentCore its CPU over the interval, % of one core.
     * @param p99Us               the generator's p99 latency per command, µs.
     * @param check               what the server counted.
     */
    record Measurement(
        int round,
        Shape shape,
        Side side,
        double decisionsPerSec,
        double serverUserUs,
        double serverSystemUs,
        double serverPercentCore,
        double generatorUs,
        double generatorPercentCore,
        double p99Us,
        String check)
    {
        double serverUs()
        {
            return serverUserUs + serverSystemUs;
        }
    }

    /**
     * The servers and generators.
     *
     * @param workload     the model.
     * @param requests     the Java rig's pool.
     * @param bench        redis-benchmark, pinned or not.
     * @param redis        Redis.
     * @param serverPid    iys-filter's process.
     * @param port         its binary port.
     * @param httpPort     its HTTP port (/metrics).
     * @param respPort     its RESP port.
     * @param benchThreads redis-benchmark's {@code --threads}, 0 for none.
     * @param outDir       where the rig's interval logs go.
     */
    record Rig(
        Workload workload,
        Workload.Requests requests,
        RedisBenchmark bench,
        RedisServer redis,
        long serverPid,
        int port,
        int httpPort,
        int respPort,
        int benchThreads,
        Path outDir)
    {
    }

    private final Rig rig;
    private final long warmupMs;
    private final long durationMs;
    private final PrintStream out;
    private final List<Measurement> measurements = new ArrayList<>();
    private final List<RunResult> runs = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<Shape, Map<Side, Long>> requestsPerRun = new LinkedHashMap<>();

    SideBySide(final Rig rig, final long warmupMs, final long durationMs, final PrintStream out)
    {
        this.rig = rig;
        this.warmupMs = warmupMs;
        this.durationMs = durationMs;
        this.out = out;
    }

    /**
     * Warm every side up on every shape and size each redis-benchmark run ({@code -n}) to last about the duration.
     *
     * @param shapes the loads.
     * @throws Exception when a run cannot be made.
     */
    void warmUp(final List<Shape> shapes) throws Exception
    {
        out.printf("%nwarm-up and sizing (%.0f s a side and shape; not measured)%n", warmupMs / 1e3);
        for (final Shape shape : shapes)
        {
            final Map<Side, Long> sized = new EnumMap<>(Side.class);
            for (final Side side : new Side[]{Side.REDIS, Side.RESP})
            {
                final RedisBenchmark.Spec probe = spec(side, shape,
                    Math.max(2_000L, 20_000L * shape.connections() / shape.keys()));
                double rate = rig.bench().run(probe, pid(side)).requestsPerSec();
                if (warmupMs > 0)
                {
                    rate = rig.bench().run(probe.withRequests(requests(probe, rate, warmupMs)), pid(side))
                        .requestsPerSec();
                }
                sized.put(side, requests(probe, rate, durationMs));
                out.printf("  %-22s %-30s %,12.0f commands/s -> -n %,d%n", shape.name(), side.label(), rate,
                    sized.get(side));
            }
            requestsPerRun.put(shape, sized);
            if (warmupMs > 0)
            {
                final RunResult warm = rigRun(shape, "warmup-" + shape.name(), 0, warmupMs, null);
                out.printf("  %-22s %-30s %,12.0f decisions/s%n", shape.name(), Side.BINARY.label(),
                    warm.decisionsPerSec());
            }
        }
    }

    private static long requests(final RedisBenchmark.Spec probe, final double rate, final long ms)
    {
        final double perSecond = Double.isFinite(rate) ? rate : 1e6;
        return Math.max(probe.requests(), (long)(perSecond * ms / 1_000.0));
    }

    /**
     * Round after round, each shape: Redis, iys-filter RESP (both by redis-benchmark), iys-filter binary (Java rig).
     *
     * @param shapes the loads.
     * @param rounds how many.
     * @throws Exception when a run cannot be made.
     */
    void rounds(final List<Shape> shapes, final int rounds) throws Exception
    {
        for (int round = 1; round <= rounds; round++)
        {
            out.printf("%nround %d of %d%n", round, rounds);
            for (final Shape shape : shapes)
            {
                for (final Side side : Side.values())
                {
                    final Measurement m = side == Side.BINARY ? binary(round, shape) : bench(round, shape, side);
                    measurements.add(m);
                    out.printf("  %-22s %-30s %,12.0f dec/s  server %6.3f + %6.3f = %6.3f us/dec %5.1f %% core  " +
                        "generator %6.3f us/dec %5.1f %% core  p99 %8.1f us  %s%n", shape.name(), side.label(),
                        m.decisionsPerSec(), m.serverUserUs(), m.serverSystemUs(), m.serverUs(),
                        m.serverPercentCore(), m.generatorUs(), m.generatorPercentCore(), m.p99Us(), m.check());
                }
            }
        }
    }

    private RedisBenchmark.Spec spec(final Side side, final Shape shape, final long requests)
    {
        final List<String> command = new ArrayList<>();
        final String rand = RedisBenchmark.RAND;
        if (side == Side.REDIS)
        {
            command.add(shape.keys() == 1 ? "GET" : "MGET");
            command.addAll(Collections.nCopies(shape.keys(), Workload.EMAIL_KEY_PREFIX + rand));
        }
        else
        {
            command.addAll(List.of(shape.keys() == 1 ? "IYS.CHECK" : "IYS.MCHECK", Long.toString(Workload.EMAIL_BRAND),
                "EPOSTA"));
            command.addAll(Collections.nCopies(shape.keys(), "u" + rand + "@" + Workload.EMAIL_DOMAIN));
        }
        return new RedisBenchmark.Spec(side == Side.REDIS ? rig.redis().port() : rig.respPort(), shape.connections(),
            shape.depth(), requests, rig.workload().recipients(), rig.benchThreads(), shape.keys(), command);
    }

    private long pid(final Side side)
    {
        return side == Side.REDIS ? rig.redis().pid() : rig.serverPid();
    }

    private Measurement bench(final int round, final Shape shape, final Side side) throws Exception
    {
        final RedisBenchmark.Spec spec = spec(side, shape, requestsPerRun.get(shape).get(side));
        final Map<String, Double> before = counted(side);
        final RedisBenchmark.Result result = rig.bench().run(spec, pid(side));
        final Map<String, Double> after = counted(side);
        final Map<String, Double> delta = new TreeMap<>();
        after.forEach((key, value) -> delta.put(key, value - before.getOrDefault(key, 0.0)));
        final double decisions = delta.values().stream().mapToDouble(Double::doubleValue).sum();
        final String check = check(round, shape, side, spec, delta, decisions);
        final double perDecision = Math.max(1, decisions);
        return new Measurement(round, shape, side, result.decisionsPerSec(), result.server().userUs() / perDecision,
            result.server().systemUs() / perDecision, result.server().percentOfCore(),
            result.generator().totalUs() / perDecision, result.generator().percentOfCore(), result.p99Us(), check);
    }

    /**
     * @return what the server counted: Redis's keyspace hits and misses, iys-filter's decisions by reason.
     */
    private Map<String, Double> counted(final Side side) throws IOException, InterruptedException
    {
        final Map<String, Double> counted = new TreeMap<>();
        if (side == Side.REDIS)
        {
            final String info = rig.redis().cli("INFO", "stats").orElseThrow(
                () -> new IOException("redis-cli INFO stats failed"));
            for (final String line : info.split("\r?\n"))
            {
                if (line.startsWith("keyspace_hits:") || line.startsWith("keyspace_misses:"))
                {
                    final String[] pair = line.split(":");
                    counted.put(pair[0].equals("keyspace_hits") ? "hit" : "miss", Double.parseDouble(pair[1].trim()));
                }
            }
            return counted;
        }
        final HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + rig.httpPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        for (final String line : response.body().split("\n"))
        {
            final Matcher matcher = DECISIONS.matcher(line);
            if (matcher.matches())
            {
                final Matcher reason = REASON.matcher(matcher.group(1));
                counted.merge(reason.find() ? reason.group(1) : "?", Double.parseDouble(matcher.group(2)),
                    Double::sum);
            }
        }
        return counted;
    }

    /**
     * redis-benchmark sends at least -n commands and at most one more pipeline per connection; every key of each
     * must have been looked up (Redis) or decided (iys-filter), with only the workload's answers.
     */
    private String check(
        final int round,
        final Shape shape,
        final Side side,
        final RedisBenchmark.Spec spec,
        final Map<String, Double> delta,
        final double decisions)
    {
        final double least = spec.requests() * (double)shape.keys();
        final double most = (spec.requests() + (double)shape.connections() * shape.depth()) * shape.keys();
        final StringBuilder shares = new StringBuilder();
        delta.forEach((key, value) ->
        {
            if (value > 0)
            {
                shares.append(String.format(" %s %.1f %%", key, 100 * value / Math.max(1, decisions)));
            }
        });
        final String what = side == Side.REDIS ? "keys looked up" : "decisions";
        String problem = null;
        if (decisions < least || decisions > most)
        {
            problem = String.format("the server counted %,.0f %s, redis-benchmark sent %,.0f", decisions, what, least);
        }
        else if (side == Side.RESP && !EXPECTED_REASONS.containsAll(
            delta.entrySet().stream().filter((e) -> e.getValue() > 0).map(Map.Entry::getKey).toList()))
        {
            problem = "answers outside " + EXPECTED_REASONS + ":" + shares;
        }
        if (problem != null)
        {
            failures.add(String.format("round %d, %s, %s: %s", round, shape.name(), side.label(), problem));
            return "FAIL " + problem;
        }
        return String.format("%,.0f %s:%s", decisions, what, shares);
    }

    private Measurement binary(final int round, final Shape shape) throws Exception
    {
        final long pid = ProcessHandle.current().pid();
        final ProcessCpu[] server = new ProcessCpu[2];
        final ProcessCpu[] generator = new ProcessCpu[2];
        final RunResult result = rigRun(shape, "r" + round + "-" + shape.name(), Math.min(1_000, warmupMs),
            durationMs, new LoadRun.MeasureWindow()
            {
                @Override
                public void opened() throws IOException
                {
                    server[0] = ProcessCpu.read(rig.serverPid());
                    generator[0] = ProcessCpu.read(pid);
                }

                @Override
                public void closed() throws IOException
                {
                    server[1] = ProcessCpu.read(rig.serverPid());
                    generator[1] = ProcessCpu.read(pid);
                }
            });
        runs.add(result);
        final ProcessCpu.Spent serverSpent = server[1].since(server[0]);
        final ProcessCpu.Spent generatorSpent = generator[1].since(generator[0]);
        final double decisions = Math.max(1, result.decisionsPerSec() * serverSpent.wallUs() / 1e6);
        final String check = result.passed() ? String.format("%,d requests, every answer checked",
            result.measuredRequests()) : "FAIL " + result.failures();
        if (!result.passed())
        {
            failures.add(String.format("round %d, %s, %s: %s", round, shape.name(), Side.BINARY.label(),
                result.failures()));
        }
        return new Measurement(round, shape, Side.BINARY, result.decisionsPerSec(), serverSpent.userUs() / decisions,
            serverSpent.systemUs() / decisions, serverSpent.percentOfCore(), generatorSpent.totalUs() / decisions,
            generatorSpent.percentOfCore(), result.latencyUs(99), check);
    }

    private RunResult rigRun(
        final Shape shape, final String name, final long rigWarmupMs, final long ms, final LoadRun.MeasureWindow window)
        throws Exception
    {
        final LoadSettings settings = LoadSettings.maxThroughput(name, shape.connections(), shape.depth(),
            shape.keys(), rigWarmupMs, ms);
        try (FilterTarget target = new FilterTarget("127.0.0.1", rig.port(), rig.requests(), 1, false))
        {
            return LoadRun.run(target, rig.requests(), settings,
                window == null ? null : rig.outDir().resolve(name + ".hlog"), null, window);
        }
    }

    /**
     * @return where progress goes.
     */
    PrintStream out()
    {
        return out;
    }

    /**
     * @return every rig run of the rounds (for the latency curves).
     */
    List<RunResult> runs()
    {
        return runs;
    }

    /**
     * @return runs that failed their check, in words; empty when all passed.
     */
    List<String> failures()
    {
        return failures;
    }

    /**
     * @param shape a load.
     * @param side  who.
     * @return the median decisions/s over the rounds.
     */
    double medianRate(final Shape shape, final Side side)
    {
        return Stats.of(select(shape, side).stream().mapToDouble(Measurement::decisionsPerSec).toArray()).median();
    }

    private List<Measurement> select(final Shape shape, final Side side)
    {
        return measurements.stream().filter((m) -> m.shape().equals(shape) && m.side() == side).toList();
    }

    /**
     * Median, smallest and largest of some figures.
     *
     * @param median the median (mean of the middle two for an even count).
     * @param min    the smallest.
     * @param max    the largest.
     */
    record Stats(double median, double min, double max)
    {
        static Stats of(final double[] values)
        {
            if (values.length == 0)
            {
                return new Stats(Double.NaN, Double.NaN, Double.NaN);
            }
            final double[] sorted = values.clone();
            Arrays.sort(sorted);
            final int n = sorted.length;
            final double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Stats(median, sorted[0], sorted[n - 1]);
        }

        String format(final String pattern)
        {
            return String.format(pattern, median) + " (" + String.format(pattern, min) + "–" +
                String.format(pattern, max) + ")";
        }
    }

    private Stats stats(final Shape shape, final Side side, final ToDoubleFunction<Measurement> f)
    {
        return Stats.of(select(shape, side).stream().mapToDouble(f).toArray());
    }

    /**
     * Per-round ratios: each round's iys-filter figure over the same round's Redis figure (or the inverse for CPU),
     * so that drift of the machine between rounds cancels.
     */
    private Stats ratio(
        final Shape shape, final Side ours, final ToDoubleFunction<Measurement> f,
        final boolean redisOverOurs)
    {
        final List<Measurement> redis = select(shape, Side.REDIS);
        final List<Measurement> us = select(shape, ours);
        final double[] ratios = new double[Math.min(redis.size(), us.size())];
        for (int i = 0; i < ratios.length; i++)
        {
            final double a = f.applyAsDouble(us.get(i));
            final double b = f.applyAsDouble(redis.get(i));
            ratios[i] = redisOverOurs ? b / a : a / b;
        }
        return Stats.of(ratios);
    }

    /**
     * Print the medians and ratios, and add them to the reports' figures and tables.
     *
     * @param shapes  the loads.
     * @param figures named figures for summary.json and latency.html.
     * @param tables  tables for both.
     */
    void report(final List<Shape> shapes, final Map<String, Object> figures, final List<Reports.Table> tables)
    {
        final List<List<Object>> medianRows = new ArrayList<>();
        final List<List<Object>> ratioRows = new ArrayList<>();
        out.printf("%nmedians over %d rounds (min–max)%n", rounds());
        out.printf("  %-22s %-30s %-30s %-42s %-22s %-20s%n", "shape", "side", "decisions/s",
            "server CPU us/decision: user + system", "server % of a core", "generator us/dec");
        for (final Shape shape : shapes)
        {
            for (final Side side : Side.values())
            {
                final Stats rate = stats(shape, side, Measurement::decisionsPerSec);
                final Stats user = stats(shape, side, Measurement::serverUserUs);
                final Stats system = stats(shape, side, Measurement::serverSystemUs);
                final Stats total = stats(shape, side, Measurement::serverUs);
                final Stats core = stats(shape, side, Measurement::serverPercentCore);
                final Stats generator = stats(shape, side, Measurement::generatorUs);
                final Stats generatorCore = stats(shape, side, Measurement::generatorPercentCore);
                out.printf("  %-22s %-30s %-30s %-42s %-22s %-20s%n", shape.name(), side.label(),
                    rate.format("%,.0f"), String.format("%.3f + %.3f = %s", user.median(), system.median(),
                    total.format("%.3f")), core.format("%.0f"), generator.format("%.3f"));
                medianRows.add(List.of(shape.name(), side.label(), rate.median(), rate.min(), rate.max(),
                    user.median(), system.median(), total.median(), total.min(), total.max(), core.median(),
                    generator.median(), generatorCore.median()));
            }
        }
        out.printf("%nratios, iys-filter against Redis, per round (median, min–max)%n");
        out.printf("  %-22s %-34s %-34s %-34s %-34s%n", "shape", "RESP / Redis decisions/s",
            "Redis / RESP server CPU per dec.", "binary rig / Redis decisions/s", "Redis / binary server CPU per dec.");
        for (final Shape shape : shapes)
        {
            final Stats resp = ratio(shape, Side.RESP, Measurement::decisionsPerSec, false);
            final Stats respCpu = ratio(shape, Side.RESP, Measurement::serverUs, true);
            final Stats binary = ratio(shape, Side.BINARY, Measurement::decisionsPerSec, false);
            final Stats binaryCpu = ratio(shape, Side.BINARY, Measurement::serverUs, true);
            out.printf("  %-22s %-34s %-34s %-34s %-34s%n", shape.name(), resp.format("%.2f"),
                respCpu.format("%.2f"), binary.format("%.2f"), binaryCpu.format("%.2f"));
            ratioRows.add(List.of(shape.name(), resp.median(), resp.min(), resp.max(), respCpu.median(),
                respCpu.min(), respCpu.max(), binary.median(), binary.min(), binary.max(), binaryCpu.median(),
                binaryCpu.min(), binaryCpu.max()));
            figures.put(shape.name() + ": RESP / Redis decisions/s (median; target >= 3)", resp.median());
            figures.put(shape.name() + ": Redis / RESP server CPU per decision (median)", respCpu.median());
            figures.put(shape.name() + ": binary rig / Redis decisions/s (median)", binary.median());
            figures.put(shape.name() + ": Redis / binary server CPU per decision (median)", binaryCpu.median());
            for (final Side side : Side.values())
            {
                figures.put(shape.name() + ": " + side.label() + " server CPU us per decision (median)",
                    stats(shape, side, Measurement::serverUs).median());
            }
        }
        tables.add(new Reports.Table("medians", List.of("shape", "side", "decisions/s", "decisions/s min",
            "decisions/s max", "server user us/decision", "server system us/decision", "server us/decision",
            "server us/decision min", "server us/decision max", "server % core", "generator us/decision",
            "generator % core"), medianRows));
        tables.add(new Reports.Table("ratios", List.of("shape", "RESP/Redis decisions/s", "min", "max",
            "Redis/RESP server CPU per decision", "min", "max", "binary/Redis decisions/s", "min", "max",
            "Redis/binary server CPU per decision", "min", "max"), ratioRows));
        tables.add(roundsTable());
    }

    private int rounds()
    {
        return measurements.stream().mapToInt(Measurement::round).max().orElse(0);
    }

    private Reports.Table roundsTable()
    {
        final List<List<Object>> rows = new ArrayList<>();
        for (final Measurement m : measurements)
        {
            rows.add(List.of(m.round(), m.shape().name(), m.side().label(), m.decisionsPerSec(), m.serverUserUs(),
                m.serverSystemUs(), m.serverUs(), m.serverPercentCore(), m.generatorUs(), m.generatorPercentCore(),
                m.p99Us(), m.check()));
        }
        return new Reports.Table("rounds", List.of("round", "shape", "side", "decisions/s",
            "server user us/decision", "server system us/decision", "server us/decision", "server % core",
            "generator us/decision", "generator % core", "p99 us", "checked"), rows);
    }
}
