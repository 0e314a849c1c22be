package io.iysfilter.loadtest.abuse;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Watches the server under test from outside: its resident memory ({@code VmRSS} of {@code /proc/PID/status}),
 * sampled every 100 ms per phase, the machine's load average, and the server's own counters from {@code /metrics}.
 */
public final class ServerWatch implements AutoCloseable
{
    /** The counters the soak reports, by metric name prefix. */
    public static final List<String> COUNTERS = List.of("iys_requests_total", "iys_read_pauses_total",
        "iys_protocol_errors_total", "iys_http_closes_total", "iys_http_bad_requests_total", "iys_milter_errors_total",
        "iys_connections_active");
    private static final long SAMPLE_MS = 100;

    private final long pid;
    private final int httpPort;
    private final Map<String, long[]> rssByPhase = new LinkedHashMap<>();
    private final Thread sampler;
    private volatile long[] current;
    private volatile boolean closed;

    /**
     * @param pid      the server's process.
     * @param httpPort its HTTP port on 127.0.0.1.
     */
    public ServerWatch(final long pid, final int httpPort)
    {
        this.pid = pid;
        this.httpPort = httpPort;
        this.sampler = new Thread(this::sample, "server-watch");
        sampler.setDaemon(true);
        sampler.start();
    }

    /**
     * Start a phase: its RSS at the start, its largest and its last are kept under its name.
     *
     * @param phase the phase's name.
     */
    public void begin(final String phase)
    {
        final long rss = rssKb(pid);
        final long[] figures = {rss, rss, rss};
        synchronized (rssByPhase)
        {
            rssByPhase.put(phase, figures);
        }
        current = figures;
    }

    /**
     * @return per phase, RSS in KiB at its start, its largest and its last sample.
     */
    public Map<String, long[]> rss()
    {
        synchronized (rssByPhase)
        {
            final Map<String, long[]> copy = new LinkedHashMap<>();
            rssByPhase.forEach((phase, figures) -> copy.put(phase, figures.clone()));
            return copy;
        }
    }

    private void sample()
    {
        while (!closed)
        {
            final long[] figures = current;
            if (figures != null)
            {
                final long rss = rssKb(pid);
                synchronized (rssByPhase)
                {
                    figures[1] = Math.max(figures[1], rss);
                    figures[2] = rss;
                }
            }
            try
            {
                TimeUnit.MILLISECONDS.sleep(SAMPLE_MS);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
    }

    @Override
    public void close()
    {
        closed = true;
        sampler.interrupt();
    }

    /**
     * @param pid a process.
     * @return its resident set in KiB, or -1 when it cannot be read (no /proc, the process gone).
     */
    public static long rssKb(final long pid)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        return -1;
    }

    /**
     * @return the 1, 5 and 15 minute load averages, or {@code ?} where there is no /proc.
     */
    public static String loadAverage()
    {
        try
        {
            final String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        }
        catch (final IOException | RuntimeException ex)
        {
            return "?";
        }
    }

    /**
     * Scrape {@code /metrics} over a connection of its own ({@code Connection: close}, so no idle connection of the
     * watch is left to the server's idle timeout).
     *
     * @return the reported counters ({@link #COUNTERS}), by series (name and labels).
     * @throws IOException when the server does not answer.
     */
    public Map<String, Double> counters() throws IOException
    {
        final String text;
        try (Socket socket = Wire.connect(httpPort, 10_000))
        {
            socket.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!text.startsWith("HTTP/1.1 200"))
        {
            throw new IOException("/metrics answered " + text.lines().findFirst().orElse("nothing"));
        }
        final Map<String, Double> counters = new TreeMap<>();
        for (final String line : text.split("\n"))
        {
            for (final String name : COUNTERS)
            {
                if (line.startsWith(name))
                {
                    final int space = line.lastIndexOf(' ');
                    counters.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1).trim()));
                }
            }
        }
        return counters;
    }
}
