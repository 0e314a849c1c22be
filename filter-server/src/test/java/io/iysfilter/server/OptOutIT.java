package io.iysfilter.server;

import io.iysfilter.server.optout.OptOutLog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local opt-outs over HTTP: recorded through the single writer, effective for the next request, superseded only by
 * a newer İYS record, listed for upload.
 */
@Timeout(60)
class OptOutIT
{
    @TempDir
    static Path dataDir;
    private static FilterServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    @Test
    void shouldDenyFromTheNextRequestAndListTheOptOutForUpload() throws Exception
    {
        assertEquals("ALLOW", verdict(Fixtures.CONSENTED));
        final HttpResponse<String> recorded = post("{\"brand\":600001,\"channel\":\"MESAJ\",\"recipient\":" +
            "\"0532 111 11 11\",\"source\":\"SMS_STOP\"}");
        assertEquals(201, recorded.statusCode(), recorded.body());
        assertTrue(recorded.body().contains("\"recipient\":\"+905321111111\"") &&
            recorded.body().contains("\"outcome\":\"APPLIED\"") && recorded.body().contains("\"uploadBy\":\""),
            recorded.body());
        assertEquals("DENY", verdict(Fixtures.CONSENTED), "effective for the next request");

        final HttpResponse<String> list = HTTP.send(HttpRequest.newBuilder(uri("/v1/optouts?brand=600001")).GET()
            .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, list.statusCode());
        assertTrue(list.body().startsWith("{\"brand\":600001,\"optouts\":[{\"recordedAt\":"), list.body());
        assertTrue(list.body().contains("\"source\":\"SMS_STOP\""), list.body());
        final Path log = dataDir.resolve("brands/600001/optouts.log");
        assertTrue(OptOutLog.read(log, TestKeys.KEY, Fixtures.BRAND).records().get(0).contains("+905321111111"),
            "logged to disk");
        assertFalse(Files.readString(log).contains("5321111111"), "sealed on disk: " + Files.readString(log));
    }

    @Test
    void shouldBeSupersededByANewerIysRecord() throws Exception
    {
        final String before = Instant.now().minusSeconds(24 * 3600).toString();
        final HttpResponse<String> older = post("{\"brand\":600001,\"channel\":\"EPOSTA\",\"recipient\":" +
            "\"ayse@example.com.tr\",\"time\":\"" + before + "\"}");
        assertEquals(201, older.statusCode(), older.body());
        assertTrue(older.body().contains("\"outcome\":\"SUPERSEDED\""),
            "an opt-out older than the İYS ONAY on file does not override it: " + older.body());
        final HttpResponse<String> check = HTTP.send(HttpRequest.newBuilder(uri(
            "/v1/check?brand=600001&channel=EPOSTA&recipient=ayse@example.com.tr")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertTrue(check.body().contains("\"reason\":\"CONSENT\""), check.body());
    }

    @Test
    void shouldRefuseBadOptOuts() throws Exception
    {
        assertEquals(400, post("{\"brand\":600001,\"channel\":\"EPOSTA\",\"recipient\":\"05321111111\"}")
            .statusCode(), "an e-mail channel needs an e-mail address");
        assertEquals(400, post("{\"brand\":600001,\"channel\":\"MESAJ\"}").statusCode());
        assertEquals(400, post("{\"brand\":600001,\"channel\":\"MESAJ\",\"recipient\":\"05321111111\",\"time\":\"" +
            Instant.now().plusSeconds(3600) + "\"}").statusCode(), "not in the future");
        assertEquals(400, post("not json").statusCode());
        assertEquals(404, post("{\"brand\":999999,\"channel\":\"MESAJ\",\"recipient\":\"05321111111\"}")
            .statusCode());
    }

    private static String verdict(final String phone) throws Exception
    {
        final String body = HTTP.send(HttpRequest.newBuilder(uri("/v1/check?brand=600001&channel=MESAJ&recipient=" +
            phone.replace("+", "%2B"))).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        return body.contains("\"verdict\":\"ALLOW\"") ? "ALLOW" : "DENY";
    }

    private static HttpResponse<String> post(final String json) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri("/v1/optouts")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(final String path)
    {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }
}
