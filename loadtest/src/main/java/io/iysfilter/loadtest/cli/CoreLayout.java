package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.RedisServer;
import io.iysfilter.server.cli.UsageException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the side-by-side comparison's processes run: unpinned (the scheduler's choice), or pinned with
 * {@code taskset}, the load generators ({@code redis-benchmark}, and this JVM, which is the Java rig) on some CPUs
 * and both servers on others, the same for both servers.
 *
 * @param pinned        whether taskset is used.
 * @param generatorCpus the generators' CPU list, e.g. {@code 0}.
 * @param serverCpus    the servers' CPU list, e.g. {@code 1}.
 */
record CoreLayout(boolean pinned, String generatorCpus, String serverCpus)
{
    /**
     * @return a prefix that starts a generator on its CPUs, or empty when unpinned.
     */
    List<String> generatorPrefix()
    {
        return pinned ? List.of(taskset(), "-c", generatorCpus) : List.of();
    }

    /**
     * @return a prefix that starts a server on its CPUs, or empty when unpinned.
     */
    List<String> serverPrefix()
    {
        return pinned ? List.of(taskset(), "-c", serverCpus) : List.of();
    }

    /**
     * Check the CPU lists and that taskset is there; pin this JVM (every thread it has, and so every thread it makes
     * later: the Java rig's event loops) to the generators' CPUs.
     *
     * @throws IOException when taskset fails.
     * @throws InterruptedException when interrupted.
     */
    void pinThisProcess() throws IOException, InterruptedException
    {
        if (!pinned)
        {
            return;
        }
        for (final String cpus : new String[]{generatorCpus, serverCpus})
        {
            if (!cpus.matches("[0-9]+([,-][0-9]+)*"))
            {
                throw new UsageException("cpu list: expected e.g. 0 or 0,2 or 1-3, got '" + cpus + "'");
            }
        }
        if (RedisServer.which("taskset").isEmpty())
        {
            throw new UsageException("--pin needs taskset (Debian package util-linux)");
        }
        final Process process = new ProcessBuilder(taskset(), "-a", "-p", "-c", generatorCpus,
            Long.toString(ProcessHandle.current().pid())).redirectErrorStream(true).start();
        final String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            throw new IOException("taskset could not pin this process to CPUs " + generatorCpus + ": " + text);
        }
    }

    /**
     * @param redisPid  Redis's process.
     * @param serverPid iys-filter's process.
     * @return the layout in words, with the CPUs each process is allowed ({@code Cpus_allowed_list}).
     */
    String describe(final long redisPid, final long serverPid)
    {
        final String allowed = String.format("allowed CPUs: iys-filter %s, Redis %s, this JVM (Java rig) %s; " +
            "CPUs online %s", allowed(serverPid), allowed(redisPid), allowed(ProcessHandle.current().pid()),
            online());
        return pinned ? "pinned with taskset: load generators (redis-benchmark, the Java rig) on CPU " +
            generatorCpus + ", both servers on CPU " + serverCpus + "; " + allowed :
            "unpinned: every process on any CPU (the scheduler's choice); " + allowed;
    }

    /**
     * @return the machine's online CPUs, e.g. {@code 0-1} (this JVM's own count shrinks when it is pinned).
     */
    static String online()
    {
        try
        {
            return Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
        }
        catch (final IOException ex)
        {
            return "?";
        }
    }

    private static String allowed(final long pid)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
            {
                if (line.startsWith("Cpus_allowed_list:"))
                {
                    return line.substring("Cpus_allowed_list:".length()).trim();
                }
            }
        }
        catch (final IOException ex)
        {
            return "?";
        }
        return "?";
    }

    private static String taskset()
    {
        return RedisServer.which("taskset").map(Path::toString).orElse("taskset");
    }
}
