package io.iysfilter.server.milter;

import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Splits the MTA's stream into packets (4-byte length, then that many bytes: command and payload), at most
 * {@link MilterProtocol#MAX_PACKET_LENGTH} bytes each, and closes the connection when a packet, once begun, is not
 * complete within the packet timeout (a peer that sends half a packet and waits).
 */
final class MilterPacketDecoder extends LengthFieldBasedFrameDecoder
{
    private static final Logger LOG = LoggerFactory.getLogger(MilterPacketDecoder.class);
    private static final LogLimiter TIMEOUTS = LogLimiter.everyTenSeconds();

    private final long packetTimeoutMs;
    private final ServerCounters counters;
    private Future<?> timer;

    /**
     * @param packetTimeoutMs how long a begun packet may take to complete.
     * @param counters        the server's counters, or null (a test's decoder without the timeout's counter).
     */
    MilterPacketDecoder(final long packetTimeoutMs, final ServerCounters counters)
    {
        // the length field counts command and payload, not itself: the frame is 4 bytes longer than the packet
        super(MilterProtocol.MAX_PACKET_LENGTH + 4, 0, 4, 0, 4);
        this.packetTimeoutMs = packetTimeoutMs;
        this.counters = counters;
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg) throws Exception
    {
        super.channelRead(ctx, msg);
        if (!internalBuffer().isReadable())
        {
            cancelTimer();
        }
        else if (timer == null && ctx.channel().isActive())
        {
            timer = ctx.executor().schedule(() -> onTimeout(ctx), packetTimeoutMs, TimeUnit.MILLISECONDS);
        }
    }

    private void onTimeout(final ChannelHandlerContext ctx)
    {
        timer = null;
        if (!ctx.channel().isActive() || !internalBuffer().isReadable())
        {
            return;
        }
        if (!ctx.channel().config().isAutoRead())
        {
            // reading is paused for a decision of ours: the rest of the packet may wait in the socket
            timer = ctx.executor().schedule(() -> onTimeout(ctx), packetTimeoutMs, TimeUnit.MILLISECONDS);
            return;
        }
        if (counters != null)
        {
            counters.onMilterError(ServerCounters.MilterError.PACKET_TIMEOUT);
        }
        final long suppressed = TIMEOUTS.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.warn("closing milter connection: a packet begun was not complete within {} ms, remote={}, " +
                "bytesHeld={}, suppressedSinceLast={}", packetTimeoutMs, ctx.channel().remoteAddress(),
                internalBuffer().readableBytes(), suppressed);
        }
        ctx.close();
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
    protected void handlerRemoved0(final ChannelHandlerContext ctx) throws Exception
    {
        cancelTimer();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        cancelTimer();
        super.channelInactive(ctx);
    }
}
