package io.iysfilter.server.resp;

import io.iysfilter.server.metrics.AddressConnections;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.RespError;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Refuses RESP connections past the limit, or past the per-address limit for the peer's address, as Redis refuses
 * a client past {@code maxclients}: {@code -ERR max number of clients reached}, then the connection is closed.
 */
@Sharable
final class RespConnectionLimiter extends ChannelInboundHandlerAdapter
{
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf("iysRespPeerCounted");
    private static final byte[] REFUSED = "-ERR max number of clients reached\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REFUSED_PER_ADDRESS =
        "-ERR max number of clients reached for this address\r\n".getBytes(StandardCharsets.US_ASCII);

    private final int maxConnections;
    private final int maxPerAddress;
    private final AtomicInteger active;
    private final AddressConnections perAddress;
    private final ServerCounters counters;

    RespConnectionLimiter(final int maxConnections, final int maxPerAddress, final ServerCounters counters)
    {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.active = counters.connections(Endpoint.RESP);
        this.perAddress = counters.addressConnections(Endpoint.RESP);
        this.counters = counters;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        final InetAddress address = maxPerAddress > 0 ? AddressConnections.address(ctx.channel().remoteAddress()) :
            null;
        final boolean overCap = active.incrementAndGet() > maxConnections;
        if (overCap || address != null && !perAddress.tryOpen(address, maxPerAddress))
        {
            counters.onRespError(RespError.TOO_MANY_CONNECTIONS);
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(overCap ? REFUSED : REFUSED_PER_ADDRESS))
                .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (address != null)
        {
            ctx.channel().attr(COUNTED).set(address);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        active.decrementAndGet();
        final InetAddress counted = ctx.channel().attr(COUNTED).getAndSet(null);
        if (counted != null)
        {
            perAddress.close(counted);
        }
        super.channelInactive(ctx);
    }
}
