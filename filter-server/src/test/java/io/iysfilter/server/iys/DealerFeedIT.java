package io.iysfilter.server.iys;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.BatchEntry;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dealer decisions end to end (issue 18): the emulator serves retailerCode and retailerAccess in its change feed, the
 * server follows it, and a dealer's check over the binary protocol and HTTP is answered from the lists it read.
 */
@Timeout(60)
class DealerFeedIT
{
    private static final long IYS_CODE = 700_001;
    private static final long TRUSTED = 600_001;
    private static final long UNTRUSTED = 600_002;
    private static final long COLLECTOR = 11_223_344L;
    private static final long DEALER = 22_233_344L;
    private static final long OTHER_DEALER = 44_222_419L;
    private static final String PHONE = "+905329990101";

    @TempDir
    Path dataDir;

    private IysEmulator emulator;
    private FilterServer server;

    @AfterEach
    void stop()
    {
        if (server != null)
        {
            server.close();
        }
        if (emulator != null)
        {
            emulator.close();
        }
    }

    @Test
    void shouldAnswerADealerFromTheRetailerAccessTheFeedServed() throws Exception
    {
        start();
        emulator.change(TRUSTED, "HS", PHONE, "BIREYSEL", "MESAJ", "ONAY", COLLECTOR, List.of(DEALER));
        emulator.change(UNTRUSTED, "HS", PHONE, "BIREYSEL", "MESAJ", "ONAY", COLLECTOR, List.of(DEALER));
        server.feed().nextCompletePoll(TRUSTED).get();
        server.feed().nextCompletePoll(UNTRUSTED).get();

        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertEquals(Reason.DEALER_ACCESS, check(client, TRUSTED, DEALER).reason());
            assertTrue(check(client, TRUSTED, DEALER).allowed());
            assertEquals(Reason.DEALER_NOT_AUTHORISED, check(client, TRUSTED, OTHER_DEALER).reason());
            assertEquals(Reason.DEALER_NOT_AUTHORISED, check(client, TRUSTED, COLLECTOR).reason(),
                "the dealer that collected the consent is not given access by that alone");
            assertEquals(Reason.CONSENT, check(client, TRUSTED, FilterClient.NO_DEALER).reason());
            assertEquals(Reason.DEALER_ACCESS_UNKNOWN, check(client, UNTRUSTED, DEALER).reason(),
                "a brand not in dealer-access-trust-feed fails closed");
            assertEquals(Reason.CONSENT, check(client, UNTRUSTED, FilterClient.NO_DEALER).reason());
            final List<CheckResult> batch = client.checkBatch(TRUSTED, DEALER, List.of(
                new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE),
                new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "+905329990102")))
                .get();
            assertEquals(Reason.DEALER_ACCESS, batch.get(0).reason());
            assertEquals(Reason.NO_CONSENT, batch.get(1).reason());

            assertTrue(http(TRUSTED, DEALER).body().contains("\"reason\":\"DEALER_ACCESS\""));
            assertTrue(http(TRUSTED, OTHER_DEALER).body().contains("\"reason\":\"DEALER_NOT_AUTHORISED\""));
            final HttpResponse<String> bad = get("/v1/check?brand=" + TRUSTED + "&channel=MESAJ&recipient=" +
                PHONE.replace("+", "%2B") + "&dealer=bayi");
            assertEquals(400, bad.statusCode(), bad.body());
            assertTrue(bad.body().contains("dealer"), bad.body());

            // access moves to another dealer with a newer ONAY: the first loses it at the next poll
            emulator.change(TRUSTED, "HS", PHONE, "BIREYSEL", "MESAJ", "ONAY", COLLECTOR, List.of(OTHER_DEALER));
            server.feed().nextCompletePoll(TRUSTED).get();
            assertEquals(Reason.DEALER_NOT_AUTHORISED, check(client, TRUSTED, DEALER).reason());
            assertEquals(Reason.DEALER_ACCESS, check(client, TRUSTED, OTHER_DEALER).reason());

            // the citizen says RET: no dealer may send, whatever the list said
            emulator.change(TRUSTED, "IYS", PHONE, "BIREYSEL", "MESAJ", "RET");
            server.feed().nextCompletePoll(TRUSTED).get();
            assertEquals(Reason.REJECTED, check(client, TRUSTED, OTHER_DEALER).reason());
            assertEquals(Reason.REJECTED, check(client, TRUSTED, FilterClient.NO_DEALER).reason());
        }
    }

    private void start() throws Exception
    {
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(TRUSTED, UNTRUSTED), 20, 7,
            "iys-user", "secret", 0, 7_200_000));
        final FeedSettings feed = FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user",
            "secret", List.of(TRUSTED, UNTRUSTED), 50, 64, 0, true);
        server = FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000).withDealerAccessTrusted(brand -> brand == TRUSTED))
            .feed(feed));
        server.feed().nextCompletePoll(TRUSTED).get();
        server.feed().nextCompletePoll(UNTRUSTED).get();
    }

    private static CheckResult check(final FilterClient client, final long brand, final long dealer)
    {
        return client.check(brand, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE, dealer)
            .join();
    }

    private HttpResponse<String> http(final long brand, final long dealer) throws Exception
    {
        final HttpResponse<String> response = get("/v1/check?brand=" + brand + "&channel=MESAJ&recipient=" +
            PHONE.replace("+", "%2B") + "&dealer=" + dealer);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"dealer\":" + dealer), response.body());
        return response;
    }

    private HttpResponse<String> get(final String pathAndQuery) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + pathAndQuery)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
