package io.iysfilter.server.net;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With {@code admin-port} set, the admin routes move to the admin listener and the HTTP port keeps the API, liveness
 * and a bare readiness.
 */
@Timeout(60)
class AdminListenerIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dataDir;
    private static FilterServer server;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir).adminPort(0));
    }

    @AfterAll
    static void stop()
    {
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldServeTheAdminRoutesOnTheAdminListenerOnly() throws Exception
    {
        final int admin = server.adminPort();
        assertTrue(admin > 0);
        assertNotEquals(server.httpPort(), admin);

        final HttpResponse<String> metrics = get(admin, "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("iys_connections_active"), metrics.body());
        assertEquals(200, get(admin, "/v1/brands").statusCode());
        assertTrue(get(admin, "/health/ready").body().contains("\"notReady\":["), "details on the admin listener");
        assertEquals(200, get(admin, "/health/live").statusCode());

        final HttpResponse<String> moved = get(server.httpPort(), "/metrics");
        assertEquals(404, moved.statusCode());
        assertTrue(moved.body().contains("admin listener"), moved.body());
        assertEquals(404, get(server.httpPort(), "/v1/brands").statusCode());
        final String receipts = "/v1/receipts?brand=" + Fixtures.BRAND + "&recipient=%2B905321111111";
        final HttpResponse<String> movedReceipts = get(server.httpPort(), receipts);
        assertEquals(404, movedReceipts.statusCode());
        assertTrue(movedReceipts.body().contains("admin listener"), movedReceipts.body());
        final HttpResponse<String> here = get(admin, receipts);
        assertEquals(404, here.statusCode(), "served here, and the receipts are off in this server");
        assertTrue(here.body().contains("receipts are off"), here.body());
    }

    @Test
    void shouldKeepTheApiLivenessAndABareReadinessOnTheHttpPort() throws Exception
    {
        assertEquals(200, get(server.httpPort(), "/health").statusCode());
        assertEquals(200, get(server.httpPort(), "/health/live").statusCode());
        final HttpResponse<String> ready = get(server.httpPort(), "/health/ready");
        assertTrue(ready.body().matches("\\{\"status\":\"(NOT_)?READY\"}"), ready.body());
        assertEquals(get(server.adminPort(), "/health/ready").statusCode(), ready.statusCode(),
            "the same verdict on both");
        final HttpResponse<String> check = get(server.httpPort(), "/v1/check?brand=" + Fixtures.BRAND +
            "&channel=MESAJ&recipient=%2B905321111111&recipientType=BIREYSEL");
        assertEquals(200, check.statusCode(), check.body());
    }

    @Test
    void shouldNotServeTheApiOnTheAdminListener() throws Exception
    {
        final HttpResponse<String> check = get(server.adminPort(), "/v1/check?brand=" + Fixtures.BRAND +
            "&channel=MESAJ&recipient=%2B905321111111&recipientType=BIREYSEL");
        assertEquals(404, check.statusCode());
        assertFalse(check.body().contains("verdict"), check.body());
        assertEquals(404, get(server.adminPort(), "/v1/optouts?brand=" + Fixtures.BRAND).statusCode());
        final HttpResponse<String> scrub = HTTP.send(HttpRequest.newBuilder(uri(server.adminPort(),
            "/v1/scrub?brand=" + Fixtures.BRAND + "&channel=MESAJ")).POST(HttpRequest.BodyPublishers.ofString(
            "+905321111111\n")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, scrub.statusCode(), scrub.body());
    }

    private static HttpResponse<String> get(final int port, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri(port, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(final int port, final String path)
    {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
