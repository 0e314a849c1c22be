package io.iysfilter.loadtest.cli;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.emulator.Change;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.iys.PushRegistrations;
import io.iysfilter.server.push.PushCredentials;
import io.iysfilter.server.push.PushSettings;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iys-filter loadtest push}: the figures of docs/PUSH.md (issue 19): how long a citizen's RET pushed by İYS
 * takes to turn a CHECK answer to DENY, idle and under CHECK load, and how many pushes a server applies a second. An
 * İYS emulator in this process withholds its newest hour from the pull feed as İYS does, so that only a push can make
 * an answer flip; a server in a child process follows its feed and takes its pushes on a receiver on loopback.
 */
@Command(name = "push", sortOptions = false, description = {
    "measure İYS push: pushed RET to DENY latency (idle and busy) and pushes applied per second",
    "",
    "Starts an İYS emulator in this process (one brand, its newest hour withheld from the pull feed as İYS does) and " +
        "a server as a child process that follows the brand's feed and takes pushes on a receiver of its own on " +
        "127.0.0.1 (plaintext: loopback only; İYS itself posts over HTTPS), with --push-rate 100000 so that the " +
        "rate limit is not what is measured. Registers the receiver through the emulator's registration call (as " +
        "'push register' does) once every recipient used answers ALLOW CONSENT. After W warm-up probes (checked, not " +
        "counted: the JIT compiles the path), N citizen RETs, one at a time: " +
        "for each, the time from the emulator recording it (and so pushing it) to the first binary CHECK answering " +
        "DENY REJECTED, polled every 100 µs on loopback (at most 5 s each); first idle, then again while C " +
        "connections run CHECKs back to back. Then, with that load still running, P RETs posted at once and " +
        "delivered D at a time: pushes applied per second from the server's applied counter on /metrics. Every " +
        "pushed recipient must end DENY and the applied counter must rise by exactly the number pushed in each " +
        "phase; the pull feed keeps polling every 2 s throughout. Writes summary.json to --out; the server is " +
        "stopped. Exit status 1 when a check failed."})
final class PushFigures implements Callable<Integer>
{
    static final long BRAND = 890_001;
    static final long IYS_CODE = 790_001;
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);
    private static final String IYS_USER = "figures-user";
    private static final String PUSH_USER = "iys-push";
    private static final long PROBE_TIMEOUT_MS = 5_000;
    private static final long READY_TIMEOUT_MS = 180_000;
    private static final long COUNTER_TIMEOUT_MS = 10_000;
    private static final long SAMPLE_MS = 200;
    private static final long BUSY_MAX_MS = TimeUnit.MINUTES.toMillis(30);
    private static final long BUSY_MAX_CHECKS = 1_000_000_000L;
    private static final Pattern APPLIED = Pattern.compile(
        "(?m)^iys_push_records_total\\{[^}]*outcome=\"applied\"[^}]*} ([0-9.eE+]+)$");

    private final PrintStream out;

    @Option(names = "--changes", paramLabel = "N", description = "latency probes, idle and again busy, one at a " +
        "time (default 200)")
    private long changes = 200;

    @Option(names = "--warmup", paramLabel = "W", description = "probes first, checked but not counted in the " +
        "figures, while the JIT compiles the path (default 50)")
    private long warmup = 50;

    @Option(names = "--pushes", paramLabel = "P", description = "RETs posted at once for the applied rate " +
        "(default 5000)")
    private long pushes = 5_000;

    @Option(names = "--deliveries", paramLabel = "D", description = "deliveries under way at once, as the emulator " +
        "posts them (default 4)")
    private long deliveries = 4;

    @Option(names = "--busy-connections", paramLabel = "C", description = "connections running CHECKs back to back " +
        "during the busy latency probes and the applied rate, 0 for none (default 2)")
    private long busyConnections = 2;

    @Option(names = "--out", paramLabel = "DIR", description = "the server's data directory and log, and the " +
        "report (default loadtest-results/push)")
    private Path outDir = Path.of("loadtest-results/push");

    PushFigures(final PrintStream out)
    {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception
    {
        final int probes = (int)UsageException.inRange("changes", changes, 1, 20_000);
        final int warm = (int)UsageException.inRange("warmup", warmup, 0, 20_000);
        final int pushCount = (int)UsageException.inRange("pushes", pushes, 1, 200_000);
        final int concurrency = (int)UsageException.inRange("deliveries", deliveries, 1,
            io.iysfilter.emulator.PushDelivery.MAX_CONCURRENCY);
        final int busy = (int)UsageException.inRange("busy-connections", busyConnections, 0, 64);
        Files.createDirectories(outDir);
        final Path dataDir = outDir.resolve("server");
        BulkRates.deleteTree(dataDir);
        Files.deleteIfExists(IndexKey.defaultFile(dataDir));
        Files.createDirectories(dataDir);
        final Map<String, Object> figures = new LinkedHashMap<>();
        final List<String> failures = new ArrayList<>();
        figures.put("load average at start (1, 5, 15 min)", loadAverage());

        final int needed = warm + 2 * probes + pushCount;
        // a phone of the population is on MESAJ for every even index, and about seven in ten keep their ONAY
        final int population = needed * 4 + 100;
        final String iysPassword = PushCredentials.newPassword();
        final String pushPassword = PushCredentials.newPassword();
        out.printf("İYS emulator in this process: brand %d, %,d recipients, its newest hour withheld from the pull " +
            "feed%n", BRAND, population);
        try (IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), population,
            19, IYS_USER, iysPassword, HOUR_MS, TimeUnit.HOURS.toMillis(2))))
        {
            final List<String> consented = consentedPhones(emulator);
            if (consented.size() <= needed)
            {
                throw new IOException("the emulator's population holds " + consented.size() + " consented MESAJ " +
                    "phones, " + needed + " needed");
            }
            final Path passwordFile = secret(outDir.resolve("iys-password"), iysPassword);
            final Path credentials = outDir.resolve("push.credentials");
            Files.deleteIfExists(credentials);
            PushCredentials.put(credentials, PUSH_USER, pushPassword);
            final int[] ports = ReplicationFigures.freePorts(3);
            final Path log = outDir.resolve("server.log");
            try (ServerProcess server = ServerProcess.start(List.of("--data-dir", dataDir.toString(), "--port",
                Integer.toString(ports[0]), "--http-port", Integer.toString(ports[1]), "--resp-port", "off",
                "--milter-port", "off", "--entries-per-map", Long.toString(Math.max(10_000, population * 2L)),
                "--iys-base-url", emulator.baseUrl(), "--iys-allow-insecure-http", "true", "--iys-code",
                Long.toString(IYS_CODE), "--iys-username", IYS_USER, "--iys-password-file", passwordFile.toString(),
                "--iys-brands", Long.toString(BRAND), "--iys-poll-interval", "2s", "--push-port",
                Integer.toString(ports[2]), "--push-credentials-file", credentials.toString(), "--push-rate",
                "100000"), ports[0], ports[1], log);
                FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
            {
                out.printf("server pid %d on 127.0.0.1:%d (HTTP %d, push receiver http://127.0.0.1:%d%s, plaintext " +
                    "on loopback), data %s, log %s%n", server.pid(), server.port(), server.httpPort(), ports[2],
                    PushSettings.PATH_DEFAULT, dataDir, log);
                final Metrics metrics = new Metrics(server.httpPort());
                awaitConsented(client, consented.subList(0, needed));
                final String url = "http://127.0.0.1:" + ports[2] + PushSettings.PATH_DEFAULT + "/" + BRAND;
                new PushRegistrations(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, IYS_USER,
                    iysPassword, List.of(BRAND), 2_000, FeedSettings.PAGE_SIZE_MAX, HOUR_MS, false))
                    .register(BRAND, "MESAJ", url, PUSH_USER, pushPassword);
                out.printf("registered %s with the emulator (MESAJ); its test record was answered%n", url);
                emulator.pushes().concurrency(concurrency);

                if (warm > 0)
                {
                    latency("warm-up", emulator, client, metrics, consented.subList(0, warm), new LinkedHashMap<>(),
                        failures);
                }
                latency("idle", emulator, client, metrics, consented.subList(warm, warm + probes), figures, failures);
                // the load asks for recipients no phase pushes (the population leaves some over)
                try (BusyLoad load = BusyLoad.start(server.port(), busy, consented.subList(needed,
                    consented.size())))
                {
                    // without a load of its own the second round is idle too, and is named so
                    latency(busy > 0 ? "busy" : "idle again", emulator, client, metrics, consented.subList(warm +
                        probes, warm + 2 * probes), figures, failures);
                    applied(emulator, client, metrics, consented.subList(warm + 2 * probes, needed), concurrency,
                        figures, failures);
                    load.stop();
                    if (busy > 0)
                    {
                        out.printf("CHECK load: %d connections, %,d checks in %.1f s (%,.0f a second), %d errors%n",
                            busy, load.checks(), load.seconds(), load.checks() / load.seconds(), load.errors());
                        figures.put("busy: CHECK connections", busy);
                        figures.put("busy: checks/s while pushes were applied", load.checks() / load.seconds());
                        if (load.errors() > 0)
                        {
                            failures.add(load.errors() + " CHECKs of the load failed: " + load.firstError());
                        }
                    }
                }
            }
            catch (final FilterClientException ex)
            {
                failures.add("the server's binary port: " + ex.getMessage());
            }
        }
        return report(figures, failures);
    }

    private int report(final Map<String, Object> figures, final List<String> failures) throws IOException
    {
        figures.put("load average at end (1, 5, 15 min)", loadAverage());
        out.println();
        for (final Map.Entry<String, Object> entry : figures.entrySet())
        {
            out.printf("  %-72s %s%n", entry.getKey(), entry.getValue() instanceof Double d ?
                String.format("%,.1f", d) : entry.getValue());
        }
        Reports.writeJson(outDir.resolve("summary.json"), RedisComparison.machine(), List.of(), figures, List.of());
        out.println("\nwrote " + outDir.resolve("summary.json") + "; the server stopped");
        failures.forEach((failure) -> out.println("FAILED: " + failure));
        return failures.isEmpty() ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    /**
     * @return the population's MESAJ phones whose last movement is an ONAY (the pull feed delivers them: days old),
     *         in the population's order.
     */
    static List<String> consentedPhones(final IysEmulator emulator)
    {
        final Set<String> refused = new HashSet<>();
        final Set<String> consented = new TreeSet<>();
        for (final Change change : emulator.movements(BRAND))
        {
            if ("MESAJ".equals(change.type()) && change.recipient().startsWith("+"))
            {
                if ("RET".equals(change.status()))
                {
                    refused.add(change.recipient());
                }
                else
                {
                    consented.add(change.recipient());
                }
            }
        }
        consented.removeAll(refused);
        return new ArrayList<>(consented);
    }

    private static Path secret(final Path file, final String text) throws IOException
    {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text + "\n");
        return file;
    }

    /**
     * Wait, boundedly, until the pull feed has brought every recipient used: each answers ALLOW CONSENT.
     */
    private void awaitConsented(final FilterClient client, final List<String> phones) throws IOException
    {
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        for (final String phone : phones)
        {
            CheckResult answer = check(client, phone);
            while (answer.verdict() != Verdict.ALLOW || answer.reason() != Reason.CONSENT)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IOException("the pull feed did not bring " + phone + " within " + READY_TIMEOUT_MS +
                        " ms: " + answer.verdict() + " " + answer.reason());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                answer = check(client, phone);
            }
        }
        out.printf("the pull feed brought the brand: %,d recipients answer ALLOW CONSENT (%.1f s)%n", phones.size(),
            (System.nanoTime() - startNs) / 1e9);
    }

    /**
     * Probes one at a time: a citizen's RET recorded in the emulator (which pushes it at once), then the server's
     * answer polled every 100 µs until it is DENY REJECTED; the time from the emulator recording it to that answer.
     */
    private void latency(final String phase, final IysEmulator emulator, final FilterClient client,
        final Metrics metrics, final List<String> phones, final Map<String, Object> figures,
        final List<String> failures) throws Exception
    {
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final long appliedBefore = metrics.applied();
        int timedOut = 0;
        for (final String phone : phones)
        {
            final long startNs = System.nanoTime();
            emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
            final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(PROBE_TIMEOUT_MS);
            boolean denied;
            while (!(denied = check(client, phone).reason() == Reason.REJECTED) && System.nanoTime() - deadlineNs < 0)
            {
                LockSupport.parkNanos(100_000);
            }
            final long elapsedNs = System.nanoTime() - startNs;
            if (!denied)
            {
                timedOut++;
            }
            histogram.recordValue(Math.min(elapsedNs, histogram.getHighestTrackableValue()));
        }
        final String what = phase + ": pushed RET to DENY";
        out.printf("%s: %d probes, p50 %.2f ms, p99 %.2f ms, max %.2f ms, timed out %d%n", what,
            histogram.getTotalCount(), histogram.getValueAtPercentile(50) / 1e6,
            histogram.getValueAtPercentile(99) / 1e6, histogram.getMaxValue() / 1e6, timedOut);
        figures.put(phase + ": latency probes (citizen RET recorded in the emulator to CHECK answering DENY)",
            histogram.getTotalCount());
        figures.put(what + " p50, ms", histogram.getValueAtPercentile(50) / 1e6);
        figures.put(what + " p99, ms (target <= 100)", histogram.getValueAtPercentile(99) / 1e6);
        figures.put(what + " max, ms", histogram.getMaxValue() / 1e6);
        if (timedOut > 0)
        {
            failures.add(phase + ": " + timedOut + " pushed RETs never answered DENY within " + PROBE_TIMEOUT_MS +
                " ms");
        }
        verify(phase, client, metrics, phones, appliedBefore, figures, failures);
    }

    /**
     * P RETs recorded at once, delivered {@code concurrency} at a time; the applied counter sampled every 200 ms until
     * it has risen by P (at most a minute plus a millisecond a push).
     */
    private void applied(final IysEmulator emulator, final FilterClient client, final Metrics metrics,
        final List<String> phones, final int concurrency, final Map<String, Object> figures,
        final List<String> failures) throws Exception
    {
        final long before = metrics.applied();
        final long target = before + phones.size();
        out.printf("posting %,d citizen RETs, delivered %d at a time...%n", phones.size(), concurrency);
        final long startNs = System.nanoTime();
        for (final String phone : phones)
        {
            emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
        }
        final long deadlineNs = startNs + TimeUnit.SECONDS.toNanos(60) + TimeUnit.MILLISECONDS.toNanos(phones.size());
        final List<Long> samples = new ArrayList<>();
        samples.add(before);
        long now = before;
        long lastNs = startNs;
        while (now < target && lastNs - deadlineNs < 0)
        {
            lastNs += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MS);
            LockSupport.parkNanos(lastNs - System.nanoTime());
            now = metrics.applied();
            samples.add(now);
        }
        final double seconds = (lastNs - startNs) / 1e9;
        // whole seconds while pushes were being applied; the last, partial one only when it is the only one
        final int perSecond = (int)(1_000 / SAMPLE_MS);
        final List<Long> rates = new ArrayList<>();
        for (int i = perSecond; i < samples.size(); i += perSecond)
        {
            rates.add(samples.get(i) - samples.get(i - perSecond));
        }
        if (rates.isEmpty())
        {
            rates.add(Math.round((now - before) / seconds));
        }
        final long[] sorted = rates.stream().mapToLong(Long::longValue).sorted().toArray();
        final long median = sorted[sorted.length / 2];
        final long best = sorted[sorted.length - 1];
        out.printf("applied %,d pushes in %.1f s (sampled every %d ms): %,.0f a second overall; per second %s%n",
            now - before, seconds, SAMPLE_MS, (now - before) / seconds, rates);
        figures.put("applied rate: pushes posted", phones.size());
        figures.put("applied rate: deliveries under way at once", concurrency);
        figures.put("applied rate: pushes applied/s overall (to the 200 ms sample that saw the last)",
            (now - before) / seconds);
        figures.put("applied rate: pushes applied/s, median second", (double)median);
        figures.put("applied rate: pushes applied/s, best second", (double)best);
        if (now < target)
        {
            failures.add("applied rate: the applied counter rose by " + (now - before) + " of " + phones.size() +
                " pushed within " + seconds + " s");
        }
        verify("applied rate", client, metrics, phones, before, figures, failures);
    }

    /**
     * Every pushed recipient answers DENY REJECTED, and the applied counter rose by exactly their number.
     */
    private void verify(final String phase, final FilterClient client, final Metrics metrics,
        final List<String> phones, final long appliedBefore, final Map<String, Object> figures,
        final List<String> failures) throws Exception
    {
        int denied = 0;
        int wrong = 0;
        for (final String phone : phones)
        {
            final CheckResult answer = check(client, phone);
            if (answer.verdict() == Verdict.DENY && answer.reason() == Reason.REJECTED)
            {
                denied++;
            }
            else if (wrong++ < 5)
            {
                failures.add(phase + ": " + phone + " answered " + answer.verdict() + " " + answer.reason() +
                    " after its pushed RET");
            }
        }
        // the counter is raised once the writer has applied the record; an answer may see it a little before
        final long expected = appliedBefore + phones.size();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(COUNTER_TIMEOUT_MS);
        long applied = metrics.applied();
        while (applied < expected && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            applied = metrics.applied();
        }
        out.printf("%s: %,d of %,d pushed recipients answer DENY REJECTED; applied counter +%,d%n", phase, denied,
            phones.size(), applied - appliedBefore);
        figures.put(phase + ": pushed recipients answering DENY", denied + " of " + phones.size());
        figures.put(phase + ": applied counter delta", applied - appliedBefore);
        if (denied != phones.size())
        {
            failures.add(phase + ": " + (phones.size() - denied) + " pushed recipients do not answer DENY REJECTED");
        }
        if (applied != expected)
        {
            failures.add(phase + ": the applied counter rose by " + (applied - appliedBefore) + ", " + phones.size() +
                " pushed");
        }
    }

    private static CheckResult check(final FilterClient client, final String phone)
    {
        return client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, phone);
    }

    static String loadAverage()
    {
        try
        {
            final String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return String.join(" ", Arrays.copyOf(fields, 3));
        }
        catch (final IOException ex)
        {
            return "unknown (" + ex.getMessage() + ")";
        }
    }

    /**
     * The server's push counters, read from its {@code /metrics}.
     */
    private static final class Metrics
    {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final URI uri;

        Metrics(final int httpPort)
        {
            uri = URI.create("http://127.0.0.1:" + httpPort + "/metrics");
        }

        long applied() throws IOException, InterruptedException
        {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            final Matcher matcher = APPLIED.matcher(response.body());
            if (response.statusCode() != 200 || !matcher.find())
            {
                throw new IOException("/metrics answered " + response.statusCode() + " without " +
                    "iys_push_records_total{outcome=\"applied\"}");
            }
            return (long)Double.parseDouble(matcher.group(1));
        }
    }

    /**
     * CHECKs back to back on C connections, one thread each, over recipients the run does not push; bounded in
     * count and time.
     */
    private static final class BusyLoad implements AutoCloseable
    {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong checks = new AtomicLong();
        private final AtomicLong errors = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        private final long startNs = System.nanoTime();
        private volatile String firstError;
        private long stopNs;

        static BusyLoad start(final int port, final int connections, final List<String> phones)
        {
            final BusyLoad load = new BusyLoad();
            for (int c = 0; c < connections; c++)
            {
                final int offset = c;
                final Thread thread = new Thread(() -> load.run(port, phones, offset), "iys-push-figures-load-" + c);
                thread.setDaemon(true);
                load.threads.add(thread);
                thread.start();
            }
            return load;
        }

        private void run(final int port, final List<String> phones, final int offset)
        {
            final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(BUSY_MAX_MS);
            try (FilterClient client = FilterClient.connect("127.0.0.1", port))
            {
                int i = offset % phones.size();
                while (running.get() && checks.get() < BUSY_MAX_CHECKS && System.nanoTime() - deadlineNs < 0)
                {
                    check(client, phones.get(i));
                    checks.incrementAndGet();
                    i = i + 1 == phones.size() ? 0 : i + 1;
                }
            }
            catch (final RuntimeException ex)
            {
                if (errors.getAndIncrement() == 0)
                {
                    firstError = ex.toString();
                }
            }
        }

        void stop()
        {
            if (running.getAndSet(false))
            {
                stopNs = System.nanoTime();
                try
                {
                    for (final Thread thread : threads)
                    {
                        thread.join(TimeUnit.SECONDS.toMillis(30));
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }

        long checks()
        {
            return checks.get();
        }

        long errors()
        {
            return errors.get();
        }

        String firstError()
        {
            return firstError;
        }

        double seconds()
        {
            return Math.max(1e-9, (stopNs - startNs) / 1e9);
        }

        @Override
        public void close()
        {
            stop();
        }
    }
}
