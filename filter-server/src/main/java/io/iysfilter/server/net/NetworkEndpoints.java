package io.iysfilter.server.net;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.server.Decider;
import io.iysfilter.server.filter.ConsentFilter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The server's Netty edge: the binary protocol and the HTTP API, on one group of event loops (native epoll when
 * available). Each connection gets its own {@link Decider}, so event loops share nothing but the index.
 */
public final class NetworkEndpoints implements AutoCloseable
{
    /** Largest HTTP request accepted, headers and body. */
    public static final int MAX_HTTP_REQUEST_LENGTH = 16 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(NetworkEndpoints.class);

    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final Channel binaryChannel;
    private final Channel httpChannel;

    /**
     * What the endpoints need.
     *
     * @param bindAddress    address to listen on.
     * @param binaryPort     binary protocol port, 0 for any.
     * @param httpPort       HTTP port, 0 for any.
     * @param ioThreads      event-loop threads.
     * @param maxConnections most concurrent binary connections.
     * @param serverName     product and version for WELCOME.
     */
    public record Settings(
        String bindAddress, int binaryPort, int httpPort, int ioThreads, int maxConnections, String serverName)
    {
    }

    /**
     * Bind both endpoints.
     *
     * @param settings where and how.
     * @param filter   the rules.
     * @param store    the index.
     * @param counters the counters.
     * @param registry the Prometheus registry served on /metrics.
     * @throws InterruptedException when interrupted while binding.
     */
    public NetworkEndpoints(
        final Settings settings,
        final ConsentFilter filter,
        final ConsentStore store,
        final ServerCounters counters,
        final PrometheusMeterRegistry registry) throws InterruptedException
    {
        final boolean epoll = Epoll.isAvailable();
        final IoHandlerFactory ioHandlers = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        final Class<? extends ServerChannel> serverChannelType =
            epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        acceptors = new MultiThreadIoEventLoopGroup(1, ioHandlers);
        workers = new MultiThreadIoEventLoopGroup(settings.ioThreads(), ioHandlers);
        final ConnectionLimiter limiter = new ConnectionLimiter(settings.maxConnections(), counters);
        try
        {
            binaryChannel = bind(settings.bindAddress(), settings.binaryPort(), serverChannelType,
                new ChannelInitializer<SocketChannel>()
                {
                    @Override
                    protected void initChannel(final SocketChannel channel)
                    {
                        channel.pipeline().addLast("limiter", limiter);
                        channel.pipeline().addLast("frames",
                            new BinaryFrameHandler(new Decider(filter, store), counters, settings.serverName()));
                    }
                });
            httpChannel = bind(settings.bindAddress(), settings.httpPort(), serverChannelType,
                new ChannelInitializer<SocketChannel>()
                {
                    @Override
                    protected void initChannel(final SocketChannel channel)
                    {
                        channel.pipeline().addLast("http", new HttpServerCodec());
                        channel.pipeline().addLast("scrub",
                            new ScrubHttpHandler(new Decider(filter, store), counters));
                        channel.pipeline().addLast("aggregator", new HttpObjectAggregator(MAX_HTTP_REQUEST_LENGTH));
                        channel.pipeline().addLast("api",
                            new HttpApiHandler(new Decider(filter, store), store, counters, registry));
                    }
                });
        }
        catch (final Throwable ex)
        {
            // Netty rethrows a BindException undeclared: catch everything so the event loops never leak.
            close();
            throw ex;
        }
        LOG.info("listening: binary={}, http={}, transport={}, ioThreads={}, maxConnections={}, maxFrameLength={}",
            binaryChannel.localAddress(), httpChannel.localAddress(), epoll ? "epoll" : "nio", settings.ioThreads(),
            settings.maxConnections(), FrameDescriptor.MAX_FRAME_LENGTH);
    }

    private Channel bind(
        final String address,
        final int port,
        final Class<? extends ServerChannel> type,
        final ChannelInitializer<SocketChannel> initializer) throws InterruptedException
    {
        return new ServerBootstrap()
            .group(acceptors, workers)
            .channel(type)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .childHandler(initializer)
            .bind(new InetSocketAddress(address, port))
            .sync()
            .channel();
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
     * Stop accepting, close every connection and stop the event loops.
     */
    @Override
    public void close()
    {
        if (binaryChannel != null)
        {
            binaryChannel.close().syncUninterruptibly();
        }
        if (httpChannel != null)
        {
            httpChannel.close().syncUninterruptibly();
        }
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
