package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that pipelines CHECKs for 30 s and never reads its answers must not make the server buffer them without
 * bound: once the answers waiting exceed the write-buffer high-water mark, the server stops reading that
 * connection, so the client's writes block in TCP instead of growing the server's memory.
 * <p>
 * What is measured, and why two figures: the server runs in this JVM, so the process's resident set
 * ({@code VmRSS} from {@code /proc/self/status}) is the server's plus the test's. It is the figure an operator
 * watches and the one the bug moved (hundreds of MB to GB in seconds), so it is asserted with the bound,
 * 64 MB, read after a warm-up phase that has already grown the heap, the JIT's code and Netty's pools to their
 * working size, so what remains is dominated by what this connection makes the server hold. It is not exact (the
 * heap may still resize, Netty's leak detector runs at its paranoid level in tests), so the test also asserts the
 * exact figure the bug consisted of: the direct memory Netty's allocator has handed out (answers queued for the
 * client and the unread requests' cumulation), which must stay within a few times the high-water mark. Socket
 * buffers are the kernel's, in neither figure, and bounded by the kernel.
 * <p>
 * Finally the connection must still work: once the client reads, every CHECK it managed to send is answered,
 * in order, and nothing is lost.
 */
@Timeout(180)
class BinaryBackPressureIT
{
    private static final long PIPELINE_MS = 30_000;
    private static final long WARM_UP_MS = 3_000;
    private static final long RSS_GROWTH_LIMIT = 64L * 1024 * 1024;
    private static final long DIRECT_GROWTH_LIMIT = 8L * BinaryEndpoint.HIGH_WATER_MARK;
    private static final int FRAMES_PER_BUFFER = 1_000;
    private static final int RESPONSE_LENGTH = FrameDescriptor.MESSAGE_OFFSET + CheckResponseDecoder.BLOCK_LENGTH;

    @TempDir
    Path dataDir;

    @Test
    void shouldStopReadingAClientThatDoesNotReadItsAnswersAndLoseNothing() throws Exception
    {
        final Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status), "needs /proc/self/status (Linux) to read the RSS");
        Fixtures.write(dataDir);
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            final InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.binaryPort());
            final ByteBuffer requests = checks(FRAMES_PER_BUFFER);

            // Warm-up: the same abuse, shorter, then drained, so heap, JIT and pools are at working size.
            try (Pipeliner warmUp = new Pipeliner(address, requests))
            {
                warmUp.pipelineWithoutReading(WARM_UP_MS);
                warmUp.readEveryAnswer(60_000);
            }

            final long pausesBefore = server.counters().readPauses(ServerCounters.Endpoint.BINARY);
            System.gc();
            final long rssBefore = rss(status);
            final long directBefore = usedDirectMemory();
            try (Pipeliner abuser = new Pipeliner(address, requests))
            {
                abuser.pipelineWithoutReading(PIPELINE_MS);
                final long rssAfter = rss(status);
                final long directAfter = usedDirectMemory();
                final String figures = "sent=" + abuser.framesSent + " CHECKs (" + abuser.bytesSent +
                    " bytes), rss " + rssBefore / 1024 + " -> " + rssAfter / 1024 + " KiB, allocator direct " +
                    directBefore / 1024 + " -> " + directAfter / 1024 + " KiB";
                System.out.println("BinaryBackPressureIT: " + figures);

                assertTrue(server.counters().readPauses(ServerCounters.Endpoint.BINARY) > pausesBefore,
                    "the server paused reading the connection: " + figures);
                assertTrue(rssAfter - rssBefore < RSS_GROWTH_LIMIT, "RSS grew by less than 64 MB: " + figures);
                assertTrue(directAfter - directBefore < DIRECT_GROWTH_LIMIT,
                    "the server's direct memory grew by less than " + DIRECT_GROWTH_LIMIT + " bytes: " + figures);

                abuser.readEveryAnswer(120_000);
            }
        }
    }

    private static long rss(final Path status) throws IOException
    {
        for (final String line : Files.readAllLines(status, StandardCharsets.US_ASCII))
        {
            if (line.startsWith("VmRSS:"))
            {
                final String kib = line.substring("VmRSS:".length()).replace("kB", "").trim();
                return Long.parseLong(kib) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in " + status);
    }

    private static long usedDirectMemory()
    {
        return ((ByteBufAllocatorMetricProvider)ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
    }

    /**
     * {@code count} CHECKs of a consented number, correlation ids 0..count-1 modulo the buffer.
     */
    private static ByteBuffer checks(final int count)
    {
        final String recipient = Fixtures.CONSENTED;
        final int length = FrameDescriptor.MESSAGE_OFFSET + CheckEncoder.BLOCK_LENGTH + 1 + recipient.length();
        final ByteBuffer buffer = ByteBuffer.allocateDirect(count * length);
        final UnsafeBuffer view = new UnsafeBuffer(buffer);
        final CheckEncoder encoder = new CheckEncoder();
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        for (int i = 0; i < count; i++)
        {
            final int offset = i * length;
            encoder.wrapAndApplyHeader(view, offset + FrameDescriptor.MESSAGE_HEADER_OFFSET, header)
                .correlationId(i)
                .brandCode(Fixtures.BRAND)
                .channel(Channel.MESAJ)
                .recipientType(RecipientType.BIREYSEL)
                .messageKind(MessageKind.COMMERCIAL)
                .recipient(recipient);
            FrameDescriptor.frameLength(view, offset, length);
        }
        return buffer;
    }

    /**
     * One non-blocking connection that writes CHECKs as fast as TCP takes them, and reads only when asked.
     */
    private static final class Pipeliner implements AutoCloseable
    {
        private final SocketChannel socket;
        private final Selector selector;
        private final ByteBuffer requests;
        private final int frameLength;
        private final ByteBuffer answers = ByteBuffer.allocateDirect(64 * 1024);
        private final UnsafeBuffer answerView = new UnsafeBuffer(answers);
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final CheckResponseDecoder response = new CheckResponseDecoder();
        private long bytesSent;
        private long framesSent;
        private long answered;

        Pipeliner(final InetSocketAddress address, final ByteBuffer requests) throws IOException
        {
            this.requests = requests.duplicate();
            this.frameLength = requests.capacity() / FRAMES_PER_BUFFER;
            socket = SocketChannel.open();
            socket.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
            socket.setOption(StandardSocketOptions.SO_SNDBUF, 64 * 1024);
            socket.connect(address);
            socket.configureBlocking(false);
            selector = Selector.open();
        }

        /**
         * Write CHECKs for {@code ms}, never reading; stops at a frame boundary.
         */
        void pipelineWithoutReading(final long ms) throws IOException
        {
            final SelectionKey key = socket.register(selector, SelectionKey.OP_WRITE);
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            long leftMs;
            while ((leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())) > 0)
            {
                if (selector.select(Math.min(leftMs, 100)) > 0)
                {
                    selector.selectedKeys().clear();
                    write();
                }
            }
            key.interestOps(0);
        }

        private void write() throws IOException
        {
            if (!requests.hasRemaining())
            {
                requests.clear();
            }
            bytesSent += socket.write(requests);
            framesSent = bytesSent / frameLength;
        }

        /**
         * Read until every CHECK sent is answered, finishing a frame left half-written meanwhile.
         */
        void readEveryAnswer(final long ms) throws IOException
        {
            final SelectionKey key = socket.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            while (answered < framesSent || bytesSent % frameLength != 0)
            {
                final long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                assertTrue(leftMs > 0, "answers still missing after " + ms + " ms: answered=" + answered +
                    ", sent=" + framesSent);
                if (bytesSent % frameLength == 0)
                {
                    key.interestOps(SelectionKey.OP_READ);
                }
                if (selector.select(Math.min(leftMs, 100)) == 0)
                {
                    continue;
                }
                selector.selectedKeys().clear();
                if (key.isWritable() && bytesSent % frameLength != 0)
                {
                    final int limit = requests.limit();
                    requests.limit(requests.position() + (int)(frameLength - bytesSent % frameLength));
                    bytesSent += socket.write(requests);
                    requests.limit(limit);
                    framesSent = bytesSent / frameLength;
                }
                if (key.isReadable())
                {
                    read();
                }
            }
            assertEquals(framesSent, answered, "every CHECK sent is answered, and no more");
        }

        private void read() throws IOException
        {
            final int read = socket.read(answers);
            assertTrue(read >= 0, "the server closed the connection: answered=" + answered + ", sent=" + framesSent);
            answers.flip();
            while (answers.remaining() >= RESPONSE_LENGTH)
            {
                final int offset = answers.position();
                assertEquals(RESPONSE_LENGTH, FrameDescriptor.frameLength(answerView, offset),
                    "a CHECK_RESPONSE frame");
                header.wrap(answerView, offset + FrameDescriptor.MESSAGE_HEADER_OFFSET);
                assertEquals(CheckResponseDecoder.TEMPLATE_ID, header.templateId());
                response.wrap(answerView, offset + FrameDescriptor.MESSAGE_OFFSET, header.blockLength(),
                    header.version());
                assertEquals(answered % FRAMES_PER_BUFFER, response.correlationId(), "answers in request order");
                assertEquals(Reason.CONSENT, response.reason());
                answered++;
                answers.position(offset + RESPONSE_LENGTH);
            }
            answers.compact();
        }

        @Override
        public void close() throws IOException
        {
            selector.close();
            socket.close();
        }
    }
}
