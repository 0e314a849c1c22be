package io.iysfilter.loadtest;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessCpuTest
{
    // a real /proc/PID/stat line of a JVM, its command name holding a space and a parenthesis
    private static final String STAT = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 51200 0 0 0 1234 567 89 10 20 " +
        "0 31 0 98765 4000000000 30000 18446744073709551615 1 1 0 0 0 0 0 4096 17167 0 0 0 17 1 0 0 0 0 0";

    @Test
    void readsUserAndSystemTicksPastACommandNameWithSpacesAndParentheses()
    {
        final ProcessCpu cpu = ProcessCpu.parse(4242, STAT, 7);
        assertEquals(1234, cpu.userTicks());
        assertEquals(567, cpu.systemTicks());
        assertArrayEquals(new long[]{89, 10}, ProcessCpu.children(STAT), "cutime and cstime, fields 16 and 17");
    }

    @Test
    void spentIsTheDifferenceInMicrosecondsAndShareOfACore()
    {
        final long hz = ProcessCpu.ticksPerSecond();
        final ProcessCpu before = new ProcessCpu(1, 100, 50, 0);
        final ProcessCpu after = new ProcessCpu(1, 100 + hz, 50 + hz / 2, 2_000_000_000L);
        final ProcessCpu.Spent spent = after.since(before);
        assertEquals(1e6, spent.userUs(), 1e-6);
        assertEquals(0.5e6, spent.systemUs(), 1e-6);
        assertEquals(75.0, spent.percentOfCore(), 1e-9, "1.5 s of CPU in 2 s of wall time");
    }

    @Test
    void thisProcessUsesCpu() throws Exception
    {
        final long pid = ProcessHandle.current().pid();
        final ProcessCpu before = ProcessCpu.read(pid);
        long sum = 0;
        final long deadline = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < deadline)
        {
            sum += Arrays.hashCode(new long[]{sum, System.nanoTime()});
        }
        final ProcessCpu.Spent spent = ProcessCpu.read(pid).since(before);
        assertTrue(spent.totalUs() >= 100_000, "300 ms of spinning used at least 100 ms of CPU: " + spent + sum);
    }

    @Test
    void readsRedisBenchmarkCsvFromTheEndOfTheLine()
    {
        final double[] figures = RedisBenchmark.csv("\"IYS.MCHECK 800002 EPOSTA u__rand_int__@example.com\"," +
            "\"1234.50\",\"0.100\",\"0.010\",\"0.090\",\"0.200\",\"0.300\",\"1.500\"");
        assertArrayEquals(new double[]{1234.5, 0.1, 0.01, 0.09, 0.2, 0.3, 1.5}, figures, 1e-9);
        assertNull(RedisBenchmark.csv("\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\"," +
            "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\""), "the header is no result");
        assertEquals(Double.POSITIVE_INFINITY, RedisBenchmark.csv("\"GET\",\"inf\",\"0.1\",\"0.1\",\"0.1\",\"0.1\"," +
            "\"0.1\",\"0.1\"")[0]);
    }
}
