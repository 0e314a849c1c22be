package io.iysfilter.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One C load generator for every RESP server: runs {@code redis-benchmark} with a command of its own (after the
 * options: {@code GET}, {@code MGET}, {@code IYS.CHECK}, {@code IYS.MCHECK} …) against a port, and reads back its
 * rate and latency, its own CPU time (through a shell that waited for it: {@code cutime}/{@code cstime}) and the
 * server's CPU time over the same interval ({@code /proc/PID/stat} just before it starts and just after it exits).
 * <p>
 * With {@code -r K}, {@code redis-benchmark} replaces every {@code __rand_int__} in the command, each occurrence
 * with its own random 12-digit zero-padded number in [0, K), anew for every command sent.
 */
public final class RedisBenchmark
{
    /** What {@code redis-benchmark} replaces with a random number. */
    public static final String RAND = "__rand_int__";

    private static final String CHILD_CPU = "@@child-cpu ";
    private static final String WRAPPER = "\"$@\"; status=$?; read -r stat < /proc/$$/stat; " +
        "echo \"" + CHILD_CPU + "$stat\"; exit $status";

    private final String binary;
    private final List<String> cpuPrefix;

    /**
     * @param cpuPrefix a command prefix that pins it (e.g. {@code taskset -c 0}), or empty.
     * @throws IOException when redis-benchmark is not installed.
     */
    public RedisBenchmark(final List<String> cpuPrefix) throws IOException
    {
        this.binary = RedisServer.which("redis-benchmark").orElseThrow(
            () -> new IOException("redis-benchmark is not installed")).toString();
        this.cpuPrefix = List.copyOf(cpuPrefix);
    }

    /**
     * What to run.
     *
     * @param port        the server.
     * @param connections {@code -c}.
     * @param pipeline    {@code -P}.
     * @param requests    {@code -n}: commands in all.
     * @param keyspace    {@code -r}.
     * @param threads     {@code --threads}, 0 for none (one thread).
     * @param decisions   decisions (keys) per command: 1, or the count of a multi-key command.
     * @param command     the command and its arguments.
     */
    public record Spec(
        int port,
        int connections,
        int pipeline,
        long requests,
        long keyspace,
        int threads,
        int decisions,
        List<String> command)
    {
        /**
         * @param requests another {@code -n}.
         * @return this with it.
         */
        public Spec withRequests(final long requests)
        {
            return new Spec(port, connections, pipeline, requests, keyspace, threads, decisions, command);
        }

        /**
         * @return a short form for reports: the command's name and the keys per command.
         */
        public String shown()
        {
            return "-c " + connections + " -P " + pipeline + (threads > 0 ? " --threads " + threads : "") + " " +
                command.get(0) + (decisions > 1 ? " ×" + decisions : "");
        }
    }

    /**
     * What one run reported and cost.
     *
     * @param spec           what ran.
     * @param requestsPerSec commands per second, as redis-benchmark reports it.
     * @param p50Us          median latency, µs.
     * @param p99Us          99th percentile, µs.
     * @param maxUs          largest latency, µs.
     * @param server         the server's CPU time over the run.
     * @param generator      redis-benchmark's own CPU time.
     */
    public record Result(
        Spec spec,
        double requestsPerSec,
        double p50Us,
        double p99Us,
        double maxUs,
        ProcessCpu.Spent server,
        ProcessCpu.Spent generator)
    {
        /**
         * @return decisions (keys) per second.
         */
        public double decisionsPerSec()
        {
            return requestsPerSec * spec.decisions();
        }

        /**
         * @return the server's user CPU per decision, µs.
         */
        public double serverUserUsPerDecision()
        {
            return server.userUs() / (spec.requests() * (double)spec.decisions());
        }

        /**
         * @return the server's system CPU per decision, µs.
         */
        public double serverSystemUsPerDecision()
        {
            return server.systemUs() / (spec.requests() * (double)spec.decisions());
        }

        /**
         * @return the generator's CPU (user + system) per decision, µs.
         */
        public double generatorUsPerDecision()
        {
            return generator.totalUs() / (spec.requests() * (double)spec.decisions());
        }
    }

    /**
     * @param spec      what to run.
     * @param serverPid the server's process, whose CPU time is read around the run.
     * @return what it reported and cost.
     * @throws IOException when it fails, runs too long or prints nothing usable.
     * @throws InterruptedException when interrupted.
     */
    public Result run(final Spec spec, final long serverPid) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of("bash", "-c", WRAPPER, "redis-benchmark"));
        command.addAll(cpuPrefix);
        command.addAll(List.of(binary, "-h", "127.0.0.1", "-p", Integer.toString(spec.port()), "-c",
            Integer.toString(spec.connections()), "-P", Integer.toString(spec.pipeline()), "-n",
            Long.toString(spec.requests()), "-r", Long.toString(spec.keyspace()), "--csv"));
        if (spec.threads() > 0)
        {
            command.addAll(List.of("--threads", Integer.toString(spec.threads())));
        }
        command.addAll(spec.command());
        final ProcessCpu serverBefore = ProcessCpu.read(serverPid);
        final long startNs = System.nanoTime();
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final long timeoutMs = TimeUnit.MINUTES.toMillis(15);
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new IOException("redis-benchmark did not finish within " + timeoutMs + " ms");
        }
        final ProcessCpu serverAfter = ProcessCpu.read(serverPid);
        final double wallUs = (System.nanoTime() - startNs) / 1_000.0;
        double[] figures = null;
        ProcessCpu.Spent generator = null;
        for (final String line : output.split("\r?\n"))
        {
            if (line.startsWith(CHILD_CPU))
            {
                final long[] ticks = ProcessCpu.children(line.substring(CHILD_CPU.length()));
                generator = new ProcessCpu.Spent(ProcessCpu.ticksToMicros(ticks[0]),
                    ProcessCpu.ticksToMicros(ticks[1]), wallUs);
            }
            else if (figures == null)
            {
                figures = csv(line);
            }
        }
        if (process.exitValue() != 0 || figures == null || generator == null)
        {
            throw new IOException("redis-benchmark printed no result (exit status " + process.exitValue() + "): " +
                String.join(" ", command) + "\n" + output.strip());
        }
        return new Result(spec, figures[0], figures[3] * 1_000, figures[5] * 1_000, figures[6] * 1_000,
            serverAfter.since(serverBefore), generator);
    }

    /**
     * @param line a line of {@code redis-benchmark --csv}: the test's name (the command, which may hold anything but
     *             a quote) and rps, avg, min, p50, p95, p99, max (ms).
     * @return the seven figures, or null when the line is the header or no result.
     */
    static double[] csv(final String line)
    {
        final String[] fields = line.split(",");
        if (fields.length < 8)
        {
            return null;
        }
        final double[] figures = new double[7];
        try
        {
            for (int i = 0; i < 7; i++)
            {
                final String field = fields[fields.length - 7 + i].replace("\"", "").trim();
                // a run shorter than its clock's resolution reports "inf" requests per second
                figures[i] = "inf".equals(field) ? Double.POSITIVE_INFINITY : Double.parseDouble(field);
            }
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
        return figures;
    }
}
