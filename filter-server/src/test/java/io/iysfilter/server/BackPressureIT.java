package io.iysfilter.server;

import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP and milter endpoints stop reading a peer that pipelines requests and never reads the answers, as the
 * binary endpoint does ({@code BinaryBackPressureIT}): without it, the server read on and queued every answer, so
 * one such peer could grow the server's direct memory without bound (milter: 111 MB in 10 s, measured without the
 * pause). Each test pipelines identical requests for a while without reading, asserts that the server paused
 * reading that connection and that the memory Netty's allocator handed out stayed bounded, then reads: every request
 * sent is answered (the milter's each with the same bytes, HTTP's each a 200) and nothing is lost.
 */
@Timeout(120)
class BackPressureIT
{
    private static final long PIPELINE_MS = 10_000;
    /** How long the abuse goes on, at most, for the server to pause reading (on a machine busy with other work). */
    private static final long PIPELINE_MAX_MS = 45_000;
    private static final long WARM_UP_MS = 2_000;
    /** The child channels' high-water mark (NetworkEndpoints). */
    private static final long HIGH_WATER_MARK = 1024 * 1024;
    private static final long DIRECT_GROWTH_LIMIT = 8 * HIGH_WATER_MARK;
    /**
     * Over HTTP the bound is looser: what the server read before it paused (a socket read's worth of pipelined
     * requests, thousands of them) is still answered, and a /metrics answer is tens of KB, rendered on the worker
     * threads, each with its own allocator arena taking memory in chunks of several MiB. Measured here: about 19 MiB.
     * The bound for a whole 30 s of such abuse is 64 MB.
     */
    private static final long HTTP_DIRECT_GROWTH_LIMIT = 64 * HIGH_WATER_MARK;
    private static final int REPEATS = 1_000;
    /** An OPTNEG that offers none of the "no reply" flags, so that the milter answers every HELO. */
    private static final byte[] OPTNEG = HexFormat.of().parseHex("0000000d4f00000006000001ff00000000");
    private static final byte[] HELO = HexFormat.of().parseHex("000000034878" + "00");

    @TempDir
    static Path dataDir;
    private static FilterServer server;
    private static ResourceLeakDetector.Level leakDetection;

    /**
     * The tests run Netty's leak detector at its paranoid level, which records a stack trace for every buffer and
     * slows the HTTP and milter handlers to a few thousand requests a second: too slow for a client to outrun them,
     * so the queue this test is about would never build. It is off while this class runs, as the launcher has it.
     */
    @BeforeAll
    static void start() throws Exception
    {
        leakDetection = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
    }

    @AfterAll
    static void stop()
    {
        if (server != null)
        {
            server.close();
        }
        ResourceLeakDetector.setLevel(leakDetection);
    }

    @Test
    void shouldStopReadingAnHttpClientThatPipelinesWithoutReadingAndLoseNothing() throws Exception
    {
        // /metrics: a small request with an answer of tens of KB, so the answers outgrow the requests quickly
        final byte[] request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        pipelineThenReadEverything(Endpoint.HTTP, new InetSocketAddress("127.0.0.1", server.httpPort()), new byte[0],
            request, HttpAnswers::new, HTTP_DIRECT_GROWTH_LIMIT);
    }

    @Test
    void shouldStopReadingAMilterClientThatPipelinesWithoutReadingAndLoseNothing() throws Exception
    {
        final InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.milterPort());
        pipelineThenReadEverything(Endpoint.MILTER, address, OPTNEG, HELO,
            () -> new FixedAnswers(17, HexFormat.of().parseHex("0000000163")), DIRECT_GROWTH_LIMIT);
    }

    private static void pipelineThenReadEverything(
        final Endpoint endpoint,
        final InetSocketAddress address,
        final byte[] preamble,
        final byte[] request,
        final Supplier<Answers> answers,
        final long directGrowthLimit) throws Exception
    {
        // warm-up: the same abuse, shorter, then drained, so that the allocator's arenas hold their working chunks
        try (Pipeliner warmUp = new Pipeliner(address, preamble, request, REPEATS))
        {
            warmUp.pipelineWithoutReading(WARM_UP_MS);
            warmUp.readEveryAnswer(answers.get(), 60_000);
        }
        final long pausesBefore = server.counters().readPauses(endpoint);
        System.gc();
        final long directBefore = usedDirectMemory();
        try (Pipeliner abuser = new Pipeliner(address, preamble, request, REPEATS))
        {
            abuser.pipelineWithoutReading(PIPELINE_MS, PIPELINE_MAX_MS,
                () -> server.counters().readPauses(endpoint) > pausesBefore);
            final long directAfter = usedDirectMemory();
            final String figures = endpoint + ": sent=" + abuser.requestsSent() + " requests (" + abuser.bytesSent +
                " bytes), allocator direct " + directBefore / 1024 + " -> " + directAfter / 1024 + " KiB";
            System.out.println("BackPressureIT " + figures);
            assertTrue(server.counters().readPauses(endpoint) > pausesBefore,
                "the server paused reading the connection: " + figures);
            assertTrue(directAfter - directBefore < directGrowthLimit,
                "the server's direct memory grew by less than " + directGrowthLimit + " bytes: " + figures);
            abuser.readEveryAnswer(answers.get(), 60_000);
        }
    }

    private static long usedDirectMemory()
    {
        return ((ByteBufAllocatorMetricProvider)ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
    }

    /**
     * One non-blocking connection that writes a preamble, then one request over and over as fast as TCP takes it,
     * and reads only when asked.
     */
    private static final class Pipeliner implements AutoCloseable
    {
        private final SocketChannel socket;
        private final Selector selector;
        private final ByteBuffer preamble;
        private final ByteBuffer requests;
        private final int preambleLength;
        private final int requestLength;
        private final ByteBuffer input = ByteBuffer.allocate(4 * 1024 * 1024);
        private long bytesSent;

        Pipeliner(final InetSocketAddress address, final byte[] preamble, final byte[] request, final int repeats)
            throws IOException
        {
            this.preamble = ByteBuffer.wrap(preamble);
            this.preambleLength = preamble.length;
            this.requestLength = request.length;
            this.requests = ByteBuffer.allocate(request.length * repeats);
            for (int i = 0; i < repeats; i++)
            {
                requests.put(request);
            }
            requests.flip();
            socket = SocketChannel.open();
            socket.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
            socket.setOption(StandardSocketOptions.SO_SNDBUF, 64 * 1024);
            socket.connect(address);
            socket.configureBlocking(false);
            selector = Selector.open();
        }

        long requestsSent()
        {
            return Math.max(0, bytesSent - preambleLength) / requestLength;
        }

        /**
         * Write the preamble, then requests for {@code ms}, never reading; stops at a request boundary or when
         * TCP takes no more.
         */
        void pipelineWithoutReading(final long ms) throws IOException
        {
            pipelineWithoutReading(ms, ms, () -> true);
        }

        /**
         * Pipeline for at least {@code minMs}, then on until {@code enough} says so or {@code maxMs} have passed: a
         * server starved of CPU by whatever else runs reads slowly, and its answers then fit the kernel's socket
         * buffers for longer before it has to stop reading.
         */
        void pipelineWithoutReading(final long minMs, final long maxMs, final BooleanSupplier enough)
            throws IOException
        {
            final SelectionKey key = socket.register(selector, SelectionKey.OP_WRITE);
            final long startNs = System.nanoTime();
            final long minNs = TimeUnit.MILLISECONDS.toNanos(minMs);
            final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(maxMs);
            long leftMs;
            while ((leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())) > 0 &&
                (System.nanoTime() - startNs < minNs || !enough.getAsBoolean()))
            {
                if (selector.select(Math.min(leftMs, 100)) > 0)
                {
                    selector.selectedKeys().clear();
                    write(Long.MAX_VALUE);
                }
            }
            key.interestOps(0);
        }

        private void write(final long upTo) throws IOException
        {
            if (preamble.hasRemaining())
            {
                bytesSent += socket.write(preamble);
                return;
            }
            if (!requests.hasRemaining())
            {
                requests.clear();
            }
            final int limit = requests.limit();
            final long room = upTo - bytesSent;
            if (room < requests.remaining())
            {
                requests.limit(requests.position() + (int)room);
            }
            bytesSent += socket.write(requests);
            requests.limit(limit);
        }

        /**
         * Finish a request left half-written, then read until every request sent is answered.
         */
        void readEveryAnswer(final Answers answers, final long ms) throws IOException
        {
            final long whole = preambleLength + requestsSent() * requestLength;
            final long end = bytesSent == whole ? whole : whole + requestLength;
            final long expected = (end - preambleLength) / requestLength;
            final SelectionKey key = socket.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            while (answers.count() < expected)
            {
                final long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                assertTrue(leftMs > 0, "answers still missing after " + ms + " ms: " + answers.count() + " of " +
                    expected);
                if (bytesSent == end)
                {
                    key.interestOps(SelectionKey.OP_READ);
                }
                if (selector.select(Math.min(leftMs, 100)) == 0)
                {
                    continue;
                }
                selector.selectedKeys().clear();
                if (key.isWritable() && bytesSent < end)
                {
                    write(end);
                }
                if (key.isReadable())
                {
                    assertTrue(socket.read(input) >= 0, "the server closed the connection after " + answers.count() +
                        " answers of " + expected);
                    input.flip();
                    answers.consume(input);
                    input.compact();
                }
            }
            assertEquals(expected, answers.count(), "every request sent is answered, and no more");
        }

        @Override
        public void close() throws IOException
        {
            selector.close();
            socket.close();
        }
    }

    /**
     * Counts the answers read, checking each.
     */
    private interface Answers
    {
        /**
         * @param input bytes read; whole answers are taken, a partial one is left.
         */
        void consume(ByteBuffer input);

        long count();
    }

    /**
     * A preamble's answer of a known length, then answers that are all the same bytes.
     */
    private static final class FixedAnswers implements Answers
    {
        private final byte[] answer;
        private long preambleLeft;
        private long count;

        FixedAnswers(final int preambleAnswerLength, final byte[] answer)
        {
            this.preambleLeft = preambleAnswerLength;
            this.answer = answer;
        }

        @Override
        public void consume(final ByteBuffer input)
        {
            while (preambleLeft > 0 && input.hasRemaining())
            {
                input.get();
                preambleLeft--;
            }
            final byte[] got = new byte[answer.length];
            while (input.remaining() >= answer.length)
            {
                input.get(got);
                assertArrayEquals(answer, got, "answer " + count);
                count++;
            }
        }

        @Override
        public long count()
        {
            return count;
        }
    }

    /**
     * HTTP/1.1 responses framed by Content-Length, each 200.
     */
    private static final class HttpAnswers implements Answers
    {
        private long count;

        @Override
        public void consume(final ByteBuffer input)
        {
            while (true)
            {
                final int start = input.position();
                final int headersEnd = indexOf(input, start);
                if (headersEnd < 0)
                {
                    return;
                }
                final byte[] head = new byte[headersEnd - start];
                input.get(start, head);
                final String headers = new String(head, StandardCharsets.US_ASCII);
                assertTrue(headers.startsWith("HTTP/1.1 200 "), "answer " + count + ": " + headers);
                long length = -1;
                for (final String line : headers.split("\r\n"))
                {
                    if (line.regionMatches(true, 0, "content-length:", 0, 15))
                    {
                        length = Long.parseLong(line.substring(15).trim());
                    }
                }
                assertTrue(length >= 0, "answer " + count + " has a Content-Length: " + headers);
                if (input.limit() - (headersEnd + 4) < length)
                {
                    return;
                }
                input.position(headersEnd + 4 + (int)length);
                count++;
            }
        }

        private static int indexOf(final ByteBuffer input, final int from)
        {
            for (int i = from; i + 3 < input.limit(); i++)
            {
                if (input.get(i) == '\r' && input.get(i + 1) == '\n' && input.get(i + 2) == '\r' &&
                    input.get(i + 3) == '\n')
                {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public long count()
        {
            return count;
        }
    }
}
