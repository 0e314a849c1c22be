package io.iysfilter.loadtest.cli;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.loadtest.Reports;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.UsageException;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.ingest.ChangeHandOff;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.replication.FetcherPublisher;
import io.iysfilter.server.replication.ReplicationSettings;
import io.iysfilter.server.replication.Role;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
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
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iys-filter loadtest replication}: the figures of docs/REPLICATION.md (issue 17 point 6). A Kafka broker in
 * this process; a fetcher's write side in this process (an index, its single writer and its {@link FetcherPublisher},
 * wired as {@code serve --role fetcher} wires them, fed with generated İYS changes instead of the feed); a replica
 * server ({@code serve --role replica}) as a child process. Measures the fetcher's publish throughput, the topic's size
 * per million consents after compaction, the replica's bootstrap rate from empty, and the latency from a change
 * published to the replica's binary answer flipping.
 */
@Command(name = "replication", sortOptions = false, description = {
    "measure replication through Kafka: publish throughput, topic size, bootstrap rate, change-to-answer latency",
    "",
    "Starts a Kafka broker in this process (under --out), creates the topic (compacted, 1 MiB segments so that " +
        "compaction reaches nearly all of it), and publishes N changes of B brands through a fetcher's single " +
        "writer and publisher, as a fetcher publishes the changes it applies (a key in eleven changes twice: its " +
        "first record and a newer one), then a watermark and a cursor per brand: the publish throughput is N over " +
        "the time until the cursor is committed. Waits for the compaction to settle (at most --compaction-wait " +
        "seconds) and reads the partitions' sizes (Admin describeLogDirs). Starts a replica server from an empty " +
        "data directory as a child process and waits until it is caught up: the bootstrap rate is the replica's " +
        "own (records read over the time from its start to caught up, from its log). Checks a sample of " +
        "recipients on the replica's binary port against what was published. Then L latency probes, one at a " +
        "time: a RET for a recipient holding ONAY published as a fetcher publishes a page (applied, handed " +
        "over, committed with a cursor), and the replica's answer polled until it turns DENY REJECTED. Writes " +
        "summary.json to --out; the broker and the replica are stopped. Exit status 1 when a check failed."})
final class ReplicationFigures implements Callable<Integer>
{
    static final long FIRST_BRAND = 880_001;
    static final String TOPIC = "iys-filter.figures";
    private static final Pattern CAUGHT_UP = Pattern.compile("replica caught up with the topic's end offsets " +
        "taken at start: records=(\\d+), seconds=([0-9.]+), recordsPerSecond=(\\d+)");
    private static final Pattern FIRST_RECORD = Pattern.compile("secondsToFirstRecord=([0-9.]+)");
    private static final Pattern PROGRESS = Pattern.compile("replica bootstrapping: records=\\d+, " +
        "recordsPerSecond=(\\d+)");
    private static final long PROBE_TIMEOUT_MS = 5_000;
    private static final long LATENCY_BUDGET_MS = 120_000;
    private static final int SAMPLE = 2_000;

    private final PrintStream out;

    @Option(names = "--changes", paramLabel = "N", description = "changes published (default 1000000)")
    private long changes = 1_000_000;

    @Option(names = "--brands", paramLabel = "B", description = "brands they are spread over (default 3)")
    private long brands = 3;

    @Option(names = "--partitions", paramLabel = "P", description = "the topic's partitions (default 12)")
    private long partitions = ReplicationSettings.PARTITIONS_DEFAULT;

    @Option(names = "--probes", paramLabel = "L", description = "change-to-answer latency probes, one at a time " +
        "(default 200; at most 120 s of them)")
    private long probes = 200;

    @Option(names = "--compaction-wait", paramLabel = "S", description = "seconds to wait at most for the " +
        "compaction to settle (default 120)")
    private long compactionWait = 120;

    @Option(names = "--out", paramLabel = "DIR", description = "the broker, both data directories, the replica's " +
        "log and the report (default loadtest-results/replication)")
    private Path outDir = Path.of("loadtest-results/replication");

    ReplicationFigures(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * The changes of a run, from their number alone: key {@code k} is recipient {@code k} of brand {@code k mod B},
     * its first record ONAY (RET for one key in seven); after every key's first record, one key in ten gets a newer
     * record of the other status.
     */
    static final class Plan
    {
        private final int brandCount;
        private final long keys;
        private final long updates;
        private final long baseSec;

        Plan(final long changes, final int brandCount, final long baseSec)
        {
            this.brandCount = brandCount;
            this.keys = Math.max(1, changes * 10 / 11);
            this.updates = changes - keys;
            this.baseSec = baseSec;
        }

        long keys()
        {
            return keys;
        }

        long changes()
        {
            return keys + updates;
        }

        long brand(final long key)
        {
            return FIRST_BRAND + key % brandCount;
        }

        long keysPerBrand()
        {
            return keys / brandCount + 1;
        }

        static String recipient(final long key)
        {
            final StringBuilder phone = new StringBuilder(13).append("+9053").append(key / 10_000_000 % 10);
            final String digits = Long.toString(key % 10_000_000);
            for (int i = digits.length(); i < 7; i++)
            {
                phone.append('0');
            }
            return phone.append(digits).toString();
        }

        /**
         * @return whether the key ends RET.
         */
        boolean endsRet(final long key)
        {
            final boolean firstRet = key % 7 == 3;
            return updated(key) != firstRet;
        }

        boolean updated(final long key)
        {
            return key % 10 == 0 && key / 10 < updates;
        }

        /**
         * @return the key change {@code i} is about.
         */
        long key(final long i)
        {
            return i < keys ? i : (i - keys) * 10;
        }

        int status(final long i)
        {
            final long key = key(i);
            final boolean ret = key % 7 == 3;
            return (i < keys ? ret : !ret) ? 2 : 1;
        }

        long creationSec(final long i)
        {
            return baseSec + key(i) % 40_000 + (i < keys ? 0 : 3_600);
        }
    }

    @Override
    public Integer call() throws Exception
    {
        final long n = UsageException.inRange("changes", changes, 1_000, 50_000_000);
        final int brandCount = (int)UsageException.inRange("brands", brands, 1, 100);
        final int partitionCount = (int)UsageException.inRange("partitions", partitions, 1, 1_000);
        final int probeCount = (int)UsageException.inRange("probes", probes, 0, 100_000);
        final long compactionMs = TimeUnit.SECONDS.toMillis(UsageException.inRange("compaction-wait", compactionWait,
            0, 3_600));
        Files.createDirectories(outDir);
        for (final String dir : new String[]{"broker", "fetcher", "replica"})
        {
            BulkRates.deleteTree(outDir.resolve(dir));
            // a data directory's key file is kept beside it
            Files.deleteIfExists(IndexKey.defaultFile(outDir.resolve(dir)));
        }
        final long nowSec = System.currentTimeMillis() / 1000;
        final Plan plan = new Plan(n, brandCount, nowSec - 2 * 86_400);
        final Map<String, Object> figures = new LinkedHashMap<>();
        final List<String> failures = new ArrayList<>();
        final List<Long> brandCodes = new ArrayList<>();
        for (int b = 0; b < brandCount; b++)
        {
            brandCodes.add(FIRST_BRAND + b);
        }
        try (KafkaBroker broker = KafkaBroker.start(outDir.resolve("broker")))
        {
            out.printf("Kafka broker on %s (data under %s)%n", broker.bootstrapServers(), outDir.resolve("broker"));
            createTopic(broker.bootstrapServers(), partitionCount);
            final Path fetcherDir = outDir.resolve("fetcher");
            Files.createDirectories(fetcherDir);
            final IndexKey key = IndexKey.loadOrCreate(IndexKey.defaultFile(fetcherDir));
            final long entries = Math.max(10_000, plan.keysPerBrand() + plan.keysPerBrand() / 2);
            try (Fetcher fetcher = new Fetcher(broker.bootstrapServers(), partitionCount, fetcherDir,
                IndexOptions.withEntries(entries).withKey(key)))
            {
                publish(fetcher, plan, brandCodes, figures, failures);
                compaction(broker.bootstrapServers(), plan, compactionMs, figures);
                final Path replicaDir = outDir.resolve("replica");
                Files.createDirectories(replicaDir);
                Files.copy(IndexKey.defaultFile(fetcherDir), IndexKey.defaultFile(replicaDir),
                    java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                try (ServerProcess replica = startReplica(broker.bootstrapServers(), replicaDir, brandCodes,
                    entries))
                {
                    bootstrap(replica, figures, failures);
                    try (FilterClient client = FilterClient.connect("127.0.0.1", replica.port()))
                    {
                        sample(client, plan, figures, failures);
                        latency(fetcher, client, plan, probeCount, figures, failures);
                    }
                    catch (final FilterClientException ex)
                    {
                        failures.add("the replica's binary port: " + ex.getMessage());
                    }
                }
            }
        }
        out.println();
        for (final Map.Entry<String, Object> entry : figures.entrySet())
        {
            out.printf("  %-72s %s%n", entry.getKey(), entry.getValue() instanceof Double d ?
                String.format("%,.1f", d) : entry.getValue());
        }
        Reports.writeJson(outDir.resolve("summary.json"), RedisComparison.machine(), List.of(), figures, List.of());
        out.println("\nwrote " + outDir.resolve("summary.json") + "; the replica and the broker stopped");
        failures.forEach((failure) -> out.println("FAILED: " + failure));
        return failures.isEmpty() ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    /**
     * A fetcher's write side: its index, its single writer telling the publisher of every change applied.
     */
    private static final class Fetcher implements AutoCloseable
    {
        final ConsentStore store;
        final FetcherPublisher publisher;
        final IngestPipeline pipeline;
        final AtomicLong refused = new AtomicLong();
        final IngestListener listener = new IngestListener()
        {
            @Override
            public void onApplied(final long tag)
            {
            }

            @Override
            public void onSuperseded(final long tag)
            {
            }

            @Override
            public void onFailed(final long tag, final String reason)
            {
                refused.getAndIncrement();
            }
        };

        Fetcher(final String bootstrap, final int partitions, final Path dataDir, final IndexOptions options)
            throws IOException
        {
            store = ConsentStore.open(dataDir, options);
            FetcherPublisher started = null;
            try
            {
                started = FetcherPublisher.start(new ReplicationSettings(Role.FETCHER, bootstrap, null, TOPIC,
                    partitions, (short)1), new ChangeHandOff(FetcherPublisher.HAND_OFF_SLOTS));
                pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE, started.tap());
            }
            catch (final IOException | RuntimeException ex)
            {
                if (started != null)
                {
                    started.close();
                }
                store.close();
                throw ex;
            }
            publisher = started;
        }

        /**
         * As a fetcher ends a page: every change published so far applied and handed over, then a cursor committed
         * with them.
         */
        void commit(final long brand, final String cursor) throws Exception
        {
            pipeline.barrier().get(60, TimeUnit.SECONDS);
            publisher.publish(brand, "HS", cursor, System.currentTimeMillis());
        }

        @Override
        public void close()
        {
            try
            {
                publisher.releaseWriter();
                pipeline.close();
            }
            finally
            {
                publisher.close();
                store.close();
            }
        }
    }

    private static void createTopic(final String bootstrap, final int partitions) throws Exception
    {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap)))
        {
            // small segments and a low dirty ratio: the cleaner never touches the active segment, so the size after
            // compaction is measured with at most one segment a partition uncompacted
            admin.createTopics(List.of(new NewTopic(TOPIC, partitions, (short)1).configs(Map.of(
                "cleanup.policy", "compact",
                "segment.bytes", Integer.toString(1024 * 1024),
                "min.cleanable.dirty.ratio", "0.01",
                "min.compaction.lag.ms", "0")))).all().get(60, TimeUnit.SECONDS);
        }
    }

    private void publish(final Fetcher fetcher, final Plan plan, final List<Long> brandCodes,
        final Map<String, Object> figures, final List<String> failures) throws Exception
    {
        for (final long brand : brandCodes)
        {
            fetcher.pipeline.createBrand(brand).get(60, TimeUnit.SECONDS);
        }
        final RecipientParser parser = new RecipientParser();
        final ParsedRecipient parsed = new ParsedRecipient();
        final ConsentChange change = new ConsentChange();
        out.printf("publishing %,d changes (%,d keys) of %d brands through the fetcher's writer and publisher...%n",
            plan.changes(), plan.keys(), brandCodes.size());
        final long startNs = System.nanoTime();
        for (long i = 0; i < plan.changes(); i++)
        {
            final long key = plan.key(i);
            parser.parse(Plan.recipient(key), parsed);
            final long creationSec = plan.creationSec(i);
            change.set(plan.brand(key), Channel.MESAJ, RecipientType.BIREYSEL, parsed, plan.status(i), creationSec,
                creationSec, 1, i + 1, 0);
            fetcher.pipeline.publish(change, i, fetcher.listener);
        }
        final long watermarkMs = System.currentTimeMillis() - 5_000;
        for (final long brand : brandCodes)
        {
            fetcher.pipeline.advanceWatermark(brand, watermarkMs);
        }
        for (final long brand : brandCodes)
        {
            fetcher.commit(brand, "figures-" + brand);
        }
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        final long published = fetcher.publisher.consentsPublished();
        out.printf("published and committed %,d consent records in %.2f s%n", published, seconds);
        figures.put("changes published", plan.changes());
        figures.put("fetcher publish throughput, changes/s (writer applied, handed over, committed)",
            plan.changes() / seconds);
        if (published != plan.changes() || fetcher.refused.get() != 0)
        {
            failures.add("published " + published + " consent records of " + plan.changes() + " changes, " +
                fetcher.refused.get() + " refused by the fetcher's writer");
        }
    }

    private void compaction(final String bootstrap, final Plan plan, final long waitMs,
        final Map<String, Object> figures) throws Exception
    {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap)))
        {
            final long before = topicBytes(admin);
            out.printf("topic holds %,d bytes before compaction; waiting for the cleaner (at most %d s)...%n", before,
                waitMs / 1000);
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
            long last = before;
            long stableSinceNs = System.nanoTime();
            boolean settled = false;
            while (System.nanoTime() - deadlineNs < 0)
            {
                TimeUnit.SECONDS.sleep(1);
                final long now = topicBytes(admin);
                if (now != last)
                {
                    last = now;
                    stableSinceNs = System.nanoTime();
                }
                else if (now < before && System.nanoTime() - stableSinceNs > TimeUnit.SECONDS.toNanos(5))
                {
                    settled = true;
                    break;
                }
            }
            out.printf("topic holds %,d bytes after compaction (%s)%n", last, settled ? "settled" :
                "not settled within the wait");
            figures.put("topic bytes before compaction", before);
            figures.put("topic bytes after compaction", last);
            figures.put("compaction settled (size unchanged for 5 s)", settled);
            figures.put("topic MB per million consents after compaction (bytes / distinct keys)",
                last / (double)plan.keys());
        }
    }

    private static long topicBytes(final Admin admin) throws Exception
    {
        final List<Integer> brokers = new ArrayList<>();
        for (final Node node : admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
        {
            brokers.add(node.id());
        }
        long bytes = 0;
        for (final Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions()
            .get(30, TimeUnit.SECONDS).values())
        {
            for (final LogDirDescription dir : dirs.values())
            {
                for (final Map.Entry<TopicPartition, ReplicaInfo> replica : dir.replicaInfos().entrySet())
                {
                    if (replica.getKey().topic().equals(TOPIC))
                    {
                        bytes += replica.getValue().size();
                    }
                }
            }
        }
        return bytes;
    }

    private ServerProcess startReplica(final String bootstrap, final Path dataDir, final List<Long> brandCodes,
        final long entries) throws Exception
    {
        final int[] ports = freePorts(2);
        final StringJoiner unbounded = new StringJoiner(",");
        brandCodes.forEach((brand) -> unbounded.add(Long.toString(brand)));
        final Path log = outDir.resolve("replica.log");
        // unbounded: the as-of is the watermark published at the start of the run, and the run may outlast the
        // freshness bound; whether a brand is fresh is not what is measured
        final ServerProcess replica = ServerProcess.start(List.of("--data-dir", dataDir.toString(), "--port",
            Integer.toString(ports[0]), "--http-port", Integer.toString(ports[1]), "--resp-port", "off",
            "--milter-port", "off", "--io-threads", "1", "--role", "replica", "--kafka-bootstrap", bootstrap,
            "--replication-topic", TOPIC, "--unbounded-brands", unbounded.toString(), "--entries-per-map",
            Long.toString(entries)), ports[0], ports[1], log);
        out.printf("replica pid %d on 127.0.0.1:%d (HTTP %d), data %s, log %s%n", replica.pid(), replica.port(),
            replica.httpPort(), dataDir, log);
        return replica;
    }

    private void bootstrap(final ServerProcess replica, final Map<String, Object> figures,
        final List<String> failures) throws Exception
    {
        final HttpClient http = HttpClient.newHttpClient();
        final long deadlineNs = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        final Path log = outDir.resolve("replica.log");
        while (true)
        {
            final Matcher matcher = CAUGHT_UP.matcher(Files.readString(log));
            if (matcher.find())
            {
                final long records = Long.parseLong(matcher.group(1));
                final double seconds = Double.parseDouble(matcher.group(2));
                out.printf("replica caught up: %,d records in %.1f s (its log)%n", records, seconds);
                figures.put("bootstrap: records read by the replica from empty", records);
                figures.put("bootstrap: seconds, from the follower's start to caught up", seconds);
                figures.put("bootstrap rate, records/s (target >= 500,000)", Double.parseDouble(matcher.group(3)));
                progress(Files.readString(log), figures);
                break;
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                failures.add("the replica did not catch up within 10 minutes; see " + log);
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        final HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
            replica.httpPort() + "/health/ready")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (ready.statusCode() != 200)
        {
            failures.add("caught up, but /health/ready answered " + ready.statusCode() + ": " + ready.body());
        }
    }

    /**
     * What the replica's log says of the bootstrap's course: the seconds before its first record, and its fastest
     * and median seconds (a replica just started warms up; the whole run's rate includes that).
     */
    private void progress(final String log, final Map<String, Object> figures)
    {
        final Matcher first = FIRST_RECORD.matcher(log);
        if (first.find())
        {
            figures.put("bootstrap: seconds from the follower's start to its first record", Double.parseDouble(
                first.group(1)));
        }
        final Matcher second = PROGRESS.matcher(log);
        final List<Long> seconds = new ArrayList<>();
        final StringJoiner rates = new StringJoiner(", ");
        while (second.find())
        {
            final long rate = Long.parseLong(second.group(1));
            seconds.add(rate);
            rates.add(Long.toString(rate));
        }
        if (!seconds.isEmpty())
        {
            out.printf("replica's rate second by second (its log): %s records/s%n", rates);
            Collections.sort(seconds);
            figures.put("bootstrap: fastest second, records/s", seconds.get(seconds.size() - 1));
            // the run's typical pace, which neither its warm-up nor one fast second decides
            figures.put("bootstrap: median second, records/s", seconds.get(seconds.size() / 2));
        }
    }

    /**
     * A sample of recipients, each answered by the replica as its last published record says.
     */
    private void sample(final FilterClient client, final Plan plan, final Map<String, Object> figures,
        final List<String> failures)
    {
        final long step = Math.max(1, plan.keys() / SAMPLE);
        int checked = 0;
        int wrong = 0;
        for (long key = 0; key < plan.keys(); key += step)
        {
            final CheckResult answer = check(client, plan, key);
            final Reason expected = plan.endsRet(key) ? Reason.REJECTED : Reason.CONSENT;
            if (answer.reason() != expected)
            {
                if (wrong++ < 5)
                {
                    failures.add("recipient " + Plan.recipient(key) + " of brand " + plan.brand(key) + ": " +
                        answer.verdict() + " " + answer.reason() + ", published " + expected);
                }
            }
            checked++;
        }
        out.printf("checked %,d sampled recipients on the replica: %,d answered otherwise than published%n", checked,
            wrong);
        figures.put("sampled recipients answered as published", (checked - wrong) + " of " + checked);
    }

    private static CheckResult check(final FilterClient client, final Plan plan, final long key)
    {
        return client.checkBlocking(plan.brand(key), io.iysfilter.protocol.codecs.Channel.MESAJ,
            io.iysfilter.protocol.codecs.RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Plan.recipient(key));
    }

    /**
     * Probes one at a time: a RET for a recipient holding ONAY, published as a fetcher publishes a page, then the
     * replica's answer polled (every 100 µs) until it flips; the time from the publish to the flipped answer.
     */
    private void latency(final Fetcher fetcher, final FilterClient client, final Plan plan, final int count,
        final Map<String, Object> figures, final List<String> failures) throws Exception
    {
        if (count == 0)
        {
            return;
        }
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final RecipientParser parser = new RecipientParser();
        final ParsedRecipient parsed = new ParsedRecipient();
        final ConsentChange change = new ConsentChange();
        final long budgetNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LATENCY_BUDGET_MS);
        long key = 1;
        int timedOut = 0;
        for (int probe = 0; probe < count && System.nanoTime() - budgetNs < 0; probe++)
        {
            while (plan.endsRet(key) || plan.updated(key))
            {
                key++;
            }
            if (key >= plan.keys())
            {
                break;
            }
            final CheckResult before = check(client, plan, key);
            if (before.verdict() != Verdict.ALLOW)
            {
                failures.add("probe " + probe + ": " + Plan.recipient(key) + " answered " + before.reason() +
                    " before its RET");
                break;
            }
            final long brand = plan.brand(key);
            parser.parse(Plan.recipient(key), parsed);
            final long creationSec = System.currentTimeMillis() / 1000 - 1;
            change.set(brand, Channel.MESAJ, RecipientType.BIREYSEL, parsed, 2, creationSec, creationSec, 1,
                plan.changes() + probe + 1, 0);
            final long startNs = System.nanoTime();
            fetcher.pipeline.publish(change, probe, fetcher.listener);
            fetcher.commit(brand, "probe-" + probe);
            final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(PROBE_TIMEOUT_MS);
            while (check(client, plan, key).reason() != Reason.REJECTED)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    break;
                }
                LockSupport.parkNanos(100_000);
            }
            final long elapsedNs = System.nanoTime() - startNs;
            if (elapsedNs > TimeUnit.MILLISECONDS.toNanos(PROBE_TIMEOUT_MS))
            {
                timedOut++;
            }
            histogram.recordValue(Math.min(elapsedNs, histogram.getHighestTrackableValue()));
            key++;
        }
        out.printf("latency probes: %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms, timed out %d%n",
            histogram.getTotalCount(), histogram.getValueAtPercentile(50) / 1e6,
            histogram.getValueAtPercentile(99) / 1e6, histogram.getMaxValue() / 1e6, timedOut);
        figures.put("latency probes (change published to the replica's answer flipped)", histogram.getTotalCount());
        figures.put("change to replica answer p50, ms", histogram.getValueAtPercentile(50) / 1e6);
        figures.put("change to replica answer p99, ms (target <= 50)", histogram.getValueAtPercentile(99) / 1e6);
        figures.put("change to replica answer max, ms", histogram.getMaxValue() / 1e6);
        if (timedOut > 0)
        {
            failures.add(timedOut + " latency probes never flipped within " + PROBE_TIMEOUT_MS + " ms");
        }
    }

    /**
     * @param count how many.
     * @return as many free ports on loopback, each bound once and released (another process may take one first).
     */
    static int[] freePorts(final int count) throws IOException
    {
        final int[] ports = new int[count];
        final java.net.ServerSocket[] held = new java.net.ServerSocket[count];
        try
        {
            for (int i = 0; i < count; i++)
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
}
