package io.iysfilter.server.milter;

import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

import java.util.concurrent.Executor;

/**
 * What the network layer needs to run a milter endpoint: the packet limit and a session per connection.
 */
public final class MilterEndpoint
{
    /** Largest milter packet accepted; a longer one closes the connection and Postfix applies its default action. */
    public static final int MAX_PACKET_LENGTH = MilterProtocol.MAX_PACKET_LENGTH;
    /** Default milter port. */
    public static final int PORT_DEFAULT = 7702;

    private final ConsentFilter filter;
    private final ConsentStore store;
    private final MilterSettings settings;
    private final ServerCounters counters;

    /**
     * @param filter   the rules.
     * @param store    the index.
     * @param settings brand mapping and policy.
     * @param counters the server's counters.
     */
    public MilterEndpoint(
        final ConsentFilter filter, final ConsentStore store, final MilterSettings settings,
        final ServerCounters counters)
    {
        this.filter = filter;
        this.store = store;
        this.settings = settings;
        this.counters = counters;
    }

    /**
     * Add one MTA connection's handlers: a 4-byte length-field frame decoder, then the session.
     *
     * @param pipeline  the connection's pipeline.
     * @param decisions where decisions run, off the event loop.
     */
    public void mount(final ChannelPipeline pipeline, final Executor decisions)
    {
        pipeline.addLast("packets", new LengthFieldBasedFrameDecoder(MAX_PACKET_LENGTH, 0, 4, 0, 4));
        pipeline.addLast("milter", newSession(new Decider(filter, store.newLookup()), settings, decisions, counters));
    }

    /**
     * @param decider   the connection's own decider.
     * @param settings  brand mapping and policy.
     * @param decisions where decisions run, off the event loop.
     * @param counters  the server's counters.
     * @return the handler for one MTA connection, after a 4-byte length-field frame decoder.
     */
    public static ChannelHandler newSession(
        final Decider decider, final MilterSettings settings, final Executor decisions, final ServerCounters counters)
    {
        return new MilterSessionHandler(decider, settings, decisions, counters);
    }
}
