package io.iysfilter.server.binary;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;

/**
 * Holds back requests to read while the connection is not writable. The frame decoder asks for a read whenever
 * auto-read is off and a read produced no message of its own (it never passes one on), which would undo the pause
 * {@link BinaryFrameHandler} makes while the client does not read its answers; sitting between it and the socket,
 * this lets such a read through only once the answers have drained below the low-water mark (auto-read is then
 * switched back on, which reads again).
 */
@Sharable
final class ReadGate extends ChannelDuplexHandler
{
    @Override
    public void read(final ChannelHandlerContext ctx)
    {
        if (ctx.channel().isWritable())
        {
            ctx.read();
        }
    }
}
