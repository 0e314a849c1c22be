package io.iysfilter.server.ingest;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.logging.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;

/**
 * The single-writer path every index mutation takes: one LMAX Disruptor ring, any number of publishers, one
 * consumer ({@link IngestEventHandler}) holding the store's writer. Every publication claims a sequence and fills
 * its pre-allocated event in place (Disruptor translators would box the long arguments), so publishing a change
 * allocates nothing. When the ring is full a publisher waits (back-pressure); readers are never involved.
 */
public final class IngestPipeline implements AutoCloseable
{
    /** Default ring size: a power of two. */
    public static final int DEFAULT_RING_SIZE = 16 * 1024;

    private final Disruptor<IngestEvent> disruptor;
    private final RingBuffer<IngestEvent> ringBuffer;
    private final IngestEventHandler handler;
    private volatile Thread writerThread;

    /**
     * Start the pipeline's writer thread.
     *
     * @param writer   the store's one writer; this pipeline becomes its only user.
     * @param ringSize events in the ring, a power of two.
     */
    public IngestPipeline(final ConsentIndexWriter writer, final int ringSize)
    {
        final ThreadFactory threads = runnable ->
        {
            final Thread thread = new Thread(runnable, "iys-ingest-writer");
            thread.setDaemon(true);
            writerThread = thread;
            return thread;
        };
        handler = new IngestEventHandler(writer);
        disruptor = new Disruptor<>(IngestEvent::new, ringSize, threads, ProducerType.MULTI,
            new BlockingWaitStrategy());
        disruptor.handleEventsWith(handler);
        disruptor.setDefaultExceptionHandler(new LoggingExceptionHandler());
        ringBuffer = disruptor.start();
    }

    /**
     * Publish one change; waits while the ring is full. The change is copied, so the caller may reuse it.
     *
     * @param change   to apply.
     * @param tag      passed back to the listener, e.g. a line number.
     * @param listener told what became of the change, on the writer thread.
     */
    public void publish(final ConsentChange change, final long tag, final IngestListener listener)
    {
        Objects.requireNonNull(listener, "listener");
        final long sequence = ringBuffer.next();
        try
        {
            final IngestEvent event = ringBuffer.get(sequence);
            event.type = IngestEvent.CHANGE;
            event.change.copyFrom(change);
            event.tag = tag;
            event.listener = listener;
        }
        finally
        {
            ringBuffer.publish(sequence);
        }
    }

    /**
     * Create a brand's index on the writer thread if it does not exist.
     *
     * @param brandCode İYS brand code.
     * @return completes when the brand exists, or exceptionally when it cannot be created.
     */
    public CompletableFuture<Void> createBrand(final long brandCode)
    {
        return control(IngestEvent.CREATE_BRAND, brandCode, 0);
    }

    /**
     * Advance a brand's feed watermark on the writer thread, after every change published before it, and persist it.
     *
     * @param brandCode   İYS brand code.
     * @param watermarkMs time up to which the brand's feed is applied, epoch ms.
     * @return completes when the watermark is set and persisted.
     */
    public CompletableFuture<Void> advanceWatermark(final long brandCode, final long watermarkMs)
    {
        return control(IngestEvent.WATERMARK, brandCode, watermarkMs);
    }

    /**
     * Record a local opt-out: apply the change (a RET marked local) and append its log line, on the writer thread.
     *
     * @param change the RET, with {@code FLAG_LOCAL}; copied.
     * @param line   the log line, a JSON object whose {@code "OUTCOME"} placeholder becomes the outcome.
     * @return completes with {@link io.iysfilter.server.index.ConsentIndexWriter#APPLIED} or {@code SUPERSEDED}
     *         once applied and logged to disk.
     */
    public CompletableFuture<Integer> recordOptOut(final ConsentChange change, final String line)
    {
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        final long sequence = ringBuffer.next();
        try
        {
            final IngestEvent event = ringBuffer.get(sequence);
            event.type = IngestEvent.OPT_OUT;
            event.change.copyFrom(change);
            event.line = line;
            event.outcome = done;
        }
        finally
        {
            ringBuffer.publish(sequence);
        }
        return done;
    }

    /**
     * @return completes once every change published before it is applied and the metadata is persisted.
     */
    public CompletableFuture<Void> barrier()
    {
        return control(IngestEvent.BARRIER, 0, 0);
    }

    private CompletableFuture<Void> control(final int type, final long brandCode, final long watermarkMs)
    {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final long sequence = ringBuffer.next();
        try
        {
            final IngestEvent event = ringBuffer.get(sequence);
            event.type = type;
            event.brandCode = brandCode;
            event.watermarkMs = watermarkMs;
            event.completion = done;
        }
        finally
        {
            ringBuffer.publish(sequence);
        }
        return done;
    }

    /**
     * @return events published and not yet consumed by the writer, now.
     */
    public long backlog()
    {
        return ringBuffer.getBufferSize() - ringBuffer.remainingCapacity();
    }

    /**
     * @return how many events the ring holds.
     */
    public int ringCapacity()
    {
        return ringBuffer.getBufferSize();
    }

    /**
     * @return changes applied since start.
     */
    public long applied()
    {
        return handler.applied();
    }

    /**
     * @return changes found superseded since start.
     */
    public long superseded()
    {
        return handler.superseded();
    }

    /**
     * @return changes refused since start because their creationDate lay in the future.
     */
    public long rejected()
    {
        return handler.rejected();
    }

    /**
     * @return changes that failed since start.
     */
    public long failed()
    {
        return handler.failed();
    }

    /**
     * Drain the ring (every published event is processed), stop the writer thread and wait until it has ended,
     * so that nothing touches the index once this returns.
     */
    @Override
    public void close()
    {
        disruptor.shutdown();
        final Thread thread = writerThread;
        if (thread != null)
        {
            boolean interrupted = false;
            while (thread.isAlive())
            {
                try
                {
                    thread.join();
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
            }
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A backstop: the Disruptor's default handler would stop the writer on an escaped exception. Log and go on.
     */
    private static final class LoggingExceptionHandler implements ExceptionHandler<IngestEvent>
    {
        private static final Logger LOG = LoggerFactory.getLogger(IngestPipeline.class);
        private static final LogLimiter ERRORS = LogLimiter.everyTenSeconds();

        @Override
        public void handleEventException(final Throwable ex, final long sequence, final IngestEvent event)
        {
            final long suppressed = ERRORS.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.error("ingest writer error, event skipped: sequence={}, suppressedSinceLast={}", sequence,
                    suppressed, ex);
            }
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            LOG.error("ingest writer failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            LOG.error("ingest writer failed to shut down cleanly", ex);
        }
    }
}
