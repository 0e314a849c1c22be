package io.iysfilter.server.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's latency histogram for one endpoint and request type: fixed buckets, written by that thread alone with
 * plain (opaque) stores, read by the scrape. Recording costs a few nanoseconds where a Micrometer timer cost ~100
 * (a clock read and several atomic updates per sample, measured in FrameDecodingBenchmark).
 * <p>
 * A scrape may see a sample in its bucket and not yet in the sum, or the other way round; the count is the sum of
 * the buckets, so {@code _count} always equals the {@code +Inf} bucket.
 */
final class LatencyHistogram
{
    /** Upper bounds, nanoseconds; a sample falls in the first bucket whose bound it does not exceed. */
    static final long[] BOUNDS_NS = {
        1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
        1_000_000, 2_000_000, 5_000_000, 10_000_000, 50_000_000, 100_000_000, 1_000_000_000};

    private static final double[] BOUNDS_SECONDS = boundsSeconds();
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SUM;

    static
    {
        try
        {
            SUM = MethodHandles.lookup().findVarHandle(LatencyHistogram.class, "sumNanos", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Labels labels;
    private final long[] counts = new long[BOUNDS_NS.length + 1];
    @SuppressWarnings("unused") // through SUM
    private long sumNanos;

    LatencyHistogram(final String endpoint, final String type, final String thread)
    {
        labels = Labels.of("endpoint", endpoint, "type", type, "thread", thread);
    }

    /**
     * @return whether this histogram's series carries these labels.
     */
    boolean hasLabels(final String endpoint, final String type, final String thread)
    {
        return labels.equals(Labels.of("endpoint", endpoint, "type", type, "thread", thread));
    }

    private static double[] boundsSeconds()
    {
        final double[] seconds = new double[BOUNDS_NS.length + 1];
        for (int i = 0; i < BOUNDS_NS.length; i++)
        {
            seconds[i] = BOUNDS_NS[i] / 1e9;
        }
        seconds[BOUNDS_NS.length] = Double.POSITIVE_INFINITY;
        return seconds;
    }

    /**
     * Owner thread only.
     *
     * @param nanos the sample.
     */
    void record(final long nanos)
    {
        int bucket = 0;
        while (bucket < BOUNDS_NS.length && nanos > BOUNDS_NS[bucket])
        {
            bucket++;
        }
        COUNTS.setOpaque(counts, bucket, (long)COUNTS.getOpaque(counts, bucket) + 1);
        SUM.setOpaque(this, (long)SUM.getOpaque(this) + nanos);
    }

    /**
     * Any thread.
     *
     * @return the histogram as it is now.
     */
    HistogramSnapshot.HistogramDataPointSnapshot snapshot()
    {
        final long[] copy = new long[counts.length];
        for (int i = 0; i < copy.length; i++)
        {
            copy[i] = (long)COUNTS.getOpaque(counts, i);
        }
        return HistogramSnapshot.HistogramDataPointSnapshot.builder()
            .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_SECONDS, copy))
            .sum((long)SUM.getOpaque(this) / 1e9)
            .labels(labels)
            .build();
    }
}
