package io.iysfilter.server.http;

import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.HttpClose;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Refuses HTTP connections past {@link HttpSettings#maxConnections()}: the connection gets 503, then is closed,
 * without a byte of it read. Goes first in the pipeline, before the codec.
 */
@Sharable
final class HttpConnectionLimiter extends ChannelInboundHandlerAdapter
{
    private final int maxConnections;
    private final AtomicInteger active;
    private final ServerCounters counters;
    private final byte[] refusal;

    HttpConnectionLimiter(final int maxConnections, final ServerCounters counters)
    {
        this.maxConnections = maxConnections;
        this.active = counters.httpConnections();
        this.counters = counters;
        final String body = Json.error("too_many_connections",
            "HTTP connection limit reached: http-max-connections=" + maxConnections);
        refusal = ("HTTP/1.1 503 Service Unavailable\r\n" +
            "content-type: application/json; charset=utf-8\r\n" +
            "content-length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n" +
            "connection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        if (active.incrementAndGet() > maxConnections)
        {
            counters.onHttpClose(HttpClose.REFUSED);
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(refusal)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        active.decrementAndGet();
        super.channelInactive(ctx);
    }
}
