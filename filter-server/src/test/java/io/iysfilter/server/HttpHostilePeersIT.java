package io.iysfilter.server;

import io.iysfilter.server.http.HttpSettings;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.HttpClose;
import io.iysfilter.server.metrics.ServerCounters.RequestType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The HTTP port against hostile, slow and broken clients (issue 13, observations 5 to 8), over raw sockets on
 * 127.0.0.1: every request gets an answer or a close, never silence, and nothing holds a connection for long.
 */
@Timeout(120)
class HttpHostilePeersIT
{
    private static final int MAX_CONNECTIONS = 8;
    private static final long IDLE_TIMEOUT_MS = 1_000;
    private static final long REQUEST_TIMEOUT_MS = 1_000;
    /** Longer than any timeout of the server: a read that waits this long means the server neither answered nor
     * closed. */
    private static final int READ_TIMEOUT_MS = 10_000;

    @TempDir
    static Path dataDir;
    private static FilterServer server;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir).http(new HttpSettings(MAX_CONNECTIONS,
            IDLE_TIMEOUT_MS, REQUEST_TIMEOUT_MS, HttpSettings.DEFAULT.maxBodyBytes())));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    /**
     * The connections an earlier test closed are closed on the server too before the next test connects: a client's
     * close reaches the server's count a moment later, and a test that filled the cap (8) would otherwise leave the
     * next one answered 503 {@code too_many_connections}, as a loaded machine once showed.
     */
    @BeforeEach
    void awaitEarlierConnectionsClosed()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.counters().httpConnections().get() != 0)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the server still counts " +
                server.counters().httpConnections().get() + " HTTP connections the tests closed");
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldAnswer400ToAQueryThatDoesNotDecode() throws Exception
    {
        for (final String query : List.of("recipient=%zz", "recipient=05321111111%"))
        {
            try (Socket socket = connect())
            {
                send(socket, "GET /v1/check?brand=600001&channel=MESAJ&" + query + " HTTP/1.1\r\nHost: x\r\n\r\n");
                final Response response = read(socket);
                assertNotNull(response, query + ": answered, not closed in silence");
                assertEquals(400, response.status, query);
                assertTrue(response.body.contains("query: does not decode"), response.body);
            }
        }
    }

    @Test
    void shouldAnswerAnOversizedHeaderAndClose() throws Exception
    {
        try (Socket socket = connect())
        {
            send(socket, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nX-Big: " +
                "a".repeat(100 * 1024) + "\r\n\r\n");
            final Response response = read(socket);
            assertNotNull(response);
            assertEquals("close", response.header("connection"), "a request that cannot be framed ends the connection");
            assertEquals(431, response.status, response.body);
            assertClosed(socket, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        }
    }

    @Test
    void shouldRefuseContentLengthWithTransferEncodingAndClose() throws Exception
    {
        for (final String path : List.of("/v1/scrub?brand=600001&channel=MESAJ",
            "/v1/reconcile?brand=600001&date=2020-10-29", "/v1/optouts"))
        {
            try (Socket socket = connect())
            {
                send(socket, "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n" +
                    "Transfer-Encoding: chunked\r\n\r\n05321111111\r\n");
                final Response response = read(socket);
                assertNotNull(response, path);
                assertEquals(400, response.status, path + ": " + response.body);
                assertClosed(socket, null);
            }
        }
    }

    @Test
    void shouldRefuseAReconcileForAnUnknownBrandBeforeReadingItsBody() throws Exception
    {
        try (Socket socket = connect())
        {
            send(socket, "POST /v1/reconcile?brand=123&date=2020-10-29 HTTP/1.1\r\nHost: x\r\n" +
                "Content-Length: 400000000\r\n\r\n");
            send(socket, "x".repeat(64 * 1024));
            final Response response = read(socket);
            assertNotNull(response, "answered before the body was sent");
            assertEquals(404, response.status, response.body);
            assertEquals("close", response.header("connection"));
            assertClosed(socket, null);
        }
    }

    @Test
    void shouldRefuseAReconcileLineLongerThanTheCap() throws Exception
    {
        try (Socket socket = connect())
        {
            send(socket, "POST /v1/reconcile?brand=600001&date=2020-10-29 HTTP/1.1\r\nHost: x\r\n" +
                "Content-Length: 300000000\r\n\r\n");
            final byte[] noNewline = new byte[16 * 1024];
            Arrays.fill(noNewline, (byte)'x');
            Response response = null;
            try
            {
                for (int sent = 0; sent < 1024 * 1024; sent += noNewline.length)
                {
                    socket.getOutputStream().write(noNewline);
                }
            }
            catch (final SocketException refusedMidway)
            {
                // the server answered and stopped reading: expected
            }
            response = read(socket);
            assertNotNull(response, "answered after the cap, not after the whole body");
            assertEquals(413, response.status, response.body);
            assertTrue(response.body.contains("line_too_long"), response.body);
        }
    }

    @Test
    void shouldCloseAnIdleConnection() throws Exception
    {
        final long closedBefore = server.counters().httpCloses(HttpClose.IDLE_TIMEOUT);
        try (Socket socket = connect())
        {
            send(socket, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, read(socket).status);
            final long startNs = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read(), "closed after the idle timeout");
            assertTrue((System.nanoTime() - startNs) / 1_000_000 >= IDLE_TIMEOUT_MS / 2,
                "not closed long before the idle timeout");
        }
        assertTrue(server.counters().httpCloses(HttpClose.IDLE_TIMEOUT) > closedBefore);
    }

    @Test
    void shouldAnswer408ToARequestThatStopsHalfway() throws Exception
    {
        try (Socket socket = connect())
        {
            send(socket, "GET /health HTTP/1.1\r\nHost: x\r\n");
            final Response response = read(socket);
            assertNotNull(response);
            assertEquals(408, response.status, response.body);
            assertClosed(socket, null);
        }
    }

    @Test
    void shouldRefuseConnectionsPastTheCapWith503() throws Exception
    {
        final List<Socket> held = new ArrayList<>();
        try
        {
            Response refused = null;
            for (int i = 0; i <= MAX_CONNECTIONS && refused == null; i++)
            {
                final Socket socket = connect();
                held.add(socket);
                send(socket, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                final Response response = read(socket);
                assertNotNull(response, "connection " + i + " answered");
                if (response.status == 503)
                {
                    refused = response;
                }
                else
                {
                    assertEquals(200, response.status, response.body);
                }
            }
            assertNotNull(refused, "connection " + (MAX_CONNECTIONS + 1) + " refused");
            assertTrue(refused.body.contains("too_many_connections"), refused.body);
        }
        finally
        {
            for (final Socket socket : held)
            {
                socket.close();
            }
        }
    }

    @Test
    void shouldServeMetricsAfterTwoWorkerThreadsOfOneNameRecordedLatency() throws Exception
    {
        final ServerCounters counters = server.counters();
        final List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 2; i++)
        {
            // the milter decides on the iys-worker pool; two of its threads used to share that name
            final Thread worker = new Thread(() -> counters.onLatency(Endpoint.MILTER, RequestType.CHECK, 1_000),
                "iys-worker");
            worker.start();
            workers.add(worker);
        }
        for (final Thread worker : workers)
        {
            worker.join(10_000);
        }
        for (int scrape = 0; scrape < 2; scrape++)
        {
            try (Socket socket = connect())
            {
                send(socket, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
                final Response response = read(socket);
                assertNotNull(response, "/metrics answered");
                assertEquals(200, response.status);
                assertTrue(response.body.contains("iys_request_latency_seconds_count{endpoint=\"milter\""),
                    "both series served");
                assertTrue(response.body.contains("iys_http_closes_total"), "HTTP closes counted");
            }
        }
    }

    private static Socket connect() throws IOException
    {
        final Socket socket = new Socket("127.0.0.1", server.httpPort());
        socket.setSoTimeout(READ_TIMEOUT_MS);
        return socket;
    }

    private static void send(final Socket socket, final String text) throws IOException
    {
        final OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /**
     * Assert the server closed the connection: EOF (or a reset) within the read timeout, never silence.
     */
    private static void assertClosed(final Socket socket, final String next) throws IOException
    {
        try
        {
            if (next != null)
            {
                send(socket, next);
            }
            final InputStream in = socket.getInputStream();
            final byte[] rest = new byte[4096];
            while (in.read(rest) >= 0)
            {
                // whatever the server sent before closing
            }
        }
        catch (final SocketTimeoutException ex)
        {
            fail("neither answered nor closed within " + READ_TIMEOUT_MS + " ms");
        }
        catch (final SocketException reset)
        {
            // closed
        }
    }

    /**
     * @return the next response, or null when the connection closed before one.
     */
    private static Response read(final Socket socket) throws IOException
    {
        final InputStream in = socket.getInputStream();
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        try
        {
            while (matched < 4)
            {
                final int b = in.read();
                if (b < 0)
                {
                    return null;
                }
                head.write(b);
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            }
        }
        catch (final SocketTimeoutException ex)
        {
            fail("neither answered nor closed within " + READ_TIMEOUT_MS + " ms");
        }
        final String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        final Response response = new Response(Integer.parseInt(lines[0].split(" ")[1]), lines);
        final String length = response.header("content-length");
        if (length != null)
        {
            final byte[] body = in.readNBytes(Integer.parseInt(length));
            response.body = new String(body, StandardCharsets.UTF_8);
        }
        else if ("chunked".equals(response.header("transfer-encoding")))
        {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true)
            {
                final int size = Integer.parseInt(line(in), 16);
                if (size == 0)
                {
                    line(in);
                    break;
                }
                body.write(in.readNBytes(size));
                line(in);
            }
            response.body = body.toString(StandardCharsets.UTF_8);
        }
        return response;
    }

    private static String line(final InputStream in) throws IOException
    {
        final StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n')
        {
            if (b != '\r')
            {
                line.append((char)b);
            }
        }
        return line.toString();
    }

    private static final class Response
    {
        final int status;
        final String[] headers;
        String body = "";

        Response(final int status, final String[] headers)
        {
            this.status = status;
            this.headers = headers;
        }

        String header(final String name)
        {
            for (int i = 1; i < headers.length; i++)
            {
                final int colon = headers[i].indexOf(':');
                if (colon > 0 && headers[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name))
                {
                    return headers[i].substring(colon + 1).trim();
                }
            }
            return null;
        }
    }
}
