package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.logging.LogLimiter;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The drain thread ({@code iys-receipts}, one): takes committed slots of the {@link ReceiptQueue} in sequence order
 * and appends them to the {@link ReceiptJournal}; seals the open block when the queue has been idle for
 * {@link #IDLE_SEAL_MS}, at least every {@link #SEAL_INTERVAL_MS} and whenever a quarter of the queue waits on it, and
 * releases slots only once the journal has sealed their receipts, by these seals or by its own when a block fills
 * (what is sealed survives a kill -9 in the journal); about every {@link #FORCE_INTERVAL_MS} hands a force of the
 * parties' names and the journal to the journal's forcer thread ({@link ReceiptJournal#startForce}), so that a device
 * slow to take it (seconds, under another process's writes) never stops the appends, the seals and the release of
 * slots: while a force runs the next waits for it, and a force that failed fails the journal at the next pass; hands
 * retention to a thread of its own ({@code iys-receipts-retention}) at start and once a day, bounded by the newest
 * day written as well as the clock. Idles with Agrona's backoff, parking from {@link #MIN_PARK_MS} up to
 * {@link #MAX_PARK_MS} without spinning, so an idle or lightly used queue costs no core and a busy one is drained
 * in batches.
 * <p>
 * Anything the journal throws marks it failed: logged (rate-limited), {@code iys_receipts_failed} reads 1,
 * {@link ReceiptRecorder#record} records nothing more, and the thread stays alive doing nothing. The receipts
 * committed and not yet sealed stay in the queue file, which the next start appends.
 * <p>
 * Receipts are appended in id order; one whose day is earlier than the journal's open day (two deciders straddling
 * midnight, or the clock stepped back) is filed by the journal under the open day at {@code dayMillis} 0.
 */
final class ReceiptDrain implements Runnable
{
    /** Longest time a block stays open while receipts arrive. */
    static final long SEAL_INTERVAL_MS = 200;
    /** How long the queue must have been empty before an open block is sealed for being idle. */
    static final long IDLE_SEAL_MS = 10;
    /** Time between forces of the journal to the device. */
    static final long FORCE_INTERVAL_MS = 1_000;
    /** Time between retention runs. */
    static final long RETENTION_INTERVAL_MS = 86_400_000L;
    /** Longest wait, on close, for a claimed receipt to be committed. */
    static final long CLOSE_TIMEOUT_MS = 5_000;
    /** Shortest park when the queue is empty. */
    static final long MIN_PARK_MS = 1;
    /** Longest park when idle. */
    static final long MAX_PARK_MS = 5;
    private static final int BATCH = 4096;
    private static final long DAY_MS = 86_400_000L;
    private static final Logger LOG = LoggerFactory.getLogger(ReceiptDrain.class);
    private static final LogLimiter FAILURES = LogLimiter.everyTenSeconds();

    private final ReceiptJournal journal;
    private final Parties parties;
    private final int retentionDays;
    // No spinning and no short parks: a receipt is safe in the mapped queue once committed, so nothing waits on the
    // drain but the queue's space (a millisecond of decisions is a few hundred slots of 262,144). Waking every 10 us
    // to take the three receipts that arrived cost a park and an unpark per handful of receipts: about 2 us of
    // server CPU per decision at 350 k pipelined decisions/s on 2 cores.
    private final IdleStrategy idle = new BackoffIdleStrategy(
        0, 0, TimeUnit.MILLISECONDS.toNanos(MIN_PARK_MS), TimeUnit.MILLISECONDS.toNanos(MAX_PARK_MS));
    private ReceiptRecorder recorder;
    private ReceiptQueue queue;
    private long next = 1;
    private long lastAppended;
    private long lastSealed;
    private long blockOpenedMs;
    private long lastForceMs;
    private boolean forceDue;
    // when the oldest seal not yet forced was made, and that of the force running (0: none); published for metrics
    private long dueSinceMs;
    private long forcingSinceMs;
    private volatile long unforcedSinceMs;
    private long nextRetentionMs;
    private long lastDrainedMs;
    private boolean failed;
    private volatile boolean stopping;
    private volatile boolean retaining;
    private volatile long retentionFailures;
    private final Executor retention;
    private final ExecutorService ownRetention;
    private volatile long appended;
    private volatile long lagMs;

    ReceiptDrain(final ReceiptJournal journal, final Parties parties, final int retentionDays)
    {
        this(journal, parties, retentionDays, Executors.newSingleThreadExecutor((task) ->
        {
            final Thread thread = new Thread(task, "iys-receipts-retention");
            thread.setDaemon(true);
            return thread;
        }));
    }

    /**
     * @param retention runs retention's deletions, off the drain thread (one at a time); shut down with the drain
     *                  when it is an {@link ExecutorService}.
     */
    ReceiptDrain(final ReceiptJournal journal, final Parties parties, final int retentionDays,
        final Executor retention)
    {
        this.journal = journal;
        this.parties = parties;
        this.retentionDays = retentionDays;
        this.retention = retention;
        this.ownRetention = retention instanceof ExecutorService service ? service : null;
    }

    void attach(final ReceiptRecorder recorder, final ReceiptQueue queue)
    {
        this.recorder = recorder;
        this.queue = queue;
    }

    @Override
    public void run()
    {
        try
        {
            while (true)
            {
                final boolean stop = stopping;
                int work = 0;
                if (!failed)
                {
                    try
                    {
                        work = duty(System.currentTimeMillis());
                    }
                    catch (final Throwable ex)
                    {
                        fail(ex);
                    }
                }
                if (stop)
                {
                    break;
                }
                idle.idle(work);
            }
            finish();
        }
        catch (final Throwable ex)
        {
            LOG.error("receipts: the drain thread stopped on an unexpected error", ex);
        }
    }

    /**
     * One pass: append what is committed, then seal, force and retain when due.
     *
     * @return receipts appended.
     */
    int duty(final long nowMs) throws IOException
    {
        // a force handed off and failed fails the journal here, as one of the drain's own would
        journal.checkForce();
        final int drained = drain(nowMs);
        if (drained > 0)
        {
            lastDrainedMs = nowMs;
        }
        // Sealing early costs a block (a 96-byte header and digest, and a SHA-256 pass) per seal: under load the
        // queue is empty for microseconds between bursts, and sealing at every empty pass made blocks of two or three
        // receipts (85 bytes a receipt on disk, twice the CPU). So a block is sealed when the queue has been idle a
        // while, when it is old, or when the queue needs its slots; in between, the blocks the journal seals by
        // itself (full at 1,024 receipts) release their slots.
        if (lastAppended > lastSealed &&
            (drained == 0 && nowMs - lastDrainedMs >= IDLE_SEAL_MS || nowMs - blockOpenedMs >= SEAL_INTERVAL_MS ||
            lastAppended - lastSealed >= queue.capacity() / 4))
        {
            seal(nowMs);
        }
        else
        {
            releaseSealed(nowMs);
        }
        if (forceDue && nowMs - lastForceMs >= FORCE_INTERVAL_MS)
        {
            startForce(nowMs);
        }
        publishUnforced();
        if (nowMs >= nextRetentionMs && !retaining)
        {
            // handed off: deleting a day of a billion receipts (50 GB) takes long, and the drain must not wait
            nextRetentionMs = nowMs + RETENTION_INTERVAL_MS;
            retaining = true;
            try
            {
                retention.execute(() -> retain(nowMs));
            }
            catch (final RejectedExecutionException ex)
            {
                retaining = false;
            }
        }
        return drained;
    }

    /**
     * Retention, on its own thread: delete the days past retention of both the clock's day and the newest day
     * written ({@link ReceiptJournal#deleteExpired}). A failure is logged and counted, and tried again a day later;
     * it never fails the journal.
     */
    private void retain(final long nowMs)
    {
        try
        {
            final int deleted = journal.deleteExpired(nowMs, retentionDays);
            if (deleted > 0)
            {
                LOG.info("receipts: retention deleted {} days ({} days kept)", deleted, retentionDays);
            }
        }
        catch (final Throwable ex)
        {
            retentionFailures++;
            LOG.error("receipts: retention could not delete a day; tried again in a day", ex);
        }
        finally
        {
            retaining = false;
        }
    }

    private int drain(final long nowMs) throws IOException
    {
        final ReceiptQueue queue = this.queue;
        int count = 0;
        while (count < BATCH && queue.isCommitted(next))
        {
            final int offset = queue.offset(next);
            final long epochDay = queue.epochDay(next);
            if (count == 0)
            {
                final long dayMillis = queue.buffer().getInt(offset + ReceiptEncoder.dayMillisEncodingOffset(),
                    ReceiptEncoder.BYTE_ORDER) & 0xFFFF_FFFFL;
                lagMs = Math.max(0, nowMs - (epochDay * DAY_MS + dayMillis));
                if (lastAppended == lastSealed)
                {
                    blockOpenedMs = nowMs;
                }
            }
            journal.append(queue.buffer(), offset, epochDay);
            lastAppended = next++;
            count++;
        }
        if (count > 0)
        {
            appended = lastAppended;
        }
        else
        {
            lagMs = 0;
        }
        return count;
    }

    /**
     * Release the slots of the receipts the journal has sealed by itself (full blocks): a kill -9 keeps them.
     */
    private void releaseSealed(final long nowMs)
    {
        final long sealedId = journal.lastSealedId();
        final long sequence = DecisionIds.sequence(sealedId);
        if (sequence > lastSealed && sequence <= lastAppended && queue.decisionId(sequence) == sealedId)
        {
            lastSealed = sequence;
            queue.release(sequence);
            forceDue(nowMs);
            blockOpenedMs = nowMs;
        }
    }

    private void seal(final long nowMs) throws IOException
    {
        journal.seal(nowMs);
        lastSealed = lastAppended;
        queue.release(lastSealed);
        forceDue(nowMs);
    }

    private void forceDue(final long nowMs)
    {
        if (!forceDue)
        {
            forceDue = true;
            dueSinceMs = nowMs;
        }
    }

    /**
     * Hand the force to the journal's forcer unless one still runs (then it stays due: forces never queue up).
     */
    private void startForce(final long nowMs) throws IOException
    {
        // the names first, on the forcer too: a receipt on the device never carries a party number its run's file
        // cannot name
        if (journal.startForce(parties::force))
        {
            lastForceMs = nowMs;
            forceDue = false;
            forcingSinceMs = dueSinceMs;
        }
    }

    /**
     * Publish when the oldest seal not known to be on the device was made: the running force's, else the seal due.
     */
    private void publishUnforced()
    {
        if (forcingSinceMs != 0 && !journal.forcing())
        {
            forcingSinceMs = 0;
        }
        final long since = forcingSinceMs != 0 ? forcingSinceMs : forceDue ? dueSinceMs : 0;
        if (since != unforcedSinceMs)
        {
            unforcedSinceMs = since;
        }
    }

    /**
     * At close, on the drain: the names, then the journal, once the force running is done.
     */
    private void forceNow() throws IOException
    {
        parties.force();
        journal.force();
        forceDue = false;
        forcingSinceMs = 0;
        unforcedSinceMs = 0;
    }

    private void fail(final Throwable ex)
    {
        failed = true;
        recorder.fail(ex);
        journal.endWaits();
        final long suppressed = FAILURES.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.error("receipts: the journal failed; no decision is recorded until restart ({}), and the {} " +
                "receipts recorded and not yet sealed stay in the queue file, appended at the next start " +
                "(suppressedSinceLast={})", recorder.allowsUnrecorded() ? "policy allow: answers are served " +
                "unrecorded" : "policy deny: ALLOW answers become DENY RECEIPT_UNAVAILABLE",
                queue.claimed() - lastSealed, suppressed, ex);
        }
    }

    /**
     * On close: wait (bounded) for every claimed receipt to be committed, append them, seal, force, close.
     */
    private void finish()
    {
        if (!failed)
        {
            try
            {
                final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MS);
                final long claimed = queue.claimed();
                while (next <= claimed && System.nanoTime() - deadlineNs < 0)
                {
                    idle.idle(drain(System.currentTimeMillis()));
                }
                if (next <= claimed)
                {
                    LOG.error("receipts: {} receipts claimed and never committed at close; the queue file keeps " +
                        "them if they are, for the next start", claimed - next + 1);
                }
                final long nowMs = System.currentTimeMillis();
                if (lastAppended > lastSealed)
                {
                    seal(nowMs);
                }
                forceNow();
            }
            catch (final Throwable ex)
            {
                fail(ex);
            }
        }
        if (ownRetention != null)
        {
            ownRetention.shutdown();
            try
            {
                if (!ownRetention.awaitTermination(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                {
                    LOG.warn("receipts: retention still deleting at close; the next start deletes what is left");
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        try
        {
            journal.close();
        }
        catch (final Throwable ex)
        {
            LOG.error("receipts: the journal did not close cleanly; its next open cuts what was not sealed", ex);
        }
    }

    void stop()
    {
        stopping = true;
    }

    ReceiptJournal journal()
    {
        return journal;
    }

    long appended()
    {
        return appended;
    }

    long lagMs()
    {
        return lagMs;
    }

    /**
     * @param nowMs the time, epoch milliseconds.
     * @return seconds since the oldest seal not yet known to be on the device was made (what a power loss could
     *     lose), 0 when every seal is forced; any thread.
     */
    double unforcedSeconds(final long nowMs)
    {
        final long since = unforcedSinceMs;
        return since == 0 ? 0 : Math.max(0, nowMs - since) / 1000.0;
    }

    /**
     * @return seconds the last force of the journal took, or the running one so far when longer; any thread.
     */
    double forceSeconds()
    {
        return journal.forceSeconds();
    }

    long retentionFailures()
    {
        return retentionFailures;
    }

    long refiled()
    {
        return journal.refiled();
    }

    long dealersUnkept()
    {
        return journal.dealersUnkept();
    }

    long diskBytes()
    {
        return journal.diskBytes();
    }
}
