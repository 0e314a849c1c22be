package io.iysfilter.server.http;

import io.iysfilter.server.metrics.AddressConnections;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.HttpClose;
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
 * Refuses HTTP connections past {@link HttpSettings#maxConnections()}, or past
 * {@link HttpSettings#maxConnectionsPerAddress()} for its peer's address: the connection gets 503, then is closed,
 * without a byte of it read. Goes first in the pipeline, before the codec.
 */
@Sharable
final class HttpConnectionLimiter extends ChannelInboundHandlerAdapter
{
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf("iysHttpPeerCounted");

    private final int maxConnections;
    private final int maxPerAddress;
    private final AtomicInteger active;
    private final AddressConnections perAddress;
    private final ServerCounters counters;
    private final byte[] refusal;
    private final byte[] perAddressRefusal;

    HttpConnectionLimiter(final int maxConnections, final int maxPerAddress, final ServerCounters counters)
    {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.active = counters.httpConnections();
        this.perAddress = counters.addressConnections(ServerCounters.Endpoint.HTTP);
        this.counters = counters;
        refusal = refusal("HTTP connection limit reached: http-max-connections=" + maxConnections);
        perAddressRefusal = refusal("HTTP connection limit per address reached: max-connections-per-address=" +
            maxPerAddress);
    }

    private static byte[] refusal(final String message)
    {
        final String body = Json.error("too_many_connections", message);
        return ("HTTP/1.1 503 Service Unavailable\r\n" +
            "content-type: application/json; charset=utf-8\r\n" +
            "content-length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n" +
            "connection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        final InetAddress address = maxPerAddress > 0 ? AddressConnections.address(ctx.channel().remoteAddress()) :
            null;
        final boolean overCap = active.incrementAndGet() > maxConnections;
        if (overCap || address != null && !perAddress.tryOpen(address, maxPerAddress))
        {
            counters.onHttpClose(HttpClose.REFUSED);
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(overCap ? refusal : perAddressRefusal))
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
