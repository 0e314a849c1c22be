package io.iysfilter.server.security;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Failed authentications per source address, in a fixed window of a minute: once an address has failed
 * {@code limit} times in its window, every further attempt from it is refused without its credential being checked
 * until the window ends (the endpoints then close the connection). Bounded memory: at most {@link #MAX_ADDRESSES}
 * addresses are tracked, the one least recently seen dropped first, so a peer that sprays from many addresses can at
 * worst make the table forget some of them, never grow it.
 */
public final class FailureLimiter
{
    /** Most source addresses tracked at once. */
    public static final int MAX_ADDRESSES = 16_384;
    /** The window over which failures are counted. */
    public static final long WINDOW_NS = TimeUnit.MINUTES.toNanos(1);
    /** Default failures allowed per address and window. */
    public static final int LIMIT_DEFAULT = 10;

    private final int limit;
    private final int maxAddresses;
    private final Map<String, Window> windows;
    private final LongAdder failures = new LongAdder();
    private final LongAdder refusedUnchecked = new LongAdder();

    /**
     * @param limit failures allowed per address and minute, at least 1.
     */
    public FailureLimiter(final int limit)
    {
        this(limit, MAX_ADDRESSES);
    }

    FailureLimiter(final int limit, final int maxAddresses)
    {
        if (limit < 1 || maxAddresses < 1)
        {
            throw new IllegalArgumentException("limit: " + limit + ", maxAddresses: " + maxAddresses +
                " (expected: >= 1)");
        }
        this.limit = limit;
        this.maxAddresses = maxAddresses;
        this.windows = new LinkedHashMap<>(64, 0.75f, true)
        {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, Window> eldest)
            {
                return size() > FailureLimiter.this.maxAddresses;
            }
        };
    }

    /**
     * @param remote a peer's socket address.
     * @return its address without the port, as this limiter (and the per-address caps) count it.
     */
    public static String sourceAddress(final SocketAddress remote)
    {
        return remote instanceof InetSocketAddress inet && inet.getAddress() != null ?
            inet.getAddress().getHostAddress() : String.valueOf(remote);
    }

    /**
     * @param address the source address (no port).
     * @param nowNs   monotonic time.
     * @return whether the address has used up its failures for this window: refuse it without checking.
     */
    public synchronized boolean blocked(final String address, final long nowNs)
    {
        final Window window = windows.get(address);
        if (window == null || nowNs - window.startNs >= WINDOW_NS)
        {
            return false;
        }
        if (window.failures >= limit)
        {
            refusedUnchecked.increment();
            return true;
        }
        return false;
    }

    /**
     * Count a failed authentication.
     *
     * @param address the source address (no port).
     * @param nowNs   monotonic time.
     */
    public synchronized void onFailure(final String address, final long nowNs)
    {
        failures.increment();
        Window window = windows.get(address);
        if (window == null)
        {
            window = new Window();
            windows.put(address, window);
            window.startNs = nowNs;
        }
        else if (nowNs - window.startNs >= WINDOW_NS)
        {
            window.startNs = nowNs;
            window.failures = 0;
        }
        window.failures++;
    }

    /**
     * @return failed authentications counted since start.
     */
    public long failures()
    {
        return failures.sum();
    }

    /**
     * @return attempts refused unchecked because their address was over the limit.
     */
    public long refusedUnchecked()
    {
        return refusedUnchecked.sum();
    }

    /**
     * @return addresses tracked now.
     */
    public synchronized int trackedAddresses()
    {
        return windows.size();
    }

    /**
     * @return failures allowed per address and minute.
     */
    public int limit()
    {
        return limit;
    }

    /**
     * One address's window.
     */
    private static final class Window
    {
        private long startNs;
        private int failures;
    }
}
