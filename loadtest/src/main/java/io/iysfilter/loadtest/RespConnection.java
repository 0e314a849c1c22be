package io.iysfilter.loadtest;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A minimal pipelined RESP2 connection for the load rig: GET, MGET and MSET to Redis, IYS.CHECK and IYS.MCHECK to
 * iys-filter's RESP endpoint, replies matched in order.
 * Everything runs on the connection's event loop; {@link #command} must be called there.
 */
public final class RespConnection
{
    /** The longest reply the rig accepts, against a runaway parser. */
    public static final int MAX_REPLY_BYTES = 16 * 1024 * 1024;

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] ALLOW = {'A', 'L', 'L', 'O', 'W'};

    private final io.netty.channel.Channel channel;
    private final ArrayDeque<Reply> replies;

    /**
     * Receives one reply.
     */
    @FunctionalInterface
    public interface Reply
    {
        /**
         * @param present for a bulk string, whether it was non-nil; for an array, how many elements were non-nil
         *                bulk strings or {@code ALLOW} simple strings (a decision's verdict), at any depth; for a
         *                status or integer, 1.
         * @param error   Redis's error text, or null.
         */
        void onReply(int present, String error);
    }

    private RespConnection(final io.netty.channel.Channel channel)
    {
        this.channel = channel;
        this.replies = channel.pipeline().get(ReplyDecoder.class).replies;
    }

    /**
     * @param group event loops, from {@code FilterClient.newEventLoopGroup} or alike.
     * @param host  Redis host.
     * @param port  Redis port.
     * @return a connected connection.
     * @throws IOException when Redis cannot be reached.
     */
    public static RespConnection connect(final EventLoopGroup group, final String host, final int port)
        throws IOException
    {
        final Bootstrap bootstrap = new Bootstrap()
            .group(group)
            .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel socket)
                {
                    socket.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                    socket.pipeline().addLast("replies", new ReplyDecoder());
                }
            });
        final var connecting = bootstrap.connect(host, port).awaitUninterruptibly();
        if (!connecting.isSuccess())
        {
            throw new IOException("cannot connect to Redis at " + host + ":" + port + ": " +
                connecting.cause().getMessage(), connecting.cause());
        }
        return new RespConnection(connecting.channel());
    }

    /**
     * @return the connection's event loop.
     */
    public EventExecutor executor()
    {
        return channel.eventLoop();
    }

    /**
     * Send one command built of ASCII arguments; its reply goes to {@code reply}, in order.
     *
     * @param reply receives the reply.
     * @param args  command and arguments.
     */
    public void command(final Reply reply, final byte[]... args)
    {
        int length = 16;
        for (final byte[] arg : args)
        {
            length += arg.length + 16;
        }
        final ByteBuf out = channel.alloc().buffer(length);
        out.writeByte('*');
        writeDecimal(out, args.length);
        for (final byte[] arg : args)
        {
            out.writeByte('$');
            writeDecimal(out, arg.length);
            out.writeBytes(arg).writeBytes(CRLF);
        }
        replies.add(reply);
        channel.writeAndFlush(out).addListener((future) ->
        {
            if (!future.isSuccess())
            {
                channel.close();
            }
        });
    }

    /**
     * @return whether the connection is open.
     */
    public boolean isActive()
    {
        return channel.isActive();
    }

    /**
     * Close the connection.
     */
    public void close()
    {
        channel.close().syncUninterruptibly();
    }

    private static void writeDecimal(final ByteBuf out, final int value)
    {
        out.writeCharSequence(Integer.toString(value), StandardCharsets.US_ASCII);
        out.writeBytes(CRLF);
    }

    /**
     * Parses complete replies in place, a reply split across reads waiting for the rest, and hands each to the
     * oldest waiting {@link Reply}; both run on the event loop.
     */
    private static final class ReplyDecoder extends ByteToMessageDecoder
    {
        private final ArrayDeque<Reply> replies = new ArrayDeque<>();
        private int present;
        private String error;

        @Override
        protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> unused)
        {
            while (in.isReadable())
            {
                present = 0;
                error = null;
                final int end = parse(in, in.readerIndex(), true);
                if (end < 0)
                {
                    if (in.readableBytes() > MAX_REPLY_BYTES)
                    {
                        ctx.close();
                    }
                    return;
                }
                in.readerIndex(end);
                final Reply reply = replies.poll();
                if (reply == null)
                {
                    ctx.close();
                    return;
                }
                reply.onReply(present, error);
            }
        }

        /**
         * @return the index after the reply starting at {@code at}, or -1 when it is not complete yet.
         */
        private int parse(final ByteBuf in, final int at, final boolean top)
        {
            final int lineEnd = in.indexOf(at, in.writerIndex(), (byte)'\n');
            if (lineEnd < 0)
            {
                return -1;
            }
            final byte type = in.getByte(at);
            switch (type)
            {
                case '+', ':' ->
                {
                    present += top || type == '+' && lineEnd - at - 2 == ALLOW.length && in.getByte(at + 1) == 'A' &&
                        in.getByte(at + 2) == 'L' && in.getByte(at + 3) == 'L' && in.getByte(at + 4) == 'O' &&
                        in.getByte(at + 5) == 'W' ? 1 : 0;
                    return lineEnd + 1;
                }
                case '-' ->
                {
                    error = in.toString(at + 1, lineEnd - at - 2, StandardCharsets.US_ASCII);
                    return lineEnd + 1;
                }
                case '$' ->
                {
                    final long length = parseLong(in, at + 1, lineEnd - 1);
                    if (length < 0)
                    {
                        return lineEnd + 1;
                    }
                    final long end = lineEnd + 1 + length + 2;
                    if (end > in.writerIndex())
                    {
                        return -1;
                    }
                    present++;
                    return (int)end;
                }
                case '*' ->
                {
                    final long count = parseLong(in, at + 1, lineEnd - 1);
                    int next = lineEnd + 1;
                    for (long i = 0; i < count; i++)
                    {
                        next = parse(in, next, false);
                        if (next < 0)
                        {
                            return -1;
                        }
                    }
                    return next;
                }
                default ->
                {
                    error = "unexpected reply type '" + (char)type + "'";
                    return in.writerIndex();
                }
            }
        }

        private static long parseLong(final ByteBuf in, final int from, final int to)
        {
            long value = 0;
            boolean negative = false;
            for (int i = from; i < to; i++)
            {
                final byte b = in.getByte(i);
                if (b == '-')
                {
                    negative = true;
                }
                else
                {
                    value = value * 10 + (b - '0');
                }
            }
            return negative ? -value : value;
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx) throws Exception
        {
            Reply reply;
            while ((reply = replies.poll()) != null)
            {
                reply.onReply(0, "connection to Redis closed");
            }
            super.channelInactive(ctx);
        }
    }
}
