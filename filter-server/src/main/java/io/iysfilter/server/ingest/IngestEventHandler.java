package io.iysfilter.server.ingest;

import com.lmax.disruptor.EventHandler;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.DiskFullException;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.logging.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The single writer: the ingest ring's only consumer and the only holder of the store's
 * {@link ConsentIndexWriter}. Applies each change as it arrives; persists metadata when a batch ends (the next
 * event may be far away), at most once per {@link #CHECKPOINT_INTERVAL_NS}, and always on a barrier.
 * <p>
 * Nothing an event does may escape, not even an {@link Error}: a full disk under a memory-mapped map surfaces as an
 * {@link InternalError} (SIGBUS), and an escaped throwable would stop the only writer and leave every publisher
 * waiting. Whatever fails, whoever waits for the event is told ({@link #fail}), the failure is counted and logged at
 * most once per 10 s, and the writer goes on. Changes are refused with a "disk full" reason while the data
 * directory's file system is below its reserve ({@link DiskSpaceGuard}).
 */
final class IngestEventHandler implements EventHandler<IngestEvent>
{
    /** Least time between two metadata checkpoints at batch ends; barriers and close always checkpoint. */
    static final long CHECKPOINT_INTERVAL_NS = 1_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(IngestEventHandler.class);
    private static final LogLimiter FAILURES = LogLimiter.everyTenSeconds();
    private static final LogLimiter REFUSALS = LogLimiter.everyTenSeconds();
    private static final LogLimiter CHECKPOINT_FAILURES = LogLimiter.everyTenSeconds();
    /** İYS's time zone and format, for the creationDate of a change refused as from the future. */
    private static final ZoneId TURKEY = ZoneId.of("Europe/Istanbul");
    private static final DateTimeFormatter CREATION_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final ConsentIndexWriter writer;
    private final ChangeTap tap;
    private final DiskSpaceGuard diskSpace;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong superseded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final WriterTask.Changes changes;
    private long lastCheckpointNs = System.nanoTime();
    private volatile String fault;

    IngestEventHandler(final ConsentIndexWriter writer)
    {
        this(writer, ChangeTap.NONE);
    }

    /**
     * @param writer the store's one writer.
     * @param tap    told of every change the index now holds and every watermark advanced, on this thread.
     */
    IngestEventHandler(final ConsentIndexWriter writer, final ChangeTap tap)
    {
        this.writer = writer;
        this.tap = tap;
        this.diskSpace = writer.diskSpace();
        this.changes = this::applyTapped;
    }

    /**
     * Apply a change and tell the tap when the index now holds it (applied, or exactly equal to what its key held);
     * every caller but the tap hears an equal change as {@link ConsentIndexWriter#SUPERSEDED}, as always.
     */
    private int applyTapped(final ConsentChange change)
    {
        final int outcome = writer.applyTelling(change);
        if (outcome == ConsentIndexWriter.APPLIED || outcome == ConsentIndexWriter.EQUAL)
        {
            tap.onChange(change);
        }
        return outcome == ConsentIndexWriter.EQUAL ? ConsentIndexWriter.SUPERSEDED : outcome;
    }

    @Override
    public void onEvent(final IngestEvent event, final long sequence, final boolean endOfBatch)
    {
        try
        {
            switch (event.type)
            {
                case IngestEvent.NONE ->
                {
                }
                case IngestEvent.CHANGE -> onChange(event);
                case IngestEvent.CREATE_BRAND -> onCreateBrand(event);
                case IngestEvent.WATERMARK ->
                {
                    refuseIfFaulted();
                    writer.advanceWatermark(event.brandCode, event.watermarkMs);
                    tap.onWatermark(event.brandCode, event.watermarkMs);
                    checkpoint(System.nanoTime());
                    event.completion.complete(null);
                }
                case IngestEvent.WRITE_AHEAD -> onWriteAhead(event);
                case IngestEvent.TASK -> onTask(event);
                case IngestEvent.BARRIER ->
                {
                    checkpoint(System.nanoTime());
                    event.completion.complete(null);
                }
                default -> throw new IllegalStateException("unknown ingest event type: type=" + event.type);
            }
        }
        catch (final Throwable ex)
        {
            fail(event, ex);
        }
        finally
        {
            event.clear();
            if (endOfBatch)
            {
                final long nowNs = System.nanoTime();
                if (nowNs - lastCheckpointNs >= CHECKPOINT_INTERVAL_NS)
                {
                    safeCheckpoint(nowNs);
                }
            }
        }
    }

    @Override
    public void onShutdown()
    {
        safeCheckpoint(System.nanoTime());
    }

    /**
     * Tell whoever waits for an event that it failed, count it and log it (rate-limited). Never throws; safe on a
     * cleared event. Also the backstop for anything that escapes {@link #onEvent}.
     *
     * @param event   the event that failed.
     * @param failure why.
     */
    void fail(final IngestEvent event, final Throwable failure)
    {
        noteFault(failure);
        final int type = event.type;
        final boolean storeFailure = isStoreFailure(failure);
        final String reason = reason(failure);
        try
        {
            if (type == IngestEvent.CHANGE || type == IngestEvent.WRITE_AHEAD)
            {
                failed.getAndIncrement();
            }
            if (event.listener != null)
            {
                if (storeFailure)
                {
                    event.listener.onStoreFailure(event.tag, reason);
                }
                else
                {
                    event.listener.onFailed(event.tag, reason);
                }
            }
            if (event.outcome != null)
            {
                event.outcome.completeExceptionally(failure);
            }
            if (event.completion != null)
            {
                event.completion.completeExceptionally(failure);
            }
            if (event.result != null)
            {
                event.result.completeExceptionally(failure);
            }
        }
        catch (final Throwable ex)
        {
            failure.addSuppressed(ex);
        }
        final long suppressed = FAILURES.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.error("ingest event failed: type={}, tag={}, storeFailure={}, suppressedSinceLast={}", type,
                event.tag, storeFailure, suppressed, failure);
        }
    }

    /**
     * A fault in a memory-mapped file (SIGBUS) makes the index untrustworthy: in compiled code the JVM skips the
     * faulting access and raises the error later, so changes reported applied in between may have lost writes. From
     * then on the writer refuses changes, opt-outs, new brands and watermarks (a brand whose watermark stops turns
     * STALE: DENY), and every brand answers INDEX_DAMAGED, since a lost write may have been a RET, until a restart
     * recovers and verifies the index and the feed and the opt-out log bring back what is missing.
     *
     * @param failure anything that escaped a store call or the writer's loop.
     */
    void noteFault(final Throwable failure)
    {
        final Throwable diskFull = DiskSpaceGuard.diskFullCause(failure);
        if (fault == null && diskFull instanceof InternalError)
        {
            fault = "disk full: a page of a memory-mapped index file could not be backed (" + diskFull.getMessage() +
                "); writes since may be lost, so changes are refused until the server is restarted after freeing space";
            LOG.error("index writer faulted, refusing every change from now on: {}", fault, failure);
            try
            {
                writer.faulted(fault);
            }
            catch (final Throwable ex)
            {
                LOG.error("cannot mark the brands damaged after the writer's fault", ex);
            }
        }
    }

    /**
     * @return whether a fault in a memory-mapped file made the writer refuse every change until restart.
     */
    boolean faulted()
    {
        return fault != null;
    }

    private void refuseIfFaulted()
    {
        final String reason = fault;
        if (reason != null)
        {
            throw new DiskFullException(reason);
        }
    }

    private void checkpoint(final long nowNs)
    {
        writer.checkpoint();
        lastCheckpointNs = nowNs;
    }

    private void safeCheckpoint(final long nowNs)
    {
        try
        {
            checkpoint(nowNs);
        }
        catch (final Throwable ex)
        {
            lastCheckpointNs = nowNs;
            final long suppressed = CHECKPOINT_FAILURES.tryAcquire(nowNs);
            if (suppressed >= 0)
            {
                LOG.error("ingest checkpoint failed: suppressedSinceLast={}", suppressed, ex);
            }
        }
    }

    private void onChange(final IngestEvent event)
    {
        final String faultReason = fault;
        final String refusal = faultReason != null ? faultReason : diskSpace.check(System.nanoTime());
        if (refusal != null)
        {
            failed.getAndIncrement();
            final long suppressed = REFUSALS.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.error("ingest change refused: {}, suppressedSinceLast={}", refusal, suppressed);
            }
            event.listener.onStoreFailure(event.tag, refusal);
            return;
        }
        final int outcome = applyTapped(event.change);
        if (outcome == ConsentIndexWriter.APPLIED)
        {
            applied.getAndIncrement();
            event.listener.onApplied(event.tag);
        }
        else if (outcome == ConsentIndexWriter.REJECTED_FUTURE)
        {
            rejected.getAndIncrement();
            event.listener.onFromTheFuture(event.tag, futureDated(event.change));
        }
        else
        {
            superseded.getAndIncrement();
            event.listener.onSuperseded(event.tag);
        }
    }

    /**
     * A change written ahead (a local opt-out): its log record is appended and forced to disk before the index is
     * touched, and taken back if the index change fails, so that the answer ("recorded" or not) and the log agree. It
     * is applied like any change (it wins only if newer, in İYS order, than what the key holds).
     * <p>
     * The index pages it changed are not forced before the answer: the replay of the log at start (a
     * {@link WriterTask}), which completes before the server answers anything, puts back whatever a power cut took
     * from the index, so the forced log record alone makes the change durable; forcing the maps (hundreds of MB of
     * dirty pages after an import) would cost far more per change.
     */
    private void onWriteAhead(final IngestEvent event)
    {
        refuseIfFaulted();
        final long nowNs = System.nanoTime();
        final String refusal = diskSpace.checkNow(nowNs);
        if (refusal != null)
        {
            throw new DiskFullException(refusal);
        }
        final WriteAheadLog log = event.log;
        final long brandCode = event.change.brandCode();
        final long position = log.append(brandCode, event.line);
        final int outcome;
        try
        {
            outcome = applyTapped(event.change);
        }
        catch (final Throwable ex)
        {
            try
            {
                log.truncate(brandCode, position);
            }
            catch (final Throwable undo)
            {
                ex.addSuppressed(undo);
            }
            throw ex;
        }
        if (outcome == ConsentIndexWriter.REJECTED_FUTURE)
        {
            log.truncate(brandCode, position);
            rejected.getAndIncrement();
            event.outcome.completeExceptionally(new IllegalArgumentException(futureDated(event.change)));
            return;
        }
        (outcome == ConsentIndexWriter.APPLIED ? applied : superseded).getAndIncrement();
        safeCheckpoint(nowNs);
        event.outcome.complete(outcome);
    }

    /**
     * Work run between two events, e.g. a write-ahead log's replay at start. Neither the fault nor the disk guard
     * applies: a record the index already holds writes nothing, and one that must be written and cannot fails the
     * task. The metadata is persisted before whoever waits is answered.
     */
    private void onTask(final IngestEvent event) throws Exception
    {
        final Object answer = event.task.run(changes);
        safeCheckpoint(System.nanoTime());
        event.result.complete(answer);
    }

    private void onCreateBrand(final IngestEvent event) throws IOException
    {
        refuseIfFaulted();
        final String refusal = diskSpace.checkNow(System.nanoTime());
        if (refusal != null)
        {
            throw new DiskFullException(refusal);
        }
        writer.createBrand(event.brandCode);
        event.completion.complete(null);
    }

    /**
     * @return whether a failure is the store's (the disk, I/O, a fault in a mapped file) rather than the change's.
     */
    static boolean isStoreFailure(final Throwable failure)
    {
        return failure instanceof Error || failure instanceof UncheckedIOException ||
            failure instanceof IOException || DiskSpaceGuard.isDiskFull(failure);
    }

    private static String reason(final Throwable failure)
    {
        final Throwable diskFull = DiskSpaceGuard.diskFullCause(failure);
        if (diskFull != null)
        {
            final String message = String.valueOf(diskFull.getMessage());
            return message.startsWith("disk full") ? message : diskFull instanceof InternalError ?
                "disk full: a page of a memory-mapped index file could not be backed (" + message + ")" :
                "disk full: " + message;
        }
        return failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }

    long applied()
    {
        return applied.get();
    }

    long superseded()
    {
        return superseded.get();
    }

    long failed()
    {
        return failed.get();
    }

    long rejected()
    {
        return rejected.get();
    }

    /**
     * @return why a change was refused as {@link ConsentIndexWriter#REJECTED_FUTURE}.
     */
    static String futureDated(final ConsentChange change)
    {
        return "creationDate " + CREATION_DATE.format(LocalDateTime.ofInstant(
            Instant.ofEpochSecond(ConsentValueDescriptor.creationSec(change.word0())), TURKEY)) +
            " lies in the future (more than the allowed clock skew past this server's clock); a record from the " +
            "future would beat every real record of its key, so it is refused";
    }
}
