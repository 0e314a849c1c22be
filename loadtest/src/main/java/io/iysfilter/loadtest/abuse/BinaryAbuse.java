package io.iysfilter.loadtest.abuse;

import io.iysfilter.loadtest.Workload;
import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckBatchEncoder;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.ErrorDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hostile clients of the binary port (docs/PROTOCOL.md §1, §6, §7 say how the server answers each).
 */
public final class BinaryAbuse
{
    /** How long a pipelining client's writes must stay blocked before it counts as stalled by the server. */
    static final long STALL_MS = 500;
    private static final String RECIPIENT = "+905320000001";
    private static final int SCHEMA_ID_OFFSET = FrameDescriptor.MESSAGE_HEADER_OFFSET + 4;

    private BinaryAbuse()
    {
    }

    /**
     * @param targets     the server.
     * @param connections connections that pipeline CHECKs and never read an answer.
     * @return the kind.
     */
    public static HostileClient unread(final Targets targets, final int connections)
    {
        return new Unread(targets, connections);
    }

    /**
     * @param targets the server.
     * @param threads connections at a time that send half a frame and wait.
     * @param rate    attempts per second per thread, at most.
     * @return the kind.
     */
    public static HostileClient halfFrame(final Targets targets, final int threads, final double rate)
    {
        final long waitMs = targets.binaryFrameMs() + targets.binaryFrameMs() / 4 + HostileClient.ANSWER_SLACK_MS;
        final byte[] half = Arrays.copyOf(checkFrame(), FrameDescriptor.MESSAGE_OFFSET - 2);
        return new HostileClient("binary-half-frame", "binary", Set.of("ERROR FRAME_TIMEOUT, closed"), threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                try (Socket socket = Wire.connect(targets.binaryPort(), waitMs))
                {
                    socket.getOutputStream().write(half);
                    sent(half.length);
                    return answer(socket);
                }
            }
        };
    }

    /**
     * @param targets the server.
     * @param threads connections at a time that send a frame the server must refuse.
     * @param rate    attempts per second per thread, at most.
     * @return the kind: oversized length, foreign schema and a batch declaring more entries than it carries, in turn.
     */
    public static HostileClient garbage(final Targets targets, final int threads, final double rate)
    {
        final byte[][] frames = {oversizedFrame(), foreignSchemaFrame(), overrunBatchFrame()};
        final String[] names = {"oversized length", "foreign schema", "batch overrunning its frame"};
        final String[] codes = {"FRAME_TOO_LARGE", "UNSUPPORTED_SCHEMA", "MALFORMED_FRAME"};
        final Set<String> expected = Set.of(names[0] + ": ERROR " + codes[0] + ", closed",
            names[1] + ": ERROR " + codes[1] + ", closed", names[2] + ": ERROR " + codes[2] + ", closed");
        final AtomicLong turn = new AtomicLong();
        final long waitMs = HostileClient.ANSWER_SLACK_MS;
        return new HostileClient("binary-garbage", "binary", expected, threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                final int variant = (int)(turn.getAndIncrement() % frames.length);
                try (Socket socket = Wire.connect(targets.binaryPort(), waitMs))
                {
                    socket.getOutputStream().write(frames[variant]);
                    sent(frames[variant].length);
                    return names[variant] + ": " + answer(socket);
                }
            }
        };
    }

    /**
     * @param targets the server.
     * @param threads threads that connect and close at once.
     * @param rate    connections per second per thread, at most.
     * @return the kind: nine in ten closed with a reset, one with a FIN.
     */
    public static HostileClient connectStorm(final Targets targets, final int threads, final double rate)
    {
        final AtomicLong turn = new AtomicLong();
        return new HostileClient("binary-connect-storm", "binary", Set.of("accepted"), threads, rate)
        {
            @Override
            protected String attempt()
            {
                Socket socket = null;
                try
                {
                    socket = Wire.connect(targets.binaryPort(), HostileClient.ANSWER_SLACK_MS);
                    if (turn.getAndIncrement() % 10 != 0)
                    {
                        socket.setSoLinger(true, 0);
                    }
                    return "accepted";
                }
                catch (final IOException ex)
                {
                    return "connect failed: " + ex.getMessage();
                }
                finally
                {
                    Wire.close(socket);
                }
            }
        };
    }

    /**
     * @param targets     the server.
     * @param connections idle connections held at once (opened again as the server closes them).
     * @return the kind.
     */
    public static HostileClient idle(final Targets targets, final int connections)
    {
        return new Idle(targets, connections);
    }

    /**
     * Read the server's ERROR, then wait for it to close the connection.
     *
     * @return e.g. {@code ERROR FRAME_TIMEOUT, closed}.
     */
    static String answer(final Socket socket)
    {
        try
        {
            final InputStream in = socket.getInputStream();
            final byte[] head = Wire.readExactly(in, FrameDescriptor.HEADER_LENGTH);
            if (head == null)
            {
                return "closed without an ERROR";
            }
            final long length = new UnsafeBuffer(head).getInt(0, FrameDescriptor.BYTE_ORDER) & 0xFFFF_FFFFL;
            if (length < FrameDescriptor.MIN_FRAME_LENGTH || length > 4096)
            {
                return "a frame of " + length + " bytes";
            }
            final byte[] rest = Wire.readExactly(in, (int)length - FrameDescriptor.HEADER_LENGTH);
            if (rest == null)
            {
                return "closed in the middle of a frame";
            }
            final byte[] frame = new byte[(int)length];
            System.arraycopy(head, 0, frame, 0, head.length);
            System.arraycopy(rest, 0, frame, head.length, rest.length);
            final String error = errorCode(frame);
            return error == null ? "an answer that is not an ERROR" : "ERROR " + error + ", " +
                Wire.awaitClose(socket);
        }
        catch (final SocketTimeoutException ex)
        {
            return "no answer within " + Wire.timeoutOf(socket) + " ms";
        }
        catch (final SocketException ex)
        {
            return "reset";
        }
        catch (final IOException ex)
        {
            return "failed: " + ex;
        }
    }

    /**
     * @return the ERROR's code, or null when the frame is no ERROR.
     */
    static String errorCode(final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer,
            FrameDescriptor.MESSAGE_HEADER_OFFSET);
        if (header.templateId() != ErrorDecoder.TEMPLATE_ID || frame.length < FrameDescriptor.MESSAGE_OFFSET +
            ErrorDecoder.BLOCK_LENGTH)
        {
            return null;
        }
        return new ErrorDecoder().wrap(buffer, FrameDescriptor.MESSAGE_OFFSET, header.blockLength(),
            header.version()).code().name();
    }

    /**
     * @return a well-formed CHECK about the load-test brand.
     */
    static byte[] checkFrame()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final CheckEncoder check = new CheckEncoder().wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET,
            new MessageHeaderEncoder())
            .correlationId(1)
            .brandCode(Workload.BRAND)
            .channel(Channel.MESAJ)
            .recipientType(RecipientType.BIREYSEL)
            .messageKind(MessageKind.COMMERCIAL)
            .recipient(RECIPIENT);
        final int length = FrameDescriptor.MESSAGE_OFFSET + check.encodedLength();
        FrameDescriptor.frameLength(buffer, 0, length);
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    private static byte[] oversizedFrame()
    {
        final byte[] frame = Arrays.copyOf(checkFrame(), FrameDescriptor.MESSAGE_OFFSET);
        new UnsafeBuffer(frame).putInt(0, Limits.MAX_FRAME_LENGTH + 1, FrameDescriptor.BYTE_ORDER);
        return frame;
    }

    private static byte[] foreignSchemaFrame()
    {
        final byte[] frame = checkFrame();
        new UnsafeBuffer(frame).putShort(SCHEMA_ID_OFFSET, (short)(FrameDescriptor.SCHEMA_ID + 1),
            FrameDescriptor.BYTE_ORDER);
        return frame;
    }

    /**
     * @return a CHECK_BATCH that declares two entries and carries one.
     */
    private static byte[] overrunBatchFrame()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final CheckBatchEncoder batch = new CheckBatchEncoder().wrapAndApplyHeader(buffer,
            FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(2)
            .brandCode(Workload.BRAND);
        batch.entriesCount(1).next()
            .channel(Channel.MESAJ)
            .recipientType(RecipientType.BIREYSEL)
            .messageKind(MessageKind.COMMERCIAL)
            .recipient(RECIPIENT);
        final int length = FrameDescriptor.MESSAGE_OFFSET + batch.encodedLength();
        FrameDescriptor.frameLength(buffer, 0, length);
        buffer.putShort(FrameDescriptor.MESSAGE_OFFSET + CheckBatchEncoder.BLOCK_LENGTH + 2, (short)2,
            FrameDescriptor.BYTE_ORDER);
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    /**
     * Connections that pipeline CHECKs as fast as the socket takes them and never read: the server must stop reading
     * them (its answers wait, bounded) rather than buffer without end; the client sees its writes block. The server
     * closes such a connection once its idle timeout has passed without a frame read (and its unread ERROR has
     * lingered a frame timeout); it is then opened again. The server pauses only once its answers fill the socket's
     * send buffer (up to 4 MiB on Linux) and the write-buffer high-water mark, some 140,000 CHECKs; on a loaded
     * machine that can take longer than the phase, so once stopped a connection that has not stalled yet goes on
     * pipelining within the grace.
     */
    private static final class Unread extends HostileClient
    {
        static final String STALLED_CLOSED = "writes stalled, then closed by the server";
        static final String STALLED_OPEN = "writes stalled, still open at the end";
        private static final int RECEIVE_BUFFER = 16 * 1024;

        private final Targets targets;
        private final int connections;
        private final ByteBuffer frames;

        Unread(final Targets targets, final int connections)
        {
            super("binary-unread", "binary", Set.of(STALLED_CLOSED, STALLED_OPEN), 1, 1);
            this.targets = targets;
            this.connections = connections;
            final byte[] frame = checkFrame();
            final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024 / frame.length * frame.length);
            while (buffer.remaining() >= frame.length)
            {
                buffer.put(frame);
            }
            buffer.flip();
            this.frames = buffer;
        }

        /**
         * One connection's state.
         */
        private static final class Pipeliner
        {
            final ByteBuffer out;
            long blockedSinceNs;
            boolean stalled;

            Pipeliner(final ByteBuffer out)
            {
                this.out = out;
            }
        }

        @Override
        protected void loop()
        {
            try (Selector selector = Selector.open())
            {
                final List<SelectionKey> open = new ArrayList<>();
                while (!stopping() || !allStalled(open) && System.nanoTime() - deadlineNs() < 0)
                {
                    while (open.size() < connections && !stopping())
                    {
                        open.add(openOne(selector));
                    }
                    selector.select(50);
                    selector.selectedKeys().clear();
                    final long nowNs = System.nanoTime();
                    for (int i = open.size() - 1; i >= 0; i--)
                    {
                        if (!write(open.get(i), nowNs))
                        {
                            open.remove(i);
                        }
                    }
                }
                for (final SelectionKey key : open)
                {
                    final Pipeliner state = (Pipeliner)key.attachment();
                    record(state.stalled ? STALLED_OPEN : "never stalled");
                    key.channel().close();
                }
            }
            catch (final IOException ex)
            {
                record("failed: " + ex);
            }
        }

        private static boolean allStalled(final List<SelectionKey> open)
        {
            for (final SelectionKey key : open)
            {
                if (!((Pipeliner)key.attachment()).stalled)
                {
                    return false;
                }
            }
            return true;
        }

        private SelectionKey openOne(final Selector selector) throws IOException
        {
            countAttempt();
            final SocketChannel channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.SO_RCVBUF, RECEIVE_BUFFER);
            channel.socket().connect(new InetSocketAddress(Wire.HOST, targets.binaryPort()),
                (int)HostileClient.ANSWER_SLACK_MS);
            channel.configureBlocking(false);
            return channel.register(selector, SelectionKey.OP_WRITE, new Pipeliner(frames.duplicate()));
        }

        /**
         * @return false when the server has closed the connection.
         */
        private boolean write(final SelectionKey key, final long nowNs)
        {
            final Pipeliner state = (Pipeliner)key.attachment();
            final SocketChannel channel = (SocketChannel)key.channel();
            try
            {
                final int written = channel.write(state.out);
                if (!state.out.hasRemaining())
                {
                    state.out.rewind();
                }
                if (written > 0)
                {
                    sent(written);
                    state.blockedSinceNs = 0;
                }
                else if (state.blockedSinceNs == 0)
                {
                    state.blockedSinceNs = nowNs;
                }
                else if (nowNs - state.blockedSinceNs >= TimeUnit.MILLISECONDS.toNanos(STALL_MS))
                {
                    state.stalled = true;
                }
                return true;
            }
            catch (final IOException ex)
            {
                record(state.stalled ? STALLED_CLOSED : "closed by the server before its writes stalled");
                key.cancel();
                try
                {
                    channel.close();
                }
                catch (final IOException closing)
                {
                    // already closed by the server
                }
                return false;
            }
        }
    }

    /**
     * Connections that connect and send nothing, up to near the connection cap: each must get ERROR IDLE_TIMEOUT
     * and be closed after the idle timeout, and is then opened again, so they keep the cap nearly full. One refused
     * at the cap (the other kinds' connections come and go) is opened again only after a pause.
     */
    private static final class Idle extends HeldConnections
    {
        static final String ANSWERED = "ERROR IDLE_TIMEOUT, closed";
        /** After a refusal at the cap, how long before opening more: a refused client that retried at once would
         * make a connection storm of its own. */
        private static final long REFUSED_PAUSE_MS = 500;

        private final Targets targets;
        private long refusedNs = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(REFUSED_PAUSE_MS);

        Idle(final Targets targets, final int connections)
        {
            super("binary-idle", "binary", Set.of(ANSWERED), connections);
            this.targets = targets;
        }

        @Override
        protected int port()
        {
            return targets.binaryPort();
        }

        @Override
        protected ByteBuffer newBuffer()
        {
            return ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        protected boolean mayOpen()
        {
            return System.nanoTime() - refusedNs >= TimeUnit.MILLISECONDS.toNanos(REFUSED_PAUSE_MS);
        }

        @Override
        protected boolean onReady(final SelectionKey key) throws IOException
        {
            final SocketChannel channel = (SocketChannel)key.channel();
            final ByteBuffer in = (ByteBuffer)key.attachment();
            String outcome = null;
            try
            {
                if (key.isConnectable())
                {
                    channel.finishConnect();
                    key.interestOps(SelectionKey.OP_READ);
                    return false;
                }
                if (!in.hasRemaining())
                {
                    outcome = "more than an ERROR";
                }
                else if (channel.read(in) < 0)
                {
                    outcome = describe(in) + ", closed";
                }
            }
            catch (final IOException ex)
            {
                outcome = describe(in) + ", " + (key.isValid() && key.isConnectable() ? "connect failed" : "reset");
            }
            if (outcome == null)
            {
                return false;
            }
            if (refusedAtCap(outcome))
            {
                refusedNs = System.nanoTime();
            }
            record(outcome);
            key.cancel();
            channel.close();
            return true;
        }

        private static String describe(final ByteBuffer in)
        {
            if (in.position() < FrameDescriptor.HEADER_LENGTH)
            {
                return "no ERROR";
            }
            final int length = in.getInt(0);
            if (length < FrameDescriptor.MIN_FRAME_LENGTH || length > in.position())
            {
                return "no whole frame";
            }
            final byte[] frame = new byte[length];
            in.get(0, frame);
            final String code = errorCode(frame);
            return code == null ? "an answer that is not an ERROR" : "ERROR " + code;
        }
    }
}
