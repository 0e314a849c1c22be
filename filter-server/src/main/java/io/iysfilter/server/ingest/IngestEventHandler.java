package io.iysfilter.server.ingest;

import com.lmax.disruptor.EventHandler;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.logging.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The single writer: the ingest ring's only consumer and the only holder of the store's
 * {@link ConsentIndexWriter}. Applies each change as it arrives; persists metadata when a batch ends (the next
 * event may be far away), at most once per {@link #CHECKPOINT_INTERVAL_NS}, and always on a barrier. Nothing an
 * event does may escape: an exception here would stop the only writer.
 */
final class IngestEventHandler implements EventHandler<IngestEvent>
{
    /** Least time between two metadata checkpoints at batch ends; barriers and close always checkpoint. */
    static final long CHECKPOINT_INTERVAL_NS = 1_000_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(IngestEventHandler.class);
    private static final LogLimiter FAILURES = LogLimiter.everyTenSeconds();

    private final ConsentIndexWriter writer;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong superseded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private long lastCheckpointNs = System.nanoTime();

    IngestEventHandler(final ConsentIndexWriter writer)
    {
        this.writer = writer;
    }

    @Override
    public void onEvent(final IngestEvent event, final long sequence, final boolean endOfBatch)
    {
        try
        {
            switch (event.type)
            {
                case IngestEvent.CHANGE -> onChange(event);
                case IngestEvent.CREATE_BRAND -> onCreateBrand(event);
                case IngestEvent.WATERMARK ->
                {
                    writer.advanceWatermark(event.brandCode, event.watermarkMs);
                    checkpoint(System.nanoTime());
                    event.completion.complete(null);
                }
                case IngestEvent.OPT_OUT -> onOptOut(event);
                case IngestEvent.BARRIER ->
                {
                    checkpoint(System.nanoTime());
                    event.completion.complete(null);
                }
                default -> LOG.error("unknown ingest event type: type={}", event.type);
            }
        }
        catch (final RuntimeException ex)
        {
            final long suppressed = FAILURES.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.error("ingest event failed: type={}, tag={}, suppressedSinceLast={}", event.type, event.tag,
                    suppressed, ex);
            }
        }
        finally
        {
            event.clear();
            if (endOfBatch)
            {
                final long nowNs = System.nanoTime();
                if (nowNs - lastCheckpointNs >= CHECKPOINT_INTERVAL_NS)
                {
                    checkpoint(nowNs);
                }
            }
        }
    }

    @Override
    public void onShutdown()
    {
        checkpoint(System.nanoTime());
    }

    private void checkpoint(final long nowNs)
    {
        writer.checkpoint();
        lastCheckpointNs = nowNs;
    }

    private void onChange(final IngestEvent event)
    {
        final int outcome;
        try
        {
            outcome = writer.apply(event.change);
        }
        catch (final RuntimeException ex)
        {
            failed.getAndIncrement();
            event.listener.onFailed(event.tag, String.valueOf(ex.getMessage()));
            return;
        }
        if (outcome == ConsentIndexWriter.APPLIED)
        {
            applied.getAndIncrement();
            event.listener.onApplied(event.tag);
        }
        else if (outcome == ConsentIndexWriter.REJECTED_FUTURE)
        {
            rejected.getAndIncrement();
            event.listener.onFailed(event.tag, futureDated(event.change));
        }
        else
        {
            superseded.getAndIncrement();
            event.listener.onSuperseded(event.tag);
        }
    }

    /**
     * A local opt-out is applied like any change (it wins only if newer, in İYS order, than what the key holds) and is
     * logged, forced to disk, before it is acknowledged.
     */
    private void onOptOut(final IngestEvent event)
    {
        try
        {
            final int outcome = writer.apply(event.change);
            if (outcome == ConsentIndexWriter.REJECTED_FUTURE)
            {
                rejected.getAndIncrement();
                event.outcome.completeExceptionally(new IllegalArgumentException(futureDated(event.change)));
                return;
            }
            writer.appendOptOut(event.change.brandCode(), event.line.replace("\"OUTCOME\"",
                outcome == ConsentIndexWriter.APPLIED ? "\"APPLIED\"" : "\"SUPERSEDED\""));
            checkpoint(System.nanoTime());
            event.outcome.complete(outcome);
        }
        catch (final RuntimeException ex)
        {
            event.outcome.completeExceptionally(ex);
        }
    }

    private void onCreateBrand(final IngestEvent event)
    {
        try
        {
            writer.createBrand(event.brandCode);
            event.completion.complete(null);
        }
        catch (final Exception ex)
        {
            event.completion.completeExceptionally(ex);
        }
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
        return "creationDate " + IysTime.format(ConsentValueDescriptor.creationSec(change.word0())) +
            " lies in the future (more than the allowed clock skew past this server's clock); a record from the " +
            "future would beat every real record of its key, so it is refused";
    }
}
