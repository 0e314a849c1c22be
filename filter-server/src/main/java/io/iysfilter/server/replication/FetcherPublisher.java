package io.iysfilter.server.replication;

import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.ingest.ChangeHandOff;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.iys.CursorPublication;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The fetcher's publisher for one term of office (docs/REPLICATION.md §2, §4): one thread,
 * {@code iys-replication-publisher}, that takes what the single writer handed over ({@link ChangeHandOff}: every
 * change the index now holds, every watermark) and the feed's cursors ({@link #publish}), and sends them to the
 * replication topic inside Kafka transactions of a producer whose {@code transactional.id} is the same on every
 * fetcher of the topic. {@link #start} takes the id ({@code initTransactions}): that fences whichever fetcher held it
 * before and aborts what it left open. {@link FetcherElection} starts one publisher each time this fetcher is elected,
 * and closes it when it steps down.
 * <p>
 * A transaction is committed when a cursor waits (the cursor's caller returns only after the commit, and persists
 * its cursor locally only then), and at least every {@link #COMMIT_INTERVAL_MS} otherwise. Slots of the hand-off are
 * released only when their transaction committed; a transaction that fails is aborted and its records sent again in
 * the next, and the cursors waiting on it are told (their feeds back off and retry). An epoch error
 * ({@link InvalidProducerEpochException}: the broker's transaction timeout aborted the transaction and bumped the
 * epoch, KIP-588) is such a failure: the client takes it as abortable, and the abort bumps the epoch again, or finds
 * the producer fenced. A fenced producer ({@link ProducerFencedException}) ends the term: {@link #trouble()} says so,
 * the hand-off is closed (the writer no longer waits on it) and every cursor from then on is refused with
 * {@link CursorPublication.PublicationStoppedException}, which stops the feeds; the election steps down. So does an
 * abort that fails ({@code "stopped: …"}), and a topic that has not taken a commit for {@link #STALL_LIMIT_MS} while
 * records wait: the writer must not wait on it without end. A publisher never takes the id again: a new term has a
 * new publisher, and only an elected fetcher starts one.
 */
public final class FetcherPublisher implements CursorPublication, AutoCloseable
{
    /**
     * The file in a fetcher's data directory naming its topic: {@code iys-filter import} refuses such a directory,
     * since what it writes offline would never be published.
     */
    public static final String MARKER_FILE = FetcherMarker.FILE;
    /** Longest a transaction holding records stays open. */
    public static final long COMMIT_INTERVAL_MS = 50;
    /** Slots of the hand-off from the writer: records the topic may fall behind by before the writer waits. */
    public static final int HAND_OFF_SLOTS = 1 << 16;
    /** Longest a feed waits for its cursor's commit before it backs off and retries. */
    static final long CURSOR_TIMEOUT_MS = 60_000;
    /** Longest the topic may take no commit while records wait before this fetcher stops publishing. */
    static final long STALL_LIMIT_MS = 300_000;
    private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long RETRY_BACKOFF_MS = 1_000;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(FetcherPublisher.class);

    private final ReplicationSettings settings;
    private final ChangeHandOff handOff;
    private final TopicRecords records = new TopicRecords();
    private final ConsentChange change = new ConsentChange();
    private final ConcurrentLinkedQueue<CursorRequest> cursors = new ConcurrentLinkedQueue<>();
    private final List<CursorRequest> inTransaction = new ArrayList<>();
    private final Thread thread;
    private final AtomicLong consents = new AtomicLong();
    private final AtomicLong watermarks = new AtomicLong();
    private final AtomicLong cursorsPublished = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final long commitIntervalNs;
    private final KafkaProducer<byte[], byte[]> producer;
    /** The topic's Kafka id, taken at start: {@link Republication} compares it with the data directory's mark. */
    private String topicId;
    private boolean open;
    private long openedNs;
    /** When the oldest record not yet committed was read from the hand-off; 0 when none waits. */
    private long uncommittedSinceNs;
    private int consentsInTransaction;
    private int watermarksInTransaction;
    private volatile boolean running = true;
    private volatile String stopped;
    private volatile boolean fenced;
    private volatile boolean crashed;
    private volatile boolean held;

    private record CursorRequest(long brand, int source, String cursor, long acceptedMs,
        CompletableFuture<Void> done)
    {
    }

    private FetcherPublisher(final ReplicationSettings settings,
        final ChangeHandOff handOff, final KafkaProducer<byte[], byte[]> producer, final long commitIntervalMs)
    {
        this.commitIntervalNs = TimeUnit.MILLISECONDS.toNanos(commitIntervalMs);
        this.settings = settings;
        this.handOff = handOff;
        this.producer = producer;
        this.thread = new Thread(this::run, "iys-replication-publisher");
        thread.setDaemon(true);
    }

    /**
     * Create the topic when it is absent (compacted; partitions and replication factor from the settings), refuse
     * an existing one whose partition count differs from the settings', take the transactional id (fencing any
     * fetcher that held it; its open transaction is aborted) and start publishing.
     *
     * @param settings the fetcher's settings.
     * @param handOff  what the single writer hands over.
     * @return the running publisher.
     * @throws IOException when the properties file cannot be read, the topic cannot be created or checked, or it has
     *                     another partition count.
     */
    public static FetcherPublisher start(final ReplicationSettings settings, final ChangeHandOff handOff)
        throws IOException
    {
        return start(settings, handOff, COMMIT_INTERVAL_MS);
    }

    /**
     * @param commitIntervalMs longest a transaction holding records stays open with no cursor waiting; tests hold
     *                         one open with a long interval.
     */
    static FetcherPublisher start(final ReplicationSettings settings, final ChangeHandOff handOff,
        final long commitIntervalMs) throws IOException
    {
        return start(settings, handOff, commitIntervalMs,
            (properties) -> new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer()));
    }

    /**
     * @param factory makes the one producer of this publisher from its properties (tests inject failures).
     */
    static FetcherPublisher start(final ReplicationSettings settings, final ChangeHandOff handOff,
        final long commitIntervalMs, final Function<Properties, KafkaProducer<byte[], byte[]>> factory)
        throws IOException
    {
        if (settings.role() != Role.FETCHER)
        {
            throw new IllegalArgumentException("only a fetcher publishes: role=" + settings.role().settingName());
        }
        final Properties client = clientProperties(settings);
        final String topicId = ensureTopic(settings, client);
        final Properties producerProperties = new Properties();
        producerProperties.putAll(client);
        producerProperties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId());
        producerProperties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producerProperties.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProperties.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        producerProperties.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "iys-filter-fetcher");
        final KafkaProducer<byte[], byte[]> producer = newProducer(producerProperties, factory);
        final FetcherPublisher publisher = new FetcherPublisher(settings, handOff, producer,
            commitIntervalMs);
        publisher.topicId = topicId;
        publisher.thread.start();
        LOG.info("publishing to Kafka: topic={}, partitions={}, transactionalId={}", settings.topic(),
            settings.partitions(), settings.transactionalId());
        return publisher;
    }

    /**
     * Create the topic when it is absent and refuse an existing one of another partition count, without taking the
     * transactional id: what a fetcher checks at start, before it stands for election.
     *
     * @param settings the fetcher's settings.
     * @throws IOException when the topic cannot be created or checked, or has another partition count.
     */
    static void checkTopic(final ReplicationSettings settings) throws IOException
    {
        ensureTopic(settings, clientProperties(settings));
    }

    /**
     * Mark a data directory as a fetcher's (durably, before anything is published from it): {@link #MARKER_FILE}
     * holding the topic's name, and the id of the topic its index was published to whole when it is this topic
     * ({@link FetcherMarker}, {@link Republication}).
     *
     * @param dataDirectory the fetcher's data directory.
     * @param topic         the replication topic it publishes to.
     * @throws IOException when the file cannot be written and forced.
     */
    public static void markDataDirectory(final Path dataDirectory, final String topic) throws IOException
    {
        FetcherMarker.markFetcher(dataDirectory, topic);
    }

    private static KafkaProducer<byte[], byte[]> newProducer(final Properties properties,
        final Function<Properties, KafkaProducer<byte[], byte[]>> factory) throws IOException
    {
        final KafkaProducer<byte[], byte[]> producer = factory.apply(properties);
        try
        {
            // aborts whatever the previous holder of the id left open, and fences it; once per term of office,
            // made only by an elected fetcher (FetcherElection): a stopped publisher never takes the id back
            producer.initTransactions();
            return producer;
        }
        catch (final RuntimeException ex)
        {
            producer.close(Duration.ZERO);
            throw new IOException("cannot take the transactional id " +
                properties.getProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG) + ": " + ex, ex);
        }
    }

    /**
     * @return the {@code kafka-properties} file's properties, then the brokers.
     */
    static Properties clientProperties(final ReplicationSettings settings) throws IOException
    {
        final Properties properties = new Properties();
        properties.putAll(settings.clientProperties());
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        return properties;
    }

    private static String ensureTopic(final ReplicationSettings settings, final Properties client) throws IOException
    {
        final Map<String, Object> config = new HashMap<>();
        client.forEach((key, value) -> config.put((String)key, value));
        try (Admin admin = Admin.create(config))
        {
            TopicDescription description = describe(admin, settings.topic());
            if (description == null)
            {
                final NewTopic topic = new NewTopic(settings.topic(), settings.partitions(),
                    settings.replicationFactor()).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                    TopicConfig.CLEANUP_POLICY_COMPACT));
                try
                {
                    admin.createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
                    LOG.info("created the replication topic {}: partitions={}, replicationFactor={}, compacted",
                        settings.topic(), settings.partitions(), settings.replicationFactor());
                }
                catch (final ExecutionException ex)
                {
                    if (!(ex.getCause() instanceof TopicExistsException))
                    {
                        throw ex;
                    }
                }
                // a new topic's metadata reaches the broker that answers a moment after the creation returns
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while ((description = describe(admin, settings.topic())) == null)
                {
                    if (System.nanoTime() - deadlineNs > 0)
                    {
                        throw new IOException("replication-topic " + settings.topic() + ": created, yet not " +
                            "described within 30 s");
                    }
                    Thread.sleep(100);
                }
            }
            final int partitions = description.partitions().size();
            if (partitions != settings.partitions())
            {
                throw new IOException("replication-topic " + settings.topic() + " has " + partitions +
                    " partitions, replication-partitions says " + settings.partitions() + ": every record of a brand " +
                    "is in the partition its code maps to, so the count of a topic in use must never change; set " +
                    "replication-partitions=" + partitions + " or name a new topic");
            }
            return description.topicId().toString();
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new IOException("cannot create or check the replication topic " + settings.topic() + " at " +
                settings.bootstrap() + ": " + (ex.getCause() != null ? ex.getCause() : ex), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted checking the replication topic", ex);
        }
    }

    /**
     * @return the topic's description, or null when it does not exist.
     */
    private static TopicDescription describe(final Admin admin, final String topic)
        throws ExecutionException, InterruptedException, TimeoutException
    {
        try
        {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof UnknownTopicOrPartitionException)
            {
                return null;
            }
            throw ex;
        }
    }

    @Override
    public void publish(final long brandCode, final String source, final String cursor, final long acceptedMs)
        throws IOException, InterruptedException
    {
        final String reason = stopped;
        if (reason != null)
        {
            throw new PublicationStoppedException(reason, null);
        }
        final CursorRequest request = new CursorRequest(brandCode, TopicRecords.source(source), cursor, acceptedMs,
            new CompletableFuture<>());
        cursors.add(request);
        LockSupport.unpark(thread);
        try
        {
            request.done().get(CURSOR_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof IOException failure)
            {
                throw failure instanceof PublicationStoppedException stop ?
                    new PublicationStoppedException(stop.getMessage(), stop.getCause()) :
                    new IOException(failure.getMessage(), failure);
            }
            throw new IOException("cursor not published: " + ex.getCause(), ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new IOException("the replication topic did not commit the cursor of brand " + brandCode + " " +
                source + " within " + CURSOR_TIMEOUT_MS + " ms (Kafka unreachable?); it is not persisted, the feed " +
                "retries");
        }
    }

    private void run()
    {
        while (running && stopped == null && !crashed)
        {
            try
            {
                if (held)
                {
                    // a paused zombie (tests): nothing is sent or committed until released
                    LockSupport.parkNanos(IDLE_PARK_NS);
                    continue;
                }
                if (!step())
                {
                    LockSupport.parkNanos(IDLE_PARK_NS);
                }
            }
            catch (final Throwable ex)
            {
                failed(ex);
            }
        }
        if (crashed)
        {
            // as a kill -9 would leave it: the open transaction neither committed nor aborted
            producer.close(Duration.ZERO);
            return;
        }
        if (stopped == null)
        {
            // closing: what the writer handed over before the feed and the writer stopped is committed, once
            try
            {
                step();
                if (open)
                {
                    commit();
                }
            }
            catch (final Throwable ex)
            {
                LOG.warn("the last transaction before closing failed: {}; the next fetcher re-fetches from the " +
                    "cursor the topic holds", ex.toString());
            }
        }
        handOff.close();
        failWaiting(new IOException("the publisher is closed"));
        producer.close(CLOSE_TIMEOUT);
    }

    /**
     * Send what waits; commit when a cursor waits or the transaction is old enough.
     *
     * @return whether there was anything to do.
     */
    boolean step()
    {
        // checked first: while Kafka fails, every step fails further down
        if (uncommittedSinceNs != 0 &&
            System.nanoTime() - uncommittedSinceNs > TimeUnit.MILLISECONDS.toNanos(STALL_LIMIT_MS))
        {
            stop("the replication topic took no commit for " + STALL_LIMIT_MS / 1000 + " s while " +
                handOff.pending() + " records waited", null, false);
            return true;
        }
        boolean busy = false;
        CursorRequest request;
        while ((request = cursors.poll()) != null)
        {
            if (handOff.discarding())
            {
                // a change was discarded at close: a cursor now would tell the next fetcher the topic holds it
                request.done().completeExceptionally(new CursorPublication.PublicationStoppedException(
                    "the server is closing and the replication topic is behind: changes were discarded, so no " +
                    "cursor is published past them", null));
                continue;
            }
            inTransaction.add(request);
        }
        // everything the writer applied before each cursor's call is handed over by now (the feed's barrier)
        int kind;
        while ((kind = handOff.poll(change)) != 0)
        {
            if (uncommittedSinceNs == 0)
            {
                uncommittedSinceNs = System.nanoTime();
            }
            begin();
            if (kind == ChangeHandOff.CONSENT)
            {
                send(change.brandCode(), records.consentKey(change), records.consentValue(change));
                consentsInTransaction++;
            }
            else
            {
                final long brand = handOff.watermarkBrand();
                send(brand, records.watermarkKey(brand), records.watermarkValue(brand, handOff.watermarkMs()));
                watermarksInTransaction++;
            }
            busy = true;
        }
        if (!inTransaction.isEmpty())
        {
            begin();
            for (final CursorRequest waiting : inTransaction)
            {
                send(waiting.brand(), records.cursorKey(waiting.brand(), waiting.source()),
                    records.cursorValue(waiting.brand(), waiting.source(), waiting.cursor(), waiting.acceptedMs()));
            }
            commit();
            return true;
        }
        final long nowNs = System.nanoTime();
        if (open && nowNs - openedNs >= commitIntervalNs)
        {
            commit();
            return true;
        }
        return busy;
    }

    private void begin()
    {
        if (!open)
        {
            producer.beginTransaction();
            open = true;
            openedNs = System.nanoTime();
        }
    }

    private void send(final long brand, final byte[] key, final byte[] value)
    {
        // a failed send fails the commit; the records are sent again after the abort
        producer.send(new ProducerRecord<>(settings.topic(), TopicRecords.partition(brand, settings.partitions()),
            key, value), (metadata, error) ->
            {
                if (error == null)
                {
                    sent.getAndIncrement();
                }
            });
    }

    private void commit()
    {
        producer.commitTransaction();
        open = false;
        uncommittedSinceNs = 0;
        handOff.release(handOff.readPosition());
        committed.getAndIncrement();
        consents.getAndAdd(consentsInTransaction);
        watermarks.getAndAdd(watermarksInTransaction);
        cursorsPublished.getAndAdd(inTransaction.size());
        consentsInTransaction = 0;
        watermarksInTransaction = 0;
        for (final CursorRequest request : inTransaction)
        {
            request.done().complete(null);
        }
        inTransaction.clear();
    }

    /**
     * A send or commit failed: fenced, this publisher stops; otherwise the transaction is aborted, its cursors told
     * and its records sent again in the next. An epoch error is abortable (KIP-588: the 4.x client marks the
     * transaction abortable and bumps the epoch at the abort, which fails as fenced if another fetcher took the id
     * meanwhile). An abort that fails stops this publisher: it never takes the transactional id again, since that
     * would fence a newer fetcher holding it; the election steps down and stands by.
     */
    private void failed(final Throwable failure)
    {
        if (isFenced(failure))
        {
            stop("fenced: another fetcher took the transactional id " + settings.transactionalId() + " of topic " +
                settings.topic() + "; this one publishes no more, stops following İYS and stands by", failure, true);
            return;
        }
        aborted.getAndIncrement();
        LOG.warn("replication transaction failed, aborted and retried: {}", failure.toString());
        try
        {
            if (open)
            {
                producer.abortTransaction();
            }
        }
        catch (final Throwable ex)
        {
            if (isFenced(ex))
            {
                stop("fenced while aborting: another fetcher took the transactional id " +
                    settings.transactionalId(), ex, true);
            }
            else
            {
                // taking the id again would fence whichever fetcher holds it now: stop instead, fail closed
                stop("stopped: the failed replication transaction could not be aborted (" + ex + " after " +
                    failure + "); this fetcher publishes no more in this term, stops following İYS and stands by",
                    ex, false);
            }
            return;
        }
        open = false;
        consentsInTransaction = 0;
        watermarksInTransaction = 0;
        handOff.rewind();
        final IOException told = new IOException("the replication transaction failed: " + failure);
        for (final CursorRequest request : inTransaction)
        {
            request.done().completeExceptionally(told);
        }
        inTransaction.clear();
        if (running)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(RETRY_BACKOFF_MS));
        }
    }

    private void stop(final String reason, final Throwable cause, final boolean byFencing)
    {
        if (stopped != null)
        {
            return;
        }
        fenced = byFencing;
        stopped = reason;
        LOG.error("REPLICATION STOPPED: {}", reason, cause);
        handOff.close();
        open = false;
        failWaiting(new PublicationStoppedException(reason, cause));
    }

    private void failWaiting(final IOException failure)
    {
        for (final CursorRequest request : inTransaction)
        {
            request.done().completeExceptionally(failure);
        }
        inTransaction.clear();
        CursorRequest request;
        while ((request = cursors.poll()) != null)
        {
            request.done().completeExceptionally(failure);
        }
    }

    static boolean isFenced(final Throwable failure)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause())
        {
            if (cause instanceof ProducerFencedException)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return the tap the single writer tells of what it applies: the hand-off this publisher drains.
     */
    public ChangeTap tap()
    {
        return handOff;
    }

    /**
     * @return why this fetcher publishes no more (fenced, or the topic stalled), or null while it publishes.
     */
    public String trouble()
    {
        return stopped;
    }

    /**
     * @return the topic this publisher publishes to.
     */
    public String topic()
    {
        return settings.topic();
    }

    /**
     * @return the Kafka client's settings (brokers, TLS, SASL) this publisher's Admin client took.
     * @throws IOException when the properties file cannot be read.
     */
    Map<String, Object> adminConfig() throws IOException
    {
        final Map<String, Object> config = new HashMap<>();
        clientProperties(settings).forEach((key, value) -> config.put((String)key, value));
        return config;
    }

    /**
     * @return the topic's Kafka id, taken at start.
     */
    public String topicId()
    {
        return topicId;
    }

    /**
     * @return whether another fetcher fenced this one.
     */
    public boolean fenced()
    {
        return fenced;
    }

    /**
     * @return changes the writer applied after this publisher stopped, not published by it.
     */
    public long discarded()
    {
        return handOff.discarded();
    }

    /**
     * @return transactions committed.
     */
    public long committed()
    {
        return committed.get();
    }

    /**
     * @return consent records committed.
     */
    public long consentsPublished()
    {
        return consents.get();
    }

    /**
     * @return watermark records committed.
     */
    long watermarksPublished()
    {
        return watermarks.get();
    }

    /**
     * @return cursor records committed.
     */
    long cursorsPublished()
    {
        return cursorsPublished.get();
    }

    /**
     * @return transactions aborted.
     */
    long aborted()
    {
        return aborted.get();
    }

    /**
     * @return times the writer found this term's hand-off full and waited.
     */
    long tapWaits()
    {
        return handOff.waits();
    }

    /**
     * Hold the publisher thread as a paused process would be: nothing is sent or committed while held (tests: a
     * zombie fetcher).
     *
     * @param hold true to hold, false to release.
     */
    void hold(final boolean hold)
    {
        held = hold;
        LockSupport.unpark(thread);
    }

    /**
     * @return records handed over by the writer and not yet committed.
     */
    public long pending()
    {
        return handOff.pending();
    }

    /**
     * @return records the broker acknowledged inside a transaction, committed or not (tests).
     */
    long sent()
    {
        return sent.get();
    }

    /**
     * Stop as a killed process would: the open transaction is left neither committed nor aborted (tests).
     */
    void crash()
    {
        crashed = true;
        LockSupport.unpark(thread);
        Joins.join(thread, CLOSE_TIMEOUT.toMillis() * 2);
    }

    /**
     * The server is closing: the writer no longer waits on a full hand-off (what finds it full is discarded and
     * counted), so joining the writer cannot hang while Kafka is down. Call before the writer is joined.
     */
    public void releaseWriter()
    {
        handOff.stopWaiting();
    }

    /**
     * Commit what the writer handed over (call after the feeds and the writer stopped), then close the producer.
     */
    @Override
    public void close()
    {
        running = false;
        LockSupport.unpark(thread);
        Joins.join(thread, CLOSE_TIMEOUT.toMillis() * 2);
    }
}
