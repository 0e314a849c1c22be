package io.iysfilter.benchmarks;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.binary.BinaryEndpoint;
import io.iysfilter.server.metrics.ServerCounters;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The binary endpoint's whole per-frame work on the Netty path, socket excluded: the real per-connection handler in
 * a channel pipeline is given reads of CHECK frames (one frame per read, as an unpipelined client sends, or 64, as a
 * pipelined one does); it finds the frames in the cumulation buffer, decodes them in place, decides (one lookup in
 * a Chronicle index of {@code entries} phones), encodes the answers into one buffer per read, records its latency
 * timer (bound to a Prometheus registry, as in the server) and writes the buffer at the end of the read.
 * Reported per frame; run with {@code -prof gc} for the allocation per frame. The fork runs as the launcher does
 * (Netty's leak detection off). What remains allocated is per read, not per frame (~128 B): Netty's outbound-buffer
 * entry for the one write and this harness's buffer duplicate, objects Netty's recycler pools on its event-loop
 * threads but not on JMH's thread; an allocation profile (async-profiler, event=alloc) shows nothing allocated by
 * the handler, the codecs, the decision or the index.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-Dio.netty.leakDetection.level=disabled"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class FrameDecodingBenchmark
{
    private static final int READS = 4_096;
    private static final int PIPELINED = 64;

    private EmbeddedChannel channel;
    private ByteBuf[] single;
    private ByteBuf[] pipelined;
    private int next;

    @Setup(Level.Trial)
    public void setUp(final ConsentIndexState index)
    {
        final ServerCounters counters = new ServerCounters();
        counters.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        channel = new EmbeddedChannel(BinaryEndpoint.newConnection(index.decider, counters, "iys-filter-benchmark"));
        final SplittableRandom random = new SplittableRandom(7);
        single = reads(1, index.entries, random);
        pipelined = reads(PIPELINED, index.entries, random);
    }

    private static ByteBuf[] reads(final int frames, final int entries, final SplittableRandom random)
    {
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final CheckEncoder check = new CheckEncoder();
        final ByteBuf[] reads = new ByteBuf[READS];
        long correlationId = 0;
        for (int r = 0; r < READS; r++)
        {
            final ByteBuf read = PooledByteBufAllocator.DEFAULT.directBuffer(frames * 64);
            for (int f = 0; f < frames; f++)
            {
                final byte[] recipient = ("+" + (ConsentIndexState.FIRST_PHONE + random.nextInt(entries)))
                    .getBytes(StandardCharsets.US_ASCII);
                final int length = FrameDescriptor.MESSAGE_OFFSET + CheckEncoder.BLOCK_LENGTH + 1 + recipient.length;
                final UnsafeBuffer frame = new UnsafeBuffer(read.memoryAddress() + read.writerIndex(), length);
                check.wrapAndApplyHeader(frame, FrameDescriptor.MESSAGE_HEADER_OFFSET, header)
                    .correlationId(++correlationId)
                    .brandCode(ConsentIndexState.BRAND)
                    .channel(Channel.MESAJ)
                    .recipientType(RecipientType.BIREYSEL)
                    .messageKind(MessageKind.COMMERCIAL)
                    .putRecipient(recipient, 0, recipient.length);
                FrameDescriptor.frameLength(frame, 0, length);
                read.writerIndex(read.writerIndex() + length);
            }
            reads[r] = read;
        }
        return reads;
    }

    private int feed(final ByteBuf[] reads)
    {
        channel.pipeline().fireChannelRead(reads[next++ & (READS - 1)].retainedDuplicate()).fireChannelReadComplete();
        final ByteBuf answers = channel.readOutbound();
        final int length = answers.readableBytes();
        answers.release();
        return length;
    }

    /**
     * @return bytes answered, so the work is not eliminated.
     */
    @Benchmark
    public int oneFramePerRead()
    {
        return feed(single);
    }

    /**
     * @return bytes answered, so the work is not eliminated.
     */
    @Benchmark
    @OperationsPerInvocation(PIPELINED)
    public int sixtyFourFramesPerRead()
    {
        return feed(pipelined);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        channel.finishAndReleaseAll();
        for (final ByteBuf read : single)
        {
            read.release();
        }
        for (final ByteBuf read : pipelined)
        {
            read.release();
        }
    }
}
