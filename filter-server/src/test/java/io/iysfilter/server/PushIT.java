package io.iysfilter.server;

import io.iysfilter.server.iys.IysTime;
import io.iysfilter.server.net.TlsSettings;
import io.iysfilter.server.push.PushCredentials;
import io.iysfilter.server.push.PushReceiver;
import io.iysfilter.server.push.PushSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * İYS's push over HTTP on its own listener: Basic authentication, a pushed RET enforced for the next request, the
 * test record, the route's refusals, and the counts on {@code /v1/brands} and {@code /metrics}.
 */
@Timeout(60)
class PushIT
{
    private static final String USER = "iys-push";
    private static final String PASSWORD = PushCredentials.newPassword();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dataDir;
    @TempDir
    static Path etc;
    private static FilterServer server;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        final Path credentials = etc.resolve("push.credentials");
        PushCredentials.put(credentials, USER, PASSWORD);
        server = FilterServer.start(Fixtures.context(dataDir).push(PushSettings.OFF.withPort(0, credentials)));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    @Test
    void shouldEnforceAPushedRetFromTheNextRequest() throws Exception
    {
        assertEquals("ALLOW", verdict(Fixtures.CONSENTED));
        final long nowSec = System.currentTimeMillis() / 1000;
        final HttpResponse<String> pushed = push("/iys/push/" + Fixtures.BRAND, basic(USER, PASSWORD),
            "{\"list\":[" + record(Fixtures.CONSENTED, nowSec - 2) + "]}");
        assertEquals(200, pushed.statusCode(), pushed.body());
        assertTrue(pushed.body().contains("\"taken\":1"), pushed.body());
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!"DENY".equals(verdict(Fixtures.CONSENTED)) && System.nanoTime() - deadline < 0)
        {
            Thread.onSpinWait();
        }
        assertEquals("DENY", verdict(Fixtures.CONSENTED), "the pushed RET is enforced within the bound");

        final String brands = get(server.httpPort(), "/v1/brands").body();
        assertTrue(brands.contains("\"push\":{\"records\":1,\"rejected\":0,\"lastPush\":\""), brands);
        final String metrics = get(server.httpPort(), "/metrics").body();
        assertTrue(metrics.contains("iys_push_records_total{outcome=\"applied\"} 1.0"), metrics);
        assertTrue(metrics.contains("iys_push_lag_seconds"), "the lag from creationDate to application");
        for (final String meter : List.of("iys_push_requests_total{outcome=\"refused\"}",
            "iys_push_auth_failures_total", "iys_push_lag_seconds{quantile=\"0.99\"}"))
        {
            assertTrue(metrics.contains(meter), meter + ", which the dashboard reads");
        }
    }

    @Test
    void shouldAcceptAndDropIysTestRecord() throws Exception
    {
        final long nowSec = System.currentTimeMillis() / 1000;
        final HttpResponse<String> pushed = push("/iys/push", basic(USER, PASSWORD), "{\"list\":[{\"iysCode\":" +
            "121212,\"brandCode\":121212,\"consentDate\":\"" + IysTime.format(nowSec) + "\",\"creationDate\":\"" +
            IysTime.format(nowSec) + "\",\"source\":\"IYS_MOBIL\",\"recipient\":\"pushtest@iys.org.tr\"," +
            "\"recipientType\":\"BIREYSEL\",\"status\":\"ONAY\",\"type\":\"EPOSTA\",\"transactionId\":\"abc\"}]}");
        assertEquals(200, pushed.statusCode(), pushed.body());
        assertTrue(pushed.body().contains("\"test\":1,") || pushed.body().contains("\"test\":1}"), pushed.body());
    }

    @Test
    void shouldRefuseWrongCredentialsOtherPathsAndMethods() throws Exception
    {
        final HttpResponse<String> wrong = push("/iys/push", basic(USER, "not-the-password"), "{\"list\":[]}");
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
        assertEquals(401, push("/iys/push", null, "{\"list\":[]}").statusCode());
        assertEquals(404, push("/v1/check", basic(USER, PASSWORD), "{}").statusCode(),
            "the push listener serves its one route only");
        assertEquals(405, get(server.pushPort(), "/iys/push").statusCode());
        assertEquals(400, push("/iys/push", basic(USER, PASSWORD), "not json").statusCode());
        assertEquals(404, get(server.httpPort(), "/iys/push").statusCode(), "pushes are not taken on the API port");
    }

    @Test
    void shouldAnswerAPushInFlightBeforeTheStopClosesItsConnection(@TempDir final Path data) throws Exception
    {
        Fixtures.write(data);
        // the push is held on its quarantine write: a FIFO nobody reads until the stop has begun
        final Path fifo = data.resolve(PushReceiver.QUARANTINE_FILE);
        final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0,
            "mkfifo is needed to hold a push on the receiver's thread");
        final FilterServer stopping = FilterServer.start(Fixtures.context(data).push(PushSettings.OFF.withPort(0,
            etc.resolve("push.credentials"))));
        CompletableFuture<Void> closed = null;
        try
        {
            final long nowSec = System.currentTimeMillis() / 1000;
            final String invalid = record(Fixtures.CONSENTED, nowSec - 2).replace("\"RET\"", "\"RED\"");
            final CompletableFuture<HttpResponse<String>> answer = HTTP.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + stopping.pushPort() + "/iys/push/" + Fixtures.BRAND))
                .header("Authorization", basic(USER, PASSWORD))
                .POST(HttpRequest.BodyPublishers.ofString("{\"list\":[" + invalid + "]}")).build(),
                HttpResponse.BodyHandlers.ofString());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (stopping.push().received() == 0 && System.nanoTime() - deadline < 0)
            {
                Thread.onSpinWait();
            }
            assertEquals(1, stopping.push().received(), "the push reached the receiver's thread");

            closed = CompletableFuture.runAsync(stopping::close);
            assertThrows(TimeoutException.class, () -> answer.get(1, TimeUnit.SECONDS),
                "the stop waits for the push's answer rather than closing its connection unanswered");
            final CompletableFuture<String> quarantined = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return Files.readString(fifo);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
            final HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode(), response.body());
            assertTrue(quarantined.get(30, TimeUnit.SECONDS).contains("invalid status"));
            closed.get(30, TimeUnit.SECONDS);
        }
        finally
        {
            if (closed == null)
            {
                stopping.close();
            }
        }
    }

    @Test
    void shouldRefusePushBeyondLoopbackWithoutTls()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            FilterServer.start(Fixtures.context(dataDir).push(new PushSettings(0, "0.0.0.0",
                PushSettings.PATH_DEFAULT, etc.resolve("push.credentials"), 1024, 10, 10, 4, 1000, 1000, 10))));
        assertTrue(refused.getMessage().contains("push-bind-address=0.0.0.0"), refused.getMessage());
    }

    @Test
    void shouldRefusePushUnderMutualTlsThatIysCannotPass()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            FilterServer.start(Fixtures.context(dataDir).tls(TlsSettings.of(etc.resolve("cert.pem"),
                etc.resolve("key.pem"), etc.resolve("ca.pem"))).push(PushSettings.OFF.withPort(0,
                etc.resolve("push.credentials")))));
        assertTrue(refused.getMessage().contains("tls-client-auth=require"), refused.getMessage());
    }

    private static String record(final String phone, final long creationSec)
    {
        return "{\"consentDate\":\"" + IysTime.format(creationSec) + "\",\"creationDate\":\"" +
            IysTime.format(creationSec) + "\",\"source\":\"IYS_KISAMESAJ\",\"recipient\":\"" + phone +
            "\",\"recipientType\":\"BIREYSEL\",\"status\":\"RET\",\"type\":\"MESAJ\",\"transactionId\":\"" +
            "7e57".repeat(16) + "\"}";
    }

    private static String basic(final String user, final String password)
    {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> push(final String path, final String authorization, final String body)
        throws Exception
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
            server.pushPort() + path)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null)
        {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(final int port, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static String verdict(final String phone) throws Exception
    {
        final String body = get(server.httpPort(), "/v1/check?brand=600001&channel=MESAJ&recipient=" +
            phone.replace("+", "%2B")).body();
        return body.contains("\"verdict\":\"ALLOW\"") ? "ALLOW" : "DENY";
    }
}
