package io.iysfilter.server.net;

import io.iysfilter.server.binary.BinaryEndpoint;
import io.iysfilter.server.http.HttpEndpoint;
import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.MilterError;
import io.iysfilter.server.milter.MilterEndpoint;
import io.iysfilter.server.resp.RespEndpoint;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The server's Netty edge: binds the binary protocol, HTTP, RESP and milter endpoints (each built by its own package)
 * on one group of event loops (native epoll when available), with the admin listener (the HTTP endpoint's admin
 * routes on their own address and port) and the milter's Unix domain socket when set, puts TLS ({@link ServerTls})
 * first on binary, HTTP, RESP and admin connections when it is on, closes milter connections from peers outside its
 * allow-list at accept, runs milter decisions and reconciliations on a small worker pool, and stops them all gracefully
 * ({@link #close()}).
 */
public final class NetworkEndpoints implements AutoCloseable
{
    /** On close, connections are closed once no request has arrived for this long. */
    static final long QUIET_MS = 100;
    /** On close, the longest wait for connections to quieten. */
    static final long GRACE_MS = 2_000;
    /** On close, the longest wait for opt-outs and pushes already admitted to be applied and answered. */
    static final long OPT_OUT_GRACE_MS = 5_000;
    /** On close, the longest wait for milter decisions and reconciliations on the worker pool. */
    static final long WORKER_GRACE_MS = 5_000;
    private static final Logger LOG = LoggerFactory.getLogger(NetworkEndpoints.class);
    private static final LogLimiter NOT_ALLOWED = LogLimiter.everyTenSeconds();

    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final Channel binaryChannel;
    private final Channel httpChannel;
    private final Channel milterChannel;
    private final Channel respChannel;
    private final Channel adminChannel;
    private final Channel milterSocketChannel;
    private volatile Channel pushChannel;
    private final Class<? extends ServerChannel> serverChannelType;
    private final Path milterSocket;
    private final ChannelGroup connections =
        new DefaultChannelGroup("iys-connections", GlobalEventExecutor.INSTANCE, true);
    private final ServerCounters counters;
    private final HttpEndpoint http;
    private final ExecutorService blockingWork;

    /**
     * What the endpoints need.
     *
     * @param bindAddress    address to listen on.
     * @param binaryPort     binary protocol port, 0 for any.
     * @param httpPort       HTTP port, 0 for any.
     * @param milterPort     milter TCP port, 0 for any, -1 for none.
     * @param ioThreads      event-loop threads.
     * @param busyPoll       whether the event loops poll without sleeping (epoll only).
     * @param adminBindAddress address the admin listener listens on.
     * @param adminPort      admin listener port, 0 for any, -1 for none (the admin routes stay on the HTTP port).
     * @param milterSocket   the milter's Unix domain socket, or null for none.
     * @param milterAllow    peers allowed to connect to the milter's TCP port, or null for any.
     * @param respPort       RESP (Redis protocol) port on {@code bindAddress}, 0 for any, -1 for none.
     */
    public record Settings(
        String bindAddress,
        int binaryPort,
        int httpPort,
        int milterPort,
        int ioThreads,
        boolean busyPoll,
        String adminBindAddress,
        int adminPort,
        Path milterSocket,
        PeerAllowList milterAllow,
        int respPort)
    {
        /**
         * The binary, HTTP and milter endpoints on one address, no RESP endpoint, no admin listener, no milter
         * socket, no allow-list.
         *
         * @param bindAddress address to listen on.
         * @param binaryPort  binary protocol port, 0 for any.
         * @param httpPort    HTTP port, 0 for any.
         * @param milterPort  milter port, 0 for any, -1 for no milter endpoint.
         * @param ioThreads   event-loop threads.
         * @param busyPoll    whether the event loops poll without sleeping (epoll only).
         */
        public Settings(
            final String bindAddress, final int binaryPort, final int httpPort, final int milterPort,
            final int ioThreads, final boolean busyPoll)
        {
            this(bindAddress, binaryPort, httpPort, milterPort, ioThreads, busyPoll, bindAddress, -1, null, null, -1);
        }
    }

    /**
     * Bind the endpoints.
     *
     * @param settings where and how.
     * @param binary   the binary protocol endpoint.
     * @param http     the HTTP endpoint.
     * @param milter   the milter endpoint, or null when {@code settings.milterPort()} is -1 and there is no milter
     *                 socket.
     * @param resp     the RESP endpoint, or null when {@code settings.respPort()} is -1.
     * @param counters the counters: connections refused, and requests (the drain waits for them to stop).
     * @param tls      TLS for the binary, HTTP, RESP and admin listeners (never the milter's), or null for
     *                 plaintext.
     * @throws InterruptedException when interrupted while binding.
     */
    public NetworkEndpoints(
        final Settings settings,
        final BinaryEndpoint binary,
        final HttpEndpoint http,
        final MilterEndpoint milter,
        final RespEndpoint resp,
        final ServerCounters counters,
        final ServerTls tls) throws InterruptedException
    {
        if ((settings.milterPort() >= 0 || settings.milterSocket() != null) && milter == null)
        {
            throw new IllegalArgumentException("milter: null (expected: an endpoint for milterPort " +
                settings.milterPort() + ", milterSocket " + settings.milterSocket() + ")");
        }
        if (settings.respPort() >= 0 && resp == null)
        {
            throw new IllegalArgumentException("resp: null (expected: an endpoint for respPort " +
                settings.respPort() + ")");
        }
        this.milterSocket = settings.milterSocket();
        this.counters = counters;
        this.http = http;
        final boolean epoll = Epoll.isAvailable();
        final IoHandlerFactory ioHandlers = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        serverChannelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        final HttpEndpoint.Surface httpSurface =
            settings.adminPort() < 0 ? HttpEndpoint.Surface.ALL : HttpEndpoint.Surface.SERVICE;
        final PeerAllowList milterAllow = settings.milterAllow();
        acceptors = new MultiThreadIoEventLoopGroup(1, ioHandlers);
        workers = new MultiThreadIoEventLoopGroup(settings.ioThreads(), epoll && settings.busyPoll() ?
            EpollIoHandler.newFactory(0, () -> (selectSupplier, hasTasks) -> SelectStrategy.BUSY_WAIT) : ioHandlers);
        blockingWork = newBlockingWork(settings.ioThreads());
        try
        {
            binaryChannel = bind(settings.bindAddress(), settings.binaryPort(), serverChannelType,
                tcpInitializer(Endpoint.BINARY, tls, false, binary::mount));
            httpChannel = bind(settings.bindAddress(), settings.httpPort(), serverChannelType,
                httpInitializer(httpSurface, tls));
            milterChannel = settings.milterPort() < 0 ? null : bind(settings.bindAddress(), settings.milterPort(),
                serverChannelType, new ChannelInitializer<SocketChannel>()
                {
                    @Override
                    protected void initChannel(final SocketChannel channel)
                    {
                        if (milterAllow != null && !milterAllow.admits(channel.remoteAddress()))
                        {
                            refuseMilterPeer(channel, milterAllow);
                            return;
                        }
                        connections.add(channel);
                        channel.pipeline().addLast("writability", new WritabilityGate(counters, Endpoint.MILTER));
                        milter.mount(channel.pipeline(), blockingWork);
                    }
                });
            respChannel = settings.respPort() < 0 ? null : bind(settings.bindAddress(), settings.respPort(),
                serverChannelType, tcpInitializer(Endpoint.RESP, tls, true, resp::mount));
            adminChannel = settings.adminPort() < 0 ? null : bind(settings.adminBindAddress(), settings.adminPort(),
                serverChannelType, httpInitializer(HttpEndpoint.Surface.ADMIN, tls));
            milterSocketChannel = milterSocket == null ? null : bindSocketFile(milterSocket, epoll,
                new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel channel)
                    {
                        connections.add(channel);
                        channel.pipeline().addLast("writability", new WritabilityGate(counters, Endpoint.MILTER));
                        milter.mount(channel.pipeline(), blockingWork);
                    }
                });
        }
        catch (final Throwable ex)
        {
            // Netty rethrows a BindException undeclared: catch everything so the event loops never leak.
            close();
            throw ex;
        }
        LOG.info("listening: binary={} ({}), http={}, resp={}, admin={}, milter={}, milterSocket={}, " +
            "milterAllow={}, transport={}, ioThreads={}, busyPoll={}, {}", binaryChannel.localAddress(),
            binary.limits(), httpChannel.localAddress(),
            respChannel == null ? "off" : respChannel.localAddress() + " (" + resp.limits() + ")",
            adminChannel == null ? "on the HTTP port" : adminChannel.localAddress(),
            milterChannel == null ? "off" : milterChannel.localAddress() + (tls == null ? "" : " (plaintext)"),
            milterSocket == null ? "off" : milterSocket, milterAllow == null ? "any" : milterAllow,
            epoll ? "epoll" : "nio", settings.ioThreads(), epoll && settings.busyPoll(),
            tls == null ? "tls=off" : tls.describe());
    }

    private static ExecutorService newBlockingWork(final int ioThreads)
    {
        // Each worker its own name: the per-thread latency series are labelled with it.
        final AtomicInteger workerNumber = new AtomicInteger();
        return Executors.newFixedThreadPool(Math.max(2, ioThreads), runnable ->
        {
            final Thread thread = new Thread(runnable, "iys-worker-" + workerNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Connections of a TCP endpoint that mounts its own handlers: TLS first when it is on, then (when asked) the
     * writability gate, then the endpoint's handlers.
     */
    private ChannelInitializer<SocketChannel> tcpInitializer(
        final Endpoint endpoint, final ServerTls tls, final boolean gate, final Consumer<ChannelPipeline> mount)
    {
        return new ChannelInitializer<SocketChannel>()
        {
            @Override
            protected void initChannel(final SocketChannel channel)
            {
                connections.add(channel);
                // unread answers weigh what they hold, so the endpoint's water marks bound memory per connection
                channel.config().setMessageSizeEstimator(CapacitySizeEstimator.INSTANCE);
                if (tls != null)
                {
                    tls.mount(channel.pipeline(), endpoint);
                }
                if (gate)
                {
                    channel.pipeline().addLast("writability", new WritabilityGate(counters, endpoint));
                }
                mount.accept(channel.pipeline());
            }
        };
    }

    /**
     * HTTP connections, service or admin: TLS first when it is on, then back-pressure, then the endpoint's handlers
     * for the routes of that listener.
     */
    private ChannelInitializer<SocketChannel> httpInitializer(final HttpEndpoint.Surface surface, final ServerTls tls)
    {
        return new ChannelInitializer<SocketChannel>()
        {
            @Override
            protected void initChannel(final SocketChannel channel)
            {
                connections.add(channel);
                if (tls != null)
                {
                    tls.mount(channel.pipeline(), Endpoint.HTTP);
                }
                channel.pipeline().addLast("writability", new WritabilityGate(counters, Endpoint.HTTP));
                http.mount(channel.pipeline(), blockingWork, surface);
            }
        };
    }

    private Channel bind(
        final String address,
        final int port,
        final Class<? extends ServerChannel> type,
        final ChannelInitializer<SocketChannel> initializer) throws InterruptedException
    {
        return bootstrap(type, initializer)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .bind(new InetSocketAddress(address, port))
            .sync()
            .channel();
    }

    /**
     * Listen on a Unix domain socket: epoll's own channel, else the JDK's (Java 16 and later) through NIO. A stale
     * socket file is removed first ({@link SocketFiles#clear}); the bound one gets {@link SocketFiles#MODE}.
     */
    private Channel bindSocketFile(final Path path, final boolean epoll, final ChannelInitializer<Channel> initializer)
        throws InterruptedException
    {
        try
        {
            SocketFiles.clear(path);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex.getMessage(), ex);
        }
        final SocketAddress address =
            epoll ? new DomainSocketAddress(path.toString()) : UnixDomainSocketAddress.of(path);
        final Channel channel = bootstrap(epoll ? EpollServerDomainSocketChannel.class :
            NioServerDomainSocketChannel.class, initializer).bind(address).sync().channel();
        try
        {
            SocketFiles.restrict(path);
        }
        catch (final IOException ex)
        {
            channel.close().syncUninterruptibly();
            SocketFiles.remove(path);
            throw new IllegalStateException("milter-socket: cannot set the mode of " + path + ": " + ex, ex);
        }
        return channel;
    }

    private ServerBootstrap bootstrap(
        final Class<? extends ServerChannel> type, final ChannelInitializer<?> initializer)
    {
        return new ServerBootstrap()
            .group(acceptors, workers)
            .channel(type)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .childHandler(initializer);
    }

    /**
     * Close a milter connection from a peer outside {@code milter-allow} before a byte of it is read; count it and
     * say so, at most once every ten seconds.
     */
    private void refuseMilterPeer(final Channel channel, final PeerAllowList allowed)
    {
        counters.onMilterError(MilterError.NOT_ALLOWED);
        final long suppressed = NOT_ALLOWED.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.warn("closing milter connection: peer not in milter-allow, remote={}, milterAllow={}, " +
                "suppressedSinceLast={}", channel.remoteAddress(), allowed, suppressed);
        }
        channel.config().setAutoRead(false);
        channel.close();
    }

    /**
     * @return the bound binary protocol port.
     */
    public int binaryPort()
    {
        return ((InetSocketAddress)binaryChannel.localAddress()).getPort();
    }

    /**
     * @return the bound HTTP port.
     */
    public int httpPort()
    {
        return ((InetSocketAddress)httpChannel.localAddress()).getPort();
    }

    /**
     * @return the bound milter port, or -1 when the milter endpoint is off.
     */
    public int milterPort()
    {
        return milterChannel == null ? -1 : ((InetSocketAddress)milterChannel.localAddress()).getPort();
    }

    /**
     * @return the bound RESP port, or -1 when the RESP endpoint is off.
     */
    public int respPort()
    {
        return respChannel == null ? -1 : ((InetSocketAddress)respChannel.localAddress()).getPort();
    }

    /**
     * @return the bound admin port, or -1 when the admin routes are served on the HTTP port.
     */
    public int adminPort()
    {
        return adminChannel == null ? -1 : ((InetSocketAddress)adminChannel.localAddress()).getPort();
    }

    /**
     * Bind İYS's push listener (docs/PUSH.md) on the endpoints' event loops: the server's TLS first when it is on, then
     * the HTTP endpoint's push handlers ({@link HttpEndpoint#mountPush}). Closed with the others.
     *
     * @param address where it listens.
     * @param port    its port, 0 for any.
     * @param tls     the server's TLS, or null for plaintext (loopback only: the settings refuse it beyond).
     * @return the bound port.
     * @throws InterruptedException when interrupted while binding.
     */
    public int bindPush(final String address, final int port, final ServerTls tls) throws InterruptedException
    {
        final Channel bound = bind(address, port, serverChannelType, new ChannelInitializer<SocketChannel>()
        {
            @Override
            protected void initChannel(final SocketChannel channel)
            {
                connections.add(channel);
                if (tls != null)
                {
                    tls.mount(channel.pipeline(), Endpoint.HTTP);
                }
                channel.pipeline().addLast("writability", new WritabilityGate(counters, Endpoint.HTTP));
                http.mountPush(channel.pipeline());
            }
        });
        pushChannel = bound;
        LOG.info("listening: push={} ({})", bound.localAddress(), tls == null ? "plaintext" : "TLS");
        return ((InetSocketAddress)bound.localAddress()).getPort();
    }

    /**
     * @return the bound push port, or -1 when push is off.
     */
    public int pushPort()
    {
        final Channel bound = pushChannel;
        return bound == null ? -1 : ((InetSocketAddress)bound.localAddress()).getPort();
    }

    /**
     * Graceful stop, after which nothing reads the index or publishes to the ingest ring through these endpoints:
     * <ol>
     *   <li>stop accepting;</li>
     *   <li>keep answering the open connections, binary, HTTP, RESP, milter and push, until they are quiet: no request
     *   for {@value #QUIET_MS} ms, no opt-out or İYS push in flight, no answer waiting to be written (at most
     *   {@value #GRACE_MS} ms), so requests already sent are answered;</li>
     *   <li>refuse opt-outs and pushes from then on (503) and wait for those admitted to be applied and answered (at
     *   most {@value #OPT_OUT_GRACE_MS} ms);</li>
     *   <li>close the connections, wait for the worker pool's milter decisions and reconciliations (at most
     *   {@value #WORKER_GRACE_MS} ms, then they are interrupted) and stop the event loops.</li>
     * </ol>
     */
    @Override
    public void close()
    {
        for (final Channel listener : new Channel[]{binaryChannel, httpChannel, respChannel, milterChannel,
            adminChannel, milterSocketChannel, pushChannel})
        {
            if (listener != null)
            {
                listener.close().syncUninterruptibly();
            }
        }
        if (milterSocketChannel != null)
        {
            SocketFiles.remove(milterSocket);
        }
        final long drainStartNs = System.nanoTime();
        final boolean quiet = awaitQuiet();
        if (!connections.isEmpty())
        {
            LOG.info("draining: connections={} {} after {} ms; closing them", connections.size(),
                quiet ? "quiet" : "still busy", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainStartNs));
        }
        http.refuseWrites();
        awaitWritesAnswered();
        connections.close().awaitUninterruptibly();
        stopBlockingWork();
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Quiet: no request counted for {@value #QUIET_MS} ms, each count taken after every event loop has had a turn
     * (so bytes that reached the server before it are read and counted even when its threads were starved of CPU),
     * no opt-out or İYS push in flight, and no connection busy: none paused (back-pressure, a milter decision off the
     * loop) and none with answers waiting to be written.
     */
    private boolean awaitQuiet()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
        long lastRequests = -1;
        while (!connections.isEmpty() && System.nanoTime() - deadlineNs < 0)
        {
            awaitEventLoopTurns(deadlineNs);
            final long requests = counters.totalRequests() + http.writesAdmitted();
            if (requests == lastRequests && http.writesInFlight() == 0 && !anyConnectionBusy())
            {
                return true;
            }
            lastRequests = requests;
            if (!pause(QUIET_MS))
            {
                return false;
            }
        }
        return connections.isEmpty();
    }

    private void awaitEventLoopTurns(final long deadlineNs)
    {
        final List<Future<?>> turns = new ArrayList<>();
        for (final EventExecutor loop : workers)
        {
            turns.add(loop.submit(() ->
            {
            }));
        }
        for (final Future<?> turn : turns)
        {
            final long leftNs = deadlineNs - System.nanoTime();
            if (leftNs <= 0 || !turn.awaitUninterruptibly(leftNs, TimeUnit.NANOSECONDS))
            {
                return;
            }
        }
    }

    private boolean anyConnectionBusy()
    {
        for (final Channel connection : connections)
        {
            final ChannelOutboundBuffer outbound = connection.unsafe().outboundBuffer();
            if (connection.isActive() && (!connection.config().isAutoRead() ||
                outbound != null && outbound.totalPendingWriteBytes() > 0))
            {
                return true;
            }
        }
        return false;
    }

    private void awaitWritesAnswered()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OPT_OUT_GRACE_MS);
        while (http.writesInFlight() > 0)
        {
            if (System.nanoTime() - deadlineNs >= 0 || !pause(1))
            {
                LOG.warn("closing connections with opt-outs or İYS pushes still unanswered: inFlight={} (each " +
                    "is applied when the ingest ring drains; its client gets no answer and should send it again)",
                    http.writesInFlight());
                return;
            }
        }
    }

    private void stopBlockingWork()
    {
        blockingWork.shutdown();
        try
        {
            if (!blockingWork.awaitTermination(WORKER_GRACE_MS, TimeUnit.MILLISECONDS))
            {
                LOG.warn("milter decisions or reconciliations still running after {} ms: interrupting them",
                    WORKER_GRACE_MS);
                blockingWork.shutdownNow();
                if (!blockingWork.awaitTermination(WORKER_GRACE_MS, TimeUnit.MILLISECONDS))
                {
                    LOG.error("worker threads did not stop when interrupted; stopping without them");
                }
            }
        }
        catch (final InterruptedException ex)
        {
            blockingWork.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static boolean pause(final long ms)
    {
        try
        {
            Thread.sleep(ms);
            return true;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
