package io.iysfilter.server.net;

import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;

/**
 * Back-pressure for an endpoint whose handlers do not provide their own: stops reading a connection while its peer
 * leaves more answers unread than the write-buffer high-water mark, and reads it again once they have drained below
 * the low-water mark. What one connection can make the server hold is then bounded by the water marks and the
 * endpoint's request caps, whatever the peer sends; its own writes block in TCP instead.
 * <p>
 * Mounted first, next to the socket, so that every request to read passes it: auto-read's, and those a handler
 * makes (a handler turning auto-read back on, a decoder asking for more). While the connection is not writable
 * such a request is held back and made once it is. Auto-read is turned off only if it was on, and turned back on
 * only if this gate turned it off, so that a handler's own pause (the milter's while it decides) is left to it.
 * One per connection.
 */
final class WritabilityGate extends ChannelDuplexHandler
{
    private final ServerCounters counters;
    private final Endpoint endpoint;
    private boolean turnedOff;
    private boolean held;

    /**
     * @param counters where pauses are counted.
     * @param endpoint whose connection this is.
     */
    WritabilityGate(final ServerCounters counters, final Endpoint endpoint)
    {
        this.counters = counters;
        this.endpoint = endpoint;
    }

    @Override
    public void read(final ChannelHandlerContext ctx)
    {
        if (ctx.channel().isWritable())
        {
            ctx.read();
        }
        else
        {
            held = true;
        }
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        final ChannelConfig config = ctx.channel().config();
        if (!ctx.channel().isWritable())
        {
            if (!turnedOff && config.isAutoRead())
            {
                turnedOff = true;
                config.setAutoRead(false);
                counters.onReadPaused(endpoint);
            }
        }
        else
        {
            final boolean wasHeld = held;
            held = false;
            if (turnedOff)
            {
                turnedOff = false;
                if (!config.isAutoRead())
                {
                    config.setAutoRead(true);
                }
                else if (wasHeld)
                {
                    ctx.read();
                }
            }
            else if (wasHeld)
            {
                ctx.read();
            }
        }
        super.channelWritabilityChanged(ctx);
    }
}
