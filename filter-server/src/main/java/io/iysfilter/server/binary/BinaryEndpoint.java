package io.iysfilter.server.binary;

import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandler;

/**
 * What the network layer needs to run the binary protocol endpoint: a frame handler per connection, each with its
 * own {@link Decider}, so event loops share nothing but the index.
 */
public final class BinaryEndpoint
{
    private final ConsentFilter filter;
    private final ConsentStore store;
    private final ServerCounters counters;
    private final String serverName;

    /**
     * @param filter     the rules.
     * @param store      the index.
     * @param counters   the counters.
     * @param serverName product and version for WELCOME.
     */
    public BinaryEndpoint(
        final ConsentFilter filter, final ConsentStore store, final ServerCounters counters, final String serverName)
    {
        this.filter = filter;
        this.store = store;
        this.counters = counters;
        this.serverName = serverName;
    }

    /**
     * @return the handler for one client connection: it frames, decodes, decides and answers.
     */
    public ChannelHandler newConnection()
    {
        return newConnection(new Decider(filter, store.newLookup()), counters, serverName);
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
