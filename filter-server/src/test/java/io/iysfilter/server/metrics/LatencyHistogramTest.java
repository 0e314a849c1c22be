package io.iysfilter.server.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LatencyHistogramTest
{
    @Test
    void aSampleFallsInTheFirstBucketItDoesNotExceedAndTheSumIsInSeconds()
    {
        final LatencyHistogram histogram = new LatencyHistogram("binary", "check", "t");
        histogram.record(0);
        histogram.record(1_000);
        histogram.record(1_001);
        histogram.record(2_000_000_000L);

        final HistogramSnapshot.HistogramDataPointSnapshot snapshot = histogram.snapshot();
        final List<Long> counts = new ArrayList<>();
        final List<Double> bounds = new ArrayList<>();
        for (final ClassicHistogramBucket bucket : snapshot.getClassicBuckets())
        {
            counts.add(bucket.getCount());
            bounds.add(bucket.getUpperBound());
        }
        assertEquals(LatencyHistogram.BOUNDS_NS.length + 1, counts.size());
        assertEquals(1e-6, bounds.get(0));
        assertEquals(Double.POSITIVE_INFINITY, bounds.get(bounds.size() - 1));
        assertEquals(2, counts.get(0), "0 and 1,000 ns are within 1 us");
        assertEquals(1, counts.get(1), "1,001 ns is within 2 us");
        assertEquals(1, counts.get(counts.size() - 1), "2 s is past the last bound");
        assertEquals(4, snapshot.getCount());
        assertEquals(2.000002001, snapshot.getSum(), 1e-12);
        assertEquals("check", snapshot.getLabels().get("type"));
    }
}
