package io.iysfilter.loadtest;

/**
 * What one load run does. Every run is bounded: at most {@value #MAX_DURATION_MS} ms of warm-up plus measurement,
 * and at most {@value #MAX_DRAIN_MS} ms waiting for the last answers.
 *
 * @param name        the run's name in reports and file names.
 * @param openLoop    true: send at a fixed rate, latency from each request's intended send time; false: keep
 *                    {@code depth} requests outstanding per connection, as fast as answers come (max throughput).
 * @param connections connections, 1..{@value #MAX_CONNECTIONS}.
 * @param depth       max-throughput mode: requests outstanding per connection, 1..{@value #MAX_DEPTH}.
 * @param batch       decisions per request: 1 for CHECK (GET), more for CHECK_BATCH (MGET), ≤ 1000.
 * @param rate        open-loop mode: requests per second over all connections.
 * @param warmupMs    warm-up, not measured.
 * @param durationMs  measurement.
 * @param drainMs     how long to wait after the measurement for answers still outstanding.
 */
public record LoadSettings(
    String name,
    boolean openLoop,
    int connections,
    int depth,
    int batch,
    double rate,
    long warmupMs,
    long durationMs,
    long drainMs)
{
    /** Most connections. */
    public static final int MAX_CONNECTIONS = 1_000;
    /** Deepest pipeline. */
    public static final int MAX_DEPTH = 10_000;
    /** Largest batch, the protocol's. */
    public static final int MAX_BATCH = 1_000;
    /** Highest open-loop rate. */
    public static final double MAX_RATE = 20_000_000;
    /** Longest warm-up plus measurement. */
    public static final long MAX_DURATION_MS = 3_600_000;
    /** Longest drain. */
    public static final long MAX_DRAIN_MS = 60_000;

    /**
     * Validate.
     */
    public LoadSettings
    {
        check("connections", connections, 1, MAX_CONNECTIONS);
        check("depth", depth, 1, MAX_DEPTH);
        check("batch", batch, 1, MAX_BATCH);
        check("warmup", warmupMs, 0, MAX_DURATION_MS);
        check("duration", durationMs, 100, MAX_DURATION_MS - warmupMs);
        check("drain", drainMs, 0, MAX_DRAIN_MS);
        if (openLoop && !(rate >= 1 && rate <= MAX_RATE))
        {
            throw new IllegalArgumentException("rate out of range: rate=" + rate + ", expected 1.." + MAX_RATE);
        }
    }

    private static void check(final String what, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(what + " out of range: " + what + "=" + value + ", expected " + min +
                ".." + max);
        }
    }

    /**
     * @param name       run name.
     * @param rate       requests per second.
     * @param connections connections.
     * @param batch      decisions per request.
     * @param warmupMs   warm-up.
     * @param durationMs measurement.
     * @return open-loop settings.
     */
    public static LoadSettings openLoop(
        final String name, final double rate, final int connections, final int batch, final long warmupMs,
        final long durationMs)
    {
        return new LoadSettings(name, true, connections, 1, batch, rate, warmupMs, durationMs, 10_000);
    }

    /**
     * @param name        run name.
     * @param connections connections.
     * @param depth       outstanding requests per connection.
     * @param batch       decisions per request.
     * @param warmupMs    warm-up.
     * @param durationMs  measurement.
     * @return max-throughput settings.
     */
    public static LoadSettings maxThroughput(
        final String name, final int connections, final int depth, final int batch, final long warmupMs,
        final long durationMs)
    {
        return new LoadSettings(name, false, connections, depth, batch, 0, warmupMs, durationMs, 10_000);
    }
}
