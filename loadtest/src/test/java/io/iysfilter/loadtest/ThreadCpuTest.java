package io.iysfilter.loadtest;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void aBusyThreadOfThisProcessIsCountedAsItsOwnThread() throws Exception
    {
        // this thread's id as the kernel knows it: /proc/thread-self links to PID/task/TID
        final long tid = Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName()
            .toString());
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final long pid = ProcessHandle.current().pid();
        final ThreadCpu before = ThreadCpu.read(pid);
        final long startNs = threads.getCurrentThreadCpuTime();
        long sum = 0;
        // spun until this thread has used 200 ms of CPU, however long a busy machine takes to give it that
        while (threads.getCurrentThreadCpuTime() - startNs < 200_000_000L)
        {
            sum += java.util.Arrays.hashCode(new long[]{sum, System.nanoTime()});
        }
        final ThreadCpu after = ThreadCpu.read(pid);
        final ThreadCpu.Sample was = before.ticks().get(tid);
        final ThreadCpu.Sample is = after.ticks().get(tid);
        assertEquals("other", is.group(), "a test thread is none of the server's");
        final double usedUs = ProcessCpu.ticksToMicros(is.userTicks() + is.systemTicks() - was.userTicks() -
            was.systemTicks());
        // clock ticks are coarse (10 ms at 100 Hz): 200 ms used reads as at least 150
        assertTrue(usedUs >= 150_000, "this thread's 200 ms of CPU: " + usedUs + " us " + sum);
        assertTrue(after.since(before).get("other").totalUs() >= usedUs, "its group holds it");
    }
}
