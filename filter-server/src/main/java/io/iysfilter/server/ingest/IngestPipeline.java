package io.iysfilter.server.ingest;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.logging.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

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

    private static final Logger LOG = LoggerFactory.getLogger(IngestPipeline.class);
    private static final LogLimiter RESTARTS = LogLimiter.everyTenSeconds();

    private final Disruptor<IngestEvent> disruptor;
    private final RingBuffer<IngestEvent> ringBuffer;
    private final IngestEventHandler handler;
    private final ChangeTap tap;
    private final DiskSpaceGuard diskSpace;
    private final AtomicLong writerRestarts = new AtomicLong();
    private volatile Thread writerThread;
    private volatile boolean closing;

    /**
     * Start the pipeline's writer thread.
     *
     * @param writer   the store's one writer; this pipeline becomes its only user.
     * @param ringSize events in the ring, a power of two.
     */
    public IngestPipeline(final ConsentIndexWriter writer, final int ringSize)
    {
        this(writer, ringSize, ChangeTap.NONE);
    }

    /**
     * Start the pipeline's writer thread, telling a tap of every change the index now holds and every watermark it
     * advances (a fetcher's publisher).
     *
     * @param writer   the store's one writer; this pipeline becomes its only user.
     * @param ringSize events in the ring, a power of two.
     * @param tap      told on the writer thread; {@link ChangeTap#NONE} for none.
     */
    public IngestPipeline(final ConsentIndexWriter writer, final int ringSize, final ChangeTap tap)
    {
        final ThreadFactory threads = runnable ->
        {
            final Thread thread = new Thread(() -> runUntilClosed(runnable), "iys-ingest-writer");
            thread.setDaemon(true);
            writerThread = thread;
            return thread;
        };
        this.tap = tap;
        handler = new IngestEventHandler(writer, tap);
        diskSpace = writer.diskSpace();
        disruptor = new Disruptor<>(IngestEvent::new, ringSize, threads, ProducerType.MULTI,
            new BlockingWaitStrategy());
        disruptor.setDefaultExceptionHandler(new Backstop(handler, disruptor.getRingBuffer()));
        disruptor.handleEventsWith(handler);
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
     * Publish a run of changes in one claim of the ring: one claim and one wake-up of the writer for the run rather
     * than one per change (a replica's bootstrap hands over hundreds of thousands a second). Each change is still
     * its own event: the writer applies them one by one, in this order, each last-writer-wins, and tells the listener
     * of each under its tag, exactly as {@link #publish(ConsentChange, long, IngestListener)} one at a time would.
     * Waits while the ring has no room for the whole run. The changes are copied, so the caller may reuse them.
     *
     * @param changes  the run, from index 0.
     * @param tags     each change's tag, passed back to the listener.
     * @param count    how many, 1..{@link #ringCapacity()}.
     * @param listener told what became of each change, on the writer thread.
     */
    public void publish(
        final ConsentChange[] changes, final long[] tags, final int count, final IngestListener listener)
    {
        Objects.requireNonNull(listener, "listener");
        if (count < 1 || count > ringBuffer.getBufferSize() || count > changes.length || count > tags.length)
        {
            throw new IllegalArgumentException("a run of " + count + " changes: 1.." +
                Math.min(ringBuffer.getBufferSize(), Math.min(changes.length, tags.length)));
        }
        final long last = ringBuffer.next(count);
        final long first = last - count + 1;
        try
        {
            for (int i = 0; i < count; i++)
            {
                final IngestEvent event = ringBuffer.get(first + i);
                event.type = IngestEvent.CHANGE;
                event.change.copyFrom(changes[i]);
                event.tag = tags[i];
                event.listener = listener;
            }
        }
        finally
        {
            ringBuffer.publish(first, last);
        }
    }

    /**
     * When every change the writer has told its tap of so far is safe where the tap sends it: on a fetcher, committed
     * to the replication topic; at once on any other server. Call once the write to wait for has completed.
     *
     * @return completes once published; exceptionally with a {@link ChangeTap.NotPublishedException} when it may
     * never be. Never times out by itself.
     */
    public CompletableFuture<Void> published()
    {
        return tap.published();
    }

    /**
     * @return the writer's tap's term now ({@link ChangeTap#term()}): take it before writing what an acknowledgement
     * waits for.
     */
    public long tapTerm()
    {
        return tap.term();
    }

    /**
     * {@link #published()}, failing when the tap's term changed since {@code since}
     * ({@link ChangeTap#published(long)}).
     *
     * @param since {@link #tapTerm()} before the changes to wait for were written.
     * @return completes once published; exceptionally with a {@link ChangeTap.NotPublishedException} when it may
     * never be. Never times out by itself.
     */
    public CompletableFuture<Void> published(final long since)
    {
        return tap.published(since);
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
     * Write a change ahead, on the writer thread: append its record to the brand's log and force it to disk, then
     * apply the change; if the change fails or is refused, the record is taken back, so that the answer and the log
     * agree. Refused, before anything is written, when the writer has faulted or the disk is below its reserve.
     *
     * @param change the change; copied.
     * @param record its log record.
     * @param log    the log to write it to; used on the writer thread only.
     * @return completes with {@link ConsentIndexWriter#APPLIED} or {@link ConsentIndexWriter#SUPERSEDED} once logged
     *         to disk and applied; exceptionally, with a {@link io.iysfilter.server.index.DiskFullException} when the
     *         disk is full, when it was not recorded.
     */
    public CompletableFuture<Integer> writeAhead(
        final ConsentChange change, final String record, final WriteAheadLog log)
    {
        Objects.requireNonNull(log, "log");
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        final long sequence = ringBuffer.next();
        try
        {
            final IngestEvent event = ringBuffer.get(sequence);
            event.type = IngestEvent.WRITE_AHEAD;
            event.change.copyFrom(change);
            event.line = record;
            event.log = log;
            event.outcome = done;
        }
        finally
        {
            ringBuffer.publish(sequence);
        }
        return done;
    }

    /**
     * Run a task on the writer thread, after every event published before it, then persist the metadata; e.g. the
     * replay of a write-ahead log at start, before anything is served.
     *
     * @param task the work.
     * @param <T>  what it answers.
     * @return completes with its answer; exceptionally when it fails.
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> runOnWriter(final WriterTask<T> task)
    {
        Objects.requireNonNull(task, "task");
        final CompletableFuture<T> done = new CompletableFuture<>();
        final long sequence = ringBuffer.next();
        try
        {
            final IngestEvent event = ringBuffer.get(sequence);
            event.type = IngestEvent.TASK;
            event.task = task;
            event.result = (CompletableFuture<Object>)done;
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
     * @param change a change the writer answered {@link ConsentIndexWriter#REJECTED_FUTURE} for.
     * @return why it was refused, for the operator.
     */
    public static String futureDated(final ConsentChange change)
    {
        return IngestEventHandler.futureDated(change);
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
     * @return whether a fault in a memory-mapped index file (the disk was full) made the writer refuse every change
     *         until the server is restarted.
     */
    public boolean faulted()
    {
        return handler.faulted();
    }

    /**
     * @return times the writer's loop was restarted after a throwable escaped it (should stay 0).
     */
    public long writerRestarts()
    {
        return writerRestarts.get();
    }

    /**
     * @return the guard that refuses changes when the data directory's file system is nearly full.
     */
    public DiskSpaceGuard diskSpace()
    {
        return diskSpace;
    }

    /**
     * Drain the ring (every published event is processed), stop the writer thread and wait until it has ended,
     * so that nothing touches the index once this returns.
     */
    @Override
    public void close()
    {
        closing = true;
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
     * Run the Disruptor's event processor on the writer thread, and run it again if a throwable escapes it. The
     * handler catches everything its events throw, but the JVM delivers the {@link InternalError} of a fault in a
     * memory-mapped file (SIGBUS: a page the full file system could not back) asynchronously in compiled code, at
     * any later point of the thread, so it may surface in the processor's own loop. Without this the only writer
     * would die there and every publisher, and {@link #close()}, would wait for it forever.
     */
    private void runUntilClosed(final Runnable processor)
    {
        while (true)
        {
            try
            {
                processor.run();
                return;
            }
            catch (final Throwable ex)
            {
                if (closing)
                {
                    LOG.error("ingest writer failed while stopping", ex);
                    return;
                }
                writerRestarts.getAndIncrement();
                handler.noteFault(ex);
                final long suppressed = RESTARTS.tryAcquire(System.nanoTime());
                if (suppressed >= 0)
                {
                    LOG.error("ingest writer loop failed, restarting it: suppressedSinceLast={}", suppressed, ex);
                }
            }
        }
    }

    /**
     * The backstop for anything that escapes the handler: the Disruptor's default handler would stop the writer.
     * The processor skips the event at the sequence it reports, so whoever waits for that event (and for the one it
     * passes, if another and not yet handled) is told it failed; the failure is counted, and the writer goes on.
     * <p>
     * A throwable raised while the processor waited for the next sequence (a late SIGBUS can surface anywhere)
     * reports a sequence that may not be published yet: skipping it would drop the event its publisher is still
     * writing, unanswered. Then the throwable goes on to {@link #runUntilClosed}, which restarts the loop at that
     * same sequence.
     */
    static final class Backstop implements ExceptionHandler<IngestEvent>
    {
        private final IngestEventHandler handler;
        private final RingBuffer<IngestEvent> ring;

        Backstop(final IngestEventHandler handler, final RingBuffer<IngestEvent> ring)
        {
            this.handler = handler;
            this.ring = ring;
        }

        @Override
        public void handleEventException(final Throwable ex, final long sequence, final IngestEvent event)
        {
            if (!ring.isAvailable(sequence))
            {
                if (ex instanceof RuntimeException runtime)
                {
                    throw runtime;
                }
                if (ex instanceof Error error)
                {
                    throw error;
                }
                throw new IllegalStateException("ingest writer failed before sequence " + sequence + " was published",
                    ex);
            }
            try
            {
                final IngestEvent skipped = ring.get(sequence);
                handler.fail(skipped, ex);
                skipped.clear();
                if (event != null && event != skipped && event.type != IngestEvent.NONE)
                {
                    handler.fail(event, ex);
                    event.clear();
                }
            }
            catch (final Throwable suppressed)
            {
                ex.addSuppressed(suppressed);
                LOG.error("ingest writer error, event skipped: sequence={}", sequence, ex);
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
