package io.iysfilter.server.milter;

import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closes MTA connections past the milter endpoint's limit at once. The milter protocol has no way to say why before
 * option negotiation: the MTA applies its {@code milter_default_action} (keep it {@code tempfail}).
 */
@Sharable
final class MilterConnectionLimiter extends ChannelInboundHandlerAdapter
{
    private static final Logger LOG = LoggerFactory.getLogger(MilterConnectionLimiter.class);
    private static final LogLimiter REFUSALS = LogLimiter.everyTenSeconds();

    private final int maxConnections;
    private final ServerCounters counters;
    private final AtomicInteger active;

    MilterConnectionLimiter(final int maxConnections, final ServerCounters counters)
    {
        this.maxConnections = maxConnections;
        this.counters = counters;
        this.active = counters.connections(ServerCounters.Endpoint.MILTER);
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        if (active.incrementAndGet() > maxConnections)
        {
            counters.onMilterError(ServerCounters.MilterError.TOO_MANY_CONNECTIONS);
            final long suppressed = REFUSALS.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("closing milter connection: limit reached, remote={}, maxConnections={}, " +
                    "suppressedSinceLast={}", ctx.channel().remoteAddress(), maxConnections, suppressed);
            }
            ctx.channel().config().setAutoRead(false);
            ctx.close();
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
