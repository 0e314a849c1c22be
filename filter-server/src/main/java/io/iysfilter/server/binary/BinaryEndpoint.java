package io.iysfilter.server.binary;

import io.iysfilter.protocol.Limits;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ClientCounters;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;

/**
 * What the network layer needs to run the binary protocol endpoint: on each connection, the endpoint's connection
 * limit, its write-buffer water marks (reading stops while a client leaves more than {@link #HIGH_WATER_MARK}
 * bytes of answers unread), then a frame handler with its own {@link Decider} and timeouts, so event loops share
 * nothing but the index.
 */
public final class BinaryEndpoint
{
    /** Answers waiting to be written above which the connection stops reading requests. */
    public static final int HIGH_WATER_MARK = 256 * 1024;
    /** Answers waiting to be written below which a paused connection reads again. */
    public static final int LOW_WATER_MARK = 64 * 1024;
    /** Default idle timeout: no complete frame for this long closes the connection. */
    public static final long IDLE_TIMEOUT_MS_DEFAULT = 300_000;
    /** Default frame timeout: a frame begun must complete within this long. */
    public static final long FRAME_TIMEOUT_MS_DEFAULT = 10_000;

    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(LOW_WATER_MARK, HIGH_WATER_MARK);
    private static final ReadGate READ_GATE = new ReadGate();

    private final ConsentFilter filter;
    private final ConsentStore store;
    private final ServerCounters counters;
    private final String serverName;
    private final int maxConnections;
    private final long idleTimeoutMs;
    private final long frameTimeoutMs;
    private final ConnectionLimiter limiter;
    private final Authenticator auth;
    private final int maxPerAddress;
    private final DecisionRecorder recorder;

    /**
     * @param filter         the rules.
     * @param store          the index.
     * @param counters       the counters.
     * @param serverName     product and version for WELCOME.
     * @param maxConnections most concurrent connections; one more is answered ERROR TOO_MANY_CONNECTIONS and closed.
     * @param idleTimeoutMs  a connection that completes no frame for this long gets ERROR IDLE_TIMEOUT and is
     *                       closed; 0 for never.
     * @param frameTimeoutMs a connection whose frame, once begun, is not complete after this long gets ERROR
     *                       FRAME_TIMEOUT and is closed; 0 for never.
     */
    public BinaryEndpoint(
        final ConsentFilter filter,
        final ConsentStore store,
        final ServerCounters counters,
        final String serverName,
        final int maxConnections,
        final long idleTimeoutMs,
        final long frameTimeoutMs)
    {
        this(filter, store, counters, Authenticator.off(new ClientCounters()), serverName, maxConnections, 0,
            idleTimeoutMs, frameTimeoutMs, DecisionRecorder.NONE);
    }

    /**
     * @param filter         the rules.
     * @param store          the index.
     * @param counters       the server's counters.
     * @param auth           who may ask what; {@link Authenticator#off} for everyone.
     * @param serverName     what WELCOME reports.
     * @param maxConnections most concurrent connections; more get ERROR TOO_MANY_CONNECTIONS.
     * @param maxPerAddress  most concurrent connections from one peer address, the same refusal past it; 0 for no
     *                       such limit.
     * @param idleTimeoutMs  a connection that completes no frame for this long gets ERROR IDLE_TIMEOUT; 0 for never.
     * @param frameTimeoutMs a frame begun must complete within this long, else ERROR FRAME_TIMEOUT; 0 for never.
     * @param recorder       where each connection's decisions are recorded (receipts), or
     *                       {@link DecisionRecorder#NONE}.
     */
    public BinaryEndpoint(
        final ConsentFilter filter,
        final ConsentStore store,
        final ServerCounters counters,
        final Authenticator auth,
        final String serverName,
        final int maxConnections,
        final int maxPerAddress,
        final long idleTimeoutMs,
        final long frameTimeoutMs,
        final DecisionRecorder recorder)
    {
        if (idleTimeoutMs < 0 || frameTimeoutMs < 0)
        {
            throw new IllegalArgumentException("idleTimeoutMs: " + idleTimeoutMs + ", frameTimeoutMs: " +
                frameTimeoutMs + " (expected: >= 0, 0 for off)");
        }
        this.filter = filter;
        this.store = store;
        this.counters = counters;
        this.serverName = serverName;
        this.maxConnections = maxConnections;
        this.idleTimeoutMs = idleTimeoutMs;
        this.frameTimeoutMs = frameTimeoutMs;
        this.maxPerAddress = maxPerAddress;
        this.limiter = new ConnectionLimiter(maxConnections, maxPerAddress, counters);
        this.auth = auth;
        this.recorder = recorder;
    }

    /**
     * @return the endpoint's limits, for the log line that says where the server listens.
     */
    public String limits()
    {
        return "maxConnections=" + maxConnections + ", maxConnectionsPerAddress=" + maxPerAddress +
            ", maxFrameLength=" + Limits.MAX_FRAME_LENGTH +
            ", idleTimeoutMs=" + idleTimeoutMs + ", frameTimeoutMs=" + frameTimeoutMs +
            ", writeHighWaterMark=" + HIGH_WATER_MARK;
    }

    /**
     * Mount the endpoint on a new client connection: its water marks and half-closure (a client's FIN ends its
     * requests, not its answers), the connection limit, the gate that holds reads back while the client leaves its
     * answers unread, then the handler that frames, decodes, decides and answers.
     *
     * @param pipeline the connection's pipeline.
     */
    public void mount(final ChannelPipeline pipeline)
    {
        pipeline.channel().config().setWriteBufferWaterMark(WATER_MARK);
        // A client that shuts down its output after its last request still gets every answer (PROTOCOL.md §1):
        // the handler closes once they are written, instead of Netty closing at the FIN with answers unsent.
        pipeline.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        pipeline.addLast("limiter", limiter);
        pipeline.addLast("read-gate", READ_GATE);
        pipeline.addLast("frames", new BinaryFrameHandler(new Decider(filter, store.newLookup(), recorder), counters,
            auth, serverName, idleTimeoutMs, frameTimeoutMs));
    }

    /**
     * @param decider    the connection's own decider.
     * @param counters   the counters.
     * @param serverName product and version for WELCOME.
     * @return the handler for one client connection without timeouts, e.g. for a benchmark on an embedded channel.
     */
    public static ChannelHandler newConnection(
        final Decider decider, final ServerCounters counters, final String serverName)
    {
        return new BinaryFrameHandler(decider, counters, serverName, 0, 0);
    }

    /**
     * @param decider    the connection's own decider.
     * @param counters   the counters.
     * @param auth       who may ask what.
     * @param serverName product and version for WELCOME.
     * @return the handler for one client connection without timeouts, e.g. for a test on an embedded channel.
     */
    public static ChannelHandler newConnection(
        final Decider decider, final ServerCounters counters, final Authenticator auth, final String serverName)
    {
        return new BinaryFrameHandler(decider, counters, auth, serverName, 0, 0);
    }
}
