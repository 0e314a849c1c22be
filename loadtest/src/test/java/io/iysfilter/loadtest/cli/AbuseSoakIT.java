package io.iysfilter.loadtest.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iys-filter loadtest abuse} end to end with short phases against a real server in a child process: every
 * normal answer right and present in every phase, and every hostile kind run and answered as the server documents,
 * seen both by the hostile client and in the server's own counters. The pipelining client that never reads needs the
 * server to answer some 140,000 CHECKs before its answers overflow the socket's send buffer and the server pauses
 * reading (counted): one such connection and 5 s phases leave a loaded 2-core machine time for that.
 */
@Timeout(300)
class AbuseSoakIT
{
    private static final Pattern PID = Pattern.compile("iys-filter pid (\\d+) on ");

    /**
     * Each hostile kind and the answer the server documents for it (the outcome the client must have seen at least
     * once).
     */
    private static final Map<String, String> DOCUMENTED = new LinkedHashMap<>();

    static
    {
        DOCUMENTED.put("binary-unread", "writes stalled");
        DOCUMENTED.put("binary-half-frame", "ERROR FRAME_TIMEOUT, closed");
        DOCUMENTED.put("binary-idle", "ERROR IDLE_TIMEOUT, closed");
        DOCUMENTED.put("binary-garbage", "oversized length: ERROR FRAME_TOO_LARGE, closed");
        DOCUMENTED.put("binary-connect-storm", "accepted");
        DOCUMENTED.put("http-undecodable-query", "400, closed");
        DOCUMENTED.put("http-100kb-header", "431, closed");
        DOCUMENTED.put("http-length-and-chunked", "400, closed");
        DOCUMENTED.put("http-slow-headers", "408, closed");
        DOCUMENTED.put("http-idle-keep-alive", "200, then closed when idle");
        DOCUMENTED.put("milter-no-optneg", "451 cannot remove recipients, closed on QUIT");
        DOCUMENTED.put("milter-half-packet", "closed after the packet timeout");
        DOCUMENTED.put("milter-oversize-packet", "closed before the packet timeout");
    }

    @Test
    void everyNormalAnswerIsRightWhileEveryHostileKindGetsItsDocumentedAnswer(@TempDir final Path work)
        throws Exception
    {
        final Path out = work.resolve("results");
        final LoadTestIT.Result result = LoadTestIT.cli("loadtest", "abuse", "--recipients", "20000", "--pool",
            "20000", "--rate", "200", "--connections", "2", "--warmup", "1", "--duration", "5", "--max-connections",
            "128", "--http-idle-connections", "8", "--hostile-threads", "1", "--hostile-rate", "10", "--storm-rate",
            "20", "--unread-connections", "1", "--data-dir", work.resolve("data").toString(), "--out",
            out.toString(), "--port", Integer.toString(freePort()), "--http-port", Integer.toString(freePort()),
            "--milter-port", Integer.toString(freePort()));
        final String text = result.text();

        assertEquals(Main.EXIT_OK, result.status(), text);
        final Summary summary = summary(out.resolve("summary.json"));
        assertEquals(3, summary.runs().size(), text);
        final List<String> phases = new ArrayList<>();
        for (final Map<String, String> run : summary.runs())
        {
            phases.add(run.get("name"));
            assertEquals("0", run.get("wrong"), run.toString());
            assertEquals("0", run.get("missing"), run.toString());
            assertEquals("0", run.get("errors"), run.toString());
            assertTrue(Long.parseLong(run.get("measuredRequests")) > 0, run.toString());
            assertTrue(Double.parseDouble(run.get("p99")) > 0, "a p99 per phase: " + run);
        }
        assertEquals(List.of("baseline", "abuse", "baseline-after"), phases);

        final Map<String, String> figures = summary.comparisons();
        assertEquals("true", figures.get("passed"), text);
        for (final String phase : phases)
        {
            for (final String rss : new String[]{"at start", "peak", "at end"})
            {
                final String key = phase + " server RSS MiB " + rss;
                assertNotNull(figures.get(key), key + "\n" + text);
                assertTrue(Double.parseDouble(figures.get(key)) > 10, key + ": " + figures.get(key));
            }
            assertTrue(figures.containsKey(phase + " load average (1, 5, 15 min) at end"), text);
        }
        assertTrue(Double.parseDouble(figures.get("server RSS MiB after the soak")) > 10, text);

        for (final Map.Entry<String, String> kind : DOCUMENTED.entrySet())
        {
            final String prefix = "hostile " + kind.getKey() + " ";
            assertTrue(number(figures, prefix + "attempts") > 0, kind.getKey() + " ran\n" + text);
            assertEquals(0, number(figures, prefix + "unexpected"), kind.getKey() + "\n" + text);
            assertEquals("true", figures.get(prefix + "passed"), kind.getKey() + "\n" + text);
            double documented = 0;
            for (final Map.Entry<String, String> figure : figures.entrySet())
            {
                if (figure.getKey().startsWith(prefix + "outcome " + kind.getValue()))
                {
                    documented += Double.parseDouble(figure.getValue());
                }
            }
            assertTrue(documented > 0, kind.getKey() + " got '" + kind.getValue() + "'\n" + text);
        }
        // the server counted them too: each kind with a counter of its own saw it rise during the abuse
        for (final String series : new String[]{"iys_read_pauses_total{endpoint=\"binary\"}",
            "iys_protocol_errors_total{code=\"FRAME_TIMEOUT\"}", "iys_protocol_errors_total{code=\"IDLE_TIMEOUT\"}",
            "iys_http_closes_total{why=\"REQUEST_TIMEOUT\"}", "iys_http_closes_total{why=\"IDLE_TIMEOUT\"}",
            "iys_http_closes_total{why=\"MALFORMED\"}", "iys_milter_errors_total{kind=\"NO_NEGOTIATION\"}",
            "iys_milter_errors_total{kind=\"PACKET_TIMEOUT\"}"})
        {
            final double before = Double.parseDouble(figures.getOrDefault("server " + series + " before abuse", "-1"));
            final double after = Double.parseDouble(figures.getOrDefault("server " + series + " after abuse", "-1"));
            assertTrue(before >= 0 && after > before, series + ": " + before + " -> " + after + "\n" + text);
        }

        final String report = Files.readString(out.resolve("report.txt"));
        assertTrue(report.contains("result: PASS"), report);
        for (final String phase : phases)
        {
            assertTrue(Files.exists(out.resolve(phase + ".hlog")), phase + ".hlog");
        }
        final Matcher pid = PID.matcher(text);
        assertTrue(pid.find(), text);
        assertFalse(ProcessHandle.of(Long.parseLong(pid.group(1))).map(ProcessHandle::isAlive).orElse(false),
            "the server was stopped");
    }

    private static double number(final Map<String, String> figures, final String key)
    {
        final String value = figures.get(key);
        assertNotNull(value, key);
        return Double.parseDouble(value);
    }

    /**
     * summary.json: each run's scalar fields (latencyUs flattened) and the comparisons, as text.
     */
    private record Summary(List<Map<String, String>> runs, Map<String, String> comparisons)
    {
    }

    private static Summary summary(final Path file) throws IOException
    {
        final List<Map<String, String>> runs = new ArrayList<>();
        final Map<String, String> comparisons = new HashMap<>();
        try (JsonParser json = new JsonFactory().createParser(file.toFile()))
        {
            Map<String, String> run = null;
            String section = null;
            int depth = 0;
            for (JsonToken token = json.nextToken(); token != null; token = json.nextToken())
            {
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY)
                {
                    depth++;
                    if (depth == 2)
                    {
                        section = json.currentName();
                    }
                    if (depth == 3 && "runs".equals(section))
                    {
                        run = new HashMap<>();
                        runs.add(run);
                    }
                }
                else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY)
                {
                    depth--;
                }
                else if (token.isScalarValue())
                {
                    if ("runs".equals(section) && run != null)
                    {
                        run.putIfAbsent(json.currentName(), json.getText());
                    }
                    else if ("comparisons".equals(section))
                    {
                        comparisons.put(json.currentName(), json.getText());
                    }
                }
            }
        }
        return new Summary(runs, comparisons);
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}
