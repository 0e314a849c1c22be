package io.iysfilter.server.logging;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one occurrence of a repeated error through per interval and counts the rest, so a failure that repeats a
 * million times a second (a full disk under the writer, a client stuck in a loop of bad requests) costs a line every
 * few seconds rather than the log volume. Lock-free; one instance per log statement.
 * <pre>{@code
 * final long suppressed = LIMITER.tryAcquire(System.nanoTime());
 * if (suppressed >= 0)
 * {
 *     LOG.error("ingest event failed: tag={}, suppressedSinceLast={}", tag, suppressed, ex);
 * }
 * }</pre>
 */
public final class LogLimiter
{
    /** The interval the server uses for its repeated errors. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    private final long intervalNs;
    private final AtomicLong nextAllowedNs = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();
    private volatile boolean started;

    /**
     * @param interval at most one line per interval.
     */
    public LogLimiter(final Duration interval)
    {
        intervalNs = interval.toNanos();
        if (intervalNs <= 0)
        {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
    }

    /**
     * @return a limiter with {@link #DEFAULT_INTERVAL}.
     */
    public static LogLimiter everyTenSeconds()
    {
        return new LogLimiter(DEFAULT_INTERVAL);
    }

    /**
     * Ask to log one occurrence.
     *
     * @param nowNs {@link System#nanoTime()}.
     * @return -1 when this occurrence must not be logged (it is counted), else how many were suppressed since the
     * last one logged.
     */
    public long tryAcquire(final long nowNs)
    {
        final long next = nextAllowedNs.get();
        if ((!started || nowNs - next >= 0) && nextAllowedNs.compareAndSet(next, nowNs + intervalNs))
        {
            started = true;
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }
}
