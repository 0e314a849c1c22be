package io.iysfilter.server.replication;

import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.ChangeHandOff;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.CursorPublication;
import io.iysfilter.server.logging.LogLimiter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exactly one active fetcher per topic (docs/REPLICATION.md §4). Every {@code role=fetcher} server joins the consumer
 * group {@code iys-filter-fetchers.<topic>}, subscribed to the one-partition control topic {@code <topic>.leader}
 * (created by whoever finds it missing; nothing is ever written to it): Kafka's group coordinator assigns its
 * partition 0 to exactly one live member, and that member is the candidate. A member that stops heart-beating for
 * the session timeout, or that leaves, loses it, and the coordinator gives it to another. The assignor is
 * cooperative and sticky: a fetcher joining does not move the partition away from the one that holds it.
 * <p>
 * Election alone does not make a fetcher safe: a paused process may still believe it holds the partition. Kafka's
 * transactional fencing does: the candidate takes the topic's {@code transactional.id} with a new producer
 * ({@link FetcherPublisher#start}, {@code initTransactions}), which aborts whatever the previous holder left open and
 * fences it, so from then on the previous holder can commit nothing.
 * <p>
 * A standby fetcher is a replica: it follows the topic with a {@link ReplicaFollower} and serves checks from it,
 * follows no İYS feed and refuses opt-outs and reconciles ({@link #refusal()}). Taking over, on the one election
 * thread {@code iys-fetcher-election}, in this order: take the transactional id (fencing any zombie); read the topic
 * to its end with {@code read_committed} (nothing else can commit now), with a follower started after the fencing;
 * stop following; switch the writer's tap to the new term's hand-off; hand the local opt-outs to the writer again;
 * resume every brand's İYS feed from the cursor records the topic holds (not the local cursor files); publish.
 * Stepping down (the partition revoked or lost, the publisher fenced or stopped, or the server closing): stop the
 * feeds, switch the tap off, close the publisher, and follow the topic again from the stored offsets; eligible for
 * election again at once (after a publisher failure the group is left for {@link #RESIGN_BACKOFF_MS} first, so that
 * another fetcher may take over).
 */
public final class FetcherElection implements AutoCloseable
{
    /** Default session timeout of the election group: a fetcher silent this long loses office. */
    public static final long SESSION_TIMEOUT_MS_DEFAULT = 10_000;
    /** Longest a takeover may take reading the topic to its end before it gives up and stands by again. */
    static final long TAKEOVER_TIMEOUT_MS = 60_000;
    /** Longest a takeover may run between two polls of the election before the group takes the office back. */
    static final long MAX_POLL_INTERVAL_MS = 30 * 60_000;
    /** How long a fetcher whose term failed stays out of the election, so that another may take over. */
    static final long RESIGN_BACKOFF_MS = 5_000;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long JOIN_MS = 60_000;
    private static final Logger LOG = LoggerFactory.getLogger(FetcherElection.class);
    private static final LogLimiter FAILURES = LogLimiter.everyTenSeconds();

    /**
     * A fetcher's state of office.
     */
    public enum State
    {
        /** Follows the topic as a replica does, refuses writes; eligible for election. */
        STANDBY("standby"),
        /** Elected: fencing the previous holder, reading the topic to its end, resuming the feeds. */
        TAKING_OVER("taking-over"),
        /** Follows İYS and publishes. */
        ACTIVE("active");

        private final String wireName;

        State(final String wireName)
        {
            this.wireName = wireName;
        }

        /**
         * @return the name {@code /v1/brands} and {@code /health/ready} show.
         */
        public String wireName()
        {
            return wireName;
        }
    }

    /**
     * What the server does when this fetcher takes office or leaves it, besides publishing.
     */
    public interface Duties
    {
        /**
         * Hand again to the writer what only this data directory holds (the local opt-outs' log), so that the new
         * term publishes it.
         *
         * @throws IOException when it cannot.
         */
        void republishLocal() throws IOException;

        /**
         * Follow İYS, publishing every cursor through {@code publication}, which also says where each source resumes.
         *
         * @param publication the term's publisher.
         */
        void follow(CursorPublication publication);

        /**
         * Stop following İYS (polls in progress are interrupted).
         */
        void stopFollowing();
    }

    private final ReplicationSettings settings;
    private final long sessionTimeoutMs;
    private final TermTap tap = new TermTap();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicLong elections = new AtomicLong();
    private final AtomicLong takeovers = new AtomicLong();
    private final AtomicLong failedTakeovers = new AtomicLong();
    private final AtomicLong stepDownsFenced = new AtomicLong();
    private final AtomicLong stepDownsRevoked = new AtomicLong();
    private final AtomicLong stepDownsStopped = new AtomicLong();
    /** What the publishers of ended terms counted, so that the meters go on across terms. */
    private final long[] ended = new long[Ended.values().length];
    private ConsentStore store;
    private IngestPipeline pipeline;
    private Duties duties;
    private Thread thread;
    private volatile State state = State.STANDBY;
    private volatile ReplicaFollower follower;
    private volatile FetcherPublisher publisher;
    private volatile String lastEnd;
    private volatile boolean lastEndFenced;
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    /** Set by the rebalance listener on the election thread, acted on after the poll. */
    private boolean assigned;
    private boolean ignoreRevocation;
    private long resignedAtMs;
    private volatile long resignBackoffMs = RESIGN_BACKOFF_MS;
    private volatile boolean lapse;

    private enum Ended
    {
        CONSENTS, WATERMARKS, CURSORS, COMMITTED, ABORTED, WAITS, DISCARDED
    }

    /**
     * @param settings         the fetcher's settings.
     * @param sessionTimeoutMs the election group's session timeout ({@code fetcher-session-timeout-ms}).
     */
    public FetcherElection(final ReplicationSettings settings, final long sessionTimeoutMs)
    {
        if (settings.role() != Role.FETCHER)
        {
            throw new IllegalArgumentException("only a fetcher stands for election: role=" +
                settings.role().settingName());
        }
        this.settings = settings;
        this.sessionTimeoutMs = sessionTimeoutMs;
    }

    /**
     * @return the tap to give the single writer: it hands each change to the publisher of the term in office, and
     * to none while this fetcher stands by (what the writer applies then comes from the topic).
     */
    public ChangeTap tap()
    {
        return tap;
    }

    /**
     * Follow the topic as a standby and stand for election.
     *
     * @param consentStore the index; its data directory holds the follower's offsets.
     * @param writer       the single writer, built with {@link #tap()}.
     * @param serverDuties what the server does when taking office and leaving it.
     * @return this.
     * @throws IOException when the topic cannot be created or checked, or has another partition count, or the
     *                     follower's stored offsets cannot be read.
     */
    public FetcherElection start(final ConsentStore consentStore, final IngestPipeline writer,
        final Duties serverDuties) throws IOException
    {
        this.store = consentStore;
        this.pipeline = writer;
        this.duties = serverDuties;
        // a topic of another partition count stops the start, as a misconfiguration should
        FetcherPublisher.checkTopic(settings);
        follower = newFollower().start();
        thread = new Thread(this::run, "iys-fetcher-election");
        thread.setDaemon(true);
        thread.start();
        LOG.info("fetcher standing by for election: group={}, controlTopic={}, sessionTimeoutMs={}", groupId(),
            controlTopic(), sessionTimeoutMs);
        return this;
    }

    /**
     * @return {@link State#STANDBY}, {@link State#TAKING_OVER} or {@link State#ACTIVE}.
     */
    public State state()
    {
        return state;
    }

    /**
     * @return the follower of the topic while standing by (a replica's), or null while in office.
     */
    public ReplicaFollower follower()
    {
        return state == State.STANDBY ? follower : null;
    }

    /**
     * @return the publisher of the term in office, or null.
     */
    public FetcherPublisher publisher()
    {
        return publisher;
    }

    /**
     * @return why this fetcher takes no opt-out or reconcile now (not in office, or its publisher stopped), or null
     * when it publishes.
     */
    public String refusal()
    {
        final State now = state;
        if (now == State.STANDBY)
        {
            return "standby: this fetcher is not the elected one (another fetcher publishes, or none is elected " +
                "yet); send opt-outs and reconciles to the active fetcher" +
                (lastEnd == null ? "" : " (its last term ended: " + lastEnd + ")");
        }
        if (now == State.TAKING_OVER)
        {
            return "taking-over: this fetcher was elected and is reading the topic to its end; send it again in a " +
                "moment";
        }
        final FetcherPublisher current = publisher;
        return current == null ? null : current.trouble();
    }

    /**
     * @return why this fetcher is not ready as a fetcher (its publisher stopped and it has not stepped down yet), or
     * null; a standby is ready as a replica is (its follower caught up, its brands fresh).
     */
    public String trouble()
    {
        final FetcherPublisher current = publisher;
        return state == State.ACTIVE && current != null ? current.trouble() : null;
    }

    /**
     * @return how the last term of office ended, or null before one ended.
     */
    public String lastEnd()
    {
        return lastEnd;
    }

    /**
     * @return times this fetcher was elected (assigned the control partition).
     */
    public long elections()
    {
        return elections.get();
    }

    /**
     * Bind {@code iys_replication_fetcher_state{state}}, {@code iys_replication_elections_total},
     * {@code iys_replication_takeovers_total{outcome}}, {@code iys_replication_stepdowns_total{reason}}, the
     * publishers' meters summed over the terms ({@code iys_replication_published_total{kind}},
     * {@code iys_replication_transactions_total{outcome}}, {@code iys_replication_tap_waits_total},
     * {@code iys_replication_tap_discarded_total}, {@code iys_replication_pending_records},
     * {@code iys_replication_fenced}, {@code iys_replication_stopped}) and the standby follower's (read through the
     * current follower).
     *
     * @param registry the server's registry.
     */
    public void bindTo(final MeterRegistry registry)
    {
        for (final State each : State.values())
        {
            Gauge.builder("iys_replication_fetcher_state", this, (e) -> e.state == each ? 1 : 0)
                .tag("state", each.wireName())
                .description("1 for the state this fetcher is in: standby, taking-over or active").register(registry);
        }
        FunctionCounter.builder("iys_replication_elections", elections, AtomicLong::get)
            .description("times this fetcher was elected (assigned the election group's partition)")
            .register(registry);
        FunctionCounter.builder("iys_replication_takeovers", takeovers, AtomicLong::get).tag("outcome", "active")
            .description("takeovers after an election, by outcome").register(registry);
        FunctionCounter.builder("iys_replication_takeovers", failedTakeovers, AtomicLong::get)
            .tag("outcome", "failed").description("takeovers after an election, by outcome").register(registry);
        FunctionCounter.builder("iys_replication_stepdowns", stepDownsFenced, AtomicLong::get).tag("reason", "fenced")
            .description("terms of office ended, by why").register(registry);
        FunctionCounter.builder("iys_replication_stepdowns", stepDownsRevoked, AtomicLong::get)
            .tag("reason", "revoked").description("terms of office ended, by why").register(registry);
        FunctionCounter.builder("iys_replication_stepdowns", stepDownsStopped, AtomicLong::get)
            .tag("reason", "stopped").description("terms of office ended, by why").register(registry);
        published(registry, "consent", Ended.CONSENTS, FetcherPublisher::consentsPublished);
        published(registry, "watermark", Ended.WATERMARKS, FetcherPublisher::watermarksPublished);
        published(registry, "cursor", Ended.CURSORS, FetcherPublisher::cursorsPublished);
        FunctionCounter.builder("iys_replication_transactions", this,
            (e) -> e.total(Ended.COMMITTED, FetcherPublisher::committed)).tag("outcome", "committed")
            .description("replication transactions").register(registry);
        FunctionCounter.builder("iys_replication_transactions", this,
            (e) -> e.total(Ended.ABORTED, FetcherPublisher::aborted)).tag("outcome", "aborted")
            .description("replication transactions").register(registry);
        FunctionCounter.builder("iys_replication_tap_waits", this, (e) -> e.total(Ended.WAITS,
            FetcherPublisher::tapWaits))
            .description("times the index writer found the hand-off to the publisher full and waited")
            .register(registry);
        FunctionCounter.builder("iys_replication_tap_discarded", this, (e) -> e.total(Ended.DISCARDED,
            FetcherPublisher::discarded))
            .description("changes the writer applied after a term's publisher stopped, not published by it")
            .register(registry);
        Gauge.builder("iys_replication_pending_records", this, (e) ->
            {
                final FetcherPublisher current = e.publisher;
                return current == null ? 0 : current.pending();
            }).description("records handed to the publisher and not yet committed").register(registry);
        Gauge.builder("iys_replication_fenced", this, (e) -> e.lastEnd != null && e.lastEndFenced &&
            e.state != State.ACTIVE ? 1 : 0)
            .description("1 while this fetcher stands by after another fetcher fenced it").register(registry);
        Gauge.builder("iys_replication_stopped", this, (e) -> e.lastEnd != null && e.state != State.ACTIVE ||
            e.trouble() != null ? 1 : 0)
            .description("1 while this fetcher publishes no more after its last term ended (fenced, revoked, or its " +
                "publisher stopped) until it is elected again").register(registry);
        FunctionCounter.builder("iys_replication_consumed", this, (e) -> e.followed(ReplicaFollower::consents))
            .tag("kind", "consent").description("records read from the replication topic, by kind")
            .register(registry);
        Gauge.builder("iys_replication_lag_records", this, (e) -> e.followed(ReplicaFollower::lagRecords))
            .description("records of the replication topic not yet read, summed over its partitions")
            .register(registry);
        Gauge.builder("iys_replication_caught_up", this, (e) ->
            {
                final ReplicaFollower current = e.follower();
                return current != null && current.isCaughtUp() ? 1 : 0;
            }).description("1 once the standby's follower reached the topic's end").register(registry);
    }

    private void published(final MeterRegistry registry, final String kind, final Ended counter,
        final java.util.function.ToLongFunction<FetcherPublisher> value)
    {
        FunctionCounter.builder("iys_replication_published", this, (e) -> e.total(counter, value)).tag("kind", kind)
            .description("records committed to the replication topic").register(registry);
    }

    private double total(final Ended counter, final java.util.function.ToLongFunction<FetcherPublisher> value)
    {
        final FetcherPublisher current = publisher;
        synchronized (ended)
        {
            return ended[counter.ordinal()] + (current == null ? 0 : value.applyAsLong(current));
        }
    }

    private double followed(final java.util.function.ToLongFunction<ReplicaFollower> value)
    {
        final ReplicaFollower current = follower();
        return current == null ? 0 : value.applyAsLong(current);
    }

    private String groupId()
    {
        return "iys-filter-fetchers." + settings.topic();
    }

    private String controlTopic()
    {
        return settings.topic() + ".leader";
    }

    private ReplicaFollower newFollower() throws IOException
    {
        return new ReplicaFollower(ReplicaSettings.from(settings), store, pipeline, System::currentTimeMillis);
    }

    private void run()
    {
        long backoffMs = 1_000;
        while (running)
        {
            try
            {
                ensureControlTopic();
                try (KafkaConsumer<byte[], byte[]> opened = newConsumer())
                {
                    consumer = opened;
                    campaign(opened);
                }
                finally
                {
                    consumer = null;
                }
                backoffMs = 1_000;
            }
            catch (final WakeupException ex)
            {
                if (!running)
                {
                    break;
                }
                failed(ex, backoffMs);
            }
            catch (final Throwable ex)
            {
                if (!running && ex instanceof org.apache.kafka.common.errors.InterruptException)
                {
                    break;
                }
                failed(ex, backoffMs);
            }
            if (!running || awaitStop(backoffMs))
            {
                break;
            }
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        stepDown("the server is closing", Reason.CLOSING);
    }

    private void failed(final Throwable ex, final long backoffMs)
    {
        // whatever failed, this fetcher may no longer hold the partition: out of office first
        stepDown("the election failed: " + ex, Reason.STOPPED);
        final long suppressed = FAILURES.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.error("fetcher election failed, standing by and joining again in {} ms: {}, suppressedSinceLast={}",
                backoffMs, ex.toString(), suppressed, ex);
        }
    }

    /**
     * Poll the group (its callbacks run here), take office when assigned, step down when the publisher stops.
     */
    private void campaign(final KafkaConsumer<byte[], byte[]> kafka)
    {
        kafka.subscribe(List.of(controlTopic()), new Listener());
        boolean subscribed = true;
        while (running)
        {
            if (lapse)
            {
                lapse(kafka);
                subscribed = false;
                continue;
            }
            if (!subscribed)
            {
                if (System.currentTimeMillis() < resignedAtMs + resignBackoffMs)
                {
                    if (awaitStop(POLL.toMillis()))
                    {
                        return;
                    }
                    continue;
                }
                kafka.subscribe(List.of(controlTopic()), new Listener());
                subscribed = true;
            }
            kafka.poll(POLL);
            if (assigned && state == State.STANDBY)
            {
                if (!takeOver())
                {
                    resign(kafka);
                    subscribed = false;
                }
            }
            final FetcherPublisher current = publisher;
            if (state == State.ACTIVE && current != null && current.trouble() != null)
            {
                stepDown(current.trouble(), current.fenced() ? Reason.FENCED : Reason.STOPPED);
                // fenced: another holds the id, and this member may not have heard yet that it lost the partition
                // (taking over again now would fence the elected one); stopped: another may do better. Either way,
                // out of the group for a while
                resign(kafka);
                subscribed = false;
            }
        }
    }

    /**
     * Leave the group (another member is assigned the partition) and stay out for {@link #RESIGN_BACKOFF_MS}.
     */
    private void resign(final KafkaConsumer<byte[], byte[]> kafka)
    {
        kafka.unsubscribe();
        assigned = false;
        resignedAtMs = System.currentTimeMillis();
        LOG.warn("fetcher left the election for {} ms so that another may take over", resignBackoffMs);
    }

    /**
     * Tests: how long a fetcher whose term failed stays out of the election.
     *
     * @param ms the back-off, {@link #RESIGN_BACKOFF_MS} by default.
     */
    void resignBackoffMs(final long ms)
    {
        resignBackoffMs = ms;
    }

    /**
     * Tests: behave as a paused process whose session lapsed: leave the group without stepping down (the publisher
     * goes on believing it is in office), until {@link #lapse(boolean)} is called with false.
     */
    private void lapse(final KafkaConsumer<byte[], byte[]> kafka)
    {
        ignoreRevocation = true;
        try
        {
            kafka.unsubscribe();
        }
        finally
        {
            ignoreRevocation = false;
        }
        assigned = false;
        while (lapse && running)
        {
            awaitStop(POLL.toMillis());
        }
    }

    /**
     * Tests: start or end a lapse (see {@link #lapse(KafkaConsumer)}).
     *
     * @param lapsing true to leave the group as a paused process would, false to go on.
     */
    void lapse(final boolean lapsing)
    {
        lapse = lapsing;
    }

    /**
     * @return whether this fetcher is in office now.
     */
    private boolean takeOver()
    {
        elections.getAndIncrement();
        state = State.TAKING_OVER;
        LOG.info("fetcher ELECTED for topic {}: taking the transactional id, then reading the topic to its end",
            settings.topic());
        final long startedNs = System.nanoTime();
        FetcherPublisher term = null;
        ReplicaFollower catchUp = null;
        try
        {
            // 0. an index with quarantined records cannot take office (below): refuse before fencing the fetcher
            // in office, which would only leave the fleet without one
            final ReplicaFollower standing = follower;
            if (standing != null && standing.frozen() != null)
            {
                throw new IllegalStateException("this fetcher's index lacks records its replica quarantined (" +
                    standing.frozen() + "): it cannot take office until rebuilt (docs/OPERATIONS.md, 'Run a " +
                    "replica')");
            }
            // 1. fence: from here no earlier holder of the transactional id can commit
            term = FetcherPublisher.start(settings, new ChangeHandOff(FetcherPublisher.HAND_OFF_SLOTS));
            // 2. read the topic to its end: a follower started now takes the end offsets after the fencing
            closeFollower();
            catchUp = newFollower().start();
            awaitCaughtUp(catchUp);
            final String frozen = catchUp.frozen();
            if (frozen != null)
            {
                // a quarantined record is missing from this index, and the topic's cursors are past it: following
                // İYS from them would move the brand's watermark past a change (perhaps a RET) it never applied
                throw new IllegalStateException("this fetcher's index lacks records its replica quarantined (" +
                    frozen + "): it cannot take office until rebuilt (docs/OPERATIONS.md, 'Run a replica')");
            }
            // 3. stop following (its offsets are stored: a later standby resumes from them)
            catchUp.close();
            // 4. publish: the writer's changes go to this term from here on, the local opt-outs first
            publisher = term;
            tap.switchTo(term.tap());
            duties.republishLocal();
            duties.follow(new TermPublication(term, catchUp));
            state = State.ACTIVE;
            takeovers.getAndIncrement();
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNs);
            if (tookMs > TAKEOVER_TIMEOUT_MS)
            {
                // the feeds and opt-outs waited all along (a republication of a large index): say so
                LOG.warn("fetcher takeover took {} ms, over {} ms: brands aged meanwhile, and another fetcher " +
                    "takes office after {} ms without a poll", tookMs, TAKEOVER_TIMEOUT_MS, MAX_POLL_INTERVAL_MS);
            }
            LOG.info("fetcher ACTIVE for topic {}: took over in {} ms, resuming İYS from the topic's cursors",
                settings.topic(), tookMs);
            return true;
        }
        catch (final Throwable ex)
        {
            failedTakeovers.getAndIncrement();
            if (ex instanceof InterruptedException)
            {
                Thread.currentThread().interrupt();
            }
            LOG.error("fetcher takeover FAILED, standing by again: {}", ex.toString(), ex);
            if (publisher != null)
            {
                stepDown("takeover failed: " + ex, Reason.STOPPED);
                return false;
            }
            if (catchUp != null)
            {
                catchUp.close();
            }
            if (term != null)
            {
                term.close();
            }
            state = State.STANDBY;
            lastEnd = "takeover failed: " + ex;
            lastEndFenced = false;
            if (running)
            {
                standBy();
            }
            return false;
        }
    }

    private void awaitCaughtUp(final ReplicaFollower catchUp) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TAKEOVER_TIMEOUT_MS);
        while (true)
        {
            try
            {
                catchUp.caughtUp().get(POLL.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            catch (final TimeoutException ex)
            {
                if (!running)
                {
                    throw new IOException("the server is closing");
                }
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IOException("the topic was not read to its end within " + TAKEOVER_TIMEOUT_MS +
                        " ms: " + catchUp.lastError());
                }
            }
        }
    }

    private enum Reason
    {
        FENCED, REVOKED, STOPPED, CLOSING
    }

    /**
     * Leave office, if in it: refuse writes, stop the feeds, switch the tap off, close the publisher (it commits what
     * was handed over, unless fenced), and follow the topic again from the stored offsets.
     */
    private void stepDown(final String why, final Reason reason)
    {
        final FetcherPublisher term = publisher;
        if (term == null)
        {
            if (reason == Reason.CLOSING)
            {
                closeFollower();
            }
            return;
        }
        state = State.STANDBY;
        lastEnd = why;
        lastEndFenced = reason == Reason.FENCED;
        LOG.warn("fetcher STEPPING DOWN for topic {}: {}", settings.topic(), why);
        duties.stopFollowing();
        // a writer still waiting on the term's full hand-off goes on (what finds it full from now is discarded);
        // then everything the feeds applied is handed over, for the term's last commit
        term.releaseWriter();
        awaitWriter();
        tap.switchTo(ChangeTap.NONE);
        term.close();
        synchronized (ended)
        {
            ended[Ended.CONSENTS.ordinal()] += term.consentsPublished();
            ended[Ended.WATERMARKS.ordinal()] += term.watermarksPublished();
            ended[Ended.CURSORS.ordinal()] += term.cursorsPublished();
            ended[Ended.COMMITTED.ordinal()] += term.committed();
            ended[Ended.ABORTED.ordinal()] += term.aborted();
            ended[Ended.WAITS.ordinal()] += term.tapWaits();
            ended[Ended.DISCARDED.ordinal()] += term.discarded();
            publisher = null;
        }
        switch (reason)
        {
            case FENCED -> stepDownsFenced.getAndIncrement();
            case REVOKED -> stepDownsRevoked.getAndIncrement();
            case STOPPED -> stepDownsStopped.getAndIncrement();
            default ->
            {
            }
        }
        if (reason == Reason.CLOSING)
        {
            closeFollower();
            return;
        }
        standBy();
    }

    private void awaitWriter()
    {
        try
        {
            pipeline.barrier().get(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            LOG.warn("stepping down: the writer did not drain within 10 s ({}); what it applies from now is not " +
                "published by this term", ex.toString());
        }
    }

    private void standBy()
    {
        // one follower at a time: a takeover that failed before it closed the standby's must not leave it running
        closeFollower();
        try
        {
            follower = newFollower().start();
            LOG.info("fetcher STANDING BY for topic {}: following it as a replica", settings.topic());
        }
        catch (final Throwable ex)
        {
            // the follower's offsets cannot be read: the brands' as-of times stop and they turn STALE
            LOG.error("fetcher standing by cannot follow the topic: {}", ex.toString(), ex);
        }
    }

    private void closeFollower()
    {
        final ReplicaFollower current = follower;
        follower = null;
        if (current != null)
        {
            current.close();
        }
    }

    private void ensureControlTopic() throws IOException
    {
        final Map<String, Object> config = new HashMap<>();
        FetcherPublisher.clientProperties(settings).forEach((key, value) -> config.put((String)key, value));
        try (Admin admin = Admin.create(config))
        {
            if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(controlTopic()))
            {
                return;
            }
            // one partition: whichever member is assigned it is the candidate; nothing is ever written to it
            admin.createTopics(List.of(new NewTopic(controlTopic(), 1, settings.replicationFactor())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))))
                .all().get(30, TimeUnit.SECONDS);
            LOG.info("created the fetchers' election topic {}", controlTopic());
        }
        catch (final ExecutionException ex)
        {
            if (!(ex.getCause() instanceof TopicExistsException))
            {
                throw new IOException("cannot create the election topic " + controlTopic() + ": " + ex.getCause(),
                    ex.getCause());
            }
        }
        catch (final TimeoutException ex)
        {
            throw new IOException("cannot list or create the election topic " + controlTopic() + " within 30 s", ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted creating the election topic", ex);
        }
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() throws IOException
    {
        final Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId());
        config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int)sessionTimeoutMs);
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int)Math.max(100, sessionTimeoutMs / 4));
        // the election thread polls every 100 ms, except while taking over: a takeover (fencing, reading the topic
        // to its end, publishing an index whole) runs between two polls. The session's heartbeats say the process
        // lives, fencing guards the topic, and a long republication must not cost the office half-way (it would be
        // started again from the beginning, as marked); a takeover past TAKEOVER_TIMEOUT_MS is logged (below)
        config.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int)MAX_POLL_INTERVAL_MS);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "iys-fetcher-election");
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
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

    /**
     * Leave office (the publisher commits what the writer handed over), leave the group and stop following. Call
     * before the writer is closed.
     */
    @Override
    public void close()
    {
        running = false;
        lapse = false;
        stopping.countDown();
        final KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null)
        {
            current.wakeup();
        }
        final FetcherPublisher term = publisher;
        if (term != null)
        {
            // a writer waiting on a full hand-off must not hold the close while Kafka is down
            term.releaseWriter();
        }
        if (thread != null)
        {
            if (!Joins.join(thread, JOIN_MS))
            {
                LOG.error("fetcher election did not stop in {} ms", JOIN_MS);
            }
        }
        else
        {
            closeFollower();
        }
    }

    /**
     * Stop as a killed process would (tests): the term's open transaction is left neither committed nor aborted.
     */
    void crash()
    {
        final FetcherPublisher term = publisher;
        if (term != null)
        {
            term.crash();
        }
    }

    /**
     * The election group's callbacks, on the election thread inside {@code poll}.
     */
    private final class Listener implements ConsumerRebalanceListener
    {
        @Override
        public void onPartitionsAssigned(final Collection<TopicPartition> partitions)
        {
            if (holdsOffice(partitions))
            {
                assigned = true;
            }
        }

        @Override
        public void onPartitionsRevoked(final Collection<TopicPartition> partitions)
        {
            lost(partitions, "revoked: the election group gave the partition to another fetcher");
        }

        @Override
        public void onPartitionsLost(final Collection<TopicPartition> partitions)
        {
            lost(partitions, "lost: this fetcher's session in the election group lapsed");
        }

        private void lost(final Collection<TopicPartition> partitions, final String why)
        {
            if (!holdsOffice(partitions) || ignoreRevocation)
            {
                return;
            }
            assigned = false;
            stepDown(running ? why : "the server is closing", running ? Reason.REVOKED : Reason.CLOSING);
        }

        private boolean holdsOffice(final Collection<TopicPartition> partitions)
        {
            for (final TopicPartition partition : partitions)
            {
                if (partition.partition() == 0 && partition.topic().equals(controlTopic()))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The term's cursor publication: the publisher's, resuming each source from the cursor the topic holds.
     */
    private static final class TermPublication implements CursorPublication
    {
        private final FetcherPublisher term;
        private final ReplicaFollower topic;

        TermPublication(final FetcherPublisher term, final ReplicaFollower topic)
        {
            this.term = term;
            this.topic = topic;
        }

        @Override
        public void publish(final long brandCode, final String source, final String cursor, final long acceptedMs)
            throws IOException, InterruptedException
        {
            term.publish(brandCode, source, cursor, acceptedMs);
        }

        @Override
        public Resume resume(final long brandCode, final String source)
        {
            final String cursor = topic.cursor(brandCode, source);
            return new Resume(cursor, cursor == null ? 0 : topic.cursorAcceptedMs(brandCode, source));
        }
    }

    /**
     * The single writer's tap: the term's hand-off while in office, none while standing by. Read on the writer's
     * thread for every change (one volatile read), switched by the election thread.
     */
    static final class TermTap implements ChangeTap
    {
        private volatile ChangeTap current = ChangeTap.NONE;
        private volatile long term;

        /**
         * Switch the writer's changes to {@code tap}; every switch begins a new term (stepping down too), so an
         * acknowledgement begun in one term is never answered by the next.
         */
        synchronized void switchTo(final ChangeTap tap)
        {
            // the tap first: whoever reads the new term then sees the new tap; whoever read the old term before its
            // change reached the new tap fails the comparison
            current = tap;
            term++;
        }

        @Override
        public long term()
        {
            return term;
        }

        @Override
        public CompletableFuture<Void> published(final long since)
        {
            final ChangeTap tap;
            synchronized (this)
            {
                if (since != term)
                {
                    return CompletableFuture.failedFuture(new ChangeTap.NotPublishedException("this fetcher's term " +
                        "of office changed since the change was written: it may not be in the replication topic"));
                }
                tap = current;
            }
            return published(tap);
        }

        @Override
        public void onChange(final ConsentChange change)
        {
            current.onChange(change);
        }

        @Override
        public void onWatermark(final long brandCode, final long watermarkMs)
        {
            current.onWatermark(brandCode, watermarkMs);
        }

        /**
         * The term's publisher says when what it was told is committed; out of office nothing publishes, so an
         * acknowledgement waiting for it fails (the change holds here only) instead of answering at once as a
         * standalone server's tap does.
         */
        @Override
        public CompletableFuture<Void> published()
        {
            return published(current);
        }

        private static CompletableFuture<Void> published(final ChangeTap tap)
        {
            if (tap == ChangeTap.NONE)
            {
                return CompletableFuture.failedFuture(new ChangeTap.NotPublishedException("this fetcher is not in " +
                    "office: nothing it applies now reaches the replication topic"));
            }
            return tap.published();
        }
    }
}
