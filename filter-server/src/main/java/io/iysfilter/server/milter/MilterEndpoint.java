package io.iysfilter.server.milter;

import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * What the network layer needs to run a milter endpoint: on each connection the endpoint's connection limit, an idle
 * timeout, the packet decoder (length limit and partial-packet timeout) and a session.
 */
public final class MilterEndpoint
{
    /**
     * Largest milter packet accepted, command byte and payload (the length field's value); a longer one closes the
     * connection and Postfix applies its default action.
     */
    public static final int MAX_PACKET_LENGTH = MilterProtocol.MAX_PACKET_LENGTH;
    /** Default milter port. */
    public static final int PORT_DEFAULT = 7702;

    private final ConsentFilter filter;
    private final ConsentStore store;
    private final MilterSettings settings;
    private final ServerCounters counters;
    private final MilterConnectionLimiter limiter;
    private final DecisionRecorder recorder;

    /**
     * @param filter   the rules.
     * @param store    the index.
     * @param settings brand mapping, policy and connection limits.
     * @param counters the server's counters.
     * @param recorder where each connection's decisions are recorded (receipts), or {@link DecisionRecorder#NONE}.
     */
    public MilterEndpoint(
        final ConsentFilter filter, final ConsentStore store, final MilterSettings settings,
        final ServerCounters counters, final DecisionRecorder recorder)
    {
        this.filter = filter;
        this.store = store;
        this.settings = settings;
        this.counters = counters;
        this.limiter = new MilterConnectionLimiter(settings.maxConnections(), counters);
        this.recorder = recorder;
    }

    /**
     * Add one MTA connection's handlers: the connection limit, the idle timeout, the packet decoder, then the
     * session.
     *
     * @param pipeline  the connection's pipeline.
     * @param decisions where decisions run, off the event loop.
     */
    public void mount(final ChannelPipeline pipeline, final Executor decisions)
    {
        pipeline.addLast("limiter", limiter);
        pipeline.addLast("idle", new IdleStateHandler(settings.idleTimeoutMs(), 0, 0, TimeUnit.MILLISECONDS));
        pipeline.addLast("packets", new MilterPacketDecoder(settings.packetTimeoutMs(), counters));
        pipeline.addLast("milter", newSession(new Decider(filter, store.newLookup(), recorder), settings, decisions,
            counters));
    }

    /**
     * @return a packet decoder as {@link #mount} adds it, for a test or benchmark on an embedded channel: packets of
     * up to {@link #MAX_PACKET_LENGTH} bytes, a begun packet given the default partial-packet timeout.
     */
    public static ChannelHandler newPacketDecoder()
    {
        return new MilterPacketDecoder(MilterSettings.PACKET_TIMEOUT_MS_DEFAULT, null);
    }

    /**
     * @param decider   the connection's own decider.
     * @param settings  brand mapping and policy.
     * @param decisions where decisions run, off the event loop.
     * @param counters  the server's counters.
     * @return the handler for one MTA connection, after {@link #newPacketDecoder()}.
     */
    public static ChannelHandler newSession(
        final Decider decider, final MilterSettings settings, final Executor decisions, final ServerCounters counters)
    {
        return new MilterSessionHandler(decider, settings, decisions, counters);
    }
}
