package io.iysfilter.server.iys;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.Change;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Scrape;
import io.iysfilter.server.decision.FilterPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server following the İYS emulator's change feed.
 */
@Timeout(60)
class FeedIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final int RECIPIENTS = 300;

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

    private void emulate(final long tokenTtlMs) throws Exception
    {
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), RECIPIENTS, 3,
            "iys-user", "secret", 0, tokenTtlMs));
    }

    @Test
    void shouldBackOffOnServerErrorsAndRateLimitsThenCatchUp() throws Exception
    {
        emulate(7_200_000);
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        emulator.change(BRAND, "HS", "+905329990002", "BIREYSEL", "MESAJ", "ONAY");

        emulator.inject(IysEmulator.Fault.SERVER_ERROR, 1);
        FeedService.BrandStatus status = awaitBackingOff();
        assertTrue(status.lastError().contains("status=500"), status.lastError());
        server.feed().nextCompletePoll(BRAND).get();
        assertEquals("FOLLOWING", server.feed().status(BRAND).state());

        emulator.inject(IysEmulator.Fault.TOO_MANY_REQUESTS, 1);
        status = awaitBackingOff();
        final long throttledMs = System.currentTimeMillis();
        assertTrue(status.lastError().contains("status=429"), status.lastError());
        server.feed().nextCompletePoll(BRAND).get();
        assertTrue(System.currentTimeMillis() - throttledMs >= 900, "Retry-After: 1 is honoured");
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertEquals(Reason.CONSENT, check(client, "+905329990002").reason());
        }
    }

    /**
     * Polls run back to back, so the injected fault may hit the poll already running: wait, boundedly, for the
     * attempt that failed. A failed attempt is followed by at least half a second of back-off, so its state holds.
     */
    private FeedService.BrandStatus awaitBackingOff() throws Exception
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            server.feed().nextPollAttempt(BRAND).get();
            final FeedService.BrandStatus status = server.feed().status(BRAND);
            if ("BACKING_OFF".equals(status.state()))
            {
                return status;
            }
        }
        throw new AssertionError("no poll failed");
    }

    @Test
    void shouldQuarantineAMalformedPageAndAnInvalidRecordAndApplyTheRest() throws Exception
    {
        emulate(7_200_000);
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        final Path quarantine = dataDir.resolve("brands/" + BRAND + "/quarantine.log");

        emulator.inject(IysEmulator.Fault.MALFORMED_JSON, 1);
        server.feed().nextPollAttempt(BRAND).get();
        assertTrue(Files.readString(quarantine).contains("reason=malformed JSON page"));
        server.feed().nextCompletePoll(BRAND).get();

        emulator.change(BRAND, "HS", "+905329990003", "BIREYSEL", "MESAJ", "ONAY");
        emulator.change(BRAND, "HS", "+905329990004", "BIREYSEL", "MESAJ", "ONAY");
        emulator.inject(IysEmulator.Fault.INVALID_RECORD, 1);
        server.feed().nextCompletePoll(BRAND).get();
        final String log = Files.readString(quarantine);
        assertTrue(log.contains("reason=invalid status: 'RED'") && log.contains("+90532*****03") &&
            !log.contains("+905329990003"), "the record is kept, its recipient masked (log-recipients): " + log);
        assertTrue(server.feed().status(BRAND).quarantined() >= 2);
        final String scrape = Scrape.text(server.httpPort());
        assertTrue(scrape.contains("iys_feed_quarantined_total{brand=\"" + BRAND + "\"} " +
            (double)server.feed().status(BRAND).quarantined()), scrape);
        for (final String meter : List.of("iys_feed_watermark_age_seconds", "iys_feed_polls_total",
            "iys_feed_records_total", "iys_feed_backing_off", "iys_feed_needs_rebootstrap"))
        {
            assertTrue(scrape.contains(meter + "{brand=\"" + BRAND + "\"} "), meter);
        }
        for (final String source : List.of("HS", "IYS"))
        {
            final String labels = "{brand=\"" + BRAND + "\",source=\"" + source + "\"} ";
            assertTrue(scrape.contains("iys_feed_source_lag_seconds" + labels), source);
            final int at = scrape.indexOf("iys_feed_pages_total" + labels);
            assertTrue(at >= 0 && Double.parseDouble(scrape.substring(at + ("iys_feed_pages_total" + labels).length(),
                scrape.indexOf('\n', at))) >= 3, "at least three complete polls, each ends on an empty page");
        }
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertEquals(Reason.CONSENT, check(client, "+905329990004").reason(), "the rest of the page applied");
            assertEquals(Reason.NO_CONSENT, check(client, "+905329990003").reason(), "never a guess: quarantined");
        }
    }

    @Test
    void shouldBackOffNotNeedReBootstrapWhenIysIsBusyOrForbids() throws Exception
    {
        emulate(7_200_000);
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        for (final IysEmulator.Fault fault : List.of(IysEmulator.Fault.SERVICE_BUSY, IysEmulator.Fault.FORBIDDEN))
        {
            emulator.inject(fault, 1, "HS");
            final FeedService.BrandStatus status = awaitBackingOff();
            assertTrue(status.lastError().contains(fault == IysEmulator.Fault.SERVICE_BUSY ? "status=400" :
                "status=403"), status.lastError());
            assertEquals("FOLLOWING", status.sources().get("HS").state(), "a 4xx about no cursor loses none");
            server.feed().nextCompletePoll(BRAND).get();
            assertEquals("FOLLOWING", server.feed().status(BRAND).state());
        }
    }

    @Test
    void shouldNeedReBootstrapWhenACursorIsRefusedYetKeepFollowingTheOtherSource() throws Exception
    {
        emulate(7_200_000);
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        final long watermarkMs = server.feed().status(BRAND).watermarkMs();
        assertEquals(200, ready().statusCode(), "following, fresh: ready");
        emulator.inject(IysEmulator.Fault.EXPIRED_CURSOR, 1_000, "HS");
        FeedService.BrandStatus status = awaitState("NEEDS_REBOOTSTRAP");
        assertTrue(status.lastError().contains("refused the HS cursor"), status.lastError());
        final long hsRequests = emulator.changesRequests("HS");
        final long iysRequests = emulator.changesRequests("IYS");

        final String phone = "+905329990007";
        emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
        for (int attempt = 0; attempt < 3; attempt++)
        {
            server.feed().nextPollAttempt(BRAND).get();
        }
        status = server.feed().status(BRAND);
        assertEquals("NEEDS_REBOOTSTRAP", status.state());
        assertEquals(hsRequests, emulator.changesRequests("HS"), "the refused cursor is not offered every poll");
        assertTrue(emulator.changesRequests("IYS") >= iysRequests + 3, "the other source is polled as before");
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertEquals(Reason.REJECTED, check(client, phone).reason(), "a citizen's RET still applies");
        }
        assertEquals(watermarkMs, status.watermarkMs(), "the watermark stops: answers go STALE past the bound");
        final FeedService.SourceStatus hs = status.sources().get("HS");
        assertEquals("CURSOR_LOST", hs.state());
        assertEquals("H400", hs.lostCode());
        assertTrue(hs.nextRetryMs() - hs.lostSinceMs() >= BrandFeed.LOST_RETRY_MS, "retried in an hour");
        assertEquals("FOLLOWING", status.sources().get("IYS").state());

        final HttpResponse<String> notReady = ready();
        assertEquals(503, notReady.statusCode(), "a brand that cannot follow its feed takes the server out");
        assertTrue(notReady.body().contains("{\"brand\":" + BRAND + ",\"reason\":\"feed NEEDS_REBOOTSTRAP"),
            notReady.body());
        final String brands = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/brands")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(brands.contains("\"HS\":{\"state\":\"CURSOR_LOST\"") && brands.contains("\"code\":\"H400\"") &&
            brands.contains("\"nextRetry\":\"") && brands.contains("\"IYS\":{\"state\":\"FOLLOWING\""), brands);
    }

    /**
     * Wait, boundedly, for a poll attempt that leaves the brand in a state.
     */
    private FeedService.BrandStatus awaitState(final String state) throws Exception
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            server.feed().nextPollAttempt(BRAND).get();
            final FeedService.BrandStatus status = server.feed().status(BRAND);
            if (state.equals(status.state()))
            {
                return status;
            }
        }
        throw new AssertionError("never " + state + ": " + server.feed().status(BRAND));
    }

    private HttpResponse<String> ready() throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + "/health/ready")).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldRefreshTokensAndRecoverFromARevokedOne() throws Exception
    {
        emulate(60_000);
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        server.feed().nextCompletePoll(BRAND).get();
        assertEquals(1, emulator.grants("password"), "logged in once");
        assertTrue(emulator.grants("refresh_token") >= 1, "then refreshed a minute before expiry");

        emulator.revokeAccessTokens();
        server.feed().nextCompletePoll(BRAND).get();
        assertEquals("FOLLOWING", server.feed().status(BRAND).state(), "a 401 refreshes the token and retries");
    }

    private FilterServer start() throws Exception
    {
        final FeedSettings feed = FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user",
            "secret", List.of(BRAND), 50, 64, 0, true);
        return FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000))
            .feed(feed));
    }

    @Test
    void shouldMirrorTheFeedAndEnforceARetAfterTheNextPoll() throws Exception
    {
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), RECIPIENTS, 42,
            "iys-user", "secret", 0, 7_200_000));
        server = start();
        final long beforePollMs = System.currentTimeMillis();
        server.feed().nextCompletePoll(BRAND).get();

        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertMirrorsTruth(client);
            final FeedService.BrandStatus status = server.feed().status(BRAND);
            assertEquals("FOLLOWING", status.state());
            assertEquals(emulator.movements(BRAND).size(), status.received(), "every movement, over several pages");
            assertTrue(status.watermarkMs() >= beforePollMs, "the watermark is the start of the complete poll");
            assertTrue(status.sources().get("HS").cursor().contains("_") &&
                status.sources().get("IYS").cursor().contains("_"), status.sources().toString());
            final HttpResponse<String> ready = ready();
            assertEquals(200, ready.statusCode(), ready.body());

            final String phone = "+905329990001";
            emulator.change(BRAND, "HS", phone, "BIREYSEL", "MESAJ", "ONAY");
            server.feed().nextCompletePoll(BRAND).get();
            assertEquals(Reason.CONSENT, check(client, phone).reason());

            emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
            final long retMs = System.currentTimeMillis();
            server.feed().nextCompletePoll(BRAND).get();
            final CheckResult afterRet = check(client, phone);
            assertEquals(Reason.REJECTED, afterRet.reason(), "a citizen's RET in İYS is enforced after the next poll");
            assertTrue(afterRet.asOfMs() >= retMs, "answers carry the watermark as their as-of time");
        }
    }

    @Test
    void shouldResolveTwoSourcesInterleavedInTimeByIysOrder() throws Exception
    {
        emulate(7_200_000);
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        final String back = "+905329990005";
        final String away = "+905329990006";
        emulator.change(BRAND, "HS", back, "BIREYSEL", "MESAJ", "ONAY");
        emulator.change(BRAND, "IYS", back, "BIREYSEL", "MESAJ", "RET");
        emulator.change(BRAND, "HS", back, "BIREYSEL", "MESAJ", "ONAY");
        emulator.change(BRAND, "HS", away, "BIREYSEL", "MESAJ", "ONAY");
        emulator.change(BRAND, "IYS", away, "BIREYSEL", "MESAJ", "RET");
        server.feed().nextCompletePoll(BRAND).get();
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertEquals(Reason.CONSENT, check(client, back).reason(),
                "HS is drained first, so the older İYS RET arrives after the newer ONAY and must not win");
            assertEquals(Reason.REJECTED, check(client, away).reason());
        }
    }

    @Test
    void shouldFollowAllBrandsIysListsWithOneLogin() throws Exception
    {
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND, 600_002L), 40, 9,
            "iys-user", "secret", 0, 7_200_000));
        server = FilterServer.start(new FilterServer.Context().dataDirectory(dataDir).binaryPort(0).httpPort(0)
            .milterPort(-1).ioThreads(1).policy(FilterPolicy.DEFAULT).indexOptions(TestKeys.options(10_000))
            .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret", List.of(),
                50, 999, 0, false)));
        server.feed().nextCompletePoll(BRAND).get();
        server.feed().nextCompletePoll(600_002).get();
        assertEquals("FOLLOWING", server.feed().status(600_002).state(), "found through GET /sps/{iysCode}/brands");
        assertTrue(server.store().brand(600_002).entries() > 0);
        assertEquals(1, emulator.grants("password"), "both brands share one login and its token");
    }

    @Test
    void shouldKeepUpWithALiveFeed() throws Exception
    {
        emulate(7_200_000);
        emulator.churn(200);
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        server.feed().nextCompletePoll(BRAND).get();
        server.feed().nextCompletePoll(BRAND).get();
        emulator.stopChurn();
        final int movements = emulator.movements(BRAND).size();
        assertTrue(movements > RECIPIENTS + 20, "the emulator kept making movements: " + movements);
        server.feed().nextCompletePoll(BRAND).get();
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertMirrorsTruth(client);
        }
    }

    @Test
    void shouldResumeFromItsCursorsAfterARestart() throws Exception
    {
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), RECIPIENTS, 7,
            "iys-user", "secret", 0, 7_200_000));
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        final Path brandDir = dataDir.resolve("brands/" + BRAND);
        assertTrue(Files.readString(brandDir.resolve("feed-HS.cursor")).contains("_"));
        server.close();

        emulator.change(BRAND, "IYS", "+905500000000", "BIREYSEL", "MESAJ", "RET");
        server = start();
        server.feed().nextCompletePoll(BRAND).get();
        assertEquals(1, server.feed().status(BRAND).received(),
            "after a restart only the movement made since is fetched: the cursors were persisted");
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            assertMirrorsTruth(client);
            assertEquals(Reason.REJECTED, check(client, "+905500000000").reason());
        }
    }

    private void assertMirrorsTruth(final FilterClient client)
    {
        final Map<String, Change> latest = new HashMap<>();
        for (final Change change : emulator.movements(BRAND))
        {
            final String key = change.type() + "/" + change.recipient();
            final Change known = latest.get(key);
            final boolean later = known == null || change.creationMs() > known.creationMs() ||
                change.creationMs() == known.creationMs() &&
                    change.transactionId().compareTo(known.transactionId()) > 0;
            if (later)
            {
                latest.put(key, change);
            }
        }
        for (final Change truth : latest.values())
        {
            final CheckResult result = client.checkBlocking(BRAND, Channel.valueOf(truth.type()),
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, truth.recipient());
            assertEquals("ONAY".equals(truth.status()) ? Reason.CONSENT : Reason.REJECTED, result.reason(),
                truth.toString());
        }
    }

    private static CheckResult check(final FilterClient client, final String phone)
    {
        return client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, phone);
    }
}
