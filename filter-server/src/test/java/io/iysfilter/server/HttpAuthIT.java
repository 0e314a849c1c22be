package io.iysfilter.server;

import io.iysfilter.server.security.BearerTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API with a clients file: 401 without a token or with a wrong one, 403 for a role or a brand the client
 * lacks, route by route; liveness stays open; per-client counters on /metrics; the per-source failure limit; the
 * scrub rate.
 */
class HttpAuthIT
{
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String OWN = "brand=" + Fixtures.BRAND;
    private static final String OTHER = "brand=" + Fixtures.STALE_BRAND;
    private static final Map<String, String> TOKENS = Map.of(
        "checker", BearerTokens.generate(RANDOM),
        "scrubber", BearerTokens.generate(RANDOM),
        "optouter", BearerTokens.generate(RANDOM),
        "reconciler", BearerTokens.generate(RANDOM),
        "admin", BearerTokens.generate(RANDOM));

    @TempDir
    static Path dataDir;
    @TempDir
    static Path confDir;
    private static FilterServer server;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        final StringBuilder clients = new StringBuilder();
        for (final String id : List.of("checker", "scrubber", "optouter", "reconciler"))
        {
            clients.append('[').append(id).append("]\nroles = ").append(roleOf(id)).append("\nbrands = ")
                .append(Fixtures.BRAND).append("\ntoken = ").append(BearerTokens.hash(TOKENS.get(id))).append("\n\n");
        }
        clients.append("[admin]\nroles = admin\nbrands = *\ntoken = ").append(BearerTokens.hash(TOKENS.get("admin")))
            .append('\n');
        final Path file = confDir.resolve("clients.conf");
        Files.writeString(file, clients);
        server = FilterServer.start(Fixtures.context(dataDir).clientsFile(file).authFailureLimit(1_000)
            .scrubRowsPerSecond(5_000));
    }

    private static String roleOf(final String id)
    {
        return switch (id)
        {
            case "checker" -> "check";
            case "scrubber" -> "scrub";
            case "optouter" -> "optout";
            default -> "reconcile";
        };
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    @Test
    void shouldAnswer401WithTheBearerChallengeOnEveryRouteWithoutAGoodToken() throws Exception
    {
        for (final String token : new String[]{null, BearerTokens.generate(RANDOM), "", "Basic dXNlcjpwdw=="})
        {
            for (final Request request : allRoutes())
            {
                final HttpResponse<String> response = send(request, token);
                assertEquals(401, response.statusCode(), request + " with token " + token);
                assertEquals("Bearer realm=\"iys-filter\"",
                    response.headers().firstValue("www-authenticate").orElse(""), request.toString());
                assertTrue(response.body().contains("\"error\":\"unauthorised\""), response.body());
            }
        }
    }

    @Test
    void shouldKeepLivenessOpen() throws Exception
    {
        assertEquals(200, send(new Request("GET", "/health", null), null).statusCode());
        final HttpResponse<String> live = send(new Request("GET", "/health/live", null), null);
        assertEquals(200, live.statusCode());
        assertTrue(live.body().contains("\"status\":\"UP\""), live.body());
    }

    @Test
    void shouldRefuseEachRouteToEveryClientWithoutItsRole() throws Exception
    {
        final Map<String, String> roleOfRoute = Map.of(
            "/v1/check", "checker", "/v1/scrub", "scrubber", "/v1/optouts", "optouter",
            "/v1/reconcile", "reconciler", "/v1/brands", "admin", "/metrics", "admin", "/health/ready", "admin");
        for (final Request request : allRoutes())
        {
            final String path = request.path.substring(0, request.path.indexOf('?') < 0 ? request.path.length() :
                request.path.indexOf('?'));
            for (final String client : TOKENS.keySet())
            {
                if (!client.equals(roleOfRoute.get(path)))
                {
                    final HttpResponse<String> response = send(request, TOKENS.get(client));
                    assertEquals(403, response.statusCode(), request + " by " + client);
                    assertTrue(response.body().contains("\"error\":\"forbidden\""), response.body());
                }
            }
        }
    }

    @Test
    void shouldAnswerTheClientsOwnBrandAndForbidAnother() throws Exception
    {
        final HttpResponse<String> own = send(new Request("GET", "/v1/check?" + OWN +
            "&channel=MESAJ&recipient=05321111111", null), TOKENS.get("checker"));
        assertEquals(200, own.statusCode());
        assertTrue(own.body().contains("\"reason\":\"CONSENT\""), own.body());
        assertEquals(403, send(new Request("GET", "/v1/check?" + OTHER + "&channel=MESAJ&recipient=05321111111",
            null), TOKENS.get("checker")).statusCode());
        assertEquals(403, send(new Request("GET", "/v1/check?" + OWN + "&" + OTHER +
            "&channel=MESAJ&recipient=05321111111", null), TOKENS.get("checker")).statusCode(),
            "every brand named must be the client's");
        assertEquals(403, send(new Request("POST", "/v1/scrub?" + OTHER + "&channel=MESAJ", "05321111111\n"),
            TOKENS.get("scrubber")).statusCode());
        assertEquals(403, send(new Request("GET", "/v1/optouts?" + OTHER, null), TOKENS.get("optouter"))
            .statusCode());
        assertEquals(200, send(new Request("GET", "/v1/optouts?" + OWN, null), TOKENS.get("optouter"))
            .statusCode());
        assertEquals(403, send(new Request("POST", "/v1/optouts", "{\"brand\":" + Fixtures.STALE_BRAND +
            ",\"channel\":\"MESAJ\",\"recipient\":\"+905329990000\"}"), TOKENS.get("optouter")).statusCode(),
            "the brand in an opt-out's body");
        assertEquals(403, send(new Request("POST", "/v1/reconcile?" + OTHER + "&date=2020-10-29", ""),
            TOKENS.get("reconciler")).statusCode());
        final HttpResponse<String> scrub = send(new Request("POST", "/v1/scrub?" + OWN + "&channel=MESAJ",
            "05321111111\n05322222222\n"), TOKENS.get("scrubber"));
        assertEquals(200, scrub.statusCode());
        assertEquals("05321111111,ALLOW,CONSENT\n05322222222,DENY,REJECTED\n", scrub.body());

        final String metrics = send(new Request("GET", "/metrics", null), TOKENS.get("admin")).body();
        assertTrue(metrics.contains("iys_client_decisions_total{client=\"checker\",verdict=\"ALLOW\"}"), metrics);
        assertTrue(metrics.contains("iys_client_decisions_total{client=\"scrubber\",verdict=\"DENY\"}"), metrics);
        assertTrue(metrics.contains("iys_client_refusals_total{client=\"checker\",reason=\"forbidden\"}"), metrics);
        assertTrue(metrics.contains("iys_client_refusals_total{client=\"unknown\",reason=\"unauthorised\"}"),
            metrics);
        assertTrue(metrics.contains("iys_decisions_total{endpoint=\"http\""), "the old names stay");
    }

    @Test
    void shouldSlowAScrubToItsClientsRateWithoutFailingIt() throws Exception
    {
        final int rows = 20_000;
        final StringBuilder body = new StringBuilder();
        for (int i = 0; i < rows; i++)
        {
            body.append(Fixtures.bulkPhone(i % Fixtures.BULK)).append('\n');
        }
        final long startNs = System.nanoTime();
        final HttpResponse<String> response = send(new Request("POST", "/v1/scrub?" + OWN + "&channel=MESAJ",
            body.toString()), TOKENS.get("scrubber"));
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertEquals(200, response.statusCode());
        assertEquals(rows, response.body().lines().count(), "every row answered");
        // 20,000 rows at 5,000 a second, one second's burst free and the last read's rows (at most 64 KiB, about
        // 4,700 of these) answered before any wait: at least about two seconds, where unthrottled it takes tens of ms
        assertTrue(elapsedMs >= 1_500, "scrubbed 20,000 rows in " + elapsedMs + " ms at 5,000 rows a second");
    }

    @Test
    void shouldRefuseASourcePastItsFailureLimitEvenWithAGoodToken() throws Exception
    {
        final Path otherData = Files.createTempDirectory(confDir, "limit");
        Fixtures.write(otherData);
        try (FilterServer limited = FilterServer.start(Fixtures.context(otherData)
            .clientsFile(confDir.resolve("clients.conf")).authFailureLimit(3)))
        {
            final String check = "http://127.0.0.1:" + limited.httpPort() + "/v1/check?" + OWN +
                "&channel=MESAJ&recipient=05321111111";
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(check))
                .header("Authorization", "Bearer " + TOKENS.get("checker")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
            for (int i = 0; i < 3; i++)
            {
                assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(check))
                    .header("Authorization", "Bearer wrong" + i).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
            }
            final HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(check))
                .header("Authorization", "Bearer " + TOKENS.get("checker")).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(401, refused.statusCode(), "past the limit a good token is not even looked at");
            assertTrue(refused.body().contains("too many failed attempts"), refused.body());
        }
    }

    private record Request(String method, String path, String body)
    {
    }

    private static List<Request> allRoutes()
    {
        return List.of(
            new Request("GET", "/v1/check?" + OWN + "&channel=MESAJ&recipient=05321111111", null),
            new Request("POST", "/v1/scrub?" + OWN + "&channel=MESAJ", "05321111111\n"),
            new Request("GET", "/v1/optouts?" + OWN, null),
            new Request("POST", "/v1/optouts", "{\"brand\":" + Fixtures.BRAND +
                ",\"channel\":\"MESAJ\",\"recipient\":\"+905329990001\"}"),
            new Request("POST", "/v1/reconcile?" + OWN + "&date=2020-10-29", ""),
            new Request("GET", "/v1/brands", null),
            new Request("GET", "/metrics", null),
            new Request("GET", "/health/ready", null));
    }

    private static HttpResponse<String> send(final Request request, final String token) throws Exception
    {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + request.path))
            .method(request.method, request.body == null ? HttpRequest.BodyPublishers.noBody() :
                HttpRequest.BodyPublishers.ofString(request.body, StandardCharsets.UTF_8));
        if (token != null)
        {
            builder.header("Authorization", token.startsWith("Basic ") ? token : "Bearer " + token);
        }
        return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }
}
