package io.iysfilter.loadtest.abuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One kind of hostile client of the abuse soak: a bounded number of threads, each making attempts in a loop at a
 * bounded rate until told to stop. Each attempt ends in an outcome, a short label of how the server answered
 * ({@code ERROR FRAME_TIMEOUT, closed}, {@code 431, closed} …); the kind knows which outcomes the server documents,
 * and counts any other as unexpected, keeping the first one's label, except a refusal at the binary connection cap
 * ({@link #refusedAtCap}), which the soak provokes on purpose.
 * <p>
 * Bounded in time: {@link #stop(long)} ends the loops; an attempt begun before it waits at most its own bounded
 * wait for its answer (every read has a timeout shorter than the grace the soak gives), so every thread ends by the
 * grace's end, and {@link #join(long)} waits no longer.
 */
public abstract class HostileClient
{
    /** Slack added to a server timeout before an attempt gives up waiting for its answer. */
    public static final long ANSWER_SLACK_MS = 5_000;

    private final String kind;
    private final String endpoint;
    private final Set<String> expected;
    private final int threads;
    private final long intervalNs;
    private final Map<String, LongAdder> outcomes = new ConcurrentSkipListMap<>();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder unexpected = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final AtomicReference<String> firstUnexpected = new AtomicReference<>();
    private final List<Thread> running = new ArrayList<>();
    private String serverCounter;
    private double serverCounterRise = Double.NaN;
    private volatile boolean stopping;
    private volatile long deadlineNs = Long.MAX_VALUE;

    /**
     * @param kind       the kind's name in reports, e.g. {@code binary-half-frame}.
     * @param endpoint   binary, http or milter.
     * @param expected   the outcomes the server documents for it.
     * @param threads    how many threads run attempts.
     * @param ratePerSec attempts per second per thread, at most.
     */
    protected HostileClient(
        final String kind, final String endpoint, final Set<String> expected, final int threads,
        final double ratePerSec)
    {
        if (threads < 1 || !(ratePerSec > 0))
        {
            throw new IllegalArgumentException("threads: " + threads + ", ratePerSec: " + ratePerSec +
                " (expected: >= 1, > 0)");
        }
        this.kind = kind;
        this.endpoint = endpoint;
        this.expected = Set.copyOf(expected);
        this.threads = threads;
        this.intervalNs = (long)(1e9 / ratePerSec);
    }

    /**
     * Name the server's counter that counts this kind's answers: the soak then also requires it to rise while the
     * kind runs.
     *
     * @param series the series, name and labels as {@code /metrics} shows them.
     * @return this.
     */
    public final HostileClient counting(final String series)
    {
        this.serverCounter = series;
        return this;
    }

    /**
     * @return the server's counter of this kind's answers, or null when there is none.
     */
    public final String serverCounter()
    {
        return serverCounter;
    }

    /**
     * @param rise how much the server's counter rose while the kind ran.
     */
    public final void serverCounterRose(final double rise)
    {
        this.serverCounterRise = rise;
    }

    /**
     * @return how much the server's counter rose while the kind ran; NaN when not known.
     */
    public final double serverCounterRise()
    {
        return serverCounterRise;
    }

    /**
     * One attempt, bounded in time by its own socket timeouts. Kinds that override {@link #loop()} need none.
     *
     * @return how the server answered.
     * @throws Exception when the attempt failed in a way it does not label itself; counted as unexpected.
     */
    protected String attempt() throws Exception
    {
        throw new UnsupportedOperationException(kind + " keeps its connections in its own loop");
    }

    /**
     * Start the threads.
     */
    public final void start()
    {
        for (int i = 0; i < threads; i++)
        {
            final Thread thread = new Thread(this::loop, "hostile-" + kind + "-" + i);
            thread.setDaemon(true);
            running.add(thread);
            thread.start();
        }
    }

    /**
     * Stop starting attempts; those under way may finish within the grace.
     *
     * @param graceMs how long they may take.
     */
    public final void stop(final long graceMs)
    {
        deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        stopping = true;
    }

    /**
     * Wait for the threads, then give up on any left.
     *
     * @param timeoutMs at most this long.
     * @throws InterruptedException when interrupted.
     */
    public final void join(final long timeoutMs) throws InterruptedException
    {
        final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (final Thread thread : running)
        {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(endNs - System.nanoTime())));
            if (thread.isAlive())
            {
                record("still running when the soak ended");
                thread.interrupt();
            }
        }
    }

    /**
     * The loop each thread runs. Kinds that keep many connections on one thread override it.
     */
    protected void loop()
    {
        long nextNs = System.nanoTime();
        while (!stopping)
        {
            final long waitNs = nextNs - System.nanoTime();
            if (waitNs > 0)
            {
                LockSupport.parkNanos(waitNs);
                continue;
            }
            nextNs = Math.max(nextNs + intervalNs, System.nanoTime() - intervalNs);
            String outcome;
            try
            {
                outcome = attempt();
            }
            catch (final Exception ex)
            {
                outcome = "failed: " + ex;
            }
            attempts.increment();
            record(outcome);
        }
    }

    /**
     * @return whether {@link #stop(long)} was called.
     */
    protected final boolean stopping()
    {
        return stopping;
    }

    /**
     * @return when the grace ends, {@link System#nanoTime()} scale; far in the future before {@link #stop(long)}.
     */
    protected final long deadlineNs()
    {
        return deadlineNs;
    }

    /**
     * Count an attempt, for kinds that override {@link #loop()}.
     */
    protected final void countAttempt()
    {
        attempts.increment();
    }

    /**
     * @param bytes sent to the server.
     */
    protected final void sent(final long bytes)
    {
        bytesSent.add(bytes);
    }

    /**
     * @return bytes sent to the server.
     */
    public final long bytesSent()
    {
        return bytesSent.sum();
    }

    /**
     * Count an outcome.
     *
     * @param outcome how the server answered.
     */
    protected final void record(final String outcome)
    {
        outcomes.computeIfAbsent(outcome, (o) -> new LongAdder()).increment();
        if (!expected.contains(outcome) && !refusedAtCap(outcome))
        {
            unexpected.increment();
            firstUnexpected.compareAndSet(null, outcome);
        }
    }

    /**
     * @param outcome an outcome.
     * @return whether it is the binary connection cap refusing the connection (ERROR TOO_MANY_CONNECTIONS): no
     * answer to what the kind does, and no error either, since the idle kind fills the cap on purpose.
     */
    public static boolean refusedAtCap(final String outcome)
    {
        return outcome.contains("ERROR TOO_MANY_CONNECTIONS");
    }

    /**
     * @return the kind's name.
     */
    public final String kind()
    {
        return kind;
    }

    /**
     * @return binary, http or milter.
     */
    public final String endpoint()
    {
        return endpoint;
    }

    /**
     * @return the outcomes the server documents for this kind.
     */
    public final Set<String> expected()
    {
        return expected;
    }

    /**
     * @return attempts made.
     */
    public final long attempts()
    {
        return attempts.sum();
    }

    /**
     * @return how many ended in each outcome.
     */
    public final Map<String, Long> outcomes()
    {
        final Map<String, Long> counts = new TreeMap<>();
        outcomes.forEach((outcome, count) -> counts.put(outcome, count.sum()));
        return counts;
    }

    /**
     * @return outcomes the server does not document for this kind.
     */
    public final long unexpected()
    {
        return unexpected.sum();
    }

    /**
     * @return the first of them, or null.
     */
    public final String firstUnexpected()
    {
        return firstUnexpected.get();
    }

    /**
     * @return whether it ran, got at least one documented answer and no other (refusals at the connection cap
     * aside), and the server counted it where it has a counter for it.
     */
    public final boolean passed()
    {
        if (serverCounter != null && !(serverCounterRise > 0))
        {
            return false;
        }
        long documented = 0;
        for (final Map.Entry<String, Long> entry : outcomes().entrySet())
        {
            documented += expected.contains(entry.getKey()) ? entry.getValue() : 0;
        }
        return documented > 0 && unexpected() == 0;
    }
}
