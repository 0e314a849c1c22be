package io.iysfilter.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU time a server's threads have used, grouped by what they do, from {@code /proc/PID/task/TID/stat} and
 * {@code comm} (Linux; a thread's name cut to 15 bytes): two samples around an interval say where the process's time
 * went (its event loops, the receipts drain, the garbage collector, ...), which {@link ProcessCpu}'s one total cannot.
 * A thread that ended between the samples is missed, one that started counts from zero. A thread id the kernel gave
 * a new thread after the one sampled before ended is told apart by its start time ({@code starttime}, field 22 of
 * {@code stat}): the new thread counts from zero, never less the ticks of the one that had its id.
 *
 * @param ticks    user and system clock ticks per thread id and group (the group in {@link #groups}).
 * @param nanoTime when it was read, {@link System#nanoTime()}.
 */
public record ThreadCpu(Map<Long, Sample> ticks, long nanoTime)
{
    /** The groups, in report order. */
    public static final List<String> GROUPS = List.of("event loops", "receipts drain", "receipts other", "gc", "jit",
        "other");

    /**
     * One thread's ticks.
     *
     * @param group       its group.
     * @param userTicks   {@code utime}, field 14 of its {@code stat}.
     * @param systemTicks {@code stime}, field 15.
     * @param startTicks  {@code starttime}, field 22: when the thread started, in clock ticks after boot, which
     *                    tells it from a later thread given the same id.
     */
    public record Sample(String group, long userTicks, long systemTicks, long startTicks)
    {
        /**
         * @param comm the thread's {@code /proc/PID/task/TID/comm}.
         * @param stat the thread's {@code /proc/PID/task/TID/stat}.
         * @return its sample.
         */
        static Sample parse(final String comm, final String stat)
        {
            final long[] fields = ProcessCpu.fields(stat, 14, 15, 22);
            return new Sample(ThreadCpu.group(comm.trim()), fields[0], fields[1], fields[2]);
        }

        /**
         * @param earlier a sample of the same thread id before this one, or null.
         * @return whether it was of this very thread: its id was not given to another thread in between.
         */
        boolean sameThreadAs(final Sample earlier)
        {
            return earlier != null && earlier.startTicks == startTicks;
        }
    }

    /**
     * @param pid a live process.
     * @return its threads' CPU time now.
     * @throws IOException when /proc cannot be read (not Linux, or the process is gone).
     */
    public static ThreadCpu read(final long pid) throws IOException
    {
        final Map<Long, Sample> ticks = new LinkedHashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task")))
        {
            for (final Path task : tasks)
            {
                try
                {
                    ticks.put(Long.parseLong(task.getFileName().toString()), Sample.parse(
                        Files.readString(task.resolve("comm"), StandardCharsets.UTF_8),
                        Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII)));
                }
                catch (final IOException | RuntimeException ex)
                {
                    // the thread ended while being read (NoSuchFileException, or ESRCH: "No such process"; the JVM
                    // starts and stops compiler threads as it likes): missed, as one that ended before
                }
            }
        }
        return new ThreadCpu(ticks, System.nanoTime());
    }

    /**
     * @param name a thread's {@code comm}.
     * @return its group, one of {@link #GROUPS}.
     */
    static String group(final String name)
    {
        if (name.equals("iys-receipts"))
        {
            return "receipts drain";
        }
        if (name.startsWith("iys-receipts"))
        {
            return "receipts other";
        }
        // Netty's event loop groups name their threads after the group's class (multiThreadIoEventLoopGroup-2-1)
        if (name.contains("EventLoop") || name.contains("IoEv") || name.startsWith("iys-io"))
        {
            return "event loops";
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 "))
        {
            return "gc";
        }
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler"))
        {
            return "jit";
        }
        return "other";
    }

    /**
     * @param earlier a sample of the same process before this one.
     * @return what each group spent between the two, in {@link #GROUPS} order (zero for a group that spent nothing);
     * a thread id whose thread changed between the two counts its new thread's ticks from zero.
     */
    public Map<String, ProcessCpu.Spent> since(final ThreadCpu earlier)
    {
        final Map<String, long[]> sums = new LinkedHashMap<>();
        for (final String group : GROUPS)
        {
            sums.put(group, new long[2]);
        }
        for (final Map.Entry<Long, Sample> entry : ticks.entrySet())
        {
            final Sample now = entry.getValue();
            final Sample was = earlier.ticks.get(entry.getKey());
            // a thread that started since, even under an id an ended one had, counts from zero
            final Sample before = now.sameThreadAs(was) ? was : null;
            final long[] sum = sums.get(now.group());
            sum[0] += now.userTicks() - (before == null ? 0 : before.userTicks());
            sum[1] += now.systemTicks() - (before == null ? 0 : before.systemTicks());
        }
        final double wallUs = (nanoTime - earlier.nanoTime) / 1_000.0;
        final Map<String, ProcessCpu.Spent> spent = new LinkedHashMap<>();
        sums.forEach((group, sum) -> spent.put(group, new ProcessCpu.Spent(ProcessCpu.ticksToMicros(sum[0]),
            ProcessCpu.ticksToMicros(sum[1]), wallUs)));
        return spent;
    }
}
