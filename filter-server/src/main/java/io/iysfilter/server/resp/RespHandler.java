package io.iysfilter.server.resp;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.DecisionTally;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.RequestType;
import io.iysfilter.server.metrics.ServerCounters.RespError;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.Client;
import io.iysfilter.server.security.FailureLimiter;
import io.iysfilter.server.security.ClientStats;
import io.iysfilter.server.security.Role;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One RESP connection. Commands are parsed in place in Netty's cumulation buffer (arrays of bulk strings as client
 * libraries send them, and inline commands as typed into telnet or {@code nc}), executed, and the replies of one read
 * gathered into one pooled buffer written and flushed when the read completes. IYS.CHECK and IYS.MCHECK allocate
 * nothing: the command name and the enum arguments are matched on the bytes, the recipient is decided where it lies.
 * <p>
 * The parser resumes where the last read left it (a command split over reads is not parsed again from its start);
 * a command of more than {@link RespEndpoint#MAX_ARGUMENTS} elements is consumed element by element as it arrives
 * and refused whole once complete, so what one connection holds stays bounded. Malformed framing gets
 * {@code -ERR Protocol error: ...} after the replies of the commands before it, then this connection alone is closed.
 * Any error of a well-framed command ({@code -ERR}, {@code -NOAUTH}, {@code -WRONGPASS}, {@code -NOPERM}) concerns
 * that command alone. Inside a well-formed IYS.CHECK, a brand that is no İYS brand code, a channel, type or kind that
 * is not known, is a DENY INVALID_REQUEST and a recipient that does not parse a DENY INVALID_RECIPIENT, as on the
 * binary protocol: the request is answered, and denied.
 * <p>
 * Bounded in time: a connection that completes no command for the idle timeout is closed; one whose command, once
 * begun, is not complete within the command timeout gets an error and is closed (while the client does not read its
 * replies the clock stands still). With authentication on, a connection that has named no client within the command
 * timeout of connecting is closed.
 * <p>
 * Authentication (on when the server has a clients file): the client is named by {@code AUTH [user] token},
 * {@code HELLO protover AUTH user token}, or a verified TLS certificate's CN. Before that only AUTH, HELLO and QUIT
 * are served, the rest get {@code -NOAUTH}. A token that names no client gets {@code -WRONGPASS} and is counted
 * against the source address; past the limit the attempt is refused unchecked and the connection closed. A client
 * without the {@code check} role, asking about a brand not its own, or (a client bound to dealers) asking without
 * {@code DEALER} or as a dealer not its own, gets {@code -NOPERM} for that command.
 */
final class RespHandler extends ByteToMessageDecoder
{
    /**
     * What INFO and HELLO report, shared by an endpoint's connections.
     *
     * @param serverName product and version.
     * @param startMs    when the endpoint was made, for the uptime.
     * @param brands     how many brands the index holds.
     * @param ids        the source of connection ids ({@code CLIENT ID}).
     */
    record ServerInfo(String serverName, long startMs, IntSupplier brands, AtomicLong ids)
    {
        private static final Pattern NUMERIC = Pattern.compile("(\\d+(?:\\.\\d+){0,2})");

        /**
         * @return the numeric part of the version ({@code 0.1.0} of {@code iys-filter/0.1.0-SNAPSHOT}), which
         * clients that parse a Redis version can read; {@code 0.0.0} when there is none.
         */
        String numericVersion()
        {
            final int slash = serverName.indexOf('/');
            final Matcher matcher = NUMERIC.matcher(slash < 0 ? serverName : serverName.substring(slash + 1));
            return matcher.lookingAt() ? matcher.group(1) : "0.0.0";
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(RespHandler.class);
    private static final LogLimiter UNEXPECTED = LogLimiter.everyTenSeconds();
    private static final int FLUSH_THRESHOLD = 64 * 1024;
    /** The smallest reply buffer a read starts with; it grows as its replies need. */
    private static final int MIN_REPLY_BUFFER = 256;
    private static final int MORE = 0;
    private static final int DONE = 1;
    private static final int BAD = 2;
    /** Digits of a length; more is malformed. */
    private static final int MAX_LENGTH_DIGITS = 10;
    private static final long MAX_BRAND_CODE = 0xFFFF_FFFFL;
    private static final long INVALID_BRAND_CODE = 0;
    private static final long INVALID_DEALER_CODE = -1;
    private static final int MAX_QUOTED = 128;

    // command ids, in the order of NAMES
    private static final int UNKNOWN = -1;
    private static final int CHECK = 0;
    private static final int MCHECK = 1;
    private static final int PING = 2;
    private static final int ECHO = 3;
    private static final int HELLO = 4;
    private static final int AUTH = 5;
    private static final int QUIT = 6;
    private static final int CLIENT = 7;
    private static final int SELECT = 8;
    private static final int COMMAND = 9;
    private static final int INFO = 10;
    /** Names as matched (upper case), lower-case names as reported, arities (negative: at least), flags. */
    private static final String[][] COMMANDS = {
        {"IYS.CHECK", "-4", "readonly fast"},
        {"IYS.MCHECK", "-4", "readonly"},
        {"PING", "-1", "fast stale"},
        {"ECHO", "2", "fast stale"},
        {"HELLO", "-1", "noauth fast stale no_auth"},
        {"AUTH", "-2", "noauth fast stale no_auth"},
        {"QUIT", "-1", "noauth fast stale no_auth"},
        {"CLIENT", "-2", "stale"},
        {"SELECT", "2", "fast stale"},
        {"COMMAND", "-1", "stale"},
        {"INFO", "-1", "stale"},
    };
    private static final byte[][] NAMES = new byte[COMMANDS.length][];

    private static final byte[] TYPE = RespReplies.ascii("TYPE");
    private static final byte[] KIND = RespReplies.ascii("KIND");
    private static final byte[] DEALER = RespReplies.ascii("DEALER");
    /** First words of an HTTP request: a browser made to post to this port (cross-protocol scripting). */
    private static final byte[] HTTP_POST = RespReplies.ascii("POST");
    private static final byte[] HTTP_HOST = RespReplies.ascii("HOST:");
    /** The channels in the order of {@link #CHANNELS}: {@code values()} copies its array at every call. */
    private static final Channel[] CHANNEL_VALUES = Channel.values();
    private static final byte[][] CHANNELS = new byte[CHANNEL_VALUES.length][];
    private static final byte[] BIREYSEL = RespReplies.ascii("BIREYSEL");
    private static final byte[] TACIR = RespReplies.ascii("TACIR");
    private static final byte[] COMMERCIAL = RespReplies.ascii("COMMERCIAL");
    private static final byte[] TRANSACTIONAL = RespReplies.ascii("TRANSACTIONAL");
    private static final byte[] AUTH_OPTION = RespReplies.ascii("AUTH");
    private static final byte[] SETNAME = RespReplies.ascii("SETNAME");
    private static final byte[] GETNAME = RespReplies.ascii("GETNAME");
    private static final byte[] SETINFO = RespReplies.ascii("SETINFO");
    private static final byte[] ID = RespReplies.ascii("ID");
    private static final byte[] LIB_NAME = RespReplies.ascii("LIB-NAME");
    private static final byte[] LIB_VER = RespReplies.ascii("LIB-VER");
    private static final byte[] COUNT = RespReplies.ascii("COUNT");
    private static final byte[] DOCS = RespReplies.ascii("DOCS");
    private static final byte[] INFO_SUBCOMMAND = RespReplies.ascii("INFO");
    private static final byte[] LIST = RespReplies.ascii("LIST");
    private static final String DEFAULT_USER = "default";

    static
    {
        for (int i = 0; i < COMMANDS.length; i++)
        {
            NAMES[i] = RespReplies.ascii(COMMANDS[i][0]);
        }
        for (int i = 0; i < CHANNEL_VALUES.length; i++)
        {
            CHANNELS[i] = RespReplies.ascii(CHANNEL_VALUES[i].name());
        }
    }

    private final Decider decider;
    private final ServerCounters counters;
    private final Authenticator auth;
    private final ServerInfo info;
    private final long connectionId;
    private final long idleTimeoutNs;
    private final long commandTimeoutNs;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final int[] argStart = new int[RespEndpoint.MAX_ARGUMENTS];
    private final int[] argLength = new int[RespEndpoint.MAX_ARGUMENTS];
    private Client client;
    private ClientStats stats;
    private String address = "unknown";
    private String clientName;
    private boolean resp3;

    // parse state: offsets relative to the reader index, which stays at the command's start while it is parsed
    private int argc = -1;
    private int parsed;
    private int scan;
    private boolean inline;
    private boolean oversize;
    private int oversizeCommand;
    private String oversizeName;
    private long number;
    private int next;
    private String problem;

    private ByteBufAllocator allocator;
    private ByteBuf pending;
    private final DecisionTally tally = new DecisionTally();
    /** Bytes readable when this read's decoding began, to size its reply buffer. */
    private int readBytes;
    private boolean closing;
    private long commandStartNs;
    private Ticker ticker;
    private ScheduledFuture<?> timer;
    private long connectedNs;
    private long lastCommandNs;
    private boolean partial;
    private long partialSinceNs;
    private long closingSinceNs;

    RespHandler(
        final Decider decider,
        final ServerCounters counters,
        final Authenticator auth,
        final ServerInfo info,
        final long idleTimeoutMs,
        final long commandTimeoutMs)
    {
        if (idleTimeoutMs < 0 || commandTimeoutMs < 0)
        {
            throw new IllegalArgumentException("idleTimeoutMs: " + idleTimeoutMs + ", commandTimeoutMs: " +
                commandTimeoutMs + " (expected: >= 0, 0 for off)");
        }
        this.decider = decider;
        this.counters = counters;
        this.auth = auth != null && auth.enabled() ? auth : null;
        this.stats = auth != null && !auth.enabled() ? auth.counters().anonymous() : null;
        this.info = info;
        this.connectionId = info.ids().incrementAndGet();
        this.idleTimeoutNs = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
        this.commandTimeoutNs = TimeUnit.MILLISECONDS.toNanos(commandTimeoutMs);
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> unused)
    {
        if (closing)
        {
            in.skipBytes(in.readableBytes());
            return;
        }
        // one wall-clock read per read (freshness is judged in milliseconds), one monotonic read per command
        final long nowMs = System.currentTimeMillis();
        commandStartNs = System.nanoTime();
        final long tickNs = ticker.nanoTime();
        readBytes = in.readableBytes();
        boolean completed = false;
        while (in.isReadable() && !closing)
        {
            final int status = parse(in);
            if (status == MORE)
            {
                break;
            }
            if (status == BAD)
            {
                protocolError(ctx, in, problem);
                return;
            }
            completed = true;
            final int base = in.readerIndex();
            final int consumed = scan;
            if (argc > 0)
            {
                executeGuarded(ctx, in, base, nowMs);
            }
            if (closing)
            {
                in.skipBytes(in.readableBytes());
                return;
            }
            in.readerIndex(base + consumed);
            reset();
            if (pending != null && pending.readableBytes() >= FLUSH_THRESHOLD)
            {
                ctx.write(pending, ctx.voidPromise());
                pending = null;
            }
        }
        if (completed)
        {
            lastCommandNs = tickNs;
            partial = false;
        }
        if ((in.isReadable() || argc >= 0) && !partial)
        {
            partial = true;
            partialSinceNs = tickNs;
        }
    }

    /**
     * @return bytes received and not yet consumed: at most one command, or one element of an oversized one.
     */
    int heldBytes()
    {
        return actualReadableBytes();
    }

    private void reset()
    {
        argc = -1;
        parsed = 0;
        scan = 0;
        inline = false;
        oversize = false;
        oversizeName = null;
    }

    // ------------------------------------------------------------------------------------------------------------
    // parsing

    /**
     * Parse on from where the last call stopped.
     *
     * @return {@link #DONE} with the command's arguments recorded and {@link #scan} its length, {@link #MORE} when
     * its bytes have not all arrived, {@link #BAD} with {@link #problem} set.
     */
    private int parse(final ByteBuf in)
    {
        if (argc < 0 && !inline)
        {
            if (scan == 0 && in.getByte(in.readerIndex()) != '*')
            {
                inline = true;
            }
            else
            {
                final int status = readLength(in, 1, "multibulk length");
                if (status != DONE)
                {
                    return status;
                }
                if (number > RespEndpoint.MAX_ARRAY_LENGTH)
                {
                    problem = "Protocol error: invalid multibulk length";
                    return BAD;
                }
                scan = next;
                argc = (int)Math.max(0, number);
                parsed = 0;
                oversize = argc > RespEndpoint.MAX_ARGUMENTS;
            }
        }
        return inline ? parseInline(in) : parseElements(in);
    }

    private int parseElements(final ByteBuf in)
    {
        while (parsed < argc)
        {
            final int base = in.readerIndex();
            final int readable = in.readableBytes();
            if (scan >= readable)
            {
                return MORE;
            }
            final byte type = in.getByte(base + scan);
            if (type != '$')
            {
                problem = "Protocol error: expected '$', got '" + printable(type) + "'";
                return BAD;
            }
            final int status = readLength(in, scan + 1, "bulk length");
            if (status != DONE)
            {
                return status;
            }
            if (number < 0 || number > RespEndpoint.MAX_BULK_LENGTH)
            {
                problem = "Protocol error: invalid bulk length " + number + " (expected: 0.." +
                    RespEndpoint.MAX_BULK_LENGTH + ")";
                return BAD;
            }
            final int start = next;
            final int end = start + (int)number;
            if (end + 2 > readable)
            {
                return MORE;
            }
            if (in.getByte(base + end) != '\r' || in.getByte(base + end + 1) != '\n')
            {
                problem = "Protocol error: bulk string not followed by CRLF";
                return BAD;
            }
            if (parsed < RespEndpoint.MAX_ARGUMENTS)
            {
                argStart[parsed] = start;
                argLength[parsed] = end - start;
            }
            parsed++;
            scan = end + 2;
            if (oversize)
            {
                // refused once complete: keep the command's name, drop each element as it arrives
                if (parsed == 1)
                {
                    oversizeCommand = commandOf(in, base + start, end - start);
                    oversizeName = quoted(in, base + start, end - start);
                }
                in.skipBytes(scan);
                scan = 0;
            }
        }
        return DONE;
    }

    /**
     * Read a length line from {@code from} (after its type byte): an optional minus, digits, CRLF.
     */
    private int readLength(final ByteBuf in, final int from, final String what)
    {
        final int base = in.readerIndex();
        final int readable = in.readableBytes();
        long value = 0;
        boolean negative = false;
        int digits = 0;
        for (int i = from; ; i++)
        {
            if (i >= readable)
            {
                return MORE;
            }
            final byte b = in.getByte(base + i);
            if (b == '\r')
            {
                if (digits == 0)
                {
                    problem = "Protocol error: invalid " + what;
                    return BAD;
                }
                if (i + 1 >= readable)
                {
                    return MORE;
                }
                if (in.getByte(base + i + 1) != '\n')
                {
                    problem = "Protocol error: " + what + " not followed by CRLF";
                    return BAD;
                }
                number = negative ? -value : value;
                next = i + 2;
                return DONE;
            }
            if (b == '-' && i == from)
            {
                negative = true;
                continue;
            }
            if (b < '0' || b > '9' || digits == MAX_LENGTH_DIGITS)
            {
                problem = "Protocol error: invalid " + what;
                return BAD;
            }
            value = value * 10 + (b - '0');
            digits++;
        }
    }

    /**
     * An inline command: one line, arguments separated by spaces or tabs, no quoting.
     */
    private int parseInline(final ByteBuf in)
    {
        final int base = in.readerIndex();
        final int readable = Math.min(in.readableBytes(), RespEndpoint.MAX_INLINE_LENGTH + 2);
        final int newline = in.indexOf(base + scan, base + readable, (byte)'\n');
        if (newline < 0)
        {
            if (in.readableBytes() > RespEndpoint.MAX_INLINE_LENGTH + 1)
            {
                problem = "Protocol error: too big inline request (expected: at most " +
                    RespEndpoint.MAX_INLINE_LENGTH + " bytes)";
                return BAD;
            }
            scan = readable;
            return MORE;
        }
        int lineEnd = newline - base;
        if (lineEnd > 0 && in.getByte(base + lineEnd - 1) == '\r')
        {
            lineEnd--;
        }
        int count = 0;
        int i = 0;
        while (i < lineEnd)
        {
            final byte b = in.getByte(base + i);
            if (b == ' ' || b == '\t')
            {
                i++;
                continue;
            }
            final int start = i;
            while (i < lineEnd && in.getByte(base + i) != ' ' && in.getByte(base + i) != '\t')
            {
                i++;
            }
            if (i - start > RespEndpoint.MAX_BULK_LENGTH)
            {
                // the same bound as a bulk string's: names, tokens and recipients are short
                problem = "Protocol error: inline argument too long (expected: at most " +
                    RespEndpoint.MAX_BULK_LENGTH + " bytes)";
                return BAD;
            }
            if (count < RespEndpoint.MAX_ARGUMENTS)
            {
                argStart[count] = start;
                argLength[count] = i - start;
            }
            else if (count == RespEndpoint.MAX_ARGUMENTS)
            {
                oversize = true;
                oversizeCommand = commandOf(in, base + argStart[0], argLength[0]);
                oversizeName = quoted(in, base + argStart[0], argLength[0]);
            }
            count++;
        }
        argc = count;
        parsed = count;
        scan = newline - base + 1;
        return DONE;
    }

    // ------------------------------------------------------------------------------------------------------------
    // commands

    /**
     * Run one command; whatever it throws (a lookup on a damaged map, an {@link Error} from a mapped file) is
     * counted, answered with one {@code -ERR} in place of the command's partial reply, after the replies of the
     * commands before it, and the connection closed: never a missing reply the client would wait for.
     */
    private void executeGuarded(
        final ChannelHandlerContext ctx, final ByteBuf in, final int base, final long nowMs)
    {
        final int mark = pending == null ? 0 : pending.writerIndex();
        try
        {
            execute(ctx, in, base, nowMs);
        }
        catch (final Throwable ex)
        {
            if (pending != null)
            {
                pending.writerIndex(Math.min(mark, pending.writerIndex()));
            }
            final long suppressed = UNEXPECTED.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("RESP command failed, connection closed: remote={}, suppressedSinceLast={}",
                    ctx.channel().remoteAddress(), suppressed, ex);
            }
            error(RespError.INTERNAL, "ERR internal error: the command was not decided; treat it as DENY");
            closeAfterReplies(ctx);
        }
    }

    private void execute(final ChannelHandlerContext ctx, final ByteBuf in, final int base, final long nowMs)
    {
        final int command = oversize ? oversizeCommand : commandOf(in, base + argStart[0], argLength[0]);
        if (command == UNKNOWN && !oversize && (is(in, base, 0, HTTP_POST) || is(in, base, 0, HTTP_HOST)))
        {
            // a web page can make a browser POST to 127.0.0.1:7703, and every line of the body would be a command:
            // closed without a reply, as Redis does
            counters.onRespError(RespError.PROTOCOL);
            final long suppressed = UNEXPECTED.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("RESP connection sent an HTTP request line (a browser made to post to this port?), " +
                    "closed: remote={}, suppressedSinceLast={}", ctx.channel().remoteAddress(), suppressed);
            }
            closeAfterReplies(ctx);
            return;
        }
        if (auth != null && client == null && command != AUTH && command != HELLO && command != QUIT)
        {
            counters.onRequest(Endpoint.RESP, RequestType.OTHER);
            error(RespError.NOAUTH, "NOAUTH Authentication required.");
            return;
        }
        if (oversize)
        {
            counters.onRequest(Endpoint.RESP, command == MCHECK ? RequestType.CHECK_BATCH : RequestType.OTHER);
            if (command == UNKNOWN)
            {
                error(RespError.UNKNOWN_COMMAND, "ERR unknown command " + oversizeName);
            }
            else
            {
                error(RespError.BAD_ARGUMENTS, "ERR too many arguments for '" + lowerName(command) +
                    "' command: " + argc + (command == MCHECK ? " (expected: at most " +
                    RespEndpoint.MAX_RECIPIENTS + " recipients)" : ""));
            }
            return;
        }
        switch (command)
        {
            case CHECK -> check(in, base, nowMs);
            case MCHECK -> multiCheck(in, base, nowMs);
            case PING -> ping(in, base);
            case ECHO -> echo(in, base);
            case HELLO -> hello(ctx, in, base);
            case AUTH -> auth(ctx, in, base);
            case QUIT -> quit(ctx);
            case CLIENT -> client(in, base);
            case SELECT -> select(in, base);
            case COMMAND -> command(in, base);
            case INFO -> info(in, base);
            default -> unknown(in, base);
        }
    }

    private void check(final ByteBuf in, final int base, final long nowMs)
    {
        counters.onRequest(Endpoint.RESP, RequestType.CHECK);
        if (argc < 4)
        {
            wrongArity(CHECK);
            return;
        }
        if ((argc - 4) % 2 != 0)
        {
            syntaxError(CHECK);
            return;
        }
        RecipientType type = RecipientType.UNSPECIFIED;
        MessageKind kind = MessageKind.COMMERCIAL;
        long dealerCode = ConsentFilter.NO_DEALER;
        boolean typeSeen = false;
        boolean kindSeen = false;
        boolean dealerSeen = false;
        for (int i = 4; i < argc; i += 2)
        {
            // each option at most once: with "last one wins", a KIND TRANSACTIONAL appended after a caller's KIND
            // COMMERCIAL would turn a commercial message into an exempt ALLOW
            if (!typeSeen && is(in, base, i, TYPE))
            {
                typeSeen = true;
                type = typeOf(in, base, i + 1);
            }
            else if (!kindSeen && is(in, base, i, KIND))
            {
                kindSeen = true;
                kind = kindOf(in, base, i + 1);
            }
            else if (!dealerSeen && is(in, base, i, DEALER))
            {
                dealerSeen = true;
                dealerCode = dealerOf(in, base, i + 1);
            }
            else
            {
                syntaxError(CHECK);
                return;
            }
        }
        final long brandCode = brandOf(in, base);
        if (auth != null && !authorised(brandCode, dealerCode, CHECK))
        {
            return;
        }
        final BrandState brand = brandCode == INVALID_BRAND_CODE ? null : decider.brand(brandCode);
        final Channel channel = channelOf(in, base);
        wrap(in);
        final Reason reason = brandCode == INVALID_BRAND_CODE || dealerCode == INVALID_DEALER_CODE ?
            decider.refuse(brandCode, channel, type, kind, dealerCode, Reason.INVALID_REQUEST, nowMs) :
            decider.decide(brandCode, brand, channel, type, kind, view, base + argStart[3], argLength[3], dealerCode,
                nowMs);
        onDecision(reason);
        RespReplies.decision(out(), resp3, reason, decider.lastAsOfMs(), decider.lastDecisionId());
        final long endNs = System.nanoTime();
        counters.onLatency(Endpoint.RESP, RequestType.CHECK, endNs - commandStartNs);
        commandStartNs = endNs;
    }

    private void multiCheck(final ByteBuf in, final int base, final long nowMs)
    {
        counters.onRequest(Endpoint.RESP, RequestType.CHECK_BATCH);
        if (argc < 4)
        {
            wrongArity(MCHECK);
            return;
        }
        RecipientType type = RecipientType.UNSPECIFIED;
        MessageKind kind = MessageKind.COMMERCIAL;
        long dealerCode = ConsentFilter.NO_DEALER;
        boolean typeSeen = false;
        boolean kindSeen = false;
        boolean dealerSeen = false;
        int first = 3;
        while (first + 1 < argc)
        {
            final boolean isType = is(in, base, first, TYPE);
            final boolean isKind = !isType && is(in, base, first, KIND);
            final boolean isDealer = !isType && !isKind && is(in, base, first, DEALER);
            if (!isType && !isKind && !isDealer)
            {
                break;
            }
            if (isType ? typeSeen : isKind ? kindSeen : dealerSeen)
            {
                syntaxError(MCHECK);
                return;
            }
            if (isType)
            {
                typeSeen = true;
                type = typeOf(in, base, first + 1);
            }
            else if (isKind)
            {
                kindSeen = true;
                kind = kindOf(in, base, first + 1);
            }
            else
            {
                dealerSeen = true;
                dealerCode = dealerOf(in, base, first + 1);
            }
            first += 2;
        }
        final int recipients = argc - first;
        if (recipients < 1)
        {
            wrongArity(MCHECK);
            return;
        }
        for (int i = first; i < argc; i++)
        {
            // an option after the recipients is a misplaced option, not a recipient: deciding it as one would
            // answer a different number of replies than the caller asked for, under a kind it did not mean
            if (is(in, base, i, TYPE) || is(in, base, i, KIND) || is(in, base, i, DEALER))
            {
                syntaxError(MCHECK);
                return;
            }
        }
        if (recipients > RespEndpoint.MAX_RECIPIENTS)
        {
            error(RespError.BAD_ARGUMENTS, "ERR too many recipients for 'iys.mcheck' command: " + recipients +
                " (expected: at most " + RespEndpoint.MAX_RECIPIENTS + ")");
            return;
        }
        final long brandCode = brandOf(in, base);
        if (auth != null && !authorised(brandCode, dealerCode, MCHECK))
        {
            return;
        }
        final BrandState brand = brandCode == INVALID_BRAND_CODE ? null : decider.brand(brandCode);
        final Channel channel = channelOf(in, base);
        wrap(in);
        final ByteBuf out = out();
        RespReplies.header(out, '*', recipients);
        for (int i = first; i < argc; i++)
        {
            final Reason reason = brandCode == INVALID_BRAND_CODE || dealerCode == INVALID_DEALER_CODE ?
                decider.refuse(brandCode, channel, type, kind, dealerCode, Reason.INVALID_REQUEST, nowMs) :
                decider.decide(brandCode, brand, channel, type, kind, view, base + argStart[i], argLength[i],
                    dealerCode, nowMs);
            tally.add(reason);
            RespReplies.decision(out, resp3, reason, decider.lastAsOfMs(), decider.lastDecisionId());
        }
        tally.countAndClear(counters, Endpoint.RESP, stats);
        final long endNs = System.nanoTime();
        counters.onLatency(Endpoint.RESP, RequestType.CHECK_BATCH, endNs - commandStartNs);
        commandStartNs = endNs;
    }

    private void onDecision(final Reason reason)
    {
        counters.onDecision(Endpoint.RESP, reason);
        if (stats != null)
        {
            stats.onDecision(reason.allows());
        }
    }

    /**
     * Authentication is on and a client named: may it check this brand, as this dealer? If not, answer
     * {@code -NOPERM}. A dealer code that is not one is left to the decision (DENY INVALID_REQUEST).
     */
    private boolean authorised(final long brandCode, final long dealerCode, final int command)
    {
        if (!client.has(Role.CHECK))
        {
            stats.onForbidden();
            error(RespError.NOPERM, "NOPERM User " + client.id() + " has no permissions to run the '" +
                lowerName(command) + "' command (it lacks the check role)");
            return false;
        }
        if (brandCode != INVALID_BRAND_CODE && !client.mayAsk(brandCode))
        {
            stats.onForbidden();
            error(RespError.NOPERM, "NOPERM User " + client.id() + " has no permissions to ask about brand " +
                brandCode);
            return false;
        }
        if (dealerCode != INVALID_DEALER_CODE && !client.maySendAs(dealerCode))
        {
            stats.onForbidden();
            error(RespError.NOPERM, dealerCode == ConsentFilter.NO_DEALER ? "NOPERM User " + client.id() +
                " sends for dealers only: name one of its dealers with DEALER code" : "NOPERM User " + client.id() +
                " has no permissions to ask as dealer " + dealerCode);
            return false;
        }
        return true;
    }

    private void ping(final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        if (argc > 2)
        {
            wrongArity(PING);
        }
        else if (argc == 2)
        {
            RespReplies.bulk(out(), in, base + argStart[1], argLength[1]);
        }
        else
        {
            out().writeBytes(RespReplies.PONG);
        }
    }

    private void echo(final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        if (argc != 2)
        {
            wrongArity(ECHO);
            return;
        }
        RespReplies.bulk(out(), in, base + argStart[1], argLength[1]);
    }

    private void hello(final ChannelHandlerContext ctx, final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.HELLO);
        boolean version3 = resp3;
        if (argc >= 2)
        {
            final long version = integerOf(in, base, 1);
            if (version == Long.MIN_VALUE)
            {
                error(RespError.BAD_ARGUMENTS, "ERR Protocol version is not an integer or out of range");
                return;
            }
            if (version != 2 && version != 3)
            {
                error(RespError.BAD_ARGUMENTS, "NOPROTO unsupported protocol version");
                return;
            }
            version3 = version == 3;
        }
        int userArg = -1;
        int nameArg = -1;
        for (int i = 2; i < argc; i++)
        {
            if (is(in, base, i, AUTH_OPTION) && i + 2 < argc)
            {
                userArg = i + 1;
                i += 2;
            }
            else if (is(in, base, i, SETNAME) && i + 1 < argc)
            {
                nameArg = i + 1;
                i++;
            }
            else
            {
                error(RespError.BAD_ARGUMENTS, "ERR Syntax error in HELLO option " + quoted(in, base + argStart[i],
                    argLength[i]));
                return;
            }
        }
        if (nameArg >= 0 && !validName(in, base, nameArg))
        {
            error(RespError.BAD_ARGUMENTS, "ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        // with authentication off every client may ask, so a user and password pass, as Redis's default user
        // without a password lets them
        if (userArg >= 0 && auth != null && !authenticate(ctx, in, base, userArg, userArg + 1))
        {
            return;
        }
        if (auth != null && client == null)
        {
            error(RespError.NOAUTH, "NOAUTH HELLO must be called with the client already authenticated, otherwise " +
                "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the " +
                "RESP protocol version at the same time");
            return;
        }
        if (nameArg >= 0)
        {
            clientName = text(in, base, nameArg);
        }
        resp3 = version3;
        final ByteBuf out = out();
        RespReplies.mapHeader(out, resp3, 7);
        RespReplies.bulk(out, "server");
        RespReplies.bulk(out, "iys-filter");
        RespReplies.bulk(out, "version");
        RespReplies.bulk(out, info.numericVersion());
        RespReplies.bulk(out, "proto");
        RespReplies.integer(out, resp3 ? 3 : 2);
        RespReplies.bulk(out, "id");
        RespReplies.integer(out, connectionId);
        RespReplies.bulk(out, "mode");
        RespReplies.bulk(out, "standalone");
        RespReplies.bulk(out, "role");
        RespReplies.bulk(out, "master");
        RespReplies.bulk(out, "modules");
        RespReplies.header(out, '*', 0);
    }

    private void auth(final ChannelHandlerContext ctx, final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.HELLO);
        if (argc != 2 && argc != 3)
        {
            wrongArity(AUTH);
            return;
        }
        if (auth == null)
        {
            // as Redis without a password: the one-argument form is a mistake, a user and password pass
            if (argc == 2)
            {
                error(RespError.BAD_ARGUMENTS, "ERR AUTH <password> called without any password configured for " +
                    "the default user. Are you sure your configuration is correct?");
            }
            else
            {
                out().writeBytes(RespReplies.OK);
            }
            return;
        }
        if (authenticate(ctx, in, base, argc == 3 ? 1 : -1, argc - 1))
        {
            out().writeBytes(RespReplies.OK);
        }
    }

    /**
     * Name the connection's client by a token; the user, when given, must be {@value #DEFAULT_USER} (what a client
     * library sends when given only a password) or the id of the client the token names.
     *
     * @return whether a client was named; if not, the error has been written (and the connection is closing when
     * the address is past its failure limit).
     */
    private boolean authenticate(
        final ChannelHandlerContext ctx, final ByteBuf in, final int base, final int userArg, final int tokenArg)
    {
        final long nowNs = System.nanoTime();
        if (auth.blocked(address, nowNs))
        {
            error(RespError.WRONGPASS, "WRONGPASS too many failed attempts from this address: try again later");
            closeAfterReplies(ctx);
            return false;
        }
        final byte[] token = new byte[argLength[tokenArg]];
        in.getBytes(base + argStart[tokenArg], token);
        final Client found = auth.authenticate(token, address, nowNs);
        final String user = userArg < 0 ? null : text(in, base, userArg);
        if (found == null || user != null && !user.equals(DEFAULT_USER) && !user.equals(found.id()))
        {
            if (found != null)
            {
                auth.onFailure(address, nowNs);
            }
            error(RespError.WRONGPASS, "WRONGPASS invalid username-password pair or user is disabled.");
            return false;
        }
        client = found;
        stats = found.stats();
        decider.asker(Door.RESP, Decider.partyName(found.id(), address));
        return true;
    }

    private void quit(final ChannelHandlerContext ctx)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        out().writeBytes(RespReplies.OK);
        closeAfterReplies(ctx);
    }

    private void client(final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        if (argc < 2)
        {
            wrongArity(CLIENT);
            return;
        }
        if (is(in, base, 1, SETNAME) && argc == 3)
        {
            if (!validName(in, base, 2))
            {
                error(RespError.BAD_ARGUMENTS, "ERR Client names cannot contain spaces, newlines or special " +
                    "characters.");
                return;
            }
            clientName = argLength[2] == 0 ? null : text(in, base, 2);
            out().writeBytes(RespReplies.OK);
        }
        else if (is(in, base, 1, GETNAME) && argc == 2)
        {
            if (clientName == null)
            {
                RespReplies.nil(out(), resp3);
            }
            else
            {
                RespReplies.bulk(out(), clientName);
            }
        }
        else if (is(in, base, 1, SETINFO) && argc == 4)
        {
            if (!is(in, base, 2, LIB_NAME) && !is(in, base, 2, LIB_VER))
            {
                error(RespError.BAD_ARGUMENTS, "ERR Unrecognized option " + quoted(in, base + argStart[2],
                    argLength[2]));
                return;
            }
            out().writeBytes(RespReplies.OK);
        }
        else if (is(in, base, 1, ID) && argc == 2)
        {
            RespReplies.integer(out(), connectionId);
        }
        else if (is(in, base, 1, SETNAME) || is(in, base, 1, GETNAME) || is(in, base, 1, SETINFO) ||
            is(in, base, 1, ID))
        {
            error(RespError.BAD_ARGUMENTS, "ERR wrong number of arguments for 'client|" +
                text(in, base, 1).toLowerCase(Locale.ROOT) + "' command");
        }
        else
        {
            error(RespError.BAD_ARGUMENTS, "ERR unknown subcommand " + quoted(in, base + argStart[1],
                argLength[1]) + ". Try CLIENT HELP.");
        }
    }

    private void select(final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        if (argc != 2)
        {
            wrongArity(SELECT);
            return;
        }
        final long index = integerOf(in, base, 1);
        if (index == Long.MIN_VALUE)
        {
            error(RespError.BAD_ARGUMENTS, "ERR value is not an integer or out of range");
        }
        else if (index != 0)
        {
            error(RespError.BAD_ARGUMENTS, "ERR DB index is out of range");
        }
        else
        {
            out().writeBytes(RespReplies.OK);
        }
    }

    private void command(final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        final ByteBuf out = out();
        if (argc == 1)
        {
            RespReplies.header(out, '*', COMMANDS.length);
            for (int i = 0; i < COMMANDS.length; i++)
            {
                commandEntry(out, i);
            }
        }
        else if (is(in, base, 1, COUNT))
        {
            RespReplies.integer(out, COMMANDS.length);
        }
        else if (is(in, base, 1, DOCS))
        {
            // no documentation is served: an empty map, which clients take as "no hints"
            RespReplies.mapHeader(out, resp3, 0);
        }
        else if (is(in, base, 1, LIST))
        {
            RespReplies.header(out, '*', COMMANDS.length);
            for (int i = 0; i < COMMANDS.length; i++)
            {
                RespReplies.bulk(out, lowerName(i));
            }
        }
        else if (is(in, base, 1, INFO_SUBCOMMAND))
        {
            RespReplies.header(out, '*', argc - 2);
            for (int i = 2; i < argc; i++)
            {
                final int known = commandOf(in, base + argStart[i], argLength[i]);
                if (known == UNKNOWN)
                {
                    RespReplies.nil(out, resp3);
                }
                else
                {
                    commandEntry(out, known);
                }
            }
        }
        else
        {
            error(RespError.BAD_ARGUMENTS, "ERR unknown subcommand " + quoted(in, base + argStart[1],
                argLength[1]) + ". Try COMMAND HELP.");
        }
    }

    /**
     * One command's entry as COMMAND reports it: name, arity, flags, first key, last key, key step, ACL categories,
     * tips, key specifications, subcommands.
     */
    private static void commandEntry(final ByteBuf out, final int command)
    {
        RespReplies.header(out, '*', 10);
        RespReplies.bulk(out, lowerName(command));
        RespReplies.integer(out, Integer.parseInt(COMMANDS[command][1]));
        final String[] flags = COMMANDS[command][2].split(" ");
        RespReplies.header(out, '*', flags.length);
        for (final String flag : flags)
        {
            RespReplies.simple(out, flag);
        }
        RespReplies.integer(out, 0);
        RespReplies.integer(out, 0);
        RespReplies.integer(out, 0);
        RespReplies.header(out, '*', 0);
        RespReplies.header(out, '*', 0);
        RespReplies.header(out, '*', 0);
        RespReplies.header(out, '*', 0);
    }

    private void info(final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        final String section = argc >= 2 ? text(in, base, 1).toLowerCase(Locale.ROOT) : "default";
        final boolean all = argc < 2 || section.equals("all") || section.equals("default") ||
            section.equals("everything");
        final StringBuilder text = new StringBuilder(256);
        if (all || section.equals("server"))
        {
            final long uptimeSec = (System.currentTimeMillis() - info.startMs()) / 1000;
            text.append("# Server\r\n")
                .append("iys_filter_version:").append(info.serverName()).append("\r\n")
                .append("redis_version:").append(info.numericVersion()).append("\r\n")
                .append("redis_mode:standalone\r\n")
                .append("process_id:").append(ProcessHandle.current().pid()).append("\r\n")
                .append("uptime_in_seconds:").append(uptimeSec).append("\r\n")
                .append("uptime_in_days:").append(uptimeSec / 86_400).append("\r\n\r\n");
        }
        if (all || section.equals("clients"))
        {
            text.append("# Clients\r\n")
                .append("connected_clients:").append(counters.connections(Endpoint.RESP).get()).append("\r\n\r\n");
        }
        if (all || section.equals("brands"))
        {
            text.append("# Brands\r\n")
                .append("brands:").append(info.brands().getAsInt()).append("\r\n\r\n");
        }
        RespReplies.bulk(out(), text.toString());
    }

    private void unknown(final ByteBuf in, final int base)
    {
        counters.onRequest(Endpoint.RESP, RequestType.OTHER);
        final StringBuilder text = new StringBuilder("ERR unknown command ")
            .append(quoted(in, base + argStart[0], argLength[0]))
            .append(", with args beginning with: ");
        int room = MAX_QUOTED;
        for (int i = 1; i < argc && room > 0; i++)
        {
            final int length = Math.min(argLength[i], room);
            text.append(quoted(in, base + argStart[i], length)).append(' ');
            room -= length;
        }
        error(RespError.UNKNOWN_COMMAND, text.toString());
    }

    private void wrongArity(final int command)
    {
        error(RespError.BAD_ARGUMENTS, "ERR wrong number of arguments for '" + lowerName(command) + "' command");
    }

    private void syntaxError(final int command)
    {
        error(RespError.BAD_ARGUMENTS, command == MCHECK ?
            "ERR syntax error (expected: IYS.MCHECK brand channel [TYPE BIREYSEL|TACIR] " +
            "[KIND COMMERCIAL|TRANSACTIONAL] [DEALER code] recipient [recipient ...], each option at most once)" :
            "ERR syntax error (expected: IYS.CHECK brand channel recipient [TYPE BIREYSEL|TACIR] " +
            "[KIND COMMERCIAL|TRANSACTIONAL] [DEALER code], each option at most once)");
    }

    private void error(final RespError kind, final String text)
    {
        counters.onRespError(kind);
        RespReplies.error(out(), text);
    }

    // ------------------------------------------------------------------------------------------------------------
    // arguments, matched on the bytes

    private static int commandOf(final ByteBuf in, final int index, final int length)
    {
        for (int i = 0; i < NAMES.length; i++)
        {
            if (equalsIgnoreCase(in, index, length, NAMES[i]))
            {
                return i;
            }
        }
        return UNKNOWN;
    }

    private static String lowerName(final int command)
    {
        return COMMANDS[command][0].toLowerCase(Locale.ROOT);
    }

    private boolean is(final ByteBuf in, final int base, final int arg, final byte[] upper)
    {
        return equalsIgnoreCase(in, base + argStart[arg], argLength[arg], upper);
    }

    /**
     * @return whether the bytes, ASCII letters folded to upper case, are {@code upper}.
     */
    private static boolean equalsIgnoreCase(final ByteBuf in, final int index, final int length, final byte[] upper)
    {
        if (length != upper.length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            int b = in.getByte(index + i);
            if (b >= 'a' && b <= 'z')
            {
                b -= 'a' - 'A';
            }
            if (b != upper[i])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return the brand code, or {@link #INVALID_BRAND_CODE} when the argument is not 1..2^32-1 in decimal.
     */
    private long brandOf(final ByteBuf in, final int base)
    {
        final int length = argLength[1];
        if (length < 1 || length > 10)
        {
            return INVALID_BRAND_CODE;
        }
        long code = 0;
        for (int i = 0; i < length; i++)
        {
            final byte b = in.getByte(base + argStart[1] + i);
            if (b < '0' || b > '9')
            {
                return INVALID_BRAND_CODE;
            }
            code = code * 10 + (b - '0');
        }
        return code > MAX_BRAND_CODE ? INVALID_BRAND_CODE : code;
    }

    /**
     * @return the dealer code, or {@link #INVALID_DEALER_CODE} when the argument is not 1..2^32-1 in decimal.
     */
    private long dealerOf(final ByteBuf in, final int base, final int arg)
    {
        final int length = argLength[arg];
        if (length < 1 || length > 10)
        {
            return INVALID_DEALER_CODE;
        }
        long code = 0;
        for (int i = 0; i < length; i++)
        {
            final byte b = in.getByte(base + argStart[arg] + i);
            if (b < '0' || b > '9')
            {
                return INVALID_DEALER_CODE;
            }
            code = code * 10 + (b - '0');
        }
        return code < 1 || code > MAX_BRAND_CODE ? INVALID_DEALER_CODE : code;
    }

    private Channel channelOf(final ByteBuf in, final int base)
    {
        for (int i = 0; i < CHANNELS.length; i++)
        {
            if (is(in, base, 2, CHANNELS[i]))
            {
                return CHANNEL_VALUES[i];
            }
        }
        return null;
    }

    private RecipientType typeOf(final ByteBuf in, final int base, final int arg)
    {
        return is(in, base, arg, BIREYSEL) ? RecipientType.BIREYSEL : is(in, base, arg, TACIR) ?
            RecipientType.TACIR : null;
    }

    private MessageKind kindOf(final ByteBuf in, final int base, final int arg)
    {
        return is(in, base, arg, COMMERCIAL) ? MessageKind.COMMERCIAL : is(in, base, arg, TRANSACTIONAL) ?
            MessageKind.TRANSACTIONAL : null;
    }

    /**
     * @return the argument as a small decimal integer, or {@link Long#MIN_VALUE} when it is not one.
     */
    private long integerOf(final ByteBuf in, final int base, final int arg)
    {
        final int length = argLength[arg];
        if (length < 1 || length > 18)
        {
            return Long.MIN_VALUE;
        }
        final boolean negative = in.getByte(base + argStart[arg]) == '-';
        if (negative && length == 1)
        {
            return Long.MIN_VALUE;
        }
        long value = 0;
        for (int i = negative ? 1 : 0; i < length; i++)
        {
            final byte b = in.getByte(base + argStart[arg] + i);
            if (b < '0' || b > '9')
            {
                return Long.MIN_VALUE;
            }
            value = value * 10 + (b - '0');
        }
        return negative ? -value : value;
    }

    private boolean validName(final ByteBuf in, final int base, final int arg)
    {
        for (int i = 0; i < argLength[arg]; i++)
        {
            final byte b = in.getByte(base + argStart[arg] + i);
            if (b < '!' || b > '~')
            {
                return false;
            }
        }
        return true;
    }

    private String text(final ByteBuf in, final int base, final int arg)
    {
        return in.toString(base + argStart[arg], argLength[arg], StandardCharsets.UTF_8);
    }

    /**
     * @return the bytes between single quotes, at most {@value #MAX_QUOTED} of them, for an error message.
     */
    private static String quoted(final ByteBuf in, final int index, final int length)
    {
        return "'" + in.toString(index, Math.min(length, MAX_QUOTED), StandardCharsets.UTF_8) + "'";
    }

    private static String printable(final byte b)
    {
        return b >= ' ' && b <= '~' ? String.valueOf((char)b) : String.format(Locale.ROOT, "\\x%02x", b & 0xFF);
    }

    /**
     * Wrap the cumulation buffer so the decider reads a recipient where it lies.
     */
    private void wrap(final ByteBuf in)
    {
        if (in.hasMemoryAddress())
        {
            view.wrap(in.memoryAddress(), in.capacity());
        }
        else if (in.hasArray())
        {
            view.wrap(in.array(), in.arrayOffset(), in.capacity());
        }
        else
        {
            view.wrap(in.nioBuffer(0, in.capacity()));
        }
    }

    private ByteBuf out()
    {
        if (pending == null)
        {
            // sized for what this read can answer, not the flush threshold: a 64 KiB buffer for a read of one
            // small command lets a peer that sends one command per segment and never reads pin ~160 MB before the
            // write buffer's high-water mark (which counts the bytes written, not the capacity) stops reading
            pending = allocator.directBuffer(Math.min(FLUSH_THRESHOLD, Math.max(MIN_REPLY_BUFFER, 2 * readBytes)));
        }
        return pending;
    }

    // ------------------------------------------------------------------------------------------------------------
    // connection

    /**
     * Malformed framing: the error after the replies of the commands before it, then close.
     */
    private void protocolError(final ChannelHandlerContext ctx, final ByteBuf in, final String text)
    {
        LOG.debug("closing RESP connection on protocol error: remote={}, detail={}", ctx.channel().remoteAddress(),
            text);
        error(RespError.PROTOCOL, "ERR " + text);
        closeAfterReplies(ctx);
        in.skipBytes(in.readableBytes());
    }

    private void closeAfterReplies(final ChannelHandlerContext ctx)
    {
        closing = true;
        closingSinceNs = ticker.nanoTime();
        final ByteBuf toWrite = pending != null ? pending : Unpooled.EMPTY_BUFFER;
        pending = null;
        ctx.writeAndFlush(toWrite).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        allocator = ctx.alloc();
        ticker = ctx.executor().ticker();
        address = FailureLimiter.sourceAddress(ctx.channel().remoteAddress());
        decider.asker(Door.RESP, Decider.partyName(client == null ? null : client.id(), address));
        connectedNs = ticker.nanoTime();
        lastCommandNs = connectedNs;
        if (ctx.channel().isActive())
        {
            startTimer(ctx);
        }
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        startTimer(ctx);
        super.channelActive(ctx);
    }

    private void startTimer(final ChannelHandlerContext ctx)
    {
        final long shortest = Math.min(idleTimeoutNs == 0 ? Long.MAX_VALUE : idleTimeoutNs,
            commandTimeoutNs == 0 ? Long.MAX_VALUE : commandTimeoutNs);
        if (timer != null || shortest == Long.MAX_VALUE)
        {
            return;
        }
        final long periodNs = Math.max(TimeUnit.MILLISECONDS.toNanos(1), shortest / 4);
        timer = ctx.executor().scheduleAtFixedRate(() -> onTimer(ctx), periodNs, periodNs, TimeUnit.NANOSECONDS);
    }

    private void onTimer(final ChannelHandlerContext ctx)
    {
        try
        {
            final long nowNs = ticker.nanoTime();
            if (closing)
            {
                final long lingerNs = commandTimeoutNs != 0 ? commandTimeoutNs : idleTimeoutNs;
                if (nowNs - closingSinceNs >= lingerNs && ctx.channel().isOpen())
                {
                    ctx.close();
                }
                return;
            }
            if (!ctx.channel().isWritable())
            {
                // the client does not read its replies: the command clock stands still (the idle timeout bounds it)
                partialSinceNs = nowNs;
            }
            if (commandTimeoutNs != 0 && partial && nowNs - partialSinceNs >= commandTimeoutNs)
            {
                counters.onRespError(RespError.COMMAND_TIMEOUT);
                RespReplies.error(out(), "ERR Protocol error: command not complete within resp-command-timeout (" +
                    TimeUnit.NANOSECONDS.toMillis(commandTimeoutNs) + " ms)");
                closeAfterReplies(ctx);
            }
            else if (auth != null && client == null && commandTimeoutNs != 0 &&
                nowNs - connectedNs >= commandTimeoutNs)
            {
                // authentication on and no client named within the command timeout of connecting: strangers do not
                // hold places of the connection cap; not counted against the address's failure limit (no guess)
                counters.onRespError(RespError.NOAUTH);
                RespReplies.error(out(), "NOAUTH Authentication required within resp-command-timeout (" +
                    TimeUnit.NANOSECONDS.toMillis(commandTimeoutNs) + " ms) of connecting.");
                closeAfterReplies(ctx);
            }
            else if (idleTimeoutNs != 0 && nowNs - lastCommandNs >= idleTimeoutNs)
            {
                // as Redis's own timeout: closed without a reply, which no client would be waiting for
                counters.onRespError(RespError.IDLE_TIMEOUT);
                LOG.debug("closing idle RESP connection: remote={}", ctx.channel().remoteAddress());
                closing = true;
                closingSinceNs = nowNs;
                ctx.close();
            }
        }
        catch (final Throwable ex)
        {
            LOG.warn("closing RESP connection after a failed timeout check: remote={}",
                ctx.channel().remoteAddress(), ex);
            ctx.close();
        }
    }

    /**
     * The client shut its sending side down: reply to what was complete, then close once the replies are written.
     * A TLS handshake completed: a verified certificate's CN may name the client.
     */
    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event) throws Exception
    {
        super.userEventTriggered(ctx, event);
        if (event instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess() && auth != null)
        {
            final SslHandler tls = ctx.pipeline().get(SslHandler.class);
            final Client found = tls == null ? null : auth.byPeerCertificate(tls.engine().getSession());
            if (found != null)
            {
                client = found;
                stats = found.stats();
                decider.asker(Door.RESP, Decider.partyName(found.id(), address));
            }
        }
        if (event instanceof ChannelInputShutdownEvent && !closing)
        {
            closeAfterReplies(ctx);
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx) throws Exception
    {
        if (pending != null)
        {
            ctx.writeAndFlush(pending, ctx.voidPromise());
            pending = null;
        }
        else
        {
            ctx.flush();
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void handlerRemoved0(final ChannelHandlerContext ctx)
    {
        cancelTimer();
        if (pending != null)
        {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        cancelTimer();
        super.channelInactive(ctx);
    }

    private void cancelTimer()
    {
        if (timer != null)
        {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        if (cause instanceof IOException)
        {
            LOG.debug("closing RESP connection after error: remote={}", ctx.channel().remoteAddress(), cause);
        }
        else
        {
            counters.onRespError(RespError.INTERNAL);
            final long suppressed = UNEXPECTED.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("closing RESP connection after an unexpected error: remote={}, suppressedSinceLast={}",
                    ctx.channel().remoteAddress(), suppressed, cause);
            }
        }
        ctx.close();
    }
}
