package io.iysfilter.loadtest;

import io.netty.util.concurrent.EventExecutor;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs one load: opens the connections, drives them from their own event loops (open loop or max throughput),
 * records latency into HdrHistogram and writes an interval log ({@code .hlog}) once a second.
 * <p>
 * Open loop: each connection sends at its share of the rate; request {@code k} has the intended send time
 * {@code start + k / rate}, and its latency is measured from that time, so a stalled server or a late sender shows
 * up in the latency rather than silently lowering the load (no coordinated omission). Max throughput: each
 * connection keeps {@code depth} requests outstanding and sends the next as each answer arrives.
 * <p>
 * An open-loop run holds its rate when every request of the measurement is answered and the last answer comes at
 * most 100 ms after the measurement ends; the achieved rate divides the answers by the measurement, stretched by
 * any later lateness.
 */
public final class LoadRun
{
    private static final int MAX_SENDS_PER_TICK = 1_024;
    private static final long SETUP_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long LATE_ANSWER_GRACE_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LoadTarget target;
    private final Workload.Requests requests;
    private final LoadSettings settings;
    private final Recorder recorder = new Recorder(3);
    private final LongAdder sentRequests = new LongAdder();
    private final LongAdder answeredRequests = new LongAdder();
    private final LongAdder measuredRequests = new LongAdder();
    private final LongAdder measuredDecisions = new LongAdder();
    private final LongAdder wrong = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAccumulator lastMeasuredAnswerNs = new LongAccumulator(Math::max, 0);
    private final LongAccumulator maxSendLagNs = new LongAccumulator(Math::max, 0);
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final AtomicLong outstanding = new AtomicLong();
    private long startNs;
    private long measureStartNs;
    private long endNs;

    private LoadRun(final LoadTarget target, final Workload.Requests requests, final LoadSettings settings)
    {
        this.target = target;
        this.requests = requests;
        this.settings = settings;
    }

    /**
     * @param target   the server.
     * @param requests the pool, with expected answers.
     * @param settings what to run.
     * @param hlog     where to write the interval log, or null.
     * @param progress a line a second, or null.
     * @return what was measured.
     * @throws Exception when the connections cannot be opened or the log written.
     */
    public static RunResult run(
        final LoadTarget target,
        final Workload.Requests requests,
        final LoadSettings settings,
        final Path hlog,
        final PrintStream progress) throws Exception
    {
        return run(target, requests, settings, hlog, progress, null);
    }

    /**
     * Told when the measurement (after the warm-up) starts and ends, on the thread that runs the load, within a
     * millisecond or so of each; e.g. to read a server's CPU time over exactly the measured interval.
     */
    public interface MeasureWindow
    {
        /**
         * The measurement starts.
         *
         * @throws Exception when what it does fails; the run fails with it.
         */
        void opened() throws Exception;

        /**
         * The measurement ends.
         *
         * @throws Exception when what it does fails; the run fails with it.
         */
        void closed() throws Exception;
    }

    /**
     * @param target   the server.
     * @param requests the pool, with expected answers.
     * @param settings what to run.
     * @param hlog     where to write the interval log, or null.
     * @param progress a line a second, or null.
     * @param window   told when the measurement starts and ends, or null.
     * @return what was measured.
     * @throws Exception when the connections cannot be opened or the log written.
     */
    public static RunResult run(
        final LoadTarget target,
        final Workload.Requests requests,
        final LoadSettings settings,
        final Path hlog,
        final PrintStream progress,
        final MeasureWindow window) throws Exception
    {
        if (requests.size() < settings.batch() * settings.connections())
        {
            throw new IllegalArgumentException("request pool too small: size=" + requests.size() + ", need at least " +
                settings.batch() * settings.connections());
        }
        return new LoadRun(target, requests, settings).execute(hlog, progress, window);
    }

    private RunResult execute(final Path hlog, final PrintStream progress, final MeasureWindow window)
        throws Exception
    {
        final List<Lane> lanes = new ArrayList<>();
        for (int i = 0; i < settings.connections(); i++)
        {
            lanes.add(new Lane(i, target.connect()));
        }
        final long startEpochMs = System.currentTimeMillis();
        final HistogramLogWriter log = hlog == null ? null : new HistogramLogWriter(Files.newOutputStream(hlog));
        final Histogram total = new Histogram(3);
        try
        {
            if (log != null)
            {
                log.outputComment("iys-filter loadtest run '" + settings.name() + "' against " + target.name() +
                    ": " + settings + "; values in nanoseconds");
                log.outputLogFormatVersion();
                log.outputStartTime(startEpochMs);
                log.setBaseTime(startEpochMs);
                log.outputLegend();
            }
            startNs = System.nanoTime() + SETUP_NS;
            measureStartNs = startNs + TimeUnit.MILLISECONDS.toNanos(settings.warmupMs());
            endNs = measureStartNs + TimeUnit.MILLISECONDS.toNanos(settings.durationMs());
            for (final Lane lane : lanes)
            {
                lane.executor.execute(lane::start);
            }
            final long drainDeadlineNs = endNs + TimeUnit.MILLISECONDS.toNanos(settings.drainMs());
            Histogram interval = null;
            long nextReportNs = startNs + TimeUnit.SECONDS.toNanos(1);
            boolean opened = false;
            boolean closed = false;
            while (true)
            {
                final long now = System.nanoTime();
                if (window != null && !opened && now >= measureStartNs)
                {
                    opened = true;
                    window.opened();
                }
                if (window != null && !closed && now >= endNs)
                {
                    closed = true;
                    window.closed();
                }
                final boolean finished = now >= endNs && (outstanding.get() == 0 || now >= drainDeadlineNs);
                if (now >= nextReportNs || finished)
                {
                    interval = recorder.getIntervalHistogram(interval);
                    total.add(interval);
                    if (log != null && interval.getTotalCount() > 0)
                    {
                        log.outputIntervalHistogram(interval);
                    }
                    if (progress != null)
                    {
                        progress.printf("  %-24s %4.0f s  sent %,d  answered %,d  outstanding %,d%s%n", settings.name(),
                            (now - startNs) / 1e9, sentRequests.sum(), answeredRequests.sum(), outstanding.get(),
                            interval.getTotalCount() == 0 ? "" : String.format("  p99 %.1f us",
                            interval.getValueAtPercentile(99) / 1_000.0));
                    }
                    nextReportNs += TimeUnit.SECONDS.toNanos(1);
                }
                if (finished)
                {
                    break;
                }
                final long wakeNs = now < measureStartNs ? Math.min(measureStartNs, nextReportNs) : nextReportNs;
                final long sleepNs = Math.min(wakeNs, now < endNs ? endNs : now + 10_000_000L) - now;
                TimeUnit.NANOSECONDS.sleep(Math.max(1_000_000, Math.min(sleepNs, 100_000_000)));
            }
        }
        finally
        {
            for (final Lane lane : lanes)
            {
                lane.connection.close();
            }
            if (log != null)
            {
                log.close();
            }
        }
        return result(startEpochMs, total);
    }

    private RunResult result(final long startEpochMs, final Histogram total)
    {
        final double durationSec = settings.durationMs() / 1_000.0;
        final double requestsPerSec;
        final double decisionsPerSec;
        if (settings.openLoop())
        {
            // A server that cannot keep up falls further behind every second, so its last answers trail the end by
            // a share of the whole run; one scheduling hiccup at the very end (GC, a busy core) is forgiven.
            final double spanSec = Math.max(durationSec,
                (lastMeasuredAnswerNs.get() - measureStartNs - LATE_ANSWER_GRACE_NS) / 1e9);
            requestsPerSec = measuredRequests.sum() / spanSec;
            decisionsPerSec = measuredDecisions.sum() / spanSec;
        }
        else
        {
            requestsPerSec = measuredRequests.sum() / durationSec;
            decisionsPerSec = measuredDecisions.sum() / durationSec;
        }
        final List<String> failures = new ArrayList<>();
        if (wrong.sum() > 0)
        {
            failures.add(wrong.sum() + " answers differ from the expected ones (does --recipients/--seed match " +
                "the prepared data?)");
        }
        if (errors.sum() > 0)
        {
            failures.add(errors.sum() + " requests failed, first: " + firstError.get());
        }
        if (outstanding.get() > 0)
        {
            failures.add(outstanding.get() + " answers missing " + settings.drainMs() + " ms after the end");
        }
        if (settings.openLoop() && requestsPerSec < settings.rate() * 0.99)
        {
            failures.add(String.format("rate not held: %.0f requests/s answered against %.0f offered",
                requestsPerSec, settings.rate()));
        }
        if (measuredRequests.sum() == 0)
        {
            failures.add("no answer in the measurement");
        }
        return new RunResult(settings, target.name(), startEpochMs, requestsPerSec, decisionsPerSec,
            measuredRequests.sum(), wrong.sum(), errors.sum(), outstanding.get(), maxSendLagNs.get(), total,
            List.copyOf(failures));
    }

    /**
     * One connection, driven only from its own event loop.
     */
    private final class Lane implements LoadTarget.Answer
    {
        private final LoadTarget.Connection connection;
        private final EventExecutor executor;
        private final double intervalNs;
        private final long firstNs;
        private int cursor;
        private long sequence;
        private boolean failed;

        Lane(final int index, final LoadTarget.Connection connection)
        {
            this.connection = connection;
            this.executor = connection.executor();
            this.intervalNs = settings.openLoop() ? settings.connections() * 1e9 / settings.rate() : 0;
            this.firstNs = (long)(intervalNs * index / settings.connections());
            final int usable = requests.size() - requests.size() % settings.batch();
            this.cursor = (int)((long)usable * index / settings.connections()) / settings.batch() * settings.batch();
        }

        void start()
        {
            if (settings.openLoop())
            {
                tick();
            }
            else
            {
                final long now = System.nanoTime();
                for (int i = 0; i < settings.depth(); i++)
                {
                    sendNext(now);
                }
            }
        }

        private void tick()
        {
            final long now = System.nanoTime();
            for (int sent = 0; sent < MAX_SENDS_PER_TICK; sent++)
            {
                final long intended = startNs + firstNs + (long)(sequence * intervalNs);
                if (intended >= endNs || failed)
                {
                    return;
                }
                if (intended > now)
                {
                    executor.schedule(this::tick, intended - now, TimeUnit.NANOSECONDS);
                    return;
                }
                maxSendLagNs.accumulate(now - intended);
                sequence++;
                send(intended);
            }
            executor.execute(this::tick);
        }

        private void sendNext(final long now)
        {
            if (now < endNs && !failed)
            {
                send(now);
            }
        }

        private void send(final long tagNs)
        {
            final int batch = settings.batch();
            if (cursor + batch > requests.size())
            {
                cursor = 0;
            }
            final int first = cursor;
            cursor += batch;
            sentRequests.increment();
            outstanding.incrementAndGet();
            connection.send(first, batch, tagNs, this);
        }

        @Override
        public void onAnswer(final long tagNs, final int count, final int wrongAnswers, final Throwable error)
        {
            final long now = System.nanoTime();
            outstanding.decrementAndGet();
            answeredRequests.increment();
            if (error != null)
            {
                errors.increment();
                firstError.compareAndSet(null, String.valueOf(error));
                failed = true;
                return;
            }
            wrong.add(wrongAnswers);
            final boolean measured = settings.openLoop() ?
                tagNs >= measureStartNs && tagNs < endNs :
                now >= measureStartNs && now < endNs;
            if (measured)
            {
                measuredRequests.increment();
                measuredDecisions.add(count);
                lastMeasuredAnswerNs.accumulate(now);
            }
            if (tagNs >= measureStartNs && tagNs < endNs)
            {
                recorder.recordValue(now - tagNs);
            }
            if (!settings.openLoop())
            {
                sendNext(now);
            }
        }
    }
}
