package io.iysfilter.loadtest;

import org.HdrHistogram.Histogram;

import java.util.List;

/**
 * What one load run measured.
 *
 * @param settings          what was asked.
 * @param target            {@code iys-filter} or {@code redis}.
 * @param startEpochMs      when the run started.
 * @param requestsPerSec    requests answered per second of the measurement.
 * @param decisionsPerSec   decisions (answered entries) per second of the measurement.
 * @param measuredRequests  requests in the measurement.
 * @param wrong             answers that differed from the workload's expected answer, whole run.
 * @param errors            requests that failed, whole run.
 * @param missing           requests still unanswered after the drain.
 * @param maxSendLagNs      open loop: the longest any request was sent after its intended time.
 * @param histogram         latency in nanoseconds: open loop from the intended send time, max throughput from the
 *                          actual send.
 * @param failures          why the run failed; empty when it passed.
 */
public record RunResult(
    LoadSettings settings,
    String target,
    long startEpochMs,
    double requestsPerSec,
    double decisionsPerSec,
    long measuredRequests,
    long wrong,
    long errors,
    long missing,
    long maxSendLagNs,
    Histogram histogram,
    List<String> failures)
{
    /**
     * @return whether the run held its rate and every answer was there and right.
     */
    public boolean passed()
    {
        return failures.isEmpty();
    }

    /**
     * @param percentile 0..100.
     * @return latency at that percentile, microseconds.
     */
    public double latencyUs(final double percentile)
    {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1_000.0;
    }

    /**
     * @return the largest latency, microseconds.
     */
    public double maxUs()
    {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMaxValue() / 1_000.0;
    }

    /**
     * @return one line: name, rate, percentiles, verdict.
     */
    public String summaryLine()
    {
        return String.format("%-28s %-10s %12.0f req/s %12.0f dec/s  p50 %8.1f  p90 %8.1f  p99 %8.1f  p99.9 %8.1f" +
            "  max %9.1f us  %s", settings.name(), target, requestsPerSec, decisionsPerSec, latencyUs(50),
            latencyUs(90), latencyUs(99), latencyUs(99.9), maxUs(), passed() ? "PASS" : "FAIL " + failures);
    }
}
