package io.iysfilter.client;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckBatchEncoder;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.HelloEncoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import org.agrona.concurrent.UnsafeBuffer;

import javax.net.ssl.SSLPeerUnverifiedException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Java client for the iys-filter binary protocol. One TCP connection, shared by any number of threads; requests
 * are pipelined (many outstanding) and answered through {@link CompletableFuture}s matched by correlation id.
 * <ul>
 *   <li><b>Connect:</b> {@link #connect(Options)} opens the connection and exchanges HELLO/WELCOME, so a client
 *   that connects has spoken to a real server. It fails with {@link FilterClientException}.</li>
 *   <li><b>TLS:</b> with {@link Options#tls()} ({@link ClientTls}) the connection is TLS: the handshake must
 *   succeed within the connect timeout, the server's certificate be trusted and, unless switched off explicitly,
 *   name the host; else connecting fails with {@link FilterClientException} saying why.</li>
 *   <li><b>Timeouts:</b> every request fails with {@link TimeoutException} when no answer came within
 *   {@link Options#requestTimeoutMs()} (checked every {@value #SWEEP_INTERVAL_MS} ms). A late answer is dropped.</li>
 *   <li><b>Connection loss:</b> requests in flight fail with {@link FilterClientException}; they are not resent,
 *   though checks are read-only and safe to retry. The next request reconnects, at most once per
 *   {@link Options#reconnectBackoffMs()}; within that interval requests fail at once.</li>
 *   <li><b>Server errors:</b> an ERROR for a request fails its future with the server's
 *   {@link FilterClientException#errorCode()}; an ERROR for the connection fails everything in flight.</li>
 *   <li><b>Limits:</b> recipients must be ASCII of at most the server's {@code maxAddressLength} bytes,
 *   batches at most its {@code maxBatchEntries} entries and a request's frame at most its {@code maxFrameLength},
 *   else {@link IllegalArgumentException} before anything is sent. The limits are the WELCOME of the connection
 *   the request goes on (a request that reconnects is held to the new connection's, which may be lower), each
 *   bounded by what the wire can carry ({@link ServerInfo#effectiveMaxAddressLength()}: never more than
 *   {@link Limits#MAX_ADDRESS_LENGTH} bytes, whatever a server announces).</li>
 * </ul>
 * Threads: one event-loop thread owned by the client completes the futures; do not block inside their callbacks.
 * Many clients (connections) can instead share the threads of one group made by {@link #newEventLoopGroup}, passed
 * to {@link #connect(Options, EventLoopGroup)}; a request made on the connection's own event-loop thread (from a
 * callback, say) is written without a hand-off between threads.
 */
public final class FilterClient implements AutoCloseable
{
    /** How often timed-out requests are failed. */
    public static final long SWEEP_INTERVAL_MS = 50;
    /** The dealer code of a request the brand itself sends. */
    public static final long NO_DEALER = 0;
    /** The protocol version that carries a dealer on CHECK and CHECK_BATCH. */
    static final int DEALER_VERSION = 4;
    /** The name of the TLS handler in a connection's pipeline. */
    static final String TLS_HANDLER = "tls";
    /** Longest bearer token a HELLO carries: its length prefix is a uint8 of at most 254. */
    public static final int MAX_TOKEN_LENGTH = 254;
    /**
     * The WELCOME a connection was given: the limits and protocol version of its server. Set before the connection
     * is published to requests ({@link #channel}), so every connection a request can take has one.
     */
    private static final AttributeKey<ServerInfo> WELCOME = AttributeKey.valueOf("iysWelcome");
    /**
     * The connection's TLS handler, kept from when it was added: a handshake that fails closes the connection, and a
     * closed connection's pipeline is emptied, so the handler may be gone from it by the time the connecting thread
     * looks (its handshake future and engine stay usable).
     */
    private static final AttributeKey<SslHandler> TLS = AttributeKey.valueOf("iysTls");

    private final Options options;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final ScheduledFuture<?> sweep;
    private final Bootstrap bootstrap;
    private final ConcurrentHashMap<Long, PendingRequest> pending = new ConcurrentHashMap<>();
    private final AtomicLong correlationIds = new AtomicLong();
    private final ThreadLocal<Encoders> encoders = ThreadLocal.withInitial(Encoders::new);
    /** The connection requests go on: published only once its WELCOME is in (and kept as its {@link #WELCOME}). */
    private volatile io.netty.channel.Channel channel;
    /** The last WELCOME of any connection, for {@link #serverInfo()}; requests read their own connection's. */
    private volatile ServerInfo serverInfo;
    private long lastFailedConnectNs;
    private boolean closed;

    /**
     * Connection settings.
     *
     * @param host               server host.
     * @param port               binary protocol port.
     * @param requestTimeoutMs   how long a request may wait for its answer.
     * @param connectTimeoutMs   how long connecting, the TLS handshake and the HELLO exchange may take.
     * @param reconnectBackoffMs least time between two connection attempts.
     * @param tls                TLS to the server, or null for plaintext.
     * @param token              the bearer token sent in every HELLO (protocol version 2), or null for none: a server
     *                           with authentication on refuses every CHECK of a connection without one (unless its
     *                           TLS client certificate names the client).
     */
    public record Options(
        String host,
        int port,
        long requestTimeoutMs,
        long connectTimeoutMs,
        long reconnectBackoffMs,
        ClientTls tls,
        String token)
    {
        /** Default request timeout. */
        public static final long REQUEST_TIMEOUT_MS_DEFAULT = 5_000;
        /** Default connect timeout. */
        public static final long CONNECT_TIMEOUT_MS_DEFAULT = 3_000;
        /** Default reconnect back-off. */
        public static final long RECONNECT_BACKOFF_MS_DEFAULT = 1_000;

        /**
         * @param host server host.
         * @param port binary protocol port.
         * @return options with the default timeouts.
         */
        public static Options of(final String host, final int port)
        {
            return new Options(host, port, REQUEST_TIMEOUT_MS_DEFAULT, CONNECT_TIMEOUT_MS_DEFAULT,
                RECONNECT_BACKOFF_MS_DEFAULT);
        }

        /**
         * Plaintext options without a token.
         *
         * @param host               server host.
         * @param port               binary protocol port.
         * @param requestTimeoutMs   how long a request may wait for its answer.
         * @param connectTimeoutMs   how long connecting, the TLS handshake and the HELLO exchange may take.
         * @param reconnectBackoffMs least time between two connection attempts.
         */
        public Options(
            final String host, final int port, final long requestTimeoutMs, final long connectTimeoutMs,
            final long reconnectBackoffMs)
        {
            this(host, port, requestTimeoutMs, connectTimeoutMs, reconnectBackoffMs, null, null);
        }

        /**
         * @param tls TLS to the server, or null for plaintext.
         * @return a copy with it.
         */
        public Options withTls(final ClientTls tls)
        {
            return new Options(host, port, requestTimeoutMs, connectTimeoutMs, reconnectBackoffMs, tls, token);
        }

        /**
         * Checks the token: printable ASCII, at most {@value FilterClient#MAX_TOKEN_LENGTH} characters.
         */
        public Options
        {
            if (token != null && (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH ||
                !token.chars().allMatch((c) -> c > 0x20 && c < 0x7F)))
            {
                throw new IllegalArgumentException("token: expected 1.." + MAX_TOKEN_LENGTH +
                    " printable ASCII characters, as `iys-filter token new` prints");
            }
        }

        /**
         * @param bearerToken the token to send in HELLO, or null for none.
         * @return these options with that token.
         */
        public Options withToken(final String bearerToken)
        {
            return new Options(host, port, requestTimeoutMs, connectTimeoutMs, reconnectBackoffMs, tls, bearerToken);
        }

        /**
         * @return the options, the token masked: they end up in logs.
         */
        @Override
        public String toString()
        {
            return "Options[host=" + host + ", port=" + port + ", requestTimeoutMs=" + requestTimeoutMs +
                ", connectTimeoutMs=" + connectTimeoutMs + ", reconnectBackoffMs=" + reconnectBackoffMs +
                ", tls=" + (tls == null ? "off" : "on") + ", token=" + (token == null ? "none" : "****") + "]";
        }
    }

    private FilterClient(final Options options, final EventLoopGroup sharedGroup)
    {
        this.options = options;
        ownsGroup = sharedGroup == null;
        group = ownsGroup ? newEventLoopGroup(1, false) : sharedGroup;
        bootstrap = new Bootstrap()
            .group(group)
            .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)Math.min(Integer.MAX_VALUE, options.connectTimeoutMs))
            .handler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel socket)
                {
                    if (options.tls != null)
                    {
                        final SslHandler tls = options.tls.newHandler(socket.alloc(), options.host, options.port);
                        tls.setHandshakeTimeoutMillis(options.connectTimeoutMs);
                        socket.attr(TLS).set(tls);
                        socket.pipeline().addLast(TLS_HANDLER, tls);
                    }
                    socket.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                    socket.pipeline().addLast("responses", new ClientResponseHandler(pending));
                }
            });
        sweep = group.scheduleAtFixedRate(
            this::expireTimedOut, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Event-loop threads that clients can share (see {@link #connect(Options, EventLoopGroup)}); the caller shuts
     * the group down after closing its clients.
     *
     * @param threads  how many threads; each connection stays on one of them.
     * @param busyPoll true to poll the sockets without ever sleeping: answers arrive tens of microseconds sooner
     *                 on machines where waking a thread is slow, and each thread keeps a core 100% busy.
     * @return the group; its threads are daemons named {@code iys-filter-client}.
     */
    public static EventLoopGroup newEventLoopGroup(final int threads, final boolean busyPoll)
    {
        final IoHandlerFactory ioHandlers;
        if (Epoll.isAvailable())
        {
            ioHandlers = busyPoll ?
                EpollIoHandler.newFactory(0, () -> (selectSupplier, hasTasks) -> SelectStrategy.BUSY_WAIT) :
                EpollIoHandler.newFactory();
        }
        else
        {
            ioHandlers = NioIoHandler.newFactory();
        }
        return new MultiThreadIoEventLoopGroup(threads, runnable ->
        {
            final Thread thread = new Thread(runnable, "iys-filter-client");
            thread.setDaemon(true);
            return thread;
        }, ioHandlers);
    }

    /**
     * Connect and exchange HELLO/WELCOME.
     *
     * @param options where and how.
     * @return a connected client.
     * @throws FilterClientException when the server cannot be reached or does not answer HELLO.
     */
    public static FilterClient connect(final Options options)
    {
        return connect(options, null);
    }

    /**
     * Connect on shared event-loop threads and exchange HELLO/WELCOME; closing the client leaves the group running.
     *
     * @param options where and how.
     * @param group   from {@link #newEventLoopGroup}, or null for a thread of the client's own.
     * @return a connected client.
     * @throws FilterClientException when the server cannot be reached or does not answer HELLO.
     */
    public static FilterClient connect(final Options options, final EventLoopGroup group)
    {
        final FilterClient client = new FilterClient(options, group);
        try
        {
            client.activeChannel();
            return client;
        }
        catch (final RuntimeException ex)
        {
            client.close();
            throw ex;
        }
    }

    /**
     * @param host server host.
     * @param port binary protocol port.
     * @return a connected client with default timeouts.
     */
    public static FilterClient connect(final String host, final int port)
    {
        return connect(Options.of(host, port));
    }

    /**
     * @return the event-loop thread of the current connection, which completes its futures; requests made on it
     * are written without a hand-off between threads.
     * @throws FilterClientException when not connected and connecting fails.
     */
    public EventExecutor executor()
    {
        return activeChannel().eventLoop();
    }

    /**
     * @return what the server said in its last WELCOME.
     */
    public ServerInfo serverInfo()
    {
        return serverInfo;
    }

    /**
     * Ask whether a brand may send one message.
     *
     * @param brandCode     İYS brand code, 1..2^32-1.
     * @param channel       ARAMA, MESAJ or EPOSTA.
     * @param recipientType BIREYSEL, TACIR or UNSPECIFIED.
     * @param kind          COMMERCIAL or TRANSACTIONAL.
     * @param recipient     phone number or e-mail address.
     * @return completes with the answer.
     */
    public CompletableFuture<CheckResult> check(
        final long brandCode,
        final Channel channel,
        final RecipientType recipientType,
        final MessageKind kind,
        final String recipient)
    {
        return check(brandCode, channel, recipientType, kind, recipient, NO_DEALER);
    }

    /**
     * Ask whether a dealer (bayi) of a brand may send one message: the server answers ALLOW / DEALER_ACCESS only when
     * the latest record is ONAY and its retailerAccess lists the dealer (docs/PROTOCOL.md).
     *
     * @param brandCode     İYS brand code, 1..2^32-1.
     * @param channel       ARAMA, MESAJ or EPOSTA.
     * @param recipientType BIREYSEL, TACIR or UNSPECIFIED.
     * @param kind          COMMERCIAL or TRANSACTIONAL.
     * @param recipient     phone number or e-mail address.
     * @param dealerCode    the dealer's İYS number, 1..2^32-1, or {@link #NO_DEALER} when the brand sends.
     * @return completes with the answer.
     * @throws IllegalStateException when a dealer is named and the server's WELCOME did not announce protocol
     *                               version 4 (an older server would ignore the dealer and answer for the brand).
     */
    public CompletableFuture<CheckResult> check(
        final long brandCode,
        final Channel channel,
        final RecipientType recipientType,
        final MessageKind kind,
        final String recipient,
        final long dealerCode)
    {
        checkBrand(brandCode);
        checkDealerCode(dealerCode);
        // what the arguments get wrong whatever the server announces is said before any connecting
        final byte[] address = address(recipient, Limits.MAX_ADDRESS_LENGTH);
        final CompletableFuture<CheckResult> future = new CompletableFuture<>();
        final io.netty.channel.Channel target = target(future);
        if (target == null)
        {
            return future;
        }
        final ServerInfo limits = welcomeOf(target);
        checkDealerVersion(dealerCode, limits);
        checkAddressLength(address.length, limits);
        final int length = checkFrameLength(
            FrameDescriptor.MESSAGE_OFFSET + CheckEncoder.BLOCK_LENGTH + 1 + address.length, limits);
        final long correlationId = correlationIds.incrementAndGet();
        final Encoders codec = encoders.get();
        write(target, new PendingRequest(PendingRequest.CHECK, future, deadlineNs()), correlationId, length,
            (buffer) -> codec.check.wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, codec.header)
                .correlationId(correlationId)
                .brandCode(brandCode)
                .channel(channel)
                .recipientType(recipientType)
                .messageKind(kind)
                .dealerCode(dealerCode)
                .putRecipient(address, 0, address.length));
        return future;
    }

    /**
     * Blocking convenience for {@link #check}: waits at most the request timeout.
     *
     * @param brandCode     İYS brand code.
     * @param channel       ARAMA, MESAJ or EPOSTA.
     * @param recipientType BIREYSEL, TACIR or UNSPECIFIED.
     * @param kind          COMMERCIAL or TRANSACTIONAL.
     * @param recipient     phone number or e-mail address.
     * @return the answer.
     * @throws FilterClientException on a server error, connection loss or timeout.
     */
    public CheckResult checkBlocking(
        final long brandCode,
        final Channel channel,
        final RecipientType recipientType,
        final MessageKind kind,
        final String recipient)
    {
        return await(check(brandCode, channel, recipientType, kind, recipient));
    }

    /**
     * Blocking convenience for a dealer's {@link #check(long, Channel, RecipientType, MessageKind, String, long)}:
     * waits at most the request timeout.
     *
     * @param brandCode     İYS brand code.
     * @param channel       ARAMA, MESAJ or EPOSTA.
     * @param recipientType BIREYSEL, TACIR or UNSPECIFIED.
     * @param kind          COMMERCIAL or TRANSACTIONAL.
     * @param recipient     phone number or e-mail address.
     * @param dealerCode    the dealer's İYS number, or {@link #NO_DEALER}.
     * @return the answer.
     * @throws FilterClientException on a server error, connection loss or timeout.
     */
    public CheckResult checkBlocking(
        final long brandCode,
        final Channel channel,
        final RecipientType recipientType,
        final MessageKind kind,
        final String recipient,
        final long dealerCode)
    {
        return await(check(brandCode, channel, recipientType, kind, recipient, dealerCode));
    }

    /**
     * Ask about many messages of one brand at once; results come in entry order.
     *
     * @param brandCode İYS brand code.
     * @param entries   at most the server's {@code maxBatchEntries} ({@value Limits#MAX_BATCH_ENTRIES} today).
     * @return completes with one result per entry, in order.
     */
    public CompletableFuture<List<CheckResult>> checkBatch(final long brandCode, final List<BatchEntry> entries)
    {
        return checkBatch(brandCode, NO_DEALER, entries);
    }

    /**
     * Ask about many messages one dealer of a brand would send; results come in entry order.
     *
     * @param brandCode  İYS brand code.
     * @param dealerCode the dealer's İYS number, 1..2^32-1, or {@link #NO_DEALER} when the brand sends.
     * @param entries    at most the server's {@code maxBatchEntries} ({@value Limits#MAX_BATCH_ENTRIES} today).
     * @return completes with one result per entry, in order.
     * @throws IllegalStateException when a dealer is named and the server does not speak protocol version 4.
     */
    public CompletableFuture<List<CheckResult>> checkBatch(
        final long brandCode, final long dealerCode, final List<BatchEntry> entries)
    {
        checkBrand(brandCode);
        checkDealerCode(dealerCode);
        if (entries.size() > Limits.WIRE_MAX_GROUP_ENTRIES)
        {
            // the most the wire carries, which bounds any server's announced maxBatchEntries
            throw new IllegalArgumentException("batch has too many entries: entries=" + entries.size() +
                ", maxBatchEntries=" + Limits.WIRE_MAX_GROUP_ENTRIES);
        }
        // what the arguments get wrong whatever the server announces is said before any connecting
        final byte[][] addresses = new byte[entries.size()][];
        long recipientBytes = 0;
        for (int i = 0; i < addresses.length; i++)
        {
            addresses[i] = address(entries.get(i).recipient(), Limits.MAX_ADDRESS_LENGTH);
            recipientBytes += addresses[i].length;
        }
        final CompletableFuture<List<CheckResult>> future = new CompletableFuture<>();
        final io.netty.channel.Channel target = target(future);
        if (target == null)
        {
            return future;
        }
        final ServerInfo limits = welcomeOf(target);
        checkDealerVersion(dealerCode, limits);
        final int maxEntries = limits.effectiveMaxBatchEntries();
        if (entries.size() > maxEntries)
        {
            throw new IllegalArgumentException("batch has too many entries: entries=" + entries.size() +
                ", maxBatchEntries=" + maxEntries);
        }
        for (final byte[] address : addresses)
        {
            checkAddressLength(address.length, limits);
        }
        final int length = checkFrameLength(RecipientBatch.frameLength(addresses.length, recipientBytes), limits);
        final long correlationId = correlationIds.incrementAndGet();
        final Encoders codec = encoders.get();
        write(target, new PendingRequest(PendingRequest.CHECK_BATCH, future, deadlineNs(), addresses.length, null),
            correlationId, length, (buffer) ->
        {
            final CheckBatchEncoder.EntriesEncoder group =
                beginBatch(codec, buffer, correlationId, brandCode, dealerCode, addresses.length);
            for (int i = 0; i < addresses.length; i++)
            {
                final BatchEntry entry = entries.get(i);
                group.next()
                    .channel(entry.channel())
                    .recipientType(entry.recipientType())
                    .messageKind(entry.kind())
                    .putRecipient(addresses[i], 0, addresses[i].length);
            }
        });
        return future;
    }

    /**
     * Ask about a reusable batch of recipients, the answers going into a reusable results object: nothing is
     * allocated per recipient. The request is encoded before this returns, so the batch may be refilled at once;
     * {@code results} is filled on the client's event-loop thread just before the future completes, and must not be
     * read or passed to another request before then. An answer whose result count is not the batch's size fails
     * the future (never a partial answer).
     *
     * @param batch   one brand, channel, type and kind, and 1 to the server's {@code maxBatchEntries} recipients.
     * @param results receives one result per recipient, in order; its capacity at least the batch's size.
     * @return completes with {@code results} once filled, or exceptionally (server error, connection loss,
     * timeout, a miscounted answer).
     * @throws IllegalArgumentException when the batch is empty, larger than the server takes or than the results
     *                                  hold, or a recipient is longer than the server takes.
     * @throws IllegalStateException    when a dealer is named and the server does not speak protocol version 4.
     */
    public CompletableFuture<BatchResults> checkBatchInto(final RecipientBatch batch, final BatchResults results)
    {
        final long brandCode = batch.brandCode();
        final long dealerCode = batch.dealerCode();
        checkBrand(brandCode);
        checkDealerCode(dealerCode);
        final int count = batch.size();
        // what the arguments get wrong whatever the server announces is said before any connecting
        if (count < 1 || count > results.capacity())
        {
            throw new IllegalArgumentException("batch entries: " + count + " (expected: 1.." + results.capacity() +
                ", results capacity=" + results.capacity() + ")");
        }
        final CompletableFuture<BatchResults> future = new CompletableFuture<>();
        final io.netty.channel.Channel target = target(future);
        if (target == null)
        {
            return future;
        }
        final ServerInfo limits = welcomeOf(target);
        checkDealerVersion(dealerCode, limits);
        final int maxEntries = limits.effectiveMaxBatchEntries();
        if (count < 1 || count > maxEntries || count > results.capacity())
        {
            throw new IllegalArgumentException("batch entries: " + count + " (expected: 1.." +
                Math.min(maxEntries, results.capacity()) + ", maxBatchEntries=" + maxEntries +
                ", results capacity=" + results.capacity() + ")");
        }
        final int maxAddressLength = limits.effectiveMaxAddressLength();
        if (maxAddressLength < Limits.MAX_ADDRESS_LENGTH)
        {
            for (int i = 0; i < count; i++)
            {
                if (batch.recipientLength(i) > maxAddressLength)
                {
                    throw new IllegalArgumentException("recipient too long: length=" + batch.recipientLength(i) +
                        ", maxAddressLength=" + maxAddressLength);
                }
            }
        }
        final int length = checkFrameLength(batch.frameLength(), limits);
        final long correlationId = correlationIds.incrementAndGet();
        final Encoders codec = encoders.get();
        write(target, new PendingRequest(PendingRequest.CHECK_BATCH_INTO, future, deadlineNs(), count, results),
            correlationId, length, (buffer) ->
            {
                final CheckBatchEncoder.EntriesEncoder group =
                    beginBatch(codec, buffer, correlationId, brandCode, dealerCode, count);
                final byte[] bytes = batch.recipientBytesArray();
                final Channel channel = batch.channel();
                final RecipientType recipientType = batch.recipientType();
                final MessageKind kind = batch.kind();
                for (int i = 0; i < count; i++)
                {
                    group.next()
                        .channel(channel)
                        .recipientType(recipientType)
                        .messageKind(kind)
                        .putRecipient(bytes, batch.recipientOffset(i), batch.recipientLength(i));
                }
            });
        return future;
    }

    /**
     * Send HELLO; usable as a ping.
     *
     * @return completes with the server's WELCOME.
     */
    public CompletableFuture<ServerInfo> hello()
    {
        return hello(activeChannel());
    }

    /**
     * HELLO on a connection; its WELCOME becomes the connection's own ({@link #WELCOME}) before the future completes.
     */
    private CompletableFuture<ServerInfo> hello(final io.netty.channel.Channel target)
    {
        final long correlationId = correlationIds.incrementAndGet();
        final CompletableFuture<ServerInfo> future = new CompletableFuture<>();
        final Encoders codec = encoders.get();
        final String token = options.token();
        final int length = FrameDescriptor.MESSAGE_OFFSET + HelloEncoder.BLOCK_LENGTH +
            (token == null ? 0 : 1 + token.length());
        write(target, new PendingRequest(PendingRequest.HELLO, future, deadlineNs()), correlationId, length,
            (buffer) ->
            {
                final HelloEncoder hello = codec.hello
                    .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, codec.header)
                    .correlationId(correlationId)
                    .protocolVersion(FrameDescriptor.SCHEMA_VERSION);
                if (token != null)
                {
                    hello.token(token);
                }
            });
        return future.thenApply((info) ->
        {
            target.attr(WELCOME).set(info);
            serverInfo = info;
            return info;
        });
    }

    /**
     * Wait for a future of this client, turning failures into {@link FilterClientException}.
     *
     * @param future from this client.
     * @param <T>    result type.
     * @return the result.
     */
    public <T> T await(final CompletableFuture<T> future)
    {
        try
        {
            return future.get(options.requestTimeoutMs + SWEEP_INTERVAL_MS * 4, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof FilterClientException clientException)
            {
                throw clientException;
            }
            throw new FilterClientException(String.valueOf(cause.getMessage()), null, cause);
        }
        catch (final TimeoutException ex)
        {
            throw new FilterClientException("no answer within " + options.requestTimeoutMs + " ms", null, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new FilterClientException("interrupted while waiting for an answer", null, ex);
        }
    }

    private interface MessageWriter
    {
        void write(UnsafeBuffer buffer);
    }

    /**
     * The CHECK_BATCH header and its entries' group, for both batch APIs.
     */
    private static CheckBatchEncoder.EntriesEncoder beginBatch(
        final Encoders codec,
        final UnsafeBuffer buffer,
        final long correlationId,
        final long brandCode,
        final long dealerCode,
        final int count)
    {
        return codec.checkBatch
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, codec.header)
            .correlationId(correlationId)
            .brandCode(brandCode)
            .dealerCode(dealerCode)
            .entriesCount(count);
    }

    /**
     * The connection a request goes on, (re)connecting first: a reconnect's WELCOME may announce lower limits than
     * the last connection's, and a request is held to those of the connection that carries it ({@link #welcomeOf},
     * read after this), never to an earlier one's.
     *
     * @param future the request's, failed with why when there is no connection.
     * @return the connection, or null when not connected and connecting failed.
     */
    private io.netty.channel.Channel target(final CompletableFuture<?> future)
    {
        try
        {
            return activeChannel();
        }
        catch (final FilterClientException ex)
        {
            future.completeExceptionally(ex);
            return null;
        }
    }

    private void write(
        final io.netty.channel.Channel target,
        final PendingRequest request,
        final long correlationId,
        final int length,
        final MessageWriter writer)
    {
        final ByteBuf buf = target.alloc().heapBuffer(length);
        final UnsafeBuffer view = new UnsafeBuffer(buf.array(), buf.arrayOffset(), length);
        writer.write(view);
        FrameDescriptor.frameLength(view, 0, length);
        buf.writerIndex(length);
        pending.put(correlationId, request);
        target.writeAndFlush(buf).addListener((future) ->
        {
            if (!future.isSuccess() && pending.remove(correlationId) != null)
            {
                // The server may have refused the connection (ERROR, then close) before this write went out:
                // its reason is the useful one.
                final FilterClientException serverError = target.attr(ClientResponseHandler.CONNECTION_ERROR).get();
                request.future.completeExceptionally(serverError != null ?
                    new FilterClientException(serverError.getMessage(), serverError.errorCode(), future.cause()) :
                    new FilterClientException("cannot send request: " + future.cause(), null, future.cause()));
            }
        });
    }

    private io.netty.channel.Channel activeChannel()
    {
        final io.netty.channel.Channel current = channel;
        if (current != null && current.isActive())
        {
            return current;
        }
        synchronized (this)
        {
            if (closed)
            {
                throw new FilterClientException("client is closed", null, null);
            }
            if (channel != null && channel.isActive())
            {
                return channel;
            }
            final long sinceFailureNs = System.nanoTime() - lastFailedConnectNs;
            if (lastFailedConnectNs != 0 && sinceFailureNs < TimeUnit.MILLISECONDS.toNanos(options.reconnectBackoffMs))
            {
                throw new FilterClientException("not connected to " + options.host + ":" + options.port +
                    "; next attempt in " + (options.reconnectBackoffMs - sinceFailureNs / 1_000_000) + " ms",
                    null, null);
            }
            io.netty.channel.Channel connected = null;
            try
            {
                final ChannelFuture connecting = bootstrap.connect(options.host, options.port).awaitUninterruptibly();
                if (!connecting.isSuccess())
                {
                    throw new FilterClientException("cannot connect to " + options.host + ":" + options.port + ": " +
                        connecting.cause().getMessage(), null, connecting.cause());
                }
                connected = connecting.channel();
                awaitHandshake(connected);
                await(hello(connected));
                // published only now: a request on another thread that took it before its WELCOME was in would be
                // held to the limits and protocol version of the connection before it (the HELLO needs no
                // publishing: it is written to the connection, and its answer matched through the pending map)
                channel = connected;
                lastFailedConnectNs = 0;
                return connected;
            }
            catch (final RuntimeException ex)
            {
                lastFailedConnectNs = System.nanoTime();
                if (connected != null)
                {
                    connected.close();
                }
                throw ex instanceof FilterClientException clientException ? clientException :
                    new FilterClientException("cannot connect to " + options.host + ":" + options.port + ": " + ex,
                        null, ex);
            }
        }
    }

    private void awaitHandshake(final io.netty.channel.Channel connected)
    {
        if (options.tls == null)
        {
            return;
        }
        // not from the pipeline: a failed handshake has closed the connection and may have emptied it already, and
        // a TLS connection without its handler would be taken for a plaintext one
        final SslHandler tls = connected.attr(TLS).get();
        if (tls == null)
        {
            throw new FilterClientException("TLS handshake with " + options.host + ":" + options.port +
                " not begun: the connection has no TLS handler", null, null);
        }
        final Future<io.netty.channel.Channel> handshake = tls.handshakeFuture();
        if (!handshake.awaitUninterruptibly(options.connectTimeoutMs + SWEEP_INTERVAL_MS, TimeUnit.MILLISECONDS))
        {
            throw new FilterClientException("TLS handshake with " + options.host + ":" + options.port +
                " not done within " + options.connectTimeoutMs + " ms", null, null);
        }
        if (!handshake.isSuccess())
        {
            final StringBuilder why = new StringBuilder();
            for (Throwable t = handshake.cause(); t != null; t = t.getCause())
            {
                if (t.getMessage() != null && why.indexOf(t.getMessage()) < 0)
                {
                    why.append(why.length() == 0 ? "" : ": ").append(t.getMessage());
                }
            }
            throw new FilterClientException("TLS handshake with " + options.host + ":" + options.port +
                " failed: " + why, null, handshake.cause());
        }
    }

    /**
     * @return the certificates the server presented on the current connection (its own first), or an empty list
     * when the connection is plaintext or not open.
     */
    public List<java.security.cert.Certificate> serverCertificates()
    {
        final io.netty.channel.Channel current = channel;
        final SslHandler tls = current == null || !current.isActive() ? null : current.attr(TLS).get();
        if (tls == null || !tls.handshakeFuture().isSuccess())
        {
            return List.of();
        }
        try
        {
            return List.of(tls.engine().getSession().getPeerCertificates());
        }
        catch (final SSLPeerUnverifiedException ex)
        {
            return List.of();
        }
    }

    private long deadlineNs()
    {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.requestTimeoutMs);
    }

    private void expireTimedOut()
    {
        final long nowNs = System.nanoTime();
        pending.forEach((correlationId, request) ->
        {
            if (request.deadlineNs - nowNs < 0 && pending.remove(correlationId, request))
            {
                request.future.completeExceptionally(new TimeoutException(
                    "no answer within " + options.requestTimeoutMs + " ms: correlationId=" + correlationId));
            }
        });
    }

    private static void checkDealerCode(final long dealerCode)
    {
        if (dealerCode != NO_DEALER && (dealerCode < 1 || dealerCode > 0xFFFF_FFFFL))
        {
            throw new IllegalArgumentException("dealerCode: " + dealerCode + " (expected: 1..4294967295, or " +
                NO_DEALER + " for none)");
        }
    }

    /**
     * A dealer named to a server that does not speak version 4 is refused: read from the WELCOME of the request's
     * connection, so that the version asked is the one of the server the request goes to (a reconnect may reach
     * another).
     */
    private static void checkDealerVersion(final long dealerCode, final ServerInfo info)
    {
        if (dealerCode != NO_DEALER && info.protocolVersion() < DEALER_VERSION)
        {
            // a server before version 4 skips the field it does not know and would answer as if the brand sent
            throw new IllegalStateException("dealer checks need a server of protocol version " + DEALER_VERSION +
                " or later; the server announced version " + info.protocolVersion());
        }
    }

    private static void checkBrand(final long brandCode)
    {
        if (brandCode < 1 || brandCode > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("brandCode: " + brandCode + " (expected: 1..4294967295)");
        }
    }

    /**
     * @param target a connection {@link #activeChannel()} gave.
     * @return the WELCOME of that connection: the limits and protocol version a request on it is held to, whatever
     * another connection (an earlier one, or one made since) announced.
     */
    private static ServerInfo welcomeOf(final io.netty.channel.Channel target)
    {
        return target.attr(WELCOME).get();
    }

    private static int checkFrameLength(final long length, final ServerInfo limits)
    {
        if (length > limits.effectiveMaxFrameLength())
        {
            throw new IllegalArgumentException("request too large for the server: frameLength=" + length +
                ", maxFrameLength=" + limits.effectiveMaxFrameLength());
        }
        return (int)length;
    }

    private static void checkAddressLength(final int length, final ServerInfo limits)
    {
        final int maxLength = limits.effectiveMaxAddressLength();
        if (length > maxLength)
        {
            throw new IllegalArgumentException("recipient too long: length=" + length + ", maxAddressLength=" +
                maxLength);
        }
    }

    private static byte[] address(final String recipient, final int maxLength)
    {
        final int length = recipient.length();
        if (length > maxLength)
        {
            throw new IllegalArgumentException("recipient too long: length=" + length + ", maxAddressLength=" +
                maxLength);
        }
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            final char c = recipient.charAt(i);
            if (c >= 0x80)
            {
                throw new IllegalArgumentException("recipient is not ASCII: '" + recipient + "'");
            }
            bytes[i] = (byte)c;
        }
        return bytes;
    }

    /**
     * Close the connection, fail whatever is in flight and stop the client's thread (unless its group is shared).
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            closed = true;
        }
        final io.netty.channel.Channel current = channel;
        if (current != null)
        {
            current.close().syncUninterruptibly();
        }
        sweep.cancel(false);
        if (ownsGroup)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        pending.forEach((correlationId, request) ->
        {
            if (pending.remove(correlationId, request))
            {
                request.future.completeExceptionally(new FilterClientException("client is closed", null, null));
            }
        });
    }

    private static final class Encoders
    {
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final HelloEncoder hello = new HelloEncoder();
        final CheckEncoder check = new CheckEncoder();
        final CheckBatchEncoder checkBatch = new CheckBatchEncoder();
    }
}
