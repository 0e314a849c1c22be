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
            1L, new ThreadCpu.Sample("event loops", 100, 10, 500),
            2L, new ThreadCpu.Sample("receipts drain", 5, 5, 510)), 0);
        final ThreadCpu after = new ThreadCpu(Map.of(
            1L, new ThreadCpu.Sample("event loops", 100 + hz, 10 + hz, 500),
            2L, new ThreadCpu.Sample("receipts drain", 5 + hz / 2, 5, 510),
            3L, new ThreadCpu.Sample("event loops", hz, 0, 900)), 1_000_000_000L);
        final Map<String, ProcessCpu.Spent> spent = after.since(before);
        assertEquals(ThreadCpu.GROUPS, java.util.List.copyOf(spent.keySet()), "every group, in report order");
        assertEquals(2e6, spent.get("event loops").userUs(), 1e-6);
        assertEquals(1e6, spent.get("event loops").systemUs(), 1e-6);
        assertEquals(0.5e6, spent.get("receipts drain").totalUs(), 1e-6);
        assertEquals(0, spent.get("gc").totalUs());
    }

    @Test
    void aThreadIdGivenToANewThreadBetweenSamplesCountsTheNewThreadFromZero()
    {
        final long hz = ProcessCpu.ticksPerSecond();
        // thread 7, a compiler thread started 10 s after boot, has used 5 s; it ends, and the kernel gives its id to
        // a new one, started at 90 s, which has used 1 s by the next sample
        final ThreadCpu.Sample old = ThreadCpu.Sample.parse("C2 CompilerThre\n",
            stat(7, "C2 CompilerThre", 4 * hz, hz, 10 * hz));
        assertEquals(new ThreadCpu.Sample("jit", 4 * hz, hz, 10 * hz), old, "utime, stime and starttime read");
        final ThreadCpu before = new ThreadCpu(Map.of(7L, old), 0);
        final ThreadCpu after = new ThreadCpu(Map.of(7L, ThreadCpu.Sample.parse("C2 CompilerThre\n",
            stat(7, "C2 CompilerThre", hz / 2, hz / 2, 90 * hz))), 1_000_000_000L);
        assertEquals(1e6, after.since(before).get("jit").totalUs(), 1e-6,
            "the new thread's second, never less the ended one's five");

        // the same thread sampled again: its difference
        final ThreadCpu later = new ThreadCpu(Map.of(7L, ThreadCpu.Sample.parse("C2 CompilerThre\n",
            stat(7, "C2 CompilerThre", 2 * hz, hz, 90 * hz))), 2_000_000_000L);
        assertEquals(2e6, later.since(after).get("jit").totalUs(), 1e-6);
    }

    @Test
    void readsAStatWhoseNameHoldsSpacesAndParentheses()
    {
        final ThreadCpu.Sample sample = ThreadCpu.Sample.parse("iys-receipts\n", stat(8, "a) (b c)", 3, 4, 5));
        assertEquals(new ThreadCpu.Sample("receipts drain", 3, 4, 5), sample, "the group from comm");
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

    /**
     * @return a thread's {@code /proc/PID/task/TID/stat} as Linux writes it: utime, stime and starttime are fields
     * 14, 15 and 22.
     */
    private static String stat(final long tid, final String comm, final long utime, final long stime,
        final long starttime)
    {
        return tid + " (" + comm + ") S 1 100 100 0 -1 4194624 10 0 0 0 " + utime + " " + stime + " 0 0 20 0 30 0 " +
            starttime + " 123456789 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    }
}
