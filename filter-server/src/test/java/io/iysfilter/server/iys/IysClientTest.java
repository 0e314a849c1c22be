package io.iysfilter.server.iys;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The İYS client against a loopback stub that misbehaves: a body that drips, a body larger than the cap (declared or
 * streamed), a refused connection; and the base URL's scheme.
 */
@Timeout(60)
class IysClientTest
{
    private static final long BRAND = 600_001;
    private static final long DEADLINE_MS = 1_000;
    private static final long MAX_BYTES = 1024 * 1024;
    private static final byte[] TOKEN = ("{\"access_token\":\"a\",\"expires_in\":3600,\"refresh_token\":\"r\"," +
        "\"refresh_expires_in\":7200}").getBytes(StandardCharsets.US_ASCII);

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicLong streamed = new AtomicLong();
    private final ExecutorService stubThreads = Executors.newCachedThreadPool();
    private HttpServer stub;
    private volatile Page page;

    /** What the stub answers on the changes path. */
    @FunctionalInterface
    private interface Page
    {
        void answer(HttpExchange exchange) throws IOException, InterruptedException;
    }

    @BeforeEach
    void start() throws IOException
    {
        stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stub.setExecutor(stubThreads);
        stub.createContext("/oauth2/token", (exchange) ->
        {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, TOKEN.length);
            exchange.getResponseBody().write(TOKEN);
            exchange.close();
        });
        stub.createContext("/sps/", (exchange) ->
        {
            try
            {
                page.answer(exchange);
            }
            catch (final IOException | InterruptedException ex)
            {
                // the client went away: what a cap or a deadline does
            }
            finally
            {
                exchange.close();
            }
        });
        stub.start();
    }

    @AfterEach
    void stop()
    {
        release.countDown();
        stub.stop(0);
        stubThreads.shutdownNow();
    }

    @Test
    void shouldGiveUpOnABodyThatDripsAtTheRequestsDeadline() throws Exception
    {
        page = (exchange) ->
        {
            exchange.sendResponseHeaders(200, 0);
            final OutputStream body = exchange.getResponseBody();
            body.write('{');
            body.flush();
            release.await(); // one byte, then nothing until the test ends: a drip that never finishes
        };
        final IysClient client = client(settings(stubUrl(), DEADLINE_MS, MAX_BYTES, true));
        final long startNs = System.nanoTime();
        final HttpTimeoutException timeout = assertThrows(HttpTimeoutException.class,
            () -> client.changes(BRAND, "HS", null, InputStream::readAllBytes));
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(elapsedMs >= DEADLINE_MS && elapsedMs < DEADLINE_MS + 10_000, "gave up after " + elapsedMs + " ms");
        assertTrue(timeout.getMessage().contains("iys-request-timeout=" + DEADLINE_MS + " ms"), timeout.getMessage());
    }

    @Test
    void shouldRefuseABodyLargerThanTheCapWithoutReadingItWhole() throws Exception
    {
        final byte[] chunk = new byte[64 * 1024];
        page = (exchange) ->
        {
            exchange.sendResponseHeaders(200, 0);
            final OutputStream body = exchange.getResponseBody();
            for (int i = 0; i < 1_024; i++) // 64 MiB at most, if nobody stopped reading
            {
                body.write(chunk);
                streamed.addAndGet(chunk.length);
            }
        };
        final IysClient client = client(settings(stubUrl(), 30_000, MAX_BYTES, true));
        final IOException tooLarge = assertThrows(IOException.class,
            () -> client.dailyFile(BRAND, "2026-01-01", InputStream::readAllBytes));
        assertTrue(tooLarge.getMessage().startsWith("İYS response too large: GET /sps/700001/brands/600001/changes/" +
            "2026-01-01/file has more than " + MAX_BYTES + " bytes"), tooLarge.getMessage());
        assertTrue(streamed.get() < 64L * 1024 * 1024, "the stub was stopped before it sent everything");

        page = (exchange) ->
        {
            exchange.sendResponseHeaders(200, 64L * 1024 * 1024);
            exchange.getResponseBody().write(chunk);
        };
        final IOException declared = assertThrows(IOException.class,
            () -> client.changes(BRAND, "HS", null, InputStream::readAllBytes));
        assertTrue(declared.getMessage().startsWith("İYS response too large: GET /sps/700001/brands/600001/" +
            "consents/changes has 67108864 bytes"), declared.getMessage());
    }

    @Test
    void shouldReadABodyOfExactlyTheCap() throws Exception
    {
        final byte[] whole = new byte[(int)MAX_BYTES];
        whole[0] = '{';
        whole[whole.length - 1] = '}';
        page = (exchange) ->
        {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write(whole);
        };
        assertArrayEquals(whole, client(settings(stubUrl(), 30_000, MAX_BYTES, true)).changes(BRAND, "HS", null,
            InputStream::readAllBytes));
    }

    /**
     * The page is parsed as it arrives, not once it is whole: the stub sends two records and waits, and the feed's
     * own page reader has read them before the stub sends the rest. Nothing holds the body whole on the way.
     */
    @Test
    void shouldHandAPageOnAsItArrives(@TempDir final Path dataDir) throws Exception
    {
        final String time = "2026-01-01 10:00:00";
        final StringBuilder records = new StringBuilder("{\"list\":[");
        for (int i = 1; i <= 3; i++)
        {
            records.append(i == 1 ? "" : ",").append("{\"consentDate\":\"").append(time)
                .append("\",\"creationDate\":\"").append(time).append("\",\"source\":\"HS_WEB\",")
                .append("\"recipient\":\"+90532000000").append(i).append("\",\"recipientType\":\"BIREYSEL\",")
                .append("\"status\":\"ONAY\",\"type\":\"MESAJ\",\"transactionId\":\"").append(i).append("\"}");
        }
        final String text = records.append("],\"after\":\"1767250800000_3\"}").toString();
        final byte[] first = text.substring(0, text.indexOf("{\"consentDate", text.indexOf("+905320000002")))
            .getBytes(StandardCharsets.UTF_8);
        final byte[] rest = text.substring(new String(first, StandardCharsets.UTF_8).length())
            .getBytes(StandardCharsets.UTF_8);
        final CountDownLatch readFirst = new CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicBoolean beforeTheRest = new java.util.concurrent.atomic.AtomicBoolean();
        page = (exchange) ->
        {
            exchange.sendResponseHeaders(200, 0);
            final OutputStream body = exchange.getResponseBody();
            body.write(first);
            body.flush();
            // the rest once the client has read the first two records (or, if it never does, after 10 s)
            beforeTheRest.set(readFirst.await(10, TimeUnit.SECONDS));
            body.write(rest);
        };
        final AtomicLong read = new AtomicLong();
        final BrandFeed feed = new BrandFeed(BRAND, null, null, new FeedFiles(dataDir), 0, () ->
        {
        });
        final BrandFeed.Page parsed = client(settings(stubUrl(), 30_000, MAX_BYTES, true)).changes(BRAND, "HS", null,
            (body) -> feed.readPage(new java.io.FilterInputStream(body)
            {
                @Override
                public int read(final byte[] bytes, final int offset, final int length) throws IOException
                {
                    final int count = super.read(bytes, offset, length);
                    if (count > 0 && read.addAndGet(count) >= first.length)
                    {
                        readFirst.countDown();
                    }
                    return count;
                }
            }));
        assertTrue(beforeTheRest.get(), "the first two records were read before İYS sent the rest");
        assertEquals(3, parsed.records);
        assertEquals(3, parsed.valid());
        assertEquals("1767250800000_3", parsed.after);
        assertEquals(text.getBytes(StandardCharsets.UTF_8).length, read.get());
    }

    @Test
    void shouldNameWhatFailedWhenTheConnectionIsRefused() throws Exception
    {
        final IysClient client = client(settings(URI.create("http://127.0.0.1:" + closedPort()), 30_000, MAX_BYTES,
            true));
        final IOException refused = assertThrows(IOException.class,
            () -> client.changes(BRAND, "HS", null, InputStream::readAllBytes));
        final String described = IysHttp.describe(refused);
        assertTrue(described.startsWith("java.net.ConnectException"), described);
        assertTrue(!described.contains("null"), described);
    }

    @Test
    void shouldShowARefusedConnectionByItsClassInTheFeedsStatus(@TempDir final Path dataDir) throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            final FeedService feed = new FeedService(settings(URI.create("http://127.0.0.1:" + closedPort()), 30_000,
                MAX_BYTES, true), store, pipeline);
            try
            {
                feed.nextPollAttempt(BRAND).get(30, TimeUnit.SECONDS);
                final String error = feed.status(BRAND).lastError();
                assertTrue(error != null && error.startsWith("java.net.ConnectException"), "lastError=" + error +
                    " (the log line says the same)");
            }
            finally
            {
                feed.close();
            }
        }
    }

    @Test
    void shouldRefuseAPlainHttpBaseUrlUnlessAllowed()
    {
        final IllegalArgumentException clear = assertThrows(IllegalArgumentException.class,
            () -> settings(URI.create("http://api.iys.org.tr"), 30_000, MAX_BYTES, false));
        assertTrue(clear.getMessage().contains("iys-allow-insecure-http=true"), clear.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> settings(URI.create("ftp://api.iys.org.tr"), 30_000, MAX_BYTES, true));
        assertEquals("https", settings(URI.create("https://api.iys.org.tr"), 30_000, MAX_BYTES, false).baseUrl()
            .getScheme());
    }

    /**
     * @return a loopback port nobody listens on.
     */
    private static int closedPort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    private URI stubUrl()
    {
        return URI.create("http://127.0.0.1:" + stub.getAddress().getPort());
    }

    private static FeedSettings settings(
        final URI baseUrl, final long deadlineMs, final long maxBytes, final boolean insecure)
    {
        return new FeedSettings(baseUrl, 700_001, "user", "secret", List.of(BRAND), 60_000, 999, 0, false,
            deadlineMs, maxBytes, insecure);
    }

    private static IysClient client(final FeedSettings settings)
    {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(IysClient.TIMEOUT).build();
        return new IysClient(settings, new Tokens(settings, http), http);
    }
}
