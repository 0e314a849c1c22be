package io.iysfilter.server.security;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A rate of rows per second shared by every connection of one client (or one source address): a virtual clock that
 * each batch of rows pushes forward by rows / rate, allowing a burst of one second's rows. {@link #take(long, long)}
 * says how long the caller must wait before it reads more; nothing is refused. Lock-free and allocation-free.
 */
public final class RowRate
{
    private final long nanosPerRow;
    private final long burstNs;
    private final AtomicLong nextFreeNs;

    /**
     * @param rowsPerSecond the rate, at least 1.
     * @param nowNs         monotonic time.
     */
    public RowRate(final long rowsPerSecond, final long nowNs)
    {
        if (rowsPerSecond < 1)
        {
            throw new IllegalArgumentException("rowsPerSecond: " + rowsPerSecond + " (expected: >= 1)");
        }
        this.nanosPerRow = Math.max(1, TimeUnit.SECONDS.toNanos(1) / rowsPerSecond);
        this.burstNs = TimeUnit.SECONDS.toNanos(1);
        this.nextFreeNs = new AtomicLong(nowNs - burstNs);
    }

    /**
     * Account for rows read.
     *
     * @param rows  rows just read.
     * @param nowNs monotonic time.
     * @return nanoseconds to wait before reading more, 0 when within the rate.
     */
    public long take(final long rows, final long nowNs)
    {
        while (true)
        {
            final long current = nextFreeNs.get();
            final long next = Math.max(current, nowNs - burstNs) + rows * nanosPerRow;
            if (nextFreeNs.compareAndSet(current, next))
            {
                return Math.max(0, next - nowNs);
            }
        }
    }
}
