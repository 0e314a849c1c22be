package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorEncoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.server.metrics.AddressConnections;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetAddress;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Refuses binary connections past the limit, or past the per-address limit for its peer's address: the connection
 * gets ERROR TOO_MANY_CONNECTIONS, then is closed.
 */
@Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter
{
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf("iysBinaryPeerCounted");

    private final int maxConnections;
    private final int maxPerAddress;
    private final AtomicInteger active;
    private final AddressConnections perAddress;
    private final ServerCounters counters;

    ConnectionLimiter(final int maxConnections, final int maxPerAddress, final ServerCounters counters)
    {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.active = counters.activeConnections();
        this.perAddress = counters.addressConnections(ServerCounters.Endpoint.BINARY);
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
            counters.onProtocolError(ErrorCode.TOO_MANY_CONNECTIONS);
            final byte[] text = (overCap ? "connection limit reached: maxConnections=" + maxConnections :
                "connection limit per address reached: maxConnectionsPerAddress=" + maxPerAddress)
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
