package io.iysfilter.server.milter;

import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandler;

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

    private MilterEndpoint()
    {
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
