package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorEncoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Refuses binary connections past the limit: the connection gets ERROR TOO_MANY_CONNECTIONS, then is closed.
 */
@Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter
{
    private final int maxConnections;
    private final AtomicInteger active;
    private final ServerCounters counters;

    ConnectionLimiter(final int maxConnections, final ServerCounters counters)
    {
        this.maxConnections = maxConnections;
        this.active = counters.activeConnections();
        this.counters = counters;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        if (active.incrementAndGet() > maxConnections)
        {
            counters.onProtocolError(ErrorCode.TOO_MANY_CONNECTIONS);
            final byte[] text = ("connection limit reached: maxConnections=" + maxConnections)
                .getBytes(StandardCharsets.UTF_8);
            final int length = FrameDescriptor.MESSAGE_OFFSET + ErrorEncoder.BLOCK_LENGTH + 2 + text.length;
            final ByteBuf buf = ctx.alloc().heapBuffer(length);
            final UnsafeBuffer view = new UnsafeBuffer(buf.array(), buf.arrayOffset(), length);
            new ErrorEncoder().wrapAndApplyHeader(view, FrameDescriptor.MESSAGE_HEADER_OFFSET,
                new MessageHeaderEncoder())
                .correlationId(0)
                .code(ErrorCode.TOO_MANY_CONNECTIONS)
                .putMessage(text, 0, text.length);
            FrameDescriptor.frameLength(view, 0, length);
            buf.writerIndex(length);
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(buf).addListener(ChannelFutureListener.CLOSE);
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
