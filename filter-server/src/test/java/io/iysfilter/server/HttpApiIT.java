package io.iysfilter.server;

import io.iysfilter.server.http.HttpEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API on 127.0.0.1.
 */
@Timeout(60)
class HttpApiIT
{
    @TempDir
    static Path dataDir;
    private static FilterServer server;
    private static long asOfMs;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception
    {
        asOfMs = Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    /**
     * @return the answer's decision id, from its header, after checking it has the form of one.
     */
    private static String decisionId(final HttpResponse<String> response)
    {
        final String id = response.headers().firstValue("X-Iys-Decision-Id").orElse("");
        assertTrue(id.matches("[0-9a-f]{16}"), "decision id header: '" + id + "'");
        return id;
    }

    @Test
    void shouldAnswerACheckAsJson() throws Exception
    {
        final HttpResponse<String> allowed = get("/v1/check?brand=600001&channel=MESAJ&recipient=05321111111");
        assertEquals(200, allowed.statusCode());
        assertTrue(allowed.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        assertEquals("{\"verdict\":\"ALLOW\",\"reason\":\"CONSENT\",\"brand\":600001,\"asOf\":\"" +
            Instant.ofEpochMilli(asOfMs) + "\",\"decisionId\":\"" + decisionId(allowed) + "\"}", allowed.body());

        final HttpResponse<String> rejected = get("/v1/check?brand=600001&channel=MESAJ&recipient=" +
            "%2B90%20532%20222%2022%2022");
        assertEquals("{\"verdict\":\"DENY\",\"reason\":\"REJECTED\",\"brand\":600001,\"asOf\":\"" +
            Instant.ofEpochMilli(asOfMs) + "\",\"decisionId\":\"" + decisionId(rejected) + "\"}", rejected.body());
        assertTrue(get("/v1/check?brand=600001&channel=MESAJ&recipient=05322222222&kind=TRANSACTIONAL").body()
            .contains("\"verdict\":\"ALLOW\",\"reason\":\"EXEMPT\""));
        assertTrue(get("/v1/check?brand=600001&channel=ARAMA&recipient=05324444444&recipientType=TACIR").body()
            .contains("\"reason\":\"CONSENT\""));
        final HttpResponse<String> unknown = get("/v1/check?brand=999999&channel=MESAJ&recipient=05321111111");
        assertEquals("{\"verdict\":\"DENY\",\"reason\":\"UNKNOWN_BRAND\",\"brand\":999999,\"asOf\":null," +
            "\"decisionId\":\"" + decisionId(unknown) + "\"}", unknown.body());
        assertTrue(get("/v1/check?brand=600002&channel=MESAJ&recipient=05321111111").body()
            .contains("\"reason\":\"STALE\""));
        assertTrue(get("/v1/check?brand=600001&channel=EPOSTA&recipient=05321111111").body()
            .contains("\"reason\":\"INVALID_RECIPIENT\""));
    }

    @Test
    void shouldRefuseBadParametersWith400AndSayWhich() throws Exception
    {
        assertBadRequest("/v1/check?channel=MESAJ&recipient=05321111111", "brand");
        assertBadRequest("/v1/check?brand=abc&channel=MESAJ&recipient=05321111111", "brand: 'abc'");
        assertBadRequest("/v1/check?brand=600001&channel=SMS&recipient=05321111111", "channel: 'SMS'");
        assertBadRequest("/v1/check?brand=600001&channel=MESAJ", "recipient: missing");
        assertBadRequest("/v1/check?brand=600001&channel=MESAJ&recipient=1&recipientType=KURUMSAL",
            "recipientType: 'KURUMSAL'");
        assertBadRequest("/v1/check?brand=600001&channel=MESAJ&recipient=1&kind=PROMO", "kind: 'PROMO'");
        final HttpResponse<String> missing = get("/nowhere");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().startsWith("{\"error\":\"not_found\""), missing.body());
        final HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(uri("/v1/check"))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void shouldServeHealthBrandsAndMetrics() throws Exception
    {
        final HttpResponse<String> health = get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"UP\",\"brands\":2}", health.body());

        final HttpResponse<String> ready = get("/health/ready");
        assertEquals(503, ready.statusCode(), "brand 600002 is STALE");
        assertTrue(ready.body().startsWith("{\"status\":\"NOT_READY\",\"brands\":2,\"notReady\":[{\"brand\":600002," +
            "\"reason\":\"STALE: data as of "), ready.body());
        assertEquals(200, get("/health/live").statusCode());

        final String brands = get("/v1/brands").body();
        assertTrue(brands.contains("{\"brand\":600001,\"entries\":" + Fixtures.ENTRIES + ",\"asOf\":\"" +
            Instant.ofEpochMilli(asOfMs) + "\",\"freshnessBoundMs\":259200000,\"state\":\"FRESH\"," +
            "\"role\":\"standalone\"}"), brands);
        assertTrue(brands.contains("\"brand\":600002") && brands.contains("\"state\":\"STALE\""), brands);

        get("/v1/check?brand=600001&channel=EPOSTA&recipient=ayse@example.com.tr");
        final HttpResponse<String> metrics = get("/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        final double consents = counter(metrics.body(),
            "iys_decisions_total{endpoint=\"http\",reason=\"CONSENT\",verdict=\"ALLOW\"}");
        assertTrue(consents >= 1.0, "decisions are counted by endpoint, verdict and reason");
        assertTrue(metrics.body().contains("iys_requests_total{endpoint=\"http\",type=\"check\"}"));
        assertTrue(metrics.body().contains("iys_protocol_errors_total{code=\"MALFORMED_FRAME\"}"));
        assertTrue(metrics.body().contains("iys_connections_active"));
    }

    @Test
    void shouldStreamAScrubFarLargerThanAnyBufferInOrder() throws Exception
    {
        final int rows = 200_000;
        final HttpRequest request = HttpRequest.newBuilder(uri("/v1/scrub?brand=600001&channel=MESAJ&column=2"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedList(rows)))
            .build();
        final HttpResponse<Stream<String>> response = HTTP.send(request, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/csv"));
        final Iterator<String> lines = response.body().iterator();
        for (int i = 0; i < rows; i++)
        {
            assertTrue(lines.hasNext(), "answer " + i + " missing");
            assertEquals(GeneratedList.line(i) + "," + GeneratedList.answer(i), lines.next(), "row " + i);
        }
        assertFalse(lines.hasNext(), "one answer per row");
        assertTrue(rows * 20L > HttpEndpoint.MAX_REQUEST_LENGTH * 100L,
            "the body is far beyond what the HTTP aggregator would hold");
    }

    @Test
    void shouldScrubAHeaderCrlfLinesAndAnOverlongLine() throws Exception
    {
        final String overlong = "x".repeat(5_000);
        final String body = "phone\r\n05321111111\r\n05322222222\n\n" + overlong + "\nali@example.com";
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
            uri("/v1/scrub?brand=600001&channel=MESAJ&header=true"))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals(List.of("phone,verdict,reason", "05321111111,ALLOW,CONSENT", "05322222222,DENY,REJECTED",
            ",DENY,INVALID_RECIPIENT", "x".repeat(4_096) + ",DENY,INVALID_RECIPIENT",
            "ali@example.com,DENY,INVALID_RECIPIENT"), List.of(response.body().split("\n")));
    }

    @Test
    void shouldRefuseABadScrubRequest() throws Exception
    {
        final HttpResponse<String> noBrand = HTTP.send(HttpRequest.newBuilder(uri("/v1/scrub?channel=MESAJ"))
            .POST(HttpRequest.BodyPublishers.ofString("05321111111\n")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, noBrand.statusCode());
        assertTrue(noBrand.body().contains("brand: 'null'"), noBrand.body());
        final HttpResponse<String> get = get("/v1/scrub?brand=600001&channel=MESAJ");
        assertEquals(405, get.statusCode());
        final HttpResponse<String> stillServing = get("/health");
        assertEquals(200, stillServing.statusCode());
    }

    /**
     * A list generated as it is read, so the test holds none of it either: row i is {@code i,<phone>}.
     */
    private static final class GeneratedList extends InputStream
    {
        private final int rows;
        private int row;
        private byte[] current = new byte[0];
        private int position;

        GeneratedList(final int rows)
        {
            this.rows = rows;
        }

        static String line(final int i)
        {
            return i + "," + (i % 3 == 0 ? Fixtures.bulkPhone(i % Fixtures.BULK) : i % 3 == 1 ? "0532 111 11 11" :
                "junk" + i);
        }

        static String answer(final int i)
        {
            if (i % 3 == 0)
            {
                return i % Fixtures.BULK % 2 == 0 ? "ALLOW,CONSENT" : "DENY,REJECTED";
            }
            return i % 3 == 1 ? "ALLOW,CONSENT" : "DENY,INVALID_RECIPIENT";
        }

        @Override
        public int read()
        {
            if (position == current.length)
            {
                if (row == rows)
                {
                    return -1;
                }
                current = (line(row++) + "\n").getBytes(StandardCharsets.US_ASCII);
                position = 0;
            }
            return current[position++];
        }
    }

    private static double counter(final String scrape, final String series)
    {
        final Double value = Scrape.parse(scrape).get(series);
        if (value == null)
        {
            throw new AssertionError("no series " + series + " in:\n" + scrape);
        }
        return value;
    }

    private static void assertBadRequest(final String path, final String mention) throws Exception
    {
        final HttpResponse<String> response = get(path);
        assertEquals(400, response.statusCode(), path);
        assertTrue(response.body().startsWith("{\"error\":\"bad_request\",\"message\":\""), response.body());
        assertTrue(response.body().contains(mention), response.body());
    }

    private static HttpResponse<String> get(final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(final String path)
    {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }
}
