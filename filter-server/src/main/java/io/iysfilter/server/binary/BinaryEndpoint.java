package io.iysfilter.server.binary;

import io.iysfilter.protocol.Limits;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * What the network layer needs to run the binary protocol endpoint: on each connection, the endpoint's connection
 * limit, then a frame handler with its own {@link Decider}, so event loops share nothing but the index.
 */
public final class BinaryEndpoint
{
    private final ConsentFilter filter;
    private final ConsentStore store;
    private final ServerCounters counters;
    private final String serverName;
    private final int maxConnections;
    private final ConnectionLimiter limiter;

    /**
     * @param filter     the rules.
     * @param store      the index.
     * @param counters   the counters.
     * @param serverName     product and version for WELCOME.
     * @param maxConnections most concurrent connections; one more is answered ERROR TOO_MANY_CONNECTIONS and closed.
     */
    public BinaryEndpoint(
        final ConsentFilter filter,
        final ConsentStore store,
        final ServerCounters counters,
        final String serverName,
        final int maxConnections)
    {
        this.filter = filter;
        this.store = store;
        this.counters = counters;
        this.serverName = serverName;
        this.maxConnections = maxConnections;
        this.limiter = new ConnectionLimiter(maxConnections, counters);
    }

    /**
     * @return the endpoint's limits, for the log line that says where the server listens.
     */
    public String limits()
    {
        return "maxConnections=" + maxConnections + ", maxFrameLength=" + Limits.MAX_FRAME_LENGTH;
    }

    /**
     * Mount the endpoint on a new client connection: the connection limit, then the handler that frames, decodes,
     * decides and answers.
     *
     * @param pipeline the connection's pipeline.
     */
    public void mount(final ChannelPipeline pipeline)
    {
        pipeline.addLast("limiter", limiter);
        pipeline.addLast("frames", newConnection(new Decider(filter, store.newLookup()), counters, serverName));
    }

    /**
     * @param decider    the connection's own decider.
     * @param counters   the counters.
     * @param serverName product and version for WELCOME.
     * @return the handler for one client connection, e.g. for a benchmark on an embedded channel.
     */
    public static ChannelHandler newConnection(
        final Decider decider, final ServerCounters counters, final String serverName)
    {
        return new BinaryFrameHandler(decider, counters, serverName);
    }
}
