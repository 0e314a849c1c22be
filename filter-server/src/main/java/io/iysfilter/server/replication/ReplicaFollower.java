package io.iysfilter.server.replication;

import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.logging.LogLimiter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.agrona.collections.LongHashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A replica's follower (docs/REPLICATION.md §3): on its own thread {@code iys-replica}, reads every partition of the
 * replication topic (assigned, no consumer group, {@code read_committed}: an aborted or open transaction's records are
 * never seen) from the offsets in {@code <data-dir>/replica.offsets}, or from the beginning when there are none, and
 * applies each record through the single writer: a consent change under the key the fetcher's writer derived, a
 * watermark as the brand's as-of time, a cursor kept for a fetcher fail-over.
 * <p>
 * Durability: the offsets are replaced durably only after a barrier has shown every change before them applied and
 * the brands they touched are forced, at the rhythm {@link #checkpointDue} sets, when the bootstrap is caught up, and
 * at close; so a kill at any instant loses nothing: the next start re-applies what followed the stored offsets, and
 * the index, last-writer-wins in İYS order, ends the same.
 * <p>
 * A record that does not decode, or that the writer refuses for a reason other than its date, is quarantined
 * ({@link ReplicaQuarantine}) and counted, never applied, and the follower goes on; but it freezes the as-of of its
 * brand (of every brand of its partition when its key does not name one): later watermarks of a frozen brand are
 * counted and not applied, so the brand turns STALE past its bound instead of answering without the change (a RET
 * among them). A freeze is stored with the offsets and lasts until the replica is rebuilt.
 * <p>
 * A change the writer refuses as from the future (the fetcher's writer took it, so this replica's clock is behind the
 * fetcher's by more than the allowed skew) is never set aside: a RET lost that way would leave an ALLOW standing. The
 * follower holds at its stored offsets and retries after a back-off until its clock reaches the change, and it settles
 * every change it published before it applies a watermark, so no as-of ever advances past a change the index has not
 * taken: the brands turn STALE past their bound instead. A store that cannot take a change (disk full) makes the
 * follower go back to its stored offsets and retry after a back-off the same way, before any watermark after it is
 * applied. A change of the topic's partition count stops the follower with the reason: the offsets no longer say what
 * is applied, and the brands' as-of times stop, so their answers turn STALE past the freshness bound.
 */
public final class ReplicaFollower implements AutoCloseable
{
    /** The replica's offsets in the data directory: a data directory holding it is a replica's. */
    public static final String OFFSETS_FILE = ReplicaOffsets.FILE;
    /** The replica's quarantine in the data directory. */
    public static final String QUARANTINE_FILE = ReplicaQuarantine.FILE;
    /** Starting: the topic not yet found. */
    public static final String STARTING = "STARTING";
    /** Reading up to the end offsets taken at start. */
    public static final String BOOTSTRAPPING = "BOOTSTRAPPING";
    /** Caught up once, following. */
    public static final String FOLLOWING = "FOLLOWING";
    /** A failure: going back to the stored offsets after a back-off. */
    public static final String RETRYING = "RETRYING";
    /** Stopped for good: the topic is not the one the offsets were taken on. */
    public static final String REFUSED = "REFUSED";

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaFollower.class);
    private static final LogLimiter FAILURES = LogLimiter.everyTenSeconds();
    private static final LogLimiter QUARANTINES = LogLimiter.everyTenSeconds();
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration END_TIMEOUT = Duration.ofMillis(1_000);
    private static final long END_CHECK_MS = 1_000;
    /** At the catch-up rhythm, a checkpoint is due after this many times {@link ReplicaSettings#persistRecords()}. */
    static final long CATCH_UP_PERSIST_FACTOR = 50;
    private static final long PARTITION_CHECK_MS = 10_000;
    private static final long PROGRESS_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long JOIN_MS = 30_000;
    private static final int MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024;
    private static final long ROOM_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** No brand kept aside: never taken for a brand seen (a record of this brand is looked up every time). */
    private static final long NO_BRAND = Long.MIN_VALUE;
    /** Most consent changes handed to the writer in one claim of the ring (see {@link #flush}). */
    private static final int RUN_MAX = 256;

    private final ReplicaSettings settings;
    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final LongSupplier clock;
    private final TopicRecords records = new TopicRecords();
    // consent changes decoded and not yet handed to the writer, and their tags (follower thread only)
    private final ConsentChange[] run;
    private final long[] runTags;
    private int runCount;
    // brands whose creation was handed to the writer and not yet seen done (follower thread only)
    private final List<BrandCreation> creations = new ArrayList<>();
    private final ReplicaQuarantine quarantine;
    private final Outcomes outcomes = new Outcomes();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
    private final AtomicLong consents = new AtomicLong();
    private final AtomicLong watermarkRecords = new AtomicLong();
    private final AtomicLong cursorRecords = new AtomicLong();
    private final AtomicLong quarantined = new AtomicLong();
    private final AtomicLong heldWatermarks = new AtomicLong();
    private final Map<Long, String> frozenBrands = new ConcurrentHashMap<>();
    private final Map<Integer, String> frozenPartitions = new ConcurrentHashMap<>();
    // changes published to the writer since the last barrier (follower thread only)
    private boolean unsettled;
    private final AtomicLong failures = new AtomicLong();
    /** Checkpoints landed: offsets written after the changes before them were applied and forced. */
    private final AtomicLong checkpoints = new AtomicLong();
    private final Map<String, ReplicaOffsets.Cursor> cursors = new ConcurrentHashMap<>();
    // brands touched since the last checkpoint began, and brands known to exist (follower thread only; the last of
    // each is kept aside, so that a run of one brand's records looks nothing up)
    private final LongHashSet dirtyBrands = new LongHashSet();
    private final LongHashSet knownBrands = new LongHashSet();
    private long lastDirtyBrand = NO_BRAND;
    private long lastKnownBrand = NO_BRAND;
    private Checkpoint checkpoint;
    private volatile ExecutorService persister;
    /** Per record published: its bytes and place, until the writer has told what became of it (see drainFailures). */
    private final int pendingMask;
    private final long[] pendingSequence;
    private final int[] pendingPartition;
    private final long[] pendingOffset;
    private final long[] pendingBrand;
    private final byte[][] pendingKey;
    private final byte[][] pendingValue;
    private long sequence;
    private final long ringHighWater;
    private final long ringLowWater;
    private long roomWaits;
    private long[] persisted;
    private int partitionCount;
    private long sincePersist;
    private long lastPersistMs;
    /** The follower went back to its stored offsets after a failure, and no checkpoint has landed since. */
    private boolean retriedSincePersist;
    private volatile Partitions partitions;
    private volatile String state = STARTING;
    /** The Kafka id of the topic the stored offsets were read from; null when not known (no file, an older one). */
    private volatile String topicId;
    private volatile String lastError;
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;

    /**
     * Positions, ends and times per partition, written by the follower and read by status and metrics.
     */
    private static final class Partitions
    {
        final AtomicLongArray position;
        final AtomicLongArray end;
        final AtomicLongArray endCheckedMs;
        final AtomicLongArray lastRecordMs;

        Partitions(final int count)
        {
            position = new AtomicLongArray(count);
            end = new AtomicLongArray(count);
            endCheckedMs = new AtomicLongArray(count);
            lastRecordMs = new AtomicLongArray(count);
        }
    }

    /**
     * A brand as a replica serves it.
     *
     * @param partition   the brand's partition.
     * @param offset      the next offset of that partition the replica reads (every record before it applied).
     * @param lagRecords  the partition's end offset less that, or -1 before the end is known.
     * @param lagMs       now less the timestamp of the last record applied from the partition, or, when caught up,
     *                    less when its end was last seen reached; -1 when not known.
     * @param watermarkMs the newest watermark record applied for the brand (its as-of time), or 0.
     * @param frozen      why the brand's watermarks are no longer applied (a record of it, or of its partition,
     *                    was quarantined; until the replica is rebuilt), or null.
     */
    public record BrandStatus(int partition, long offset, long lagRecords, long lagMs, long watermarkMs, String frozen)
    {
    }

    /**
     * @param settings the topic and the client.
     * @param store    the index; its data directory holds the offsets.
     * @param pipeline the single writer.
     * @param clock    epoch ms, e.g. {@code System::currentTimeMillis}; tests pass their own.
     */
    public ReplicaFollower(
        final ReplicaSettings settings,
        final ConsentStore store,
        final IngestPipeline pipeline,
        final LongSupplier clock)
    {
        this.settings = settings;
        this.store = store;
        this.pipeline = pipeline;
        this.clock = clock;
        this.quarantine = new ReplicaQuarantine(store.dataDirectory(), settings.quarantineMaxBytes());
        ringHighWater = pipeline.ringCapacity() - pipeline.ringCapacity() / 8;
        ringLowWater = pipeline.ringCapacity() / 2;
        // a run is at most an eighth of the ring, so that a record's slot below is reused only after the writer told
        // of it (see drainFailures)
        run = new ConsentChange[Math.max(1, Math.min(RUN_MAX, pipeline.ringCapacity() / 8))];
        for (int i = 0; i < run.length; i++)
        {
            run[i] = new ConsentChange();
        }
        runTags = new long[run.length];
        final int capacity = 2 * pipeline.ringCapacity();
        pendingMask = capacity - 1;
        pendingSequence = new long[capacity];
        pendingPartition = new int[capacity];
        pendingOffset = new long[capacity];
        pendingBrand = new long[capacity];
        pendingKey = new byte[capacity][];
        pendingValue = new byte[capacity][];
    }

    /**
     * Read the stored offsets and start the follower thread.
     *
     * @return this.
     * @throws IOException when the offsets file cannot be read.
     */
    public ReplicaFollower start() throws IOException
    {
        final ReplicaOffsets.State stored = ReplicaOffsets.read(store.dataDirectory());
        if (!stored.empty() && !stored.topic().equals(settings.topic()))
        {
            throw new IOException(store.dataDirectory().resolve(ReplicaOffsets.FILE) + " holds offsets of topic " +
                stored.topic() + ", not of replication-topic " + settings.topic() + ": move the file away to " +
                "bootstrap this replica from the beginning of the new topic");
        }
        partitionCount = stored.partitions();
        persisted = new long[Math.max(partitionCount, 0)];
        Arrays.fill(persisted, -1);
        for (final Map.Entry<Integer, Long> offset : stored.offsets().entrySet())
        {
            persisted[offset.getKey()] = offset.getValue();
        }
        topicId = stored.topicId();
        cursors.putAll(stored.cursors());
        frozenBrands.putAll(stored.frozenBrands());
        frozenPartitions.putAll(stored.frozenPartitions());
        if (!frozenBrands.isEmpty() || !frozenPartitions.isEmpty())
        {
            LOG.error("replica: watermarks NOT applied (a record was quarantined; rebuild the replica, see " +
                "docs/OPERATIONS.md) for brands {} and every brand of partitions {}", frozenBrands.keySet(),
                frozenPartitions.keySet());
        }
        LOG.info("replica: topic={}, bootstrap={}, stored offsets={}", settings.topic(), settings.bootstrapServers(),
            stored.empty() ? "none (bootstrap from the beginning)" : stored.offsets());
        thread = new Thread(this::run, "iys-replica");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /**
     * @return completes once the replica has read up to the end offsets taken at its start and applied it all.
     */
    public CompletableFuture<Void> caughtUp()
    {
        return caughtUp;
    }

    /**
     * @return whether the first bootstrap reached the end offsets: before it the server is not ready.
     */
    public boolean isCaughtUp()
    {
        return caughtUp.isDone() && !caughtUp.isCompletedExceptionally();
    }

    /**
     * @return {@link #STARTING}, {@link #BOOTSTRAPPING}, {@link #FOLLOWING}, {@link #RETRYING} or {@link #REFUSED}.
     */
    public String state()
    {
        return state;
    }

    /**
     * @return the last failure, or null.
     */
    public String lastError()
    {
        return lastError;
    }

    /**
     * @param brandCode a brand.
     * @return how this replica serves it, or null before the topic's partitions are known.
     */
    public BrandStatus status(final long brandCode)
    {
        final Partitions known = partitions;
        if (known == null)
        {
            return null;
        }
        final int partition = TopicRecords.partition(brandCode, known.position.length());
        final long position = known.position.get(partition);
        final long end = known.end.get(partition);
        final long lag = known.endCheckedMs.get(partition) == 0 ? -1 : Math.max(0, end - position);
        final long since = lag == 0 ? known.endCheckedMs.get(partition) : known.lastRecordMs.get(partition);
        // the watermark the index applied (the as-of this replica serves), not the newest one read from the topic
        final BrandIndex index = store.brand(brandCode);
        return new BrandStatus(partition, position, lag, since == 0 ? -1 : Math.max(0, clock.getAsLong() - since),
            index == null ? 0 : index.watermarkMs(), frozen(brandCode, partition));
    }

    private String frozen(final long brandCode, final int partition)
    {
        final String brandReason = frozenBrands.get(brandCode);
        return brandReason != null ? brandReason : frozenPartitions.get(partition);
    }

    /**
     * @return records behind the end offsets, summed over the partitions (0 before they are known).
     */
    public long lagRecords()
    {
        final Partitions known = partitions;
        long lag = 0;
        if (known != null)
        {
            for (int i = 0; i < known.position.length(); i++)
            {
                lag += Math.max(0, known.end.get(i) - known.position.get(i));
            }
        }
        return lag;
    }

    /**
     * @param brandCode a brand.
     * @param source    {@code HS} or {@code IYS}.
     * @return the fetcher's newest cursor this replica read for them, or null.
     */
    public String cursor(final long brandCode, final String source)
    {
        final ReplicaOffsets.Cursor cursor = cursors.get(ReplicaOffsets.cursorKey(brandCode, source));
        return cursor == null ? null : cursor.cursor();
    }

    /**
     * @param brandCode a brand.
     * @param source    {@code HS} or {@code IYS}.
     * @return when İYS last answered the source's end from the newest cursor read, or 0 (a fetcher taking over).
     */
    long cursorAcceptedMs(final long brandCode, final String source)
    {
        final ReplicaOffsets.Cursor cursor = cursors.get(ReplicaOffsets.cursorKey(brandCode, source));
        return cursor == null ? 0 : cursor.acceptedMs();
    }

    /**
     * @return null when no brand or partition is frozen by a quarantined record; otherwise which are (their
     * watermarks are held, and the records set aside are missing from the index).
     */
    public String frozen()
    {
        if (frozenBrands.isEmpty() && frozenPartitions.isEmpty())
        {
            return null;
        }
        return "brands " + frozenBrands.keySet() + ", partitions " + frozenPartitions.keySet();
    }

    /**
     * @return the count of consent records read.
     */
    public long consents()
    {
        return consents.get();
    }

    /**
     * @return checkpoints landed since start: each wrote the offsets after forcing the changes before them.
     */
    public long checkpoints()
    {
        return checkpoints.get();
    }

    /**
     * @return records set aside: undecodable or refused by the writer.
     */
    public long quarantined()
    {
        return quarantined.get();
    }

    /**
     * @return watermark records not applied because their brand is frozen by a quarantined record.
     */
    public long heldWatermarks()
    {
        return heldWatermarks.get();
    }

    /**
     * @return failures the follower went back to its stored offsets after.
     */
    public long failures()
    {
        return failures.get();
    }

    /**
     * Bind the replica's meters, once.
     *
     * @param registry the registry Prometheus scrapes.
     */
    public void bindTo(final MeterRegistry registry)
    {
        FunctionCounter.builder("iys_replication_consumed", consents, AtomicLong::get).tag("kind", "consent")
            .description("records read from the replication topic, by kind").register(registry);
        FunctionCounter.builder("iys_replication_consumed", watermarkRecords, AtomicLong::get)
            .tag("kind", "watermark").description("records read from the replication topic, by kind")
            .register(registry);
        FunctionCounter.builder("iys_replication_consumed", cursorRecords, AtomicLong::get).tag("kind", "cursor")
            .description("records read from the replication topic, by kind").register(registry);
        FunctionCounter.builder("iys_replication_quarantined", quarantined, AtomicLong::get)
            .description("records set aside, never applied: undecodable or refused by the writer")
            .register(registry);
        FunctionCounter.builder("iys_replication_watermarks_held", heldWatermarks, AtomicLong::get)
            .description("watermark records not applied: their brand is frozen by a quarantined record")
            .register(registry);
        FunctionCounter.builder("iys_replication_checkpoints", checkpoints, AtomicLong::get)
            .description("checkpoints landed: the replica's offsets written after the changes before them were " +
                "applied and forced").register(registry);
        FunctionCounter.builder("iys_replication_failures", failures, AtomicLong::get)
            .description("failures after which the replica went back to its stored offsets").register(registry);
        Gauge.builder("iys_replication_lag_records", this, ReplicaFollower::lagRecords)
            .description("records of the replication topic not yet read, summed over its partitions")
            .register(registry);
        Gauge.builder("iys_replication_caught_up", this, (f) -> f.isCaughtUp() ? 1 : 0)
            .description("1 once the replica's first bootstrap reached the topic's end").register(registry);
    }

    /**
     * Stop the follower: it persists the offsets of everything it applied, then its thread ends. Call before the
     * pipeline is closed.
     */
    @Override
    public void close()
    {
        running = false;
        stopping.countDown();
        final KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null)
        {
            current.wakeup();
        }
        if (thread != null)
        {
            if (!Joins.join(thread, JOIN_MS))
            {
                LOG.error("replica follower did not stop in {} ms", JOIN_MS);
            }
        }
        final ExecutorService writing = persister;
        if (writing != null)
        {
            // a write handed over before a failure may still be under way: done before the store may be closed
            writing.shutdown();
            try
            {
                if (!writing.awaitTermination(JOIN_MS, TimeUnit.MILLISECONDS))
                {
                    LOG.error("replica offsets' write did not end in {} ms", JOIN_MS);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        caughtUp.completeExceptionally(new IllegalStateException("the replica stopped"));
    }

    private void run()
    {
        long backoffMs = 1_000;
        while (running)
        {
            try (KafkaConsumer<byte[], byte[]> opened = newConsumer())
            {
                consumer = opened;
                if (!running)
                {
                    return;
                }
                follow(opened);
                return;
            }
            catch (final RefusedException ex)
            {
                state = REFUSED;
                lastError = ex.getMessage();
                LOG.error("replica STOPPED following the topic: {}. Its brands' as-of times stop and their answers " +
                    "turn STALE past the freshness bound; see docs/OPERATIONS.md (rebuild a replica)",
                    ex.getMessage());
                return;
            }
            catch (final WakeupException ex)
            {
                if (!running)
                {
                    return;
                }
                failed(ex, backoffMs);
            }
            catch (final Throwable ex)
            {
                if (!running && ex instanceof org.apache.kafka.common.errors.InterruptException)
                {
                    return;
                }
                failed(ex, backoffMs);
            }
            finally
            {
                consumer = null;
            }
            if (awaitStop(backoffMs))
            {
                return;
            }
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
    }

    private void failed(final Throwable ex, final long backoffMs)
    {
        failures.getAndIncrement();
        state = RETRYING;
        retriedSincePersist = true;
        lastError = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        final long suppressed = FAILURES.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.error("replica follower failed, going back to its stored offsets in {} ms: {}, suppressedSinceLast={}",
                backoffMs, lastError, suppressed, ex);
        }
    }

    private boolean awaitStop(final long ms)
    {
        try
        {
            return stopping.await(ms, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private KafkaConsumer<byte[], byte[]> newConsumer()
    {
        final Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        // a bootstrap reads whole partitions: fewer, larger fetches (Kafka's default is 1 MiB a partition); the
        // client's kafka-properties may say otherwise
        config.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_PARTITION_FETCH_BYTES);
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "iys-replica");
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Assign every partition, seek to the stored offsets, bootstrap, then follow until stopped. Returns only when
     * stopped, after persisting; throws on any failure, after which the caller starts again from the stored offsets.
     */
    private void follow(final KafkaConsumer<byte[], byte[]> kafka) throws Exception
    {
        outcomes.reset();
        unsettled = false;
        // a checkpoint a failure interrupted is dropped: the offsets go back to the stored ones (one whose write was
        // handed over still lands, and is as true as when it was taken)
        checkpoint = null;
        lastDirtyBrand = NO_BRAND;
        runCount = 0;
        // a creation a failure interrupted may not have happened: every brand is looked up again
        creations.clear();
        knownBrands.clear();
        lastKnownBrand = NO_BRAND;
        final List<TopicPartition> assigned = awaitTopic(kafka);
        if (assigned == null)
        {
            return;
        }
        checkTopicId();
        final int count = assigned.size();
        if (partitionCount == 0)
        {
            partitionCount = count;
            persisted = new long[count];
            Arrays.fill(persisted, -1);
        }
        else if (count != partitionCount)
        {
            throw refusedCount(count);
        }
        final Partitions known = partitions != null && partitions.position.length() == count ? partitions :
            new Partitions(count);
        seekStored(kafka, assigned, known);
        partitions = known;
        final long[] bootstrapEnd = caughtUp.isDone() ? null : endOffsets(kafka, assigned, known, true);
        final long startedNs = System.nanoTime();
        final long startedRecords = recordsRead();
        state = caughtUp.isDone() ? FOLLOWING : BOOTSTRAPPING;
        lastPersistMs = clock.getAsLong();
        long lastEndCheckMs = lastPersistMs;
        long lastPartitionCheckMs = lastPersistMs;
        final Progress progress = new Progress(startedNs, startedRecords);
        try
        {
            while (running)
            {
                final ConsumerRecords<byte[], byte[]> batch = kafka.poll(POLL);
                progress.polled(batch.isEmpty());
                applyAll(batch, known);
                for (final TopicPartition partition : assigned)
                {
                    known.position.set(partition.partition(), kafka.position(partition));
                }
                final long nowMs = clock.getAsLong();
                if (!caughtUp.isDone())
                {
                    bootstrapStep(kafka, assigned, bootstrapEnd, progress);
                }
                if (nowMs - lastEndCheckMs >= END_CHECK_MS)
                {
                    lastEndCheckMs = nowMs;
                    endOffsets(kafka, assigned, known, false);
                }
                if (nowMs - lastPartitionCheckMs >= PARTITION_CHECK_MS)
                {
                    lastPartitionCheckMs = nowMs;
                    final List<PartitionInfo> infos = kafka.partitionsFor(settings.topic(), END_TIMEOUT);
                    if (infos != null && !infos.isEmpty() && infos.size() != partitionCount)
                    {
                        persist(kafka, assigned);
                        throw refusedCount(infos.size());
                    }
                }
                checkpointIfDue(kafka, assigned, nowMs);
                if (state == RETRYING && caughtUp.isDone())
                {
                    state = FOLLOWING;
                }
            }
        }
        catch (final WakeupException ex)
        {
            if (running)
            {
                throw ex;
            }
        }
        try
        {
            persist(kafka, assigned);
        }
        catch (final WakeupException ex)
        {
            // the stop's wakeup reached a consumer call of the last persist: once more, the wakeup is spent
            persist(kafka, assigned);
        }
    }

    private void applyAll(final ConsumerRecords<byte[], byte[]> batch, final Partitions known) throws Exception
    {
        for (final ConsumerRecord<byte[], byte[]> record : batch)
        {
            apply(record, known);
        }
        // every record before the positions taken next is in the ring before any barrier behind them
        flush();
    }

    /**
     * Before the first bootstrap is caught up: once the positions reach the end offsets taken at start, persist and
     * say so; until then, log the progress once a second.
     */
    private void bootstrapStep(
        final KafkaConsumer<byte[], byte[]> kafka,
        final List<TopicPartition> assigned,
        final long[] bootstrapEnd,
        final Progress progress) throws Exception
    {
        if (bootstrapEnd != null && reached(partitions, bootstrapEnd))
        {
            persist(kafka, assigned);
            bootstrapped(progress);
        }
        else
        {
            progress.log();
        }
    }

    private long recordsRead()
    {
        return consents.get() + watermarkRecords.get() + cursorRecords.get();
    }

    private void bootstrapped(final Progress progress)
    {
        final double seconds = Math.max(1e-9, (System.nanoTime() - progress.startedNs) / 1e9);
        final long read = recordsRead() - progress.startedRecords;
        LOG.info("replica caught up with the topic's end offsets taken at start: records={}, seconds={}, " +
            "recordsPerSecond={}, quarantined={}, waitedForTheWriterMs={}, secondsToFirstRecord={}", read,
            String.format("%.1f", seconds), (long)(read / seconds), quarantined.get(), roomWaits,
            progress.firstRecordNs == 0 ? "-" : String.format("%.2f", (progress.firstRecordNs - progress.startedNs) /
            1e9));
        state = FOLLOWING;
        lastError = null;
        caughtUp.complete(null);
    }

    /**
     * Move the checkpoint under way on, or begin one when {@link #checkpointDue} says one is due.
     */
    private void checkpointIfDue(
        final KafkaConsumer<byte[], byte[]> kafka, final List<TopicPartition> assigned, final long nowMs)
        throws Exception
    {
        if (checkpoint != null)
        {
            advanceCheckpoint(false);
        }
        if (checkpoint == null && checkpointDue(settings, sincePersist, nowMs - lastPersistMs, !caughtUp.isDone(),
            retriedSincePersist, caughtUp.isDone() ? lagRecords() : 0))
        {
            beginCheckpoint(kafka, assigned);
        }
    }

    /**
     * Whether a checkpoint is due. Every force writes the maps' dirty pages back and the kernel write-protects them,
     * so the writer's next store into each of them faults again: while the replica is filling its maps (its first
     * bootstrap, which ends with a checkpoint of its own, or more than {@link ReplicaSettings#persistRecords()}
     * behind) checkpoints come at the catch-up rhythm, else every {@link ReplicaSettings#persistIntervalMs()} or
     * {@link ReplicaSettings#persistRecords()} records. After a failure, until a checkpoint lands, they come at the
     * near rhythm too: each retry starts from the stored offsets, so they must move up to the change that failed.
     *
     * @param settings      the rhythms.
     * @param records       records read since the last checkpoint began.
     * @param sinceMs       time since the last checkpoint began.
     * @param bootstrapping the first bootstrap is not caught up yet.
     * @param retried       the follower went back to its stored offsets since the last checkpoint landed.
     * @param lagRecords    how far behind the topic's end the replica is, once caught up.
     * @return whether to begin one.
     */
    static boolean checkpointDue(
        final ReplicaSettings settings,
        final long records,
        final long sinceMs,
        final boolean bootstrapping,
        final boolean retried,
        final long lagRecords)
    {
        if (records == 0)
        {
            return false;
        }
        if (!retried && (bootstrapping || lagRecords > settings.persistRecords()))
        {
            // the records bound still caps what a kill replays, and a wall clock stepped back cannot stop it
            // divided, not multiplied: a persistRecords of Long.MAX_VALUE ("never by count") must not overflow
            return sinceMs >= settings.catchUpPersistIntervalMs() ||
                records / CATCH_UP_PERSIST_FACTOR >= settings.persistRecords();
        }
        return records >= settings.persistRecords() || sinceMs >= settings.persistIntervalMs();
    }

    private void seekStored(
        final KafkaConsumer<byte[], byte[]> kafka, final List<TopicPartition> assigned, final Partitions known)
    {
        kafka.assign(assigned);
        for (final TopicPartition partition : assigned)
        {
            final long offset = persisted[partition.partition()];
            if (offset >= 0)
            {
                kafka.seek(partition, offset);
            }
            else
            {
                kafka.seekToBeginning(List.of(partition));
            }
        }
        for (final TopicPartition partition : assigned)
        {
            known.position.set(partition.partition(), kafka.position(partition, END_TIMEOUT.multipliedBy(30)));
        }
    }

    /**
     * @return the topic's partitions, waiting (and saying so) while it does not exist; null when stopped first.
     */
    private List<TopicPartition> awaitTopic(final KafkaConsumer<byte[], byte[]> kafka)
    {
        boolean logged = false;
        while (running)
        {
            final List<PartitionInfo> infos = kafka.partitionsFor(settings.topic(), END_TIMEOUT.multipliedBy(10));
            if (infos != null && !infos.isEmpty())
            {
                final List<TopicPartition> assigned = new ArrayList<>(infos.size());
                for (int i = 0; i < infos.size(); i++)
                {
                    assigned.add(new TopicPartition(settings.topic(), i));
                }
                return assigned;
            }
            if (!logged)
            {
                LOG.warn("replica: topic {} does not exist yet (the fetcher creates it); waiting for it",
                    settings.topic());
                logged = true;
            }
            lastError = "topic " + settings.topic() + " does not exist yet";
            if (awaitStop(1_000))
            {
                return null;
            }
        }
        return null;
    }

    /**
     * The topic was deleted and created again under its name (another Kafka id than the stored offsets were read
     * from): those offsets say nothing about it, so the replica reads it from the beginning, over the index it has
     * (docs/REPLICATION.md §3.3: last-writer-wins in İYS order keeps every key at the newer of the two, and the
     * as-of never moves back), not ready until it has reached the end.
     */
    private void checkTopicId() throws IOException
    {
        final Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        final String id = TopicIds.of(config, settings.topic());
        final String stored = topicId;
        if (id != null && stored != null && !id.equals(stored))
        {
            LOG.warn("replica: topic {} was created again (id {}, the stored offsets were read from id {}): " +
                "reading it from the beginning over the index kept; not ready until caught up", settings.topic(), id,
                stored);
            partitionCount = 0;
            persisted = new long[0];
            partitions = null;
            cursors.clear();
            lastError = "topic " + settings.topic() + " was created again (id " + id + ", offsets of id " + stored +
                "): reading it from the beginning";
        }
        if (id != null)
        {
            topicId = id;
        }
    }

    private RefusedException refusedCount(final int count)
    {
        return new RefusedException("topic " + settings.topic() + " has " + count + " partitions where this " +
            "replica's offsets were taken on " + partitionCount + ": a partition count change moves brands to other " +
            "partitions, so the offsets no longer say what is applied. Rebuild the replica (move " +
            ReplicaOffsets.FILE + " and the brand indexes away) or restore the partition count");
    }

    private static boolean reached(final Partitions known, final long[] end)
    {
        for (int i = 0; i < end.length; i++)
        {
            if (known.position.get(i) < end[i])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * The partitions' end offsets (last stable offsets under {@code read_committed}), noted with the time seen.
     *
     * @param retry true to wait until they are known (the bootstrap needs them), false to give up after a timeout.
     * @return them, or null when not known.
     */
    private long[] endOffsets(
        final KafkaConsumer<byte[], byte[]> kafka,
        final List<TopicPartition> assigned,
        final Partitions known,
        final boolean retry)
    {
        while (running)
        {
            try
            {
                final Map<TopicPartition, Long> ends = kafka.endOffsets(assigned, END_TIMEOUT);
                final long nowMs = clock.getAsLong();
                final long[] end = new long[assigned.size()];
                for (final TopicPartition partition : assigned)
                {
                    end[partition.partition()] = ends.get(partition);
                    known.end.set(partition.partition(), end[partition.partition()]);
                    known.endCheckedMs.set(partition.partition(), nowMs);
                }
                return end;
            }
            catch (final org.apache.kafka.common.errors.TimeoutException ex)
            {
                if (!retry)
                {
                    return null;
                }
                lastError = "the topic's end offsets are not known: " + ex.getMessage();
            }
        }
        return null;
    }

    private void apply(final ConsumerRecord<byte[], byte[]> record, final Partitions known) throws Exception
    {
        drainFailures();
        sincePersist++;
        final int kind;
        try
        {
            kind = records.decode(record.key(), record.value());
        }
        catch (final IllegalArgumentException ex)
        {
            quarantine(record.partition(), record.offset(), "does not decode: " + ex.getMessage(), record.key(),
                record.value(), records.keyBrand());
            return;
        }
        // read for the status only: no fence per record
        known.lastRecordMs.lazySet(record.partition(), record.timestamp());
        final long brand = records.brand();
        if (kind == TopicRecords.CONSENT)
        {
            consents.getAndIncrement();
            ensureBrand(brand);
            records.fill(run[runCount]);
            final long tag = ++sequence;
            final int slot = (int)(tag & pendingMask);
            pendingSequence[slot] = tag;
            pendingPartition[slot] = record.partition();
            pendingOffset[slot] = record.offset();
            pendingBrand[slot] = brand;
            pendingKey[slot] = record.key();
            pendingValue[slot] = record.value();
            runTags[runCount++] = tag;
            if (runCount == run.length)
            {
                flush();
            }
            touched(brand);
        }
        else if (kind == TopicRecords.WATERMARK)
        {
            // every change published before the watermark must be in the index before the as-of moves past it
            settle();
            watermarkRecords.getAndIncrement();
            if (partitionCount > 0 && frozen(brand, TopicRecords.partition(brand, partitionCount)) != null)
            {
                // a change of this brand was set aside: an as-of past it would answer as if it were applied
                heldWatermarks.getAndIncrement();
                return;
            }
            ensureBrand(brand);
            final long watermarkMs = records.watermarkMs();
            pipeline.advanceWatermark(brand, watermarkMs).whenComplete((ignored, failure) ->
            {
                if (failure != null)
                {
                    outcomes.storeFailure.compareAndSet(null, "watermark of brand " + brand + ": " + failure);
                }
            });
            touched(brand);
        }
        else
        {
            cursorRecords.getAndIncrement();
            cursors.put(ReplicaOffsets.cursorKey(brand, TopicRecords.sourceName(records.source())),
                new ReplicaOffsets.Cursor(records.cursor(), records.acceptedMs()));
        }
    }

    /**
     * Wait until the writer has told of every change published so far; go back to the stored offsets when it
     * could not store one (disk full) or refused one as from the future, and quarantine (and freeze the brands of)
     * those it refused otherwise.
     */
    private void settle() throws Exception
    {
        flush();
        if (unsettled)
        {
            try
            {
                pipeline.barrier().get();
            }
            catch (final ExecutionException ex)
            {
                throw new IOException("index writer failed", ex.getCause());
            }
            unsettled = false;
        }
        checkOutcomes();
    }

    private void checkOutcomes() throws IOException
    {
        checkCreations();
        final String storeFailure = outcomes.storeFailure.getAndSet(null);
        if (storeFailure != null)
        {
            outcomes.failures.clear();
            throw new IOException("the index could not take a change, going back to the stored offsets: " +
                storeFailure);
        }
        holdForTheFuture();
        drainFailures();
    }

    private void holdForTheFuture() throws IOException
    {
        final String future = outcomes.fromTheFuture.getAndSet(null);
        if (future != null)
        {
            outcomes.failures.clear();
            throw new IOException("a change from the future by this replica's clock (is it behind the fetcher's?): " +
                "holding at the stored offsets until the clock reaches it, so that neither it nor a watermark after " +
                "it is lost: " + future);
        }
    }

    /**
     * When the ring is nearly full (the writer is behind: a bootstrap), wait in steps of a millisecond until it is
     * half empty, rather than in the ring's own wait for the next free slot, which parks for a nanosecond at a time
     * and so wakes this thread for nearly every record the writer takes, taking CPU from the writer it waits for.
     */
    private void awaitRoom()
    {
        if (pipeline.backlog() < ringHighWater)
        {
            return;
        }
        while (running && pipeline.backlog() > ringLowWater)
        {
            roomWaits++;
            LockSupport.parkNanos(ROOM_PARK_NS);
        }
    }

    private void touched(final long brand)
    {
        if (brand != lastDirtyBrand || brand == NO_BRAND)
        {
            dirtyBrands.add(brand);
            lastDirtyBrand = brand;
        }
    }

    /**
     * Hand the writer the decoded changes not yet handed over, in one claim of the ring (the writer applies them one
     * by one, in order, each last-writer-wins, and tells of each under its tag): one claim and one wake-up per run,
     * not per change. Called when the run is full, after each poll's records (before the positions a checkpoint
     * takes), and before a watermark, a brand's creation or a barrier is published behind them.
     */
    private void flush()
    {
        if (runCount == 0)
        {
            return;
        }
        awaitRoom();
        pipeline.publish(run, runTags, runCount, outcomes);
        runCount = 0;
        unsettled = true;
    }

    /**
     * Make sure the brand's index exists before its first change reaches the writer: its creation is handed to the
     * writer ahead of the changes, without waiting for it (creating a brand's maps takes the writer a while, and the
     * follower reads on meanwhile). A creation that failed is found before any refusal behind it is quarantined
     * ({@link #checkCreations}), and sends the follower back to its stored offsets.
     */
    private void ensureBrand(final long brand)
    {
        if (brand == lastKnownBrand && brand != NO_BRAND || knownBrands.contains(brand))
        {
            lastKnownBrand = brand;
            return;
        }
        if (store.brand(brand) == null)
        {
            flush();
            final CompletableFuture<Void> created = pipeline.createBrand(brand);
            created.thenRun(() -> LOG.info("replica: brand {} created from the topic", brand));
            creations.add(new BrandCreation(brand, created));
        }
        knownBrands.add(brand);
        lastKnownBrand = brand;
    }

    /**
     * Throw when a brand's creation handed to the writer failed: the changes behind it were refused for want of the
     * index, which is the store's failure, not theirs, so they are not quarantined; the follower goes back to its
     * stored offsets and tries again after a back-off. The writer completes a creation before it takes the next
     * event, so a refusal of a change behind it is queued only after the creation's outcome is known here.
     */
    private void checkCreations() throws IOException
    {
        for (int i = creations.size() - 1; i >= 0; i--)
        {
            final BrandCreation creation = creations.get(i);
            if (!creation.created.isDone())
            {
                continue;
            }
            try
            {
                creation.created.get();
            }
            catch (final ExecutionException ex)
            {
                outcomes.failures.clear();
                throw new IOException("cannot create the index of brand " + creation.brand, ex.getCause());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", ex);
            }
            creations.remove(i);
        }
    }

    /**
     * Quarantine the records the writer refused. Called before each record's slot is reused: a slot is reused only
     * after twice the ring's capacity of records, and the ring and the run not yet handed over (at most an eighth of
     * the ring) hold less, so the writer has told of the record it held (each hand-over waits for ring space), and
     * its failure, if any, is already queued. A brand's creation that failed is found first.
     */
    private void drainFailures() throws IOException
    {
        if (!creations.isEmpty())
        {
            checkCreations();
        }
        Failure failure;
        while ((failure = outcomes.failures.poll()) != null)
        {
            if (!creations.isEmpty())
            {
                // a creation still running at the check above may have failed since, and this refusal be one of the
                // changes behind it: the writer completes a creation before it takes the next event, so it is known
                // now, and a failed one throws here rather than quarantining its changes
                checkCreations();
            }
            final int slot = (int)(failure.tag & pendingMask);
            if (pendingSequence[slot] == failure.tag)
            {
                quarantine(pendingPartition[slot], pendingOffset[slot], "index refused: " + failure.reason,
                    pendingKey[slot], pendingValue[slot], pendingBrand[slot]);
            }
            else
            {
                // not known which record: every partition's brands are frozen
                quarantine(-1, -1, "index refused record " + failure.tag + ": " + failure.reason, null, null, -1);
            }
        }
    }

    private void quarantine(
        final int partition,
        final long offset,
        final String reason,
        final byte[] key,
        final byte[] value,
        final long brand) throws IOException
    {
        freeze(partition, offset, reason, brand);
        quarantined.getAndIncrement();
        quarantine.add(partition, offset, reason, key, value);
        final long suppressed = QUARANTINES.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.error("replica quarantined a record of the topic, not applied: partition={}, offset={}, reason={}, " +
                "suppressedSinceLast={} (see {})", partition, offset, reason, suppressed, ReplicaQuarantine.FILE);
        }
    }

    /**
     * Stop applying the watermarks of the brand a quarantined record names, or of every brand of its partition
     * (of every partition when not known), until the replica is rebuilt.
     */
    private void freeze(final int partition, final long offset, final String reason, final long brand)
    {
        final String why = "a record was quarantined (partition=" + partition + " offset=" + offset + ": " +
            reason.replace('\n', ' ') + "); its brand's watermarks are not applied until the replica is rebuilt";
        if (brand > 0)
        {
            frozenBrands.putIfAbsent(brand, why);
        }
        else if (partition >= 0)
        {
            frozenPartitions.putIfAbsent(partition, why);
        }
        else
        {
            for (int i = 0; i < partitionCount; i++)
            {
                frozenPartitions.putIfAbsent(i, why);
            }
        }
    }

    /**
     * Persist the offsets of everything published so far and wait until they are on disk: the checkpoint under way
     * finished first, then a new one begun and finished (see {@link #beginCheckpoint}). A store failure throws,
     * leaving the stored offsets where they were.
     */
    private void persist(final KafkaConsumer<byte[], byte[]> kafka, final List<TopicPartition> assigned)
        throws Exception
    {
        while (checkpoint != null)
        {
            advanceCheckpoint(true);
        }
        beginCheckpoint(kafka, assigned);
        while (checkpoint != null)
        {
            advanceCheckpoint(true);
        }
        unsettled = false;
    }

    /**
     * Begin a checkpoint of everything published so far, without waiting for it: the partitions' positions (every
     * record before them is published to the ring) and the cursors read are taken now, and a barrier is published
     * behind those records. The follower goes on reading while the writer reaches the barrier; then
     * {@link #advanceCheckpoint} checks what the writer told of the changes before it, and the brands they touched
     * are forced and the offsets written on the thread {@code iys-replica-persist}, while the follower goes on. So
     * the stored offsets never pass a change that is not in the index on disk, and neither the barrier nor the
     * forces hold the reading up. One checkpoint at a time.
     */
    private void beginCheckpoint(final KafkaConsumer<byte[], byte[]> kafka, final List<TopicPartition> assigned)
    {
        flush();
        final long[] offsets = new long[assigned.size()];
        for (final TopicPartition partition : assigned)
        {
            offsets[partition.partition()] = kafka.position(partition);
        }
        final long[] brands = new long[dirtyBrands.size()];
        final LongHashSet.LongIterator dirty = dirtyBrands.iterator();
        for (int i = 0; i < brands.length; i++)
        {
            brands[i] = dirty.nextValue();
        }
        dirtyBrands.clear();
        lastDirtyBrand = NO_BRAND;
        checkpoint = new Checkpoint(topicId, offsets, Map.copyOf(cursors), brands, pipeline.barrier());
        sincePersist = 0;
        lastPersistMs = clock.getAsLong();
    }

    /**
     * Move the checkpoint under way on: once its barrier is passed, check the writer's outcomes (a store failure or a
     * change from the future throws: back to the stored offsets), quarantine its refusals and force the quarantine,
     * then hand the forces and the write to the persist thread; once that is done, the offsets are the stored ones.
     *
     * @param wait whether to wait for each step, or return at once when it is not done.
     */
    private void advanceCheckpoint(final boolean wait) throws Exception
    {
        final Checkpoint current = checkpoint;
        if (current.written == null)
        {
            if (!wait && !current.barrier.isDone())
            {
                return;
            }
            try
            {
                current.barrier.get();
            }
            catch (final ExecutionException ex)
            {
                throw new IOException("index writer failed", ex.getCause());
            }
            checkOutcomes();
            // the records set aside behind the new offsets are read no more: their lines must be on disk first
            quarantine.force();
            final Map<Long, String> brandsFrozen = Map.copyOf(frozenBrands);
            final Map<Integer, String> partitionsFrozen = Map.copyOf(frozenPartitions);
            current.written = CompletableFuture.runAsync(() -> write(current, brandsFrozen, partitionsFrozen),
                persister());
        }
        if (!wait && !current.written.isDone())
        {
            return;
        }
        try
        {
            current.written.get();
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("cannot persist the replica's offsets", ex.getCause());
        }
        persisted = current.offsets;
        checkpoint = null;
        retriedSincePersist = false;
        checkpoints.incrementAndGet();
    }

    /**
     * On the persist thread: force the brands touched before the checkpoint, then replace the offsets file.
     */
    private void write(
        final Checkpoint current, final Map<Long, String> brandsFrozen, final Map<Integer, String> partitionsFrozen)
    {
        try
        {
            for (final long brand : current.brands)
            {
                final BrandIndex index = store.brand(brand);
                if (index != null)
                {
                    index.force();
                }
            }
            ReplicaOffsets.write(store.dataDirectory(), settings.topic(), current.topicId, current.offsets,
                current.cursors, brandsFrozen, partitionsFrozen);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private ExecutorService persister()
    {
        if (persister == null)
        {
            persister = Executors.newSingleThreadExecutor((runnable) ->
            {
                final Thread persistThread = new Thread(runnable, "iys-replica-persist");
                persistThread.setDaemon(true);
                return persistThread;
            });
        }
        return persister;
    }

    /**
     * A checkpoint under way: the offsets and cursors taken, the brands touched before them, the barrier behind their
     * records, and once that is passed, the forces and the write.
     */
    private static final class Checkpoint
    {
        final String topicId;
        final long[] offsets;
        final Map<String, ReplicaOffsets.Cursor> cursors;
        final long[] brands;
        final CompletableFuture<Void> barrier;
        CompletableFuture<Void> written;

        Checkpoint(
            final String topicId,
            final long[] offsets,
            final Map<String, ReplicaOffsets.Cursor> cursors,
            final long[] brands,
            final CompletableFuture<Void> barrier)
        {
            this.topicId = topicId;
            this.offsets = offsets;
            this.cursors = cursors;
            this.brands = brands;
            this.barrier = barrier;
        }
    }

    /**
     * The topic is not the one the stored offsets were taken on.
     */
    private static final class RefusedException extends IllegalStateException
    {
        private static final long serialVersionUID = 1L;

        RefusedException(final String message)
        {
            super(message);
        }
    }

    /**
     * A bootstrap's progress (follower thread only): when it began and read its first record, and once a second the
     * rate since the last line, which shows the warm-up of a replica just started apart from its steady pace.
     */
    private final class Progress
    {
        final long startedNs;
        final long startedRecords;
        long firstRecordNs;
        long lastNs;
        long lastRecords;

        Progress(final long startedNs, final long startedRecords)
        {
            this.startedNs = startedNs;
            this.startedRecords = startedRecords;
            lastNs = startedNs;
            lastRecords = startedRecords;
        }

        void polled(final boolean empty)
        {
            if (firstRecordNs == 0 && !empty)
            {
                firstRecordNs = System.nanoTime();
            }
        }

        void log()
        {
            final long nowNs = System.nanoTime();
            if (nowNs - lastNs < TimeUnit.MILLISECONDS.toNanos(PROGRESS_MS))
            {
                return;
            }
            final long read = recordsRead();
            LOG.info("replica bootstrapping: records={}, recordsPerSecond={}, lagRecords={}", read - startedRecords,
                (read - lastRecords) * 1_000_000_000L / (nowNs - lastNs), lagRecords());
            lastNs = nowNs;
            lastRecords = read;
        }
    }

    /**
     * A brand's creation handed to the writer.
     *
     * @param brand   the brand.
     * @param created completes once its index exists.
     */
    private record BrandCreation(long brand, CompletableFuture<Void> created)
    {
    }

    /**
     * A change the writer refused.
     *
     * @param tag    the record's sequence.
     * @param reason why.
     */
    private record Failure(long tag, String reason)
    {
    }

    /**
     * Told by the writer what became of each change.
     */
    private static final class Outcomes implements IngestListener
    {
        final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
        final AtomicReference<String> storeFailure = new AtomicReference<>();
        final AtomicReference<String> fromTheFuture = new AtomicReference<>();
        final AtomicLong applied = new AtomicLong();
        final AtomicLong superseded = new AtomicLong();

        void reset()
        {
            failures.clear();
            storeFailure.set(null);
            fromTheFuture.set(null);
        }

        @Override
        public void onApplied(final long tag)
        {
            applied.getAndIncrement();
        }

        @Override
        public void onSuperseded(final long tag)
        {
            superseded.getAndIncrement();
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            failures.add(new Failure(tag, reason));
        }

        @Override
        public void onFromTheFuture(final long tag, final String reason)
        {
            fromTheFuture.compareAndSet(null, reason);
        }

        @Override
        public void onStoreFailure(final long tag, final String reason)
        {
            storeFailure.compareAndSet(null, reason);
        }
    }
}
