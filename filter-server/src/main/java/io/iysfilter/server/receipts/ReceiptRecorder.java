package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.protocol.receipts.FlagsEncoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.DurableFiles;
import io.iysfilter.server.logging.LogLimiter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link DecisionRecorder} every {@link io.iysfilter.server.decision.Decider} records into when receipts are on:
 * it encodes each decision's {@link DecisionFacts} as a 52-byte {@code Receipt} straight into a slot of the
 * memory-mapped {@link ReceiptQueue}, and its drain thread ({@link ReceiptDrain}) appends the slots to the
 * {@link ReceiptJournal} in decision-id order.
 * <p>
 * {@link #record} never blocks and allocates nothing: one compare-and-set claims the sequence (the decision id is
 * {@code run << 48 | sequence}) and the slot; when the slot is not yet drained (the queue is full), the sequences of
 * the run are spent, or the journal has failed or is closed, it returns {@link #NOT_RECORDED} at once and counts it,
 * as {@code denied} when the policy is {@code deny} and the answer was an ALLOW (the decider then answers DENY
 * {@code RECEIPT_UNAVAILABLE}), else as {@code served}.
 * <p>
 * <b>What a crash can lose.</b> The receipt is in the mapped file before {@link #record} returns, so before the
 * answer is encoded. A <i>kill -9</i> (or any death of the process with the machine up) loses no decision that was
 * answered with an id: the pages of the queue and the journal are the kernel's, and at the next start every
 * committed slot above the journal's last decision id is appended to the journal in order before anything is
 * served ({@link ReceiptQueue#open}); a slot is released for reuse only once the journal block holding its receipt
 * is sealed, which is what the journal keeps when it cuts a torn tail. It loses only claims whose receipt was not
 * yet committed, and those were never answered. A <i>power loss</i> (or a kernel crash) loses what had not reached
 * the device: the journal is forced about every second ({@link ReceiptDrain#FORCE_INTERVAL_MS}) and the queue file
 * not at all, so the receipts of up to about the last second of decisions (more if the device was slower than that
 * to take them), every one of which was answered; the run counter is forced before use, so no decision id is given
 * twice, and the party names are forced before each force of the journal, so every party number that reached the
 * device can still be named.
 */
public final class ReceiptRecorder implements DecisionRecorder, AutoCloseable
{
    /** The queue file's name in the receipts directory. */
    public static final String QUEUE_FILE = "queue";
    static final int OPEN = 0;
    static final int FAILED = 1;
    static final int CLOSED = 2;
    private static final Logger LOG = LoggerFactory.getLogger(ReceiptRecorder.class);
    private static final long UNRECORDED_LOG_INTERVAL_NS = LogLimiter.DEFAULT_INTERVAL.toNanos();
    /**
     * How long a decision waits for a slot when the queue is full before it is counted unrecorded: a drain a moment
     * behind (a burst, or a drain thread that lost its core to the event loops on a small machine) is back-pressure,
     * answered a little later with a receipt, not a DENY.
     */
    static final long FULL_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Held by the server that records into the directory. */
    static final String LOCK_FILE = ".lock";
    private static final long DAY_MS = 86_400_000L;
    private static final long UINT32_NONE = 0xFFFF_FFFFL;
    private static final ByteOrder ORDER = ReceiptEncoder.BYTE_ORDER;
    private static final io.iysfilter.protocol.receipts.Door[] DOORS = doors();
    private static final io.iysfilter.protocol.receipts.Channel[] CHANNELS = channels();

    private final ReceiptQueue queue;
    private final AtomicBuffer buffer;
    private final Parties parties;
    private final boolean allowsUnrecorded;
    private final ThreadLocal<ReceiptEncoder> encoders = ThreadLocal.withInitial(ReceiptEncoder::new);
    // the unrecorded path runs on every event loop at once while the queue is full: striped counters, no shared
    // cache line written per decision, and the log's time checked against a field written once per line
    private final LongAdder unrecordedDenied = new LongAdder();
    private final LongAdder unrecordedServed = new LongAdder();
    private final AtomicLong nextUnrecordedLogNs = new AtomicLong(System.nanoTime());
    private volatile long unrecordedAtLastLog;
    private final AtomicLong partyFailures = new AtomicLong();
    private final LongAdder fullWaits = new LongAdder();
    private long fullWaitNs = FULL_WAIT_NS;
    // the queue's release count when a wait last ran out: no decision waits again until the drain releases more, so
    // a stalled drain costs one wait, not one per decision
    private volatile long releasedAtLastTimeout = -1;
    private volatile int state = OPEN;
    private FileChannel lockChannel;
    private volatile String failure;
    private volatile ReceiptDrain drain;
    private Thread drainThread;

    private ReceiptRecorder(final ReceiptQueue queue, final Parties parties, final boolean allowsUnrecorded)
    {
        this.queue = queue;
        this.buffer = queue.buffer();
        this.parties = parties;
        this.allowsUnrecorded = allowsUnrecorded;
    }

    /**
     * A recorder over a queue with no journal and no drain thread: the caller drains (tests and benchmarks).
     *
     * @param queue            the queue.
     * @param parties          the run's parties.
     * @param allowsUnrecorded the policy: true for {@code allow}.
     * @return the recorder.
     */
    public static ReceiptRecorder overQueue(final ReceiptQueue queue, final Parties parties,
        final boolean allowsUnrecorded)
    {
        return new ReceiptRecorder(queue, parties, allowsUnrecorded);
    }

    /**
     * @param waitNs how long a decision waits for a slot when the queue is full (tests).
     * @return this.
     */
    ReceiptRecorder fullWait(final long waitNs)
    {
        fullWaitNs = waitNs;
        return this;
    }

    /**
     * Start recording: count the run up (forced), open this run's parties file and the journal, append what the
     * previous run's queue holds and the journal does not (sealed and forced, each receipt under its own day), close
     * the days before {@code nowMs}'s day (so that their roots cover those receipts), then start the drain thread,
     * whose first work is retention. Everything here happens before the server serves anything.
     *
     * @param settings the receipts settings.
     * @param nowMs    the time, epoch milliseconds.
     * @return the recorder, draining.
     * @throws IOException when the directory, the run, the journal or the queue cannot be opened, or the previous
     *                     run's receipts cannot be appended: the server must not start then.
     */
    public static ReceiptRecorder open(final ReceiptSettings settings, final long nowMs) throws IOException
    {
        return open(settings, nowMs, ReceiptJournal.DEFAULT_SEGMENT_SIZE);
    }

    static ReceiptRecorder open(final ReceiptSettings settings, final long nowMs, final int segmentSize)
        throws IOException
    {
        return open(settings, nowMs, segmentSize, JournalFormat.MAX_DEALER_PARTIES);
    }

    /**
     * As {@link #open(ReceiptSettings, long)}, with segments of {@code segmentSize} and a day's dealer pairs capped
     * at {@code maxDealerParties} (tests: the cap's effects, such as {@code iys_receipts_dealers_unkept}, without
     * a million dealers).
     */
    static ReceiptRecorder open(
        final ReceiptSettings settings, final long nowMs, final int segmentSize, final int maxDealerParties)
        throws IOException
    {
        DurableFiles.createPrivateDirectories(settings.directory());
        final FileChannel lockChannel = lock(settings.directory());
        final int run;
        final Parties parties;
        try
        {
            run = ReceiptRun.next(settings.directory());
            parties = new Parties(settings.directory(), run);
        }
        catch (final IOException | RuntimeException ex)
        {
            lockChannel.close();
            throw ex;
        }
        ReceiptJournal journal = null;
        try
        {
            journal = ReceiptJournal.open(settings.directory(), parties, nowMs, segmentSize, maxDealerParties,
                JournalFormat.MAX_DAY_PARTIES);
            final long lastDecisionId = journal.lastDecisionId();
            if (DecisionIds.run(lastDecisionId) >= run)
            {
                throw new IOException(settings.directory().resolve(ReceiptRun.FILE_NAME) + ": run " + run +
                    " is not above the journal's last run " + DecisionIds.run(lastDecisionId) + " (decision id " +
                    DecisionIds.text(lastDecisionId) + "): the run file was replaced or restored; refusing to give " +
                    "decision ids the journal already holds (set it to at least the journal's last run)");
            }
            final ReceiptDrain drain = new ReceiptDrain(journal, parties, settings.retentionDays());
            final long[] replayed = new long[1];
            final ReceiptJournal opened = journal;
            final ReceiptQueue queue = ReceiptQueue.open(settings.directory().resolve(QUEUE_FILE),
                settings.queueSlots(), run, lastDecisionId, new ReceiptQueue.Replay()
                {
                    @Override
                    public void receipt(final DirectBuffer buffer, final int offset, final long epochDay)
                        throws IOException
                    {
                        opened.append(buffer, offset, epochDay);
                        replayed[0]++;
                    }

                    @Override
                    public void replayed() throws IOException
                    {
                        if (replayed[0] > 0)
                        {
                            opened.seal(nowMs);
                            opened.force();
                        }
                    }
                });
            // only now, with the queue's receipts filed under their own days, are the days before today closed:
            // their roots cover every decision answered in them
            journal.closeDaysBefore(nowMs);
            journal.force();
            final ReceiptRecorder recorder = new ReceiptRecorder(queue, parties, settings.allowsUnrecorded());
            recorder.lockChannel = lockChannel;
            LOG.info("receipts: dir={}, run={}, queueSlots={}, policy={}, retentionDays={}, journalLastId={}, " +
                "replayedFromQueue={}", settings.directory(), run, queue.capacity(),
                settings.allowsUnrecorded() ? "allow" : "deny", settings.retentionDays(),
                DecisionIds.text(lastDecisionId), replayed[0]);
            recorder.startDrain(drain);
            return recorder;
        }
        catch (final Throwable ex)
        {
            if (journal != null)
            {
                try
                {
                    journal.close();
                }
                catch (final Throwable closing)
                {
                    ex.addSuppressed(closing);
                }
            }
            parties.close();
            lockChannel.close();
            throw ex;
        }
    }

    /**
     * One server per receipts directory: two would claim from one queue and append to one journal.
     *
     * @return the open lock file, holding its lock until closed.
     */
    private static FileChannel lock(final java.nio.file.Path directory) throws IOException
    {
        final FileChannel lockChannel = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        FileLock lock;
        try
        {
            lock = lockChannel.tryLock();
        }
        catch (final java.nio.channels.OverlappingFileLockException ex)
        {
            lock = null;
        }
        catch (final IOException | RuntimeException ex)
        {
            lockChannel.close();
            throw ex;
        }
        if (lock == null)
        {
            lockChannel.close();
            throw new IOException(directory + " is in use by another server (it holds " + LOCK_FILE +
                "): each server needs a receipts-dir of its own");
        }
        return lockChannel;
    }

    private void startDrain(final ReceiptDrain drain)
    {
        this.drain = drain;
        drain.attach(this, queue);
        drainThread = new Thread(drain, "iys-receipts");
        drainThread.setDaemon(true);
        drainThread.start();
    }

    @Override
    public int party(final Door door, final String name)
    {
        try
        {
            return parties.party(name);
        }
        catch (final IOException | RuntimeException ex)
        {
            partyFailures.incrementAndGet();
            LOG.warn("receipts: cannot name party '{}' of {}: {} (its receipts carry party 0)", name, door,
                ex.toString());
            return 0;
        }
    }

    @Override
    public long record(final DecisionFacts facts)
    {
        if (state != OPEN)
        {
            return unrecorded(facts);
        }
        long sequence = queue.claim();
        if (sequence == 0)
        {
            sequence = claimAfterWait();
            if (sequence == 0)
            {
                return unrecorded(facts);
            }
        }
        final long decisionId = queue.decisionId(sequence);
        final int offset = queue.offset(sequence);
        final long epochDay = Math.floorDiv(facts.timeMs(), DAY_MS);
        try
        {
            encode(encoders.get().wrap(buffer, offset), offset, decisionId, epochDay, facts);
        }
        finally
        {
            // always committed: the drain takes sequences in order and would wait on a claimed slot for ever
            queue.commit(sequence, decisionId, epochDay);
        }
        return decisionId;
    }

    /**
     * Encode a decision's receipt, exactly as the receipt schema and docs/RECEIPTS.md say each field is made from
     * the facts (search computes the same).
     */
    private void encode(
        final ReceiptEncoder encoder,
        final int offset,
        final long decisionId,
        final long epochDay,
        final DecisionFacts facts)
    {
        final long timeMs = facts.timeMs();
        encoder.decisionId(decisionId);
        encoder.dayMillis(timeMs - epochDay * DAY_MS);
        final long brand = facts.brandCode();
        encoder.brand(brand >= 0 && brand <= UINT32_NONE ? brand : 0);
        final int form = facts.recipientForm();
        final int recipientAt = offset + ReceiptEncoder.recipientEncodingOffset();
        buffer.putLong(recipientAt, form == DecisionFacts.RECIPIENT_NONE ? 0 : facts.recipientKey0(), ORDER);
        buffer.putInt(recipientAt + Long.BYTES,
            form == DecisionFacts.RECIPIENT_EMAIL ? (int)facts.recipientKey1() : 0, ORDER);
        final long asOfMs = facts.asOfMs();
        final long lag = timeMs - asOfMs;
        encoder.asOfLag(asOfMs == 0 || lag >= UINT32_NONE ? UINT32_NONE : Math.max(0, lag));
        final long creation = facts.recordCreationSec();
        encoder.recordCreation(creation >= 0 && creation < UINT32_NONE ? creation : 0);
        final long txDigest = facts.recordTxDigest();
        final int txAt = offset + ReceiptEncoder.recordTxEncodingOffset();
        buffer.putInt(txAt, (int)txDigest, ORDER);
        buffer.putShort(txAt + Integer.BYTES, (short)(txDigest >>> 32), ORDER);
        encoder.party(facts.party() & 0xFFFF);
        final Door door = facts.door();
        encoder.door(DOORS[door == null ? 0 : door.ordinal()]);
        final Channel channel = facts.channel();
        encoder.channel(channel == null ? io.iysfilter.protocol.receipts.Channel.UNKNOWN : CHANNELS[channel.code()]);
        final RecipientType type = facts.type();
        final MessageKind kind = facts.kind();
        final int status = facts.recordStatus();
        byte flags = 0;
        flags = FlagsEncoder.tacir(flags, type == RecipientType.TACIR);
        flags = FlagsEncoder.transactional(flags, kind == MessageKind.TRANSACTIONAL);
        flags = FlagsEncoder.recordOnay(flags, status == ConsentStatus.ONAY);
        flags = FlagsEncoder.recordRet(flags, status == ConsentStatus.RET);
        flags = FlagsEncoder.emailKey(flags, form == DecisionFacts.RECIPIENT_EMAIL);
        flags = FlagsEncoder.requestInvalid(flags, channel == null || type == null || kind == null);
        buffer.putByte(offset + ReceiptEncoder.flagsEncodingOffset(), flags);
        final Reason reason = facts.reason();
        encoder.reason(reason == null ? 0 : reason.wire().value());
        final long dealer = facts.dealerCode();
        encoder.dealer(dealer >= 0 && dealer <= UINT32_NONE ? dealer : 0);
    }

    private long claimAfterWait()
    {
        final long released = queue.released();
        if (released == releasedAtLastTimeout)
        {
            return 0;
        }
        fullWaits.increment();
        final long deadlineNs = System.nanoTime() + fullWaitNs;
        do
        {
            // gives the core to the drain where it shares one with this thread
            Thread.yield();
            final long sequence = queue.claim();
            if (sequence != 0)
            {
                return sequence;
            }
        }
        while (state == OPEN && System.nanoTime() - deadlineNs < 0);
        releasedAtLastTimeout = queue.released();
        return 0;
    }

    /**
     * @return times a decision found the queue full and waited for the drain to release slots (each either then
     * recorded, or after {@link #FULL_WAIT_NS} counted unrecorded).
     */
    public long fullWaits()
    {
        return fullWaits.sum();
    }

    private long unrecorded(final DecisionFacts facts)
    {
        final Reason reason = facts.reason();
        final boolean denied = !allowsUnrecorded && reason != null && reason.allows();
        if (denied)
        {
            unrecordedDenied.increment();
        }
        else
        {
            unrecordedServed.increment();
        }
        // alerted in the log as well as counted, at most once in ten seconds: a suppressed one only reads the clock
        // and one field no one writes until the next line is due
        final long nowNs = System.nanoTime();
        final long dueNs = nextUnrecordedLogNs.get();
        if (nowNs - dueNs >= 0 && nextUnrecordedLogNs.compareAndSet(dueNs, nowNs + UNRECORDED_LOG_INTERVAL_NS))
        {
            final long total = unrecordedDenied.sum() + unrecordedServed.sum();
            final long suppressed = Math.max(0, total - unrecordedAtLastLog - 1);
            unrecordedAtLastLog = total;
            LOG.warn("receipts: a decision could not be recorded ({}); policy {}: {}; {} more since the last " +
                "warning, iys_receipts_unrecorded_total counts them all", state != OPEN ? "journal closed or failed" :
                "queue full: the journal is behind", allowsUnrecorded ? "allow" : "deny", denied ?
                "its ALLOW answered DENY RECEIPT_UNAVAILABLE" : "answered as decided, without a receipt", suppressed);
        }
        return NOT_RECORDED;
    }

    @Override
    public boolean allowsUnrecorded()
    {
        return allowsUnrecorded;
    }

    /**
     * @return decisions recorded in this run (given a decision id).
     */
    public long recorded()
    {
        return queue.claimed();
    }

    /**
     * @return decisions not recorded whose ALLOW became DENY {@code RECEIPT_UNAVAILABLE} (policy {@code deny}).
     */
    public long unrecordedDenied()
    {
        return unrecordedDenied.sum();
    }

    /**
     * @return decisions not recorded and answered as they were.
     */
    public long unrecordedServed()
    {
        return unrecordedServed.sum();
    }

    /**
     * @return receipts recorded and not yet appended to the journal.
     */
    public long queueDepth()
    {
        return drain == null ? queue.claimed() - queue.released() : queue.claimed() - drain.appended();
    }

    /**
     * The live journal's head as of its last seal: the open day's digest (chain head), sealed receipts and last
     * decision id, or the last day's root once it is closed ({@link ReceiptJournal#head()}). Any thread; an
     * immutable snapshot, published after each seal, so reading it never walks the day.
     *
     * @return the head, or null when there is no journal (a recorder {@link #overQueue over a queue}) or it holds
     *     no day yet.
     */
    public DayRoot journalHead()
    {
        final ReceiptDrain current = drain;
        return current == null ? null : current.journal().head();
    }

    /**
     * Wait until a decision's receipt is sealed in the journal ({@link ReceiptJournal#awaitSealed}), up to a
     * deadline; woken by the seal, no polling. Idle seals come within about {@link ReceiptDrain#IDLE_SEAL_MS} of the
     * last decision and at least every {@link ReceiptDrain#SEAL_INTERVAL_MS} under load.
     *
     * @param decisionId the decision id (as {@link #record} returned it).
     * @param timeout    longest wait.
     * @param unit       of the timeout.
     * @return true once sealed; false at the deadline, or when the journal failed or closed first, or there is
     *     none.
     * @throws InterruptedException when interrupted while waiting.
     */
    public boolean awaitSealed(final long decisionId, final long timeout, final TimeUnit unit)
        throws InterruptedException
    {
        final ReceiptDrain current = drain;
        return current != null && current.journal().awaitSealed(decisionId, timeout, unit);
    }

    /**
     * @return whether the journal has failed (until restart every decision is unrecorded).
     */
    public boolean failed()
    {
        return state == FAILED;
    }

    /**
     * @return what {@code /health/ready} says of the receipts: null when they are recorded, else why not (journal
     * failed, queue full).
     */
    public String trouble()
    {
        final int current = state;
        if (current == FAILED)
        {
            return "receipts journal failed: " + failure + " (decisions are not recorded until restart; " +
                (allowsUnrecorded ? "policy allow: served unrecorded)" : "policy deny: ALLOW answers are DENY " +
                "RECEIPT_UNAVAILABLE)");
        }
        if (current == OPEN && queue.claimed() - queue.released() >= queue.capacity())
        {
            return "receipts journal queue full: " + queue.capacity() + " receipts wait for the disk";
        }
        return null;
    }

    /**
     * Bind the receipts' meters: recorded, unrecorded by outcome, queue depth, write lag, force time, unforced age,
     * disk bytes, refiled, dealers unkept, failed.
     *
     * @param registry where the meters live.
     */
    public void bindTo(final MeterRegistry registry)
    {
        FunctionCounter.builder("iys_receipts_recorded", this, ReceiptRecorder::recorded)
            .description("Decisions recorded as receipts (given a decision id) since start")
            .register(registry);
        FunctionCounter.builder("iys_receipts_unrecorded", this, ReceiptRecorder::unrecordedDenied)
            .description("Decisions the journal could not record (queue full, journal failed or closed), by what " +
                "was answered: denied (an ALLOW turned DENY RECEIPT_UNAVAILABLE, policy deny) or served as decided")
            .tag("outcome", "denied")
            .register(registry);
        FunctionCounter.builder("iys_receipts_unrecorded", this, ReceiptRecorder::unrecordedServed)
            .tag("outcome", "served")
            .register(registry);
        FunctionCounter.builder("iys_receipts_full_waits", this, ReceiptRecorder::fullWaits)
            .description("Decisions that found the receipts queue full and waited up to 1 ms for the drain (back-" +
                "pressure); those the wait did not save are in iys_receipts_unrecorded")
            .register(registry);
        Gauge.builder("iys_receipts_queue_depth", this, ReceiptRecorder::queueDepth)
            .description("Receipts recorded and not yet appended to the journal; the queue holds " +
                queue.capacity())
            .register(registry);
        Gauge.builder("iys_receipts_write_lag_seconds", this,
            (recorder) -> recorder.drain == null ? 0 : recorder.drain.lagMs() / 1000.0)
            .description("How long the oldest receipt the drain thread last found waiting had waited to be " +
                "appended; 0 when the queue is empty")
            .register(registry);
        Gauge.builder("iys_receipts_force_seconds", this,
            (recorder) -> recorder.drain == null ? 0 : recorder.drain.forceSeconds())
            .description("How long the last force of the receipts journal to the device took (the parties' names, " +
                "then the open segment), or the running one so far when longer; it runs on iys-receipts-force, " +
                "about once a second, and the drain goes on appending meanwhile")
            .register(registry);
        Gauge.builder("iys_receipts_unforced_seconds", this,
            (recorder) -> recorder.drain == null ? 0 : recorder.drain.unforcedSeconds(System.currentTimeMillis()))
            .description("Age of the oldest sealed receipt not yet known to be on the device (what a power loss " +
                "could lose); about 1 s at most while forces keep up, 0 when everything sealed is forced")
            .register(registry);
        Gauge.builder("iys_receipts_disk_bytes", this,
            ReceiptRecorder::diskBytes)
            .description("Bytes the receipts journal's files take on disk (segments at their allocated size, " +
                "roots; not scrub proofs)")
            .register(registry);
        FunctionCounter.builder("iys_receipts_refiled", this, ReceiptRecorder::refiled)
            .description("Receipts filed under a later day than their own since start, flagged refiled, because " +
                "their day was already closed (a race past midnight, a clock stepped back)")
            .register(registry);
        FunctionCounter.builder("iys_receipts_dealers_unkept", this, ReceiptRecorder::dealersUnkept)
            .description("Receipts recorded without their dealer since start (flagged dealerUnknown), because their " +
                "day had numbered as many (party, dealer) pairs as a day keeps (1,048,576); the party is kept")
            .register(registry);
        FunctionCounter.builder("iys_receipts_retention_failures", this,
            (recorder) -> recorder.drain == null ? 0 : recorder.drain.retentionFailures())
            .description("Retention runs that could not delete a day past retention (logged; tried again a day " +
                "later; recording goes on)")
            .register(registry);
        Gauge.builder("iys_receipts_failed", this, (recorder) -> recorder.failed() ? 1 : 0)
            .description("1 after the receipts journal failed (disk error): no decision is recorded until restart")
            .register(registry);
    }

    /**
     * @return receipts the journal filed under a later day than their own since it was opened.
     */
    long refiled()
    {
        return drain == null ? 0 : drain.refiled();
    }

    /**
     * @return receipts the journal recorded without their dealer since it was opened.
     */
    long dealersUnkept()
    {
        return drain == null ? 0 : drain.dealersUnkept();
    }

    /**
     * @return the journal's days on disk, in bytes.
     */
    long diskBytes()
    {
        return drain == null ? 0 : drain.diskBytes();
    }

    /**
     * The drain thread's word that the journal failed: from now on nothing is recorded.
     */
    void fail(final Throwable cause)
    {
        failure = cause.toString();
        if (state == OPEN)
        {
            state = FAILED;
        }
    }

    /**
     * @return OPEN, FAILED or CLOSED.
     */
    int state()
    {
        return state;
    }

    /**
     * @return the run's parties, which name party numbers for the journal.
     */
    public Parties parties()
    {
        return parties;
    }

    /**
     * @return the queue.
     */
    public ReceiptQueue queue()
    {
        return queue;
    }

    /**
     * Stop recording ({@link #record} returns {@link #NOT_RECORDED} from now on), let the drain thread append every
     * committed receipt, seal, force and close the journal, then close the parties file. Call once the endpoints
     * have drained. Idempotent.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (state == CLOSED)
            {
                return;
            }
            state = CLOSED;
        }
        if (drainThread != null)
        {
            drain.stop();
            try
            {
                drainThread.join(ReceiptDrain.CLOSE_TIMEOUT_MS * 2);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            if (drainThread.isAlive())
            {
                LOG.error("receipts: the drain thread did not finish within {} ms; what it had not appended is " +
                    "replayed from the queue file at the next start", ReceiptDrain.CLOSE_TIMEOUT_MS * 2);
            }
        }
        try
        {
            parties.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        finally
        {
            queue.close();
            if (lockChannel != null)
            {
                try
                {
                    lockChannel.close();
                }
                catch (final IOException ex)
                {
                    LOG.warn("receipts: closing the lock file failed", ex);
                }
            }
        }
    }

    private static io.iysfilter.protocol.receipts.Door[] doors()
    {
        final Door[] doors = Door.values();
        final io.iysfilter.protocol.receipts.Door[] wire = new io.iysfilter.protocol.receipts.Door[doors.length];
        for (final Door door : doors)
        {
            wire[door.ordinal()] = io.iysfilter.protocol.receipts.Door.get((short)door.code());
        }
        return wire;
    }

    private static io.iysfilter.protocol.receipts.Channel[] channels()
    {
        int max = 0;
        for (final Channel channel : Channel.values())
        {
            max = Math.max(max, channel.code());
        }
        final io.iysfilter.protocol.receipts.Channel[] wire = new io.iysfilter.protocol.receipts.Channel[max + 1];
        for (final Channel channel : Channel.values())
        {
            wire[channel.code()] = io.iysfilter.protocol.receipts.Channel.get((short)channel.code());
        }
        return wire;
    }
}
