package io.iysfilter.server.metrics;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * An endpoint's open connections per peer address, for its per-address cap ({@code max-connections-per-address}):
 * a few addresses holding idle connections cannot then take the whole connection cap from everyone else. Counted in
 * on accept ({@link #tryOpen}), out on close ({@link #close}); an address with no connection has no entry.
 */
public final class AddressConnections
{
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();
    private final LongAdder refused = new LongAdder();

    /**
     * @param peer a connection's remote address.
     * @return its IP address, or null when it has none (a Unix domain socket).
     */
    public static InetAddress address(final SocketAddress peer)
    {
        return peer instanceof InetSocketAddress ? ((InetSocketAddress)peer).getAddress() : null;
    }

    /**
     * Count a new connection in, unless its address already has {@code limit}; a refusal is counted.
     *
     * @param address the connection's peer address.
     * @param limit   most connections per address.
     * @return whether it was counted in: then {@link #close} must follow when it closes.
     */
    public boolean tryOpen(final InetAddress address, final int limit)
    {
        final boolean[] admitted = new boolean[1];
        open.compute(address, (key, count) ->
        {
            final int now = count == null ? 0 : count;
            admitted[0] = now < limit;
            return admitted[0] ? Integer.valueOf(now + 1) : count;
        });
        if (!admitted[0])
        {
            refused.increment();
        }
        return admitted[0];
    }

    /**
     * @param address a peer address {@link #tryOpen} counted in.
     */
    public void close(final InetAddress address)
    {
        open.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
    }

    /**
     * @param address a peer address.
     * @return its open connections counted.
     */
    public int open(final InetAddress address)
    {
        return open.getOrDefault(address, 0);
    }

    /**
     * @return connections refused for their address's limit since start.
     */
    public long refused()
    {
        return refused.sum();
    }
}
