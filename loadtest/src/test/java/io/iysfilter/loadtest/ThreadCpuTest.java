package io.iysfilter.loadtest;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadCpuTest
{
    @Test
    void groupsTheServersThreadsByWhatTheyDo()
    {
        assertEquals("receipts drain", ThreadCpu.group("iys-receipts"));
        assertEquals("receipts other", ThreadCpu.group("iys-receipts-se"), "the segments' thread, its name cut to 15");
        assertEquals("event loops", ThreadCpu.group("multiThreadIoEv"));
        assertEquals("gc", ThreadCpu.group("GC Thread#1"));
        assertEquals("jit", ThreadCpu.group("C2 CompilerThre"));
        assertEquals("other", ThreadCpu.group("iys-worker-1"));
    }

    @Test
    void spentIsEachGroupsDifferenceCountingAThreadStartedBetweenFromZero()
    {
        final long hz = ProcessCpu.ticksPerSecond();
        final ThreadCpu before = new ThreadCpu(Map.of(
            1L, new ThreadCpu.Sample("event loops", 100, 10),
            2L, new ThreadCpu.Sample("receipts drain", 5, 5)), 0);
        final ThreadCpu after = new ThreadCpu(Map.of(
            1L, new ThreadCpu.Sample("event loops", 100 + hz, 10 + hz),
            2L, new ThreadCpu.Sample("receipts drain", 5 + hz / 2, 5),
            3L, new ThreadCpu.Sample("event loops", hz, 0)), 1_000_000_000L);
        final Map<String, ProcessCpu.Spent> spent = after.since(before);
        assertEquals(ThreadCpu.GROUPS, java.util.List.copyOf(spent.keySet()), "every group, in report order");
        assertEquals(2e6, spent.get("event loops").userUs(), 1e-6);
        assertEquals(1e6, spent.get("event loops").systemUs(), 1e-6);
        assertEquals(0.5e6, spent.get("receipts drain").totalUs(), 1e-6);
        assertEquals(0, spent.get("gc").totalUs());
    }

    @Test
    void aBusyThreadOfThisProcessIsCounted() throws Exception
    {
        final long pid = ProcessHandle.current().pid();
        final ThreadCpu before = ThreadCpu.read(pid);
        long sum = 0;
        final long deadline = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < deadline)
        {
            sum += java.util.Arrays.hashCode(new long[]{sum, System.nanoTime()});
        }
        final double total = ThreadCpu.read(pid).since(before).values().stream()
            .mapToDouble(ProcessCpu.Spent::totalUs).sum();
        assertTrue(total >= 100_000, "300 ms of spinning used at least 100 ms of CPU: " + total + " " + sum);
    }
}
