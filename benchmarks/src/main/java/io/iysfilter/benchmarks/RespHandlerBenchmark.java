package io.iysfilter.benchmarks;

import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.resp.RespEndpoint;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
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
 * The RESP endpoint's whole per-command work on the Netty path, socket excluded, as {@link FrameDecodingBenchmark}
 * measures the binary endpoint's: the real per-connection handler in a channel pipeline is given reads of
 * {@code IYS.CHECK} commands (one per read, or 64 pipelined, as {@code redis-benchmark -P 64} sends them) and of
 * {@code IYS.MCHECK} of 100 recipients; it parses them in place in the cumulation buffer, matches the command and the
 * channel on the bytes, decides each recipient (one lookup in a Chronicle index of {@code entries} phones), writes
 * the RESP2 replies into one buffer per read, records its latency timer (bound to a Prometheus registry, as in the
 * server) and writes the buffer at the end of the read. Reported per decision; run with {@code -prof gc} for the
 * allocation per decision. What remains allocated is per read (Netty's outbound-buffer entry for the one write and
 * this harness's buffer duplicate, pooled by Netty's recycler on its event loops but not on JMH's thread).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-Dio.netty.leakDetection.level=disabled"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RespHandlerBenchmark
{
    private static final int READS = 4_096;
    private static final int PIPELINED = 64;
    private static final int BATCH = 100;

    private EmbeddedChannel channel;
    private ByteBuf[] single;
    private ByteBuf[] pipelined;
    private ByteBuf[] batches;
    private int next;

    @Setup(Level.Trial)
    public void setUp(final ConsentIndexState index)
    {
        final ServerCounters counters = new ServerCounters();
        counters.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        channel = new EmbeddedChannel(RespEndpoint.newConnection(index.decider, counters, "iys-filter-benchmark"));
        final SplittableRandom random = new SplittableRandom(7);
        single = reads(1, 1, index.entries, random);
        pipelined = reads(PIPELINED, 1, index.entries, random);
        batches = reads(1, BATCH, index.entries, random);
    }

    /**
     * @return reads of {@code commands} commands each, an IYS.CHECK when {@code recipients} is 1, else an IYS.MCHECK.
     */
    private static ByteBuf[] reads(
        final int commands, final int recipients, final int entries, final SplittableRandom random)
    {
        final ByteBuf[] reads = new ByteBuf[READS];
        final String brand = Long.toString(ConsentIndexState.BRAND);
        for (int r = 0; r < READS; r++)
        {
            final StringBuilder text = new StringBuilder();
            for (int c = 0; c < commands; c++)
            {
                text.append('*').append(3 + recipients).append("\r\n");
                bulk(text, recipients == 1 ? "IYS.CHECK" : "IYS.MCHECK");
                bulk(text, brand);
                bulk(text, "MESAJ");
                for (int i = 0; i < recipients; i++)
                {
                    bulk(text, "+" + (ConsentIndexState.FIRST_PHONE + random.nextInt(entries)));
                }
            }
            final byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
            final ByteBuf read = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length);
            read.writeBytes(bytes);
            reads[r] = read;
        }
        return reads;
    }

    private static void bulk(final StringBuilder text, final String value)
    {
        text.append('$').append(value.length()).append("\r\n").append(value).append("\r\n");
    }

    private int feed(final ByteBuf[] reads)
    {
        channel.pipeline().fireChannelRead(reads[next++ & (READS - 1)].retainedDuplicate()).fireChannelReadComplete();
        final ByteBuf replies = channel.readOutbound();
        final int length = replies.readableBytes();
        replies.release();
        return length;
    }

    /**
     * @return bytes answered, so the work is not eliminated.
     */
    @Benchmark
    public int checkOnePerRead()
    {
        return feed(single);
    }

    /**
     * @return bytes answered, so the work is not eliminated.
     */
    @Benchmark
    @OperationsPerInvocation(PIPELINED)
    public int checkSixtyFourPipelined()
    {
        return feed(pipelined);
    }

    /**
     * @return bytes answered, so the work is not eliminated.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int multiCheckOfAHundred()
    {
        return feed(batches);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        channel.finishAndReleaseAll();
        for (final ByteBuf[] all : new ByteBuf[][]{single, pipelined, batches})
        {
            for (final ByteBuf read : all)
            {
                read.release();
            }
        }
    }
}
