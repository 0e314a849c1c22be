package io.iysfilter.server;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server holding one damaged brand: that brand answers DENY INDEX_DAMAGED on every endpoint, readiness and metrics
 * name it, and the other brands serve as before.
 */
@Timeout(60)
class IndexDamagedIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;

    @Test
    void aBrandWithAMissingMapFileIsDeniedNamedAndCountedWhileTheOthersServe() throws Exception
    {
        // with an opt-out log, whose replay at start must not keep the server (and the other brands) from starting
        Fixtures.write(dataDir);
        try (FilterServer first = FilterServer.start(Fixtures.context(dataDir)))
        {
            final HttpResponse<String> optOut = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
                first.httpPort() + "/v1/optouts")).POST(HttpRequest.BodyPublishers.ofString("{\"brand\":600001," +
                "\"channel\":\"MESAJ\",\"recipient\":\"05329990001\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, optOut.statusCode(), "the brand holds an opt-out log: " + optOut.body());
        }
        Files.delete(dataDir.resolve("brands").resolve(Long.toString(Fixtures.BRAND)).resolve("email.cmap"));
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir));
            FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            final CheckResult damaged = client.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, Fixtures.CONSENTED);
            assertEquals(Verdict.DENY, damaged.verdict(), "an ONAY in a damaged brand is no consent");
            assertEquals(Reason.INDEX_DAMAGED, damaged.reason());
            assertEquals(Reason.EXEMPT, client.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.TRANSACTIONAL, Fixtures.CONSENTED).reason());
            assertEquals(Reason.STALE, client.checkBlocking(Fixtures.STALE_BRAND, Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason(),
                "the other brand is opened, verified and judged on its own");

            final HttpResponse<String> check = get(server, "/v1/check?brand=600001&channel=MESAJ&recipient=" +
                Fixtures.CONSENTED.replace("+", "%2B"));
            assertTrue(check.body().contains("\"verdict\":\"DENY\",\"reason\":\"INDEX_DAMAGED\""), check.body());

            final HttpResponse<String> ready = get(server, "/health/ready");
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("{\"brand\":600001,\"reason\":\"INDEX_DAMAGED: map file missing or " +
                "empty: email.cmap"), ready.body());

            final HttpResponse<String> brands = get(server, "/v1/brands");
            assertTrue(brands.body().contains("\"state\":\"INDEX_DAMAGED\",\"damage\":\"map file missing or empty: " +
                "email.cmap"), brands.body());

            final Map<String, Double> metrics = Scrape.series(server.httpPort());
            assertEquals(1.0, metrics.get("iys_index_damaged{brand=\"600001\"}"), metrics.toString());
            assertEquals(0.0, metrics.get("iys_index_damaged{brand=\"600002\"}"));
            assertEquals(1.0, metrics.get("iys_index_damaged_brands"));
            assertEquals(0.0, metrics.get("iys_index_verifying{brand=\"600002\"}"));
        }
        assertTrue(!Files.exists(dataDir.resolve("brands").resolve(Long.toString(Fixtures.BRAND))
            .resolve("email.cmap")), "never recreated empty");
    }

    private static HttpResponse<String> get(final FilterServer server, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path)).GET()
            .build(), HttpResponse.BodyHandlers.ofString());
    }
}
