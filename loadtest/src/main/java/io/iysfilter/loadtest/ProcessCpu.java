package io.iysfilter.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The CPU time a process has used, from {@code /proc/PID/stat} (Linux): user and system time of all its threads, in
 * clock ticks of {@code getconf CLK_TCK}. Two samples around an interval give what the process spent in it,
 * whichever load generator drove it.
 *
 * @param pid      the process.
 * @param userTicks  {@code utime}, field 14.
 * @param systemTicks {@code stime}, field 15.
 * @param nanoTime when it was read, {@link System#nanoTime()}.
 */
public record ProcessCpu(long pid, long userTicks, long systemTicks, long nanoTime)
{
    private static final long TICKS_PER_SECOND = ticksPerSecond();

    /**
     * @param pid a live process.
     * @return its CPU time now.
     * @throws IOException when /proc cannot be read (not Linux, or the process is gone).
     */
    public static ProcessCpu read(final long pid) throws IOException
    {
        return parse(pid, Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII),
            System.nanoTime());
    }

    /**
     * @param pid      the process.
     * @param stat     the text of its {@code /proc/PID/stat}.
     * @param nanoTime when it was read.
     * @return its user and system time.
     */
    static ProcessCpu parse(final long pid, final String stat, final long nanoTime)
    {
        final long[] ticks = fields(stat, 14, 15);
        return new ProcessCpu(pid, ticks[0], ticks[1], nanoTime);
    }

    /**
     * @param stat the text of a shell's {@code /proc/PID/stat} after it waited for its child.
     * @return the waited-for children's user and system ticks, fields 16 and 17 ({@code cutime}, {@code cstime}).
     */
    static long[] children(final String stat)
    {
        return fields(stat, 16, 17);
    }

    /**
     * Numeric fields of a process's or a thread's {@code stat} text.
     *
     * @param stat    the text of {@code /proc/PID/stat} or {@code /proc/PID/task/TID/stat}.
     * @param numbers the fields' numbers as proc(5) counts them (from 1; 3 or later).
     * @return their values, in the order asked.
     */
    static long[] fields(final String stat, final int... numbers)
    {
        // the command name (field 2) is in parentheses and may hold spaces and parentheses: count from the last ')'
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        final long[] values = new long[numbers.length];
        for (int i = 0; i < numbers.length; i++)
        {
            // fields[0] is field 3 (state), so field k is fields[k - 3]
            values[i] = Long.parseLong(fields[numbers[i] - 3]);
        }
        return values;
    }

    /**
     * @return clock ticks per second ({@code getconf CLK_TCK}; 100 when it cannot be run).
     */
    public static long ticksPerSecond()
    {
        try
        {
            final Process process = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            final String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (process.waitFor(5, TimeUnit.SECONDS) && process.exitValue() == 0)
            {
                return Long.parseLong(text);
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            return 100;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    /**
     * @param ticks clock ticks.
     * @return microseconds.
     */
    public static double ticksToMicros(final long ticks)
    {
        return ticks * 1e6 / TICKS_PER_SECOND;
    }

    /**
     * @param earlier a sample of the same process before this one.
     * @return what it spent between the two.
     */
    public Spent since(final ProcessCpu earlier)
    {
        return new Spent(ticksToMicros(userTicks - earlier.userTicks), ticksToMicros(systemTicks - earlier.systemTicks),
            (nanoTime - earlier.nanoTime) / 1_000.0);
    }

    /**
     * CPU time spent over a wall-clock interval.
     *
     * @param userUs   user time, µs.
     * @param systemUs system time, µs.
     * @param wallUs   the interval, µs.
     */
    public record Spent(double userUs, double systemUs, double wallUs)
    {
        /**
         * @return user + system, µs.
         */
        public double totalUs()
        {
            return userUs + systemUs;
        }

        /**
         * @return the share of one core it used, percent.
         */
        public double percentOfCore()
        {
            return wallUs > 0 ? 100 * totalUs() / wallUs : Double.NaN;
        }
    }
}
