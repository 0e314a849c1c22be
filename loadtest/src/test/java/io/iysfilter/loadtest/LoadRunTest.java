package io.iysfilter.loadtest;

import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.EventExecutor;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load driver against in-process fake servers whose answers and timing the test controls.
 */
class LoadRunTest
{
    private final Workload.Requests requests = new Workload(1, 10_000).requests(10_000);
    private final DefaultEventLoop loop = new DefaultEventLoop();
    private final ScheduledExecutorService slowServer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop()
    {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        slowServer.shutdownNow();
    }

    /**
     * How the fake server treats request number {@code n} of a connection.
     */
    private interface Behaviour
    {
        void answer(long n, int count, long tagNs, LoadTarget.Answer answer, EventExecutor loop);
    }

    private LoadTarget fake(final Behaviour behaviour)
    {
        return new LoadTarget()
        {
            @Override
            public String name()
            {
                return "fake";
            }

            @Override
            public Connection connect()
            {
                return new Connection()
                {
                    private long sent;

                    @Override
                    public EventExecutor executor()
                    {
                        return loop;
                    }

                    @Override
                    public void send(final int first, final int count, final long tagNs, final Answer answer)
                    {
                        assertTrue(loop.inEventLoop(), "send must be called on the connection's event loop");
                        behaviour.answer(sent++, count, tagNs, answer, loop);
                    }

                    @Override
                    public void close()
                    {
                    }
                };
            }

            @Override
            public void close()
            {
            }
        };
    }

    @Test
    void openLoopSendsExactlyTheOfferedRequestsAndPasses(@TempDir final Path dir) throws Exception
    {
        final Path hlog = dir.resolve("run.hlog");
        final RunResult result = LoadRun.run(
            fake((n, count, tag, answer, executor) -> executor.execute(() -> answer.onAnswer(tag, count, 0, null))),
            requests, LoadSettings.openLoop("ok", 2_000, 1, 1, 0, 1_000), hlog, null);

        assertTrue(result.passed(), result.failures().toString());
        assertEquals(2_000, result.measuredRequests());
        assertEquals(2_000, result.histogram().getTotalCount());
        assertEquals(2_000, result.requestsPerSec(), 20);

        final HistogramLogReader reader = new HistogramLogReader(hlog.toFile());
        long logged = 0;
        for (Histogram interval = (Histogram)reader.nextIntervalHistogram(); interval != null;
            interval = (Histogram)reader.nextIntervalHistogram())
        {
            logged += interval.getTotalCount();
        }
        assertEquals(2_000, logged, "the interval log holds every measured answer");
    }

    @Test
    void openLoopMeasuresFromTheIntendedTimeSoAStalledServerShowsAsLatency() throws Exception
    {
        // The server takes 4 ms per request, one at a time, while 1,000 a second are offered: it falls behind by
        // about 3 ms per request. Measured from the actual send of each answered request, as a closed loop would,
        // latency would stay near 4 ms; from the intended send time, it grows to seconds and the rate is not held.
        final RunResult result = LoadRun.run(
            fake((n, count, tag, answer, executor) -> slowServer.schedule(() ->
                executor.execute(() -> answer.onAnswer(tag, count, 0, null)), 4 * (n + 1), TimeUnit.MILLISECONDS)),
            requests, new LoadSettings("stalled", true, 1, 1, 1, 1_000, 0, 1_000, 10_000), null, null);

        assertTrue(result.latencyUs(99) > 1_000_000, "p99 us=" + result.latencyUs(99));
        assertFalse(result.passed());
        assertTrue(result.failures().stream().anyMatch((f) -> f.startsWith("rate not held")), result.failures()
            .toString());
    }

    @Test
    void maxThroughputKeepsDepthOutstandingAndCountsDecisionsOfBatches() throws Exception
    {
        final int[] maxOutstanding = new int[1];
        final int[] outstanding = new int[1];
        final RunResult result = LoadRun.run(fake((n, count, tag, answer, executor) ->
        {
            outstanding[0]++;
            maxOutstanding[0] = Math.max(maxOutstanding[0], outstanding[0]);
            executor.execute(() ->
            {
                outstanding[0]--;
                answer.onAnswer(tag, count, 0, null);
            });
        }), requests, LoadSettings.maxThroughput("max", 1, 8, 10, 0, 500), null, null);

        assertTrue(result.passed(), result.failures().toString());
        assertEquals(8, maxOutstanding[0]);
        assertTrue(result.measuredRequests() > 100);
        assertEquals(result.requestsPerSec() * 10, result.decisionsPerSec(), 1e-6);
    }

    @Test
    void wrongAnswersFailTheRun() throws Exception
    {
        final RunResult result = LoadRun.run(
            fake((n, count, tag, answer, executor) -> executor.execute(() -> answer.onAnswer(tag, count,
                n % 10 == 0 ? 1 : 0, null))),
            requests, LoadSettings.openLoop("wrong", 1_000, 1, 1, 0, 500), null, null);

        assertFalse(result.passed());
        assertEquals(50, result.wrong());
        assertTrue(result.failures().get(0).contains("50 answers differ"), result.failures().toString());
    }

    @Test
    void missingAnswersFailTheRunAfterABoundedDrain() throws Exception
    {
        final RunResult result = LoadRun.run(
            fake((n, count, tag, answer, executor) ->
            {
                if (n % 100 != 99)
                {
                    executor.execute(() -> answer.onAnswer(tag, count, 0, null));
                }
            }),
            requests, new LoadSettings("missing", true, 2, 1, 1, 1_000, 0, 500, 100), null, null);

        assertFalse(result.passed());
        assertEquals(4, result.missing());
        assertTrue(result.failures().stream().anyMatch((f) -> f.contains("4 answers missing")),
            result.failures().toString());
    }

    @Test
    void aFailedRequestStopsItsConnectionAndFailsTheRun() throws Exception
    {
        final RunResult result = LoadRun.run(
            fake((n, count, tag, answer, executor) -> answer.onAnswer(tag, 0, 0,
                new IllegalStateException("connection closed"))),
            requests, LoadSettings.maxThroughput("failing", 1, 4, 1, 0, 200), null, null);

        assertFalse(result.passed());
        assertEquals(1, result.errors(), "the connection stops at its first failure instead of spinning");
        assertTrue(result.failures().stream().anyMatch((f) -> f.contains("connection closed")));
    }

    @Test
    void theMeasureWindowBracketsTheMeasurementNotTheWarmUp() throws Exception
    {
        final AtomicLong answered = new AtomicLong();
        final long[] at = new long[4];
        final int[] calls = new int[2];
        final long startNs = System.nanoTime();
        final RunResult result = LoadRun.run(
            fake((n, count, tag, answer, executor) -> executor.execute(() ->
            {
                answered.incrementAndGet();
                answer.onAnswer(tag, count, 0, null);
            })),
            requests, LoadSettings.openLoop("window", 2_000, 1, 1, 1_000, 1_000), null, null,
            new LoadRun.MeasureWindow()
            {
                @Override
                public void opened()
                {
                    calls[0]++;
                    at[0] = System.nanoTime();
                    at[1] = answered.get();
                }

                @Override
                public void closed()
                {
                    calls[1]++;
                    at[2] = System.nanoTime();
                    at[3] = answered.get();
                }
            });

        assertTrue(result.passed(), result.failures().toString());
        assertEquals(1, calls[0], "opened once");
        assertEquals(1, calls[1], "closed once");
        assertTrue(at[0] - startNs >= 1_000_000_000L, "opened after the 1 s warm-up");
        assertTrue(at[1] >= 1_500, "the warm-up's answers came before it opened: " + at[1]);
        final double seconds = (at[2] - at[0]) / 1e9;
        assertTrue(seconds > 0.8 && seconds < 1.5, "open for about the 1 s measurement: " + seconds);
        assertEquals(result.measuredRequests(), at[3] - at[1], 0.15 * result.measuredRequests(),
            "the answers between opening and closing are the measured ones");
    }
}
