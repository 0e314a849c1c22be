package io.iysfilter.server.net;

import io.iysfilter.server.binary.BinaryFrameHandler;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandler;

/**
 * Lets benchmarks build the binary endpoint's per-connection handler, which is package-private in the server.
 */
public final class BenchmarkAccess
{
    private BenchmarkAccess()
    {
    }

    /**
     * @param decider  decisions.
     * @param counters counters, bound to a registry or not.
     * @return a new handler, as the server installs on each binary connection.
     */
    public static ChannelHandler binaryFrameHandler(final Decider decider, final ServerCounters counters)
    {
        return new BinaryFrameHandler(decider, counters, "iys-filter-benchmark");
    }
}
