package io.iysfilter.server.iys;

import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dealer access changed through İYS's access calls, which the change feed never shows: the emulator removes and
 * adds access without a movement, and only a refresh from İYS's access-list call tells the server. A list read so is
 * decided on only while fresh ({@code dealer-access-fresh-for}); a list that came with the record, or one read
 * longer ago, answers DEALER_ACCESS_UNKNOWN, never an ALLOW the server cannot vouch for.
 */
class DealerAccessRefreshIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final long DEALER = 22_233_344L;
    private static final long OTHER_DEALER = 44_222_419L;
    private static final String PHONE = "+905559990001";
    private static final long FRESH_FOR_MS = TimeUnit.HOURS.toMillis(1);

    @TempDir
    Path dir;

    @Test
    void shouldDecideADealerOnlyOnAFreshAccessListAndSeeAccessRemovedAndAddedOutsideTheFeed() throws Exception
    {
        try (IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 10, 42,
                "iys-user", "secret", 0, 7_200_000));
            FilterServer server = FilterServer.start(new FilterServer.Context()
                .dataDirectory(dir.resolve("server"))
                .binaryPort(0)
                .httpPort(0)
                .milterPort(-1)
                .ioThreads(1)
                .policy(FilterPolicy.DEFAULT)
                .indexOptions(TestKeys.options(10_000).withDealerAccessFreshFor((brand) -> brand == BRAND ?
                    FRESH_FOR_MS : 0))
                .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret",
                    List.of(BRAND), 50, 64, 0, true)));
            FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            emulator.retailer(BRAND, OTHER_DEALER);
            emulator.change(BRAND, "HS", PHONE, "BIREYSEL", "MESAJ", "ONAY", null, List.of(DEALER));
            server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
            assertEquals(Reason.DEALER_ACCESS_UNKNOWN, check(client, DEALER),
                "a list that came with the record is not known fresh for a brand that does not trust the feed");
            assertEquals(Reason.CONSENT, check(client, FilterClient.NO_DEALER));

            final DealerAccessRefresh.Report first = refresh(server, System::currentTimeMillis,
                "# recipient,recipientType,type\n" + PHONE + ",BIREYSEL,MESAJ\n+905559990002,MESAJ\nnot a line\n");
            assertEquals(1, first.refreshed(), first.toString());
            assertEquals(1, first.noRecord(), first.toString());
            assertEquals(1, first.rejected(), first.toString());
            assertEquals(Reason.DEALER_ACCESS, check(client, DEALER), "read from İYS just now");
            assertEquals(Reason.DEALER_NOT_AUTHORISED, check(client, OTHER_DEALER));

            // removed through İYS's access call: no movement, the feed shows nothing
            final long movements = emulator.movements(BRAND).size();
            final String token = token(emulator);
            assertEquals(202, call(emulator, token, "POST", "consents/retailer/access/remove",
                "{\"recipients\":[\"" + PHONE + "\"],\"recipientType\":\"BIREYSEL\",\"type\":\"MESAJ\"," +
                "\"retailerAccess\":[" + DEALER + "]}"));
            assertEquals(List.of(), emulator.access(BRAND, PHONE, "BIREYSEL", "MESAJ"));
            assertEquals(movements, emulator.movements(BRAND).size(), "an access call makes no movement");
            server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
            assertEquals(Reason.DEALER_ACCESS, check(client, DEALER), "within the window, the limit: the feed " +
                "cannot tell, so the list read an instant ago still answers");

            // a list read longer ago than dealer-access-fresh-for vouches for nothing
            assertEquals(1, refresh(server, () -> System.currentTimeMillis() - FRESH_FOR_MS - 60_000,
                PHONE + ",BIREYSEL,MESAJ\n").refreshed());
            assertEquals(Reason.DEALER_ACCESS_UNKNOWN, check(client, DEALER), "past the window: not an ALLOW");
            assertEquals(Reason.DEALER_ACCESS_UNKNOWN, check(client, OTHER_DEALER));
            // a read time ahead of this clock by more than max-future-skew (5 minutes) but within the window is a
            // clock fault: taken as read, the list would decide for up to twice the window
            assertEquals(1, refresh(server, () -> System.currentTimeMillis() + FRESH_FOR_MS / 2,
                PHONE + ",BIREYSEL,MESAJ\n").refreshed());
            assertEquals(Reason.DEALER_ACCESS_UNKNOWN, check(client, OTHER_DEALER), "a read time from the future");

            refresh(server, System::currentTimeMillis, PHONE + ",BIREYSEL,MESAJ\n");
            assertEquals(Reason.DEALER_NOT_AUTHORISED, check(client, DEALER), "the removal, once read");

            assertEquals(200, call(emulator, token, "POST", "consents/retailers/access",
                "{\"recipients\":[\"" + PHONE + "\"],\"recipientType\":\"BIREYSEL\",\"type\":\"MESAJ\"," +
                "\"retailerAccess\":[" + OTHER_DEALER + "]}"));
            // as iys-filter reconcile --recipients sends it
            final HttpResponse<String> refreshed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/reconcile?brand=" + BRAND +
                "&dealers=true&rate=10")).POST(HttpRequest.BodyPublishers.ofString(PHONE + ",BIREYSEL,MESAJ\n"))
                .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, refreshed.statusCode(), refreshed.body());
            assertTrue(refreshed.body().contains("\"refreshed\":1,"), refreshed.body());
            assertEquals(Reason.DEALER_ACCESS, check(client, OTHER_DEALER), "the access added, once read");
            assertEquals(Reason.DEALER_NOT_AUTHORISED, check(client, DEALER));

            assertEquals(202, call(emulator, token, "POST", "consents/retailers/access/remove/all",
                "{\"recipients\":[\"" + PHONE + "\"],\"recipientType\":\"BIREYSEL\",\"type\":\"MESAJ\"}"));
            refresh(server, System::currentTimeMillis, PHONE + ",BIREYSEL,MESAJ\n");
            assertEquals(Reason.DEALER_NOT_AUTHORISED, check(client, OTHER_DEALER), "nobody, known fresh");

            assertEquals(403, call(emulator, token, "POST", "consents/retailers/access",
                "{\"recipients\":[\"" + PHONE + "\"],\"recipientType\":\"BIREYSEL\",\"type\":\"MESAJ\"," +
                "\"retailerAccess\":[99]}"), "H180: a dealer İYS does not know");

            emulator.change(BRAND, "IYS", PHONE, "BIREYSEL", "MESAJ", "RET");
            server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
            assertEquals(Reason.REJECTED, check(client, OTHER_DEALER));
            final DealerAccessRefresh.Report afterRet = refresh(server, System::currentTimeMillis,
                PHONE + ",BIREYSEL,MESAJ\n");
            assertEquals(1, afterRet.notOnay(), "a RET is not asked about: " + afterRet);
            assertEquals(0, afterRet.calls(), afterRet.toString());
        }
    }

    private static DealerAccessRefresh.Report refresh(final FilterServer server, final LongSupplier clockMs,
        final String lines) throws Exception
    {
        return new DealerAccessRefresh(server.store(), server.ingest(), server.feed()::accessList, clockMs)
            .refresh(BRAND, new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)), 20);
    }

    private static Reason check(final FilterClient client, final long dealer)
    {
        return client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE,
            dealer).reason();
    }

    private static String token(final IysEmulator emulator) throws Exception
    {
        final HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(emulator.baseUrl() + "/oauth2/token")).POST(HttpRequest.BodyPublishers.ofString(
            "{\"username\":\"iys-user\",\"password\":\"secret\",\"grant_type\":\"password\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        final Matcher token = Pattern.compile("\"access_token\":\"([0-9a-f]+)\"").matcher(response.body());
        assertTrue(token.find(), response.body());
        return token.group(1);
    }

    private static int call(final IysEmulator emulator, final String token, final String method, final String path,
        final String body) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(emulator.baseUrl() + "/sps/" +
            IYS_CODE + "/brands/" + BRAND + "/" + path)).header("Authorization", "Bearer " + token)
            .method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
