package io.iysfilter.server;

import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binary port, {@code /v1/check} and {@code /v1/scrub} decide through the same parser and rules, so the corners
 * PROTOCOL.md states must come out the same on each: which blanks are trimmed from a recipient and which control
 * characters refuse it (§4, with the one difference it states for scrub rows), and which reason wins for a
 * TRANSACTIONAL message to an unknown or unready brand (§3).
 */
@Timeout(60)
class SharedDecisionRulesIT
{
    private static final long UNKNOWN_BRAND = 999_999;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dataDir;
    private static FilterServer server;
    private static FilterClient client;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
        client = FilterClient.connect("127.0.0.1", server.binaryPort());
    }

    @AfterAll
    static void stop()
    {
        client.close();
        server.close();
    }

    @Test
    void shouldTrimOnlySpaceTabCrAndLfAtTheEndsOnEveryDoor() throws Exception
    {
        final String consented = Fixtures.CONSENTED;
        final Map<String, String> expected = new LinkedHashMap<>();
        expected.put("\t" + consented, "CONSENT");
        expected.put(" \t" + consented + " ", "CONSENT");
        expected.put(consented + "\r", "CONSENT");
        expected.put("+90532\u00001111111", "INVALID_RECIPIENT");
        expected.put("\u0000" + consented, "INVALID_RECIPIENT");
        expected.put(consented + "\u007f", "INVALID_RECIPIENT");
        expected.put("\u000b" + consented, "INVALID_RECIPIENT");
        expected.put("+90532\t1111111", "INVALID_RECIPIENT");
        final List<String> scrubbed = scrub(Fixtures.BRAND, "COMMERCIAL", new ArrayList<>(expected.keySet()));
        int row = 0;
        for (final Map.Entry<String, String> corner : expected.entrySet())
        {
            final String recipient = corner.getKey();
            final String what = "recipient " + recipient.chars().mapToObj(c -> String.format("%02x", c)).toList();
            assertEquals(corner.getValue(), binary(Fixtures.BRAND, MessageKind.COMMERCIAL, recipient), what);
            assertEquals(corner.getValue(), check(Fixtures.BRAND, "COMMERCIAL", recipient), what);
            // A scrub row is a CSV field first, and cutting the field strips every control character at its ends
            // (PROTOCOL.md §4 says so): NUL and VT there are gone before the parser sees the number.
            final boolean cutByCsv = recipient.charAt(0) < ' ' && recipient.charAt(0) != '\t' &&
                recipient.trim().equals(consented);
            assertEquals(cutByCsv ? "CONSENT" : corner.getValue(), scrubbed.get(row++), what);
        }

        final String padded = consented + " ".repeat(255 - consented.length());
        assertEquals("INVALID_RECIPIENT", check(Fixtures.BRAND, "COMMERCIAL", padded),
            "255 bytes as sent, as a length byte of 255 on the binary port (BinaryFrameHandlerTest)");
        assertEquals("CONSENT", check(Fixtures.BRAND, "COMMERCIAL", padded.substring(1)));
    }

    @Test
    void shouldRefuseAnUnknownBrandBeforeTheExemptionOnEveryDoor() throws Exception
    {
        assertEquals("UNKNOWN_BRAND", binary(UNKNOWN_BRAND, MessageKind.TRANSACTIONAL, Fixtures.CONSENTED));
        assertEquals("UNKNOWN_BRAND", check(UNKNOWN_BRAND, "TRANSACTIONAL", Fixtures.CONSENTED));
        assertEquals(List.of("UNKNOWN_BRAND"), scrub(UNKNOWN_BRAND, "TRANSACTIONAL", List.of(Fixtures.CONSENTED)));

        assertEquals("EXEMPT", binary(Fixtures.STALE_BRAND, MessageKind.TRANSACTIONAL, Fixtures.CONSENTED),
            "a stale brand is known: the exemption reads nothing from its data");
        assertEquals("EXEMPT", check(Fixtures.STALE_BRAND, "TRANSACTIONAL", Fixtures.CONSENTED));
        assertEquals(List.of("EXEMPT"), scrub(Fixtures.STALE_BRAND, "TRANSACTIONAL", List.of(Fixtures.CONSENTED)));
        assertEquals("STALE", check(Fixtures.STALE_BRAND, "COMMERCIAL", Fixtures.CONSENTED));

        assertEquals("INVALID_RECIPIENT", binary(UNKNOWN_BRAND, MessageKind.TRANSACTIONAL, "not an address"),
            "the address is checked before the brand");
        final HttpResponse<String> brandZero = get("/v1/check?brand=0&channel=MESAJ&kind=TRANSACTIONAL&recipient=" +
            Fixtures.CONSENTED.replace("+", "%2B"));
        assertEquals(400, brandZero.statusCode(), "brand 0 is an invalid request, whatever the kind");
    }

    private static String binary(final long brand, final MessageKind kind, final String recipient)
    {
        return client.checkBlocking(brand, Channel.MESAJ, RecipientType.BIREYSEL, kind, recipient).reason().name();
    }

    private static String check(final long brand, final String kind, final String recipient) throws Exception
    {
        final HttpResponse<String> response = get("/v1/check?brand=" + brand + "&channel=MESAJ&recipientType=BIREYSEL" +
            "&kind=" + kind + "&recipient=" + URLEncoder.encode(recipient, StandardCharsets.UTF_8).replace("+", "%20"));
        assertEquals(200, response.statusCode(), response.body());
        final String body = response.body();
        final int at = body.indexOf("\"reason\":\"") + "\"reason\":\"".length();
        return body.substring(at, body.indexOf('"', at));
    }

    private static List<String> scrub(final long brand, final String kind, final List<String> rows) throws Exception
    {
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
            server.httpPort() + "/v1/scrub?brand=" + brand + "&channel=MESAJ&recipientType=BIREYSEL&kind=" + kind))
            .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", rows) + "\n")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        final List<String> reasons = new ArrayList<>();
        for (final String line : response.body().split("\n"))
        {
            reasons.add(line.substring(line.lastIndexOf(',') + 1));
        }
        assertEquals(rows.size(), reasons.size(), response.body());
        assertTrue(reasons.stream().noneMatch(String::isEmpty), response.body());
        return reasons;
    }

    private static HttpResponse<String> get(final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path)).GET()
            .build(), HttpResponse.BodyHandlers.ofString());
    }
}
