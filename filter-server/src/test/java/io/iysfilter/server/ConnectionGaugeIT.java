package io.iysfilter.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code iys_connections_active{endpoint}}: every endpoint's gauge rises with real connections to its port and falls
 * when they close, as {@code /metrics} shows it.
 */
@Timeout(60)
class ConnectionGaugeIT
{
    private static final int PER_ENDPOINT = 3;
    private static final String[] ENDPOINTS = {"binary", "http", "milter", "resp"};

    @TempDir
    Path dataDir;
    private FilterServer server;

    @BeforeEach
    void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    @Test
    void shouldCountEachEndpointsOpenConnections() throws Exception
    {
        awaitGauges(0, 0, 0, 0);
        final int[] ports = {server.binaryPort(), server.httpPort(), server.milterPort(), server.respPort()};
        final List<Socket> sockets = new ArrayList<>();
        try
        {
            for (int e = 0; e < ENDPOINTS.length; e++)
            {
                for (int i = 0; i < PER_ENDPOINT; i++)
                {
                    sockets.add(new Socket(InetAddress.getLoopbackAddress(), ports[e]));
                }
                final int[] expected = new int[ENDPOINTS.length];
                for (int before = 0; before <= e; before++)
                {
                    expected[before] = PER_ENDPOINT;
                }
                awaitGauges(expected);
            }
        }
        finally
        {
            for (final Socket socket : sockets)
            {
                socket.close();
            }
        }
        awaitGauges(0, 0, 0, 0);
        assertFalse(scrape().containsKey("iys_http_connections_active"), "replaced by the endpoint label");
    }

    /**
     * Scrape until the gauges read as expected (the scrape's own HTTP connection not counted), within 10 s.
     */
    private void awaitGauges(final int... expected) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, Double> series;
        while (true)
        {
            series = scrape();
            boolean all = true;
            for (int e = 0; e < ENDPOINTS.length; e++)
            {
                final Double value = series.get("iys_connections_active{endpoint=\"" + ENDPOINTS[e] + "\"}");
                all &= value != null && value == expected[e] + ("http".equals(ENDPOINTS[e]) ? 1 : 0);
            }
            if (all)
            {
                return;
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("expected binary, http (besides the scrape), milter, resp = " +
                    java.util.Arrays.toString(expected) + ", got " + series.entrySet().stream()
                    .filter((s) -> s.getKey().startsWith("iys_connections")).toList());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * GET /metrics on a connection of its own, closed after the answer: the scrape counts itself, once.
     */
    private Map<String, Double> scrape() throws Exception
    {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.httpPort()))
        {
            final OutputStream out = socket.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            final String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals("HTTP/1.1 200", answer.substring(0, 12), answer);
            return Scrape.parse(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        }
    }
}
