package io.iysfilter.server.resp;

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

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * What the network layer needs to run the RESP (Redis protocol) endpoint: on each connection, its write-buffer water
 * marks, the connection limit (with its per-address cap), then a {@link RespHandler} with its own {@link Decider}, so
 * event loops share nothing but the index. The network layer mounts its writability gate in front (reading stops
 * while a client leaves more than {@link #HIGH_WATER_MARK} bytes of answers unread).
 * <p>
 * The commands, replies, errors and limits are described in docs/RESP.md, section "Reference".
 */
public final class RespEndpoint
{
    /** Default port. */
    public static final int PORT_DEFAULT = 7703;
    /** Default most concurrent connections. */
    public static final int MAX_CONNECTIONS_DEFAULT = 1024;
    /** Default idle timeout: no complete command for this long closes the connection. */
    public static final long IDLE_TIMEOUT_MS_DEFAULT = 300_000;
    /** Default command timeout: a command begun must be complete within this long. */
    public static final long COMMAND_TIMEOUT_MS_DEFAULT = 10_000;
    /** Answers waiting to be written above which the connection stops reading requests. */
    public static final int HIGH_WATER_MARK = 256 * 1024;
    /** Answers waiting to be written below which a paused connection reads again. */
    public static final int LOW_WATER_MARK = 64 * 1024;
    /** Longest bulk string (argument) accepted; longer closes the connection as a protocol error. */
    public static final int MAX_BULK_LENGTH = 512;
    /** Most recipients one IYS.MCHECK may carry; more is an error for that command alone. */
    public static final int MAX_RECIPIENTS = 1000;
    /** Most arguments of a command kept for it (IYS.MCHECK's fixed ones plus its recipients, with room). */
    public static final int MAX_ARGUMENTS = 1024;
    /** Most elements of a command array; more closes the connection (more than {@link #MAX_ARGUMENTS} is refused). */
    public static final int MAX_ARRAY_LENGTH = 1024 * 1024;
    /** Longest inline command line (telnet, {@code nc}); longer closes the connection. */
    public static final int MAX_INLINE_LENGTH = 64 * 1024;

    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(LOW_WATER_MARK, HIGH_WATER_MARK);

    private final ConsentFilter filter;
    private final ConsentStore store;
    private final ServerCounters counters;
    private final Authenticator auth;
    private final RespHandler.ServerInfo info;
    private final int maxConnections;
    private final int maxPerAddress;
    private final long idleTimeoutMs;
    private final long commandTimeoutMs;
    private final RespConnectionLimiter limiter;
    private final DecisionRecorder recorder;

    /**
     * @param filter           the rules.
     * @param store            the index.
     * @param counters         the server's counters.
     * @param auth             who may ask what; {@link Authenticator#off} for everyone.
     * @param serverName       product and version, as INFO and HELLO report it.
     * @param maxConnections   most concurrent connections; one more is answered
     *                         {@code -ERR max number of clients reached} and closed.
     * @param maxPerAddress    most concurrent connections from one peer address, the same refusal past it; 0 for no
     *                         such limit.
     * @param idleTimeoutMs    a connection that completes no command for this long is closed; 0 for never.
     * @param commandTimeoutMs a command begun must be complete within this long, else an error and the connection is
     *                         closed; 0 for never.
     * @param recorder         where each connection's decisions are recorded (receipts), or
     *                         {@link DecisionRecorder#NONE}.
     */
    public RespEndpoint(
        final ConsentFilter filter,
        final ConsentStore store,
        final ServerCounters counters,
        final Authenticator auth,
        final String serverName,
        final int maxConnections,
        final int maxPerAddress,
        final long idleTimeoutMs,
        final long commandTimeoutMs,
        final DecisionRecorder recorder)
    {
        if (idleTimeoutMs < 0 || commandTimeoutMs < 0 || maxConnections < 1 || maxPerAddress < 0)
        {
            throw new IllegalArgumentException("idleTimeoutMs: " + idleTimeoutMs + ", commandTimeoutMs: " +
                commandTimeoutMs + ", maxConnections: " + maxConnections + ", maxPerAddress: " + maxPerAddress +
                " (expected: timeouts >= 0, 0 for off; maxConnections >= 1; maxPerAddress >= 0, 0 for none)");
        }
        this.filter = filter;
        this.store = store;
        this.counters = counters;
        this.auth = auth;
        this.info = info(serverName, () -> store.brands().size());
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.idleTimeoutMs = idleTimeoutMs;
        this.commandTimeoutMs = commandTimeoutMs;
        this.limiter = new RespConnectionLimiter(maxConnections, maxPerAddress, counters);
        this.recorder = recorder;
    }

    /**
     * @return the endpoint's limits, for the log line that says where the server listens.
     */
    public String limits()
    {
        return "maxConnections=" + maxConnections + ", maxConnectionsPerAddress=" + maxPerAddress +
            ", maxBulkLength=" + MAX_BULK_LENGTH + ", maxRecipients=" + MAX_RECIPIENTS +
            ", idleTimeoutMs=" + idleTimeoutMs + ", commandTimeoutMs=" + commandTimeoutMs +
            ", writeHighWaterMark=" + HIGH_WATER_MARK;
    }

    /**
     * @return the water marks a connection of this endpoint gets.
     */
    public static WriteBufferWaterMark waterMark()
    {
        return WATER_MARK;
    }

    /**
     * Mount the endpoint on a new client connection: its water marks and half-closure (a client's FIN ends its
     * commands, not its replies), the connection limit, then the handler that parses, decides and replies.
     *
     * @param pipeline the connection's pipeline, after TLS and the writability gate.
     */
    public void mount(final ChannelPipeline pipeline)
    {
        pipeline.channel().config().setWriteBufferWaterMark(WATER_MARK);
        pipeline.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        pipeline.addLast("resp-limiter", limiter);
        pipeline.addLast("resp", new RespHandler(new Decider(filter, store.newLookup(), recorder), counters, auth, info,
            idleTimeoutMs, commandTimeoutMs));
    }

    /**
     * @param decider    the connection's own decider.
     * @param counters   the counters.
     * @param auth       who may ask what.
     * @param serverName product and version.
     * @param brands     how many brands the index holds, for INFO.
     * @return the handler for one client connection without timeouts, e.g. for a test or a benchmark on an embedded
     * channel.
     */
    public static ChannelHandler newConnection(
        final Decider decider,
        final ServerCounters counters,
        final Authenticator auth,
        final String serverName,
        final IntSupplier brands)
    {
        return new RespHandler(decider, counters, auth, info(serverName, brands), 0, 0);
    }

    /**
     * @param decider    the connection's own decider.
     * @param counters   the counters.
     * @param serverName product and version.
     * @return the handler for one client connection without authentication or timeouts.
     */
    public static ChannelHandler newConnection(
        final Decider decider, final ServerCounters counters, final String serverName)
    {
        return newConnection(decider, counters, Authenticator.off(new ClientCounters()), serverName, () -> 0);
    }

    private static RespHandler.ServerInfo info(final String serverName, final IntSupplier brands)
    {
        return new RespHandler.ServerInfo(serverName, System.currentTimeMillis(), brands, new AtomicLong());
    }
}
