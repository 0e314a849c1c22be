package io.iysfilter.server.iys;

import io.iysfilter.server.TestKeys;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BrandFeed}'s cursor state machine against a stub İYS and a clock the test moves: no waiting on real time.
 */
class BrandFeedTest
{
    private static final long BRAND = 600_001;
    private static final long HOUR = TimeUnit.HOURS.toMillis(1);
    private static final long DAY = TimeUnit.DAYS.toMillis(1);
    /** 2026-05-28T... UTC: any fixed instant will do. */
    private static final long START_MS = 1_780_000_000_000L;

    @TempDir
    Path dataDir;

    private final AtomicLong nowMs = new AtomicLong(START_MS);
    private final StubIys iys = new StubIys();
    private ConsentStore store;
    private IngestPipeline pipeline;

    @BeforeEach
    void open() throws Exception
    {
        store = ConsentStore.open(dataDir, TestKeys.options(1_000));
        pipeline = new IngestPipeline(store.writer(), 1024);
        pipeline.createBrand(BRAND).get();
    }

    @AfterEach
    void close()
    {
        pipeline.close();
        store.close();
    }

    private BrandFeed feed()
    {
        return new BrandFeed(BRAND, iys, pipeline, new FeedFiles(store.brand(BRAND).directory()), HOUR, () ->
        {
        }, nowMs::get);
    }

    /**
     * Poll as the follower does, which carries on after a lost cursor.
     */
    private static void pollQuietly(final BrandFeed feed) throws IOException, InterruptedException
    {
        try
        {
            feed.pollOnce();
        }
        catch (final CursorLostException ex)
        {
            // the follower records it and polls again at its next interval
        }
    }

    @Test
    void shouldNeverDeclareAQuietSourceLostWhileItIsPolled() throws Exception
    {
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        final BrandFeed feed = feed();
        feed.pollOnce();
        final String cursor = feed.cursor("HS");
        assertTrue(cursor.startsWith(Long.toString(START_MS - 2 * HOUR)), cursor);

        for (long at = START_MS + HOUR; at <= START_MS + 8 * DAY; at += HOUR)
        {
            nowMs.set(at);
            feed.pollOnce();
        }
        assertEquals(cursor, feed.cursor("HS"), "nothing moved, the cursor stays");
        assertEquals("HS " + cursor, iys.lastRequest("HS"), "asked İYS with the same cursor all along");
        assertEquals(nowMs.get() - HOUR, store.brand(BRAND).watermarkMs(), "and the watermark follows the clock");
        assertEquals(null, feed.lost(0));
        assertEquals(nowMs.get(), feed.acceptedMs(0), "accepted by the last poll");
        assertEquals(cursor + "\naccepted=" + nowMs.get() + "\n",
            Files.readString(store.brand(BRAND).directory().resolve("feed-HS.cursor")),
            "and on disk beside the cursor");

        nowMs.addAndGet(HOUR);
        final BrandFeed restarted = feed();
        restarted.pollOnce();
        assertEquals("HS " + cursor, iys.lastRequest("HS"), "after a restart too: the acceptance time is on disk");
        iys.add("HS", nowMs.get() - 2 * HOUR, "+905320000002", "ONAY");
        nowMs.addAndGet(HOUR);
        restarted.pollOnce();
        assertEquals(ConsentStatus.ONAY, status("+905320000002"));
    }

    @Test
    void shouldJudgeACursorLostWithoutAskingIysWhenItWasLastAcceptedBeforeTheWindow() throws Exception
    {
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        feed().pollOnce();
        final long watermarkMs = store.brand(BRAND).watermarkMs();
        final int requests = iys.requests.size();

        nowMs.addAndGet(7 * DAY);
        iys.add("IYS", nowMs.get() - 2 * HOUR, "+905320000001", "RET");
        final BrandFeed restarted = feed();
        pollQuietly(restarted);
        assertFalse(iys.requests.subList(requests, iys.requests.size()).stream().anyMatch((r) -> r.startsWith("HS")),
            "a cursor İYS last accepted a week ago is not offered to it: movements may have left the window");
        final BrandFeed.Lost lost = restarted.lost(0);
        assertTrue(lost.reason().contains("İYS last accepted the HS cursor at"), lost.reason());
        assertEquals(null, lost.code());
        assertEquals(null, restarted.lost(1));
        assertEquals(ConsentStatus.RET, status("+905320000001"), "the other source is still followed");
        assertEquals(watermarkMs, store.brand(BRAND).watermarkMs(), "but the watermark stays: HS is not applied");
    }

    @Test
    void shouldJudgeACursorWithoutARecordedAcceptanceByTheMovementItFollows() throws Exception
    {
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        feed().pollOnce();
        final Path file = store.brand(BRAND).directory().resolve("feed-HS.cursor");
        final String cursor = Files.readAllLines(file).get(0);
        Files.writeString(file, cursor + "\n");
        final int requests = iys.requests.size();

        nowMs.set(START_MS + 6 * DAY);
        final BrandFeed beforeAcceptanceTimes = feed();
        beforeAcceptanceTimes.pollOnce();
        assertEquals("HS " + cursor, iys.requests.get(requests), "a file of the previous format is still followed");
        assertEquals(cursor + "\naccepted=" + nowMs.get() + "\n", Files.readString(file), "and gains its line");

        Files.writeString(file, cursor + "\n");
        nowMs.set(START_MS + 7 * DAY);
        final BrandFeed tooOld = feed();
        pollQuietly(tooOld);
        assertTrue(tooOld.lost(0).reason().contains("no recorded acceptance"), tooOld.lost(0).reason());
    }

    @Test
    void shouldPersistACursorOnlyAfterItsPublicationCommittedAndRetryThePageWhenItFails() throws Exception
    {
        iys.add("HS", START_MS - 3 * HOUR, "+905320000001", "ONAY");
        final List<String> published = new ArrayList<>();
        final java.util.concurrent.atomic.AtomicReference<IOException> failing =
            new java.util.concurrent.atomic.AtomicReference<>();
        final Path cursorFile = store.brand(BRAND).directory().resolve("feed-HS.cursor");
        final CursorPublication publication = (brand, source, cursor, acceptedMs) ->
        {
            final boolean firstTime = published.stream().noneMatch((p) -> p.endsWith(" " + cursor));
            assertFalse(firstTime && Files.exists(cursorFile) && Files.readString(cursorFile).startsWith(cursor),
                "a new cursor is published before it is persisted");
            final IOException failure = failing.get();
            if (failure != null)
            {
                throw failure;
            }
            published.add(brand + " " + source + " " + cursor);
        };
        final BrandFeed feed = new BrandFeed(BRAND, iys, pipeline, new FeedFiles(store.brand(BRAND).directory()),
            HOUR, () ->
            {
            }, nowMs::get, publication);
        feed.pollOnce();
        final String first = feed.cursor("HS");
        assertTrue(published.contains(BRAND + " HS " + first), published.toString());

        // the commit fails: the cursor is not persisted, the poll fails as for an İYS error, the page is asked again
        iys.add("HS", START_MS - 2 * HOUR, "+905320000002", "RET");
        failing.set(new IOException("the replication transaction failed"));
        nowMs.addAndGet(60_000);
        final IOException thrown = assertThrows(IOException.class, feed::pollOnce);
        assertTrue(thrown.getMessage().contains("replication transaction failed"), thrown.getMessage());
        assertEquals(first, feed.cursor("HS"), "the cursor stays");
        assertTrue(Files.readString(cursorFile).startsWith(first + "\n"), "and on disk");
        assertEquals(ConsentStatus.RET, status("+905320000002"), "the page is applied, only not published");

        failing.set(null);
        nowMs.addAndGet(60_000);
        final long asked = iys.count("HS " + first);
        feed.pollOnce();
        assertEquals(asked + 1, iys.count("HS " + first), "the page is fetched again from the committed cursor");
        final String second = feed.cursor("HS");
        assertTrue(!second.equals(first) && published.contains(BRAND + " HS " + second), published.toString());
        assertTrue(Files.readString(cursorFile).startsWith(second + "\n"));

        // fenced: the feed stops with the publisher's reason
        iys.add("HS", START_MS - HOUR - 1, "+905320000003", "ONAY");
        failing.set(new CursorPublication.PublicationStoppedException("fenced: another fetcher", null));
        nowMs.addAndGet(60_000);
        assertThrows(CursorPublication.PublicationStoppedException.class, feed::pollOnce);
        assertEquals(second, feed.cursor("HS"));
    }

    @Test
    void shouldBackOffNotLoseTheCursorOnRetryableAndPermissionErrors() throws Exception
    {
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        final BrandFeed feed = feed();
        feed.pollOnce();
        final List<Supplier<IOException>> failures = List.of(
            () -> iysError(400, "H123", "Servis meşgul, lütfen tekrar deneyiniz.", null),
            () -> iysError(403, "H355", "Kullanıcının bu tipte yetkisi yok.", null),
            () -> iysError(403, "H363", "after: no access to this service", "after"),
            () -> iysError(500, "H103", "Beklenmeyen bir hata oluştu.", null),
            () -> iysError(503, "H192", "İstek zaman aşımına uğradı.", "after"),
            () -> iysError(429, "H124", "Saniyelik istek limiti aşıldı.", null),
            () -> new java.net.http.HttpTimeoutException("request timed out"));
        for (final Supplier<IOException> failure : failures)
        {
            iys.failing.put("HS", failure);
            nowMs.addAndGet(60_000);
            final IOException thrown = assertThrows(IOException.class, feed::pollOnce);
            assertFalse(thrown instanceof CursorLostException, thrown.toString());
            assertEquals(null, feed.lost(0), thrown.toString());
            assertEquals("IYS null", iys.lastRequest("IYS"), "the other source was polled in the same attempt");
            iys.failing.remove("HS");
            nowMs.addAndGet(60_000);
            feed.pollOnce();
        }
    }

    @Test
    void shouldRetryARefusedCursorHourlyNotEveryPoll() throws Exception
    {
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        final BrandFeed feed = feed();
        feed.pollOnce();
        final String cursor = feed.cursor("HS");
        iys.failing.put("HS", () -> iysError(422, "H400", "Geçersiz işlem bilgisi (after).", "after"));
        final long refusedMs = nowMs.addAndGet(1_000);
        pollQuietly(feed);
        final long asked = iys.count("HS " + cursor);
        for (int second = 1; second < 3_599; second++)
        {
            nowMs.set(refusedMs + second * 1_000L);
            pollQuietly(feed);
        }
        assertEquals(asked, iys.count("HS " + cursor), "no request with the refused cursor within the hour");
        nowMs.set(refusedMs + HOUR);
        pollQuietly(feed);
        assertEquals(asked + 1, iys.count("HS " + cursor), "one retry an hour later");
        final BrandFeed.Lost lost = feed.lost(0);
        assertEquals("H400", lost.code());
        assertTrue(lost.body().contains("\"location\":[\"after\"]"), lost.body());
        assertEquals(refusedMs, lost.sinceMs());
        assertEquals(refusedMs + 2 * HOUR, lost.nextRetryMs(), "said when it is tried next");
    }

    @Test
    void shouldResumeWhenIysTakesARefusedCursorAgainWithinTheWindow() throws Exception
    {
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        final BrandFeed feed = feed();
        feed.pollOnce();
        iys.failing.put("HS", () -> iysError(422, "H400", "after: unknown", null));
        nowMs.addAndGet(1_000);
        assertEquals(0, feed.pollOnce(), "no watermark while HS is lost");
        iys.failing.remove("HS");
        iys.add("HS", nowMs.get() - HOUR, "+905320000003", "ONAY");
        nowMs.addAndGet(HOUR);
        assertEquals(nowMs.get() - HOUR, feed.pollOnce(), "İYS took it again: nothing was missed");
        assertEquals(null, feed.lost(0));
        assertEquals(ConsentStatus.ONAY, status("+905320000003"));
    }

    /**
     * The one rule by which an İYS error means a lost cursor, against every kind of answer the feed may get.
     */
    @Test
    void shouldJudgeACursorRefusedOnlyFromAnAnswerAboutAfter()
    {
        final Object[][] table = {
            // status, code, message, location (null: none), refused
            {422, "H400", "after: unknown or expired cursor", "after", true},
            {400, "H999", "Geçersiz işlem bilgisi.", "after", true},
            {404, "H404", "Geçersiz işlem bilgisi (after).", null, true},
            {422, "H998", "the AFTER value has expired", null, true},
            {422, "H998", "Geçersiz parametre.", null, false},
            {422, "H168", "source: X (expected: HS or IYS)", "source", false},
            {422, "H998", "after: bad", "limit", false},
            {422, "H998", "afterwards nothing", null, false},
            {400, "H123", "Servis meşgul (after).", "after", false},
            {400, "H015", "after", "after", false},
            {422, "H124", "after", "after", false},
            {401, "H351", "Geçersiz token (after).", "after", false},
            {403, "H355", "after", "after", false},
            {403, "H195", "Marka bulunamadı.", null, false},
            {408, "H998", "after", "after", false},
            {429, "H124", "after", "after", false},
            {500, "H103", "after", "after", false},
            {503, "H192", "after", "after", false},
            {500, "H998", "after", "after", false},
        };
        for (final Object[] row : table)
        {
            final String location = (String)row[3];
            final List<IysApiException.Error> errors = List.of(new IysApiException.Error((String)row[1],
                (String)row[2], location == null ? List.of() : List.of(location)));
            assertEquals(row[4], BrandFeed.refusesCursor((Integer)row[0], errors), java.util.Arrays.toString(row));
        }
        assertFalse(BrandFeed.refusesCursor(422, List.of()), "no error body: not known to be about the cursor");
        assertFalse(BrandFeed.refusesCursor(422, List.of(new IysApiException.Error("H400", "", List.of("after")),
            new IysApiException.Error("H123", "", List.of()))), "any retry code means retry");
        assertTrue(iysError(422, "H400", "x", "after").errors().get(0).location().contains("after"),
            "the error body's location is parsed");
    }

    @Test
    void shouldKeepFollowingTheOtherSourceButNotAdvanceTheWatermarkWhenOneCursorIsLost() throws Exception
    {
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        final BrandFeed feed = feed();
        feed.pollOnce();
        final long watermarkMs = store.brand(BRAND).watermarkMs();
        iys.failing.put("HS", () -> iysError(422, "H400", "Geçersiz işlem bilgisi (after).", "after"));
        nowMs.addAndGet(60_000);
        pollQuietly(feed);

        iys.add("IYS", nowMs.get() - 2 * HOUR + 1_000, "+905320000001", "RET");
        for (int poll = 0; poll < 3; poll++)
        {
            nowMs.addAndGet(60_000);
            pollQuietly(feed);
        }
        assertEquals(ConsentStatus.RET, status("+905320000001"), "the citizen's RET is applied");
        assertEquals(watermarkMs, store.brand(BRAND).watermarkMs(),
            "the watermark claims both sources are applied, so it waits for HS");
    }

    @Test
    void shouldQuarantineAnOnayWhoseRetailerAccessIsMalformedAndApplyTheRestWithTheirLists() throws Exception
    {
        iys.add("HS", START_MS - 3 * HOUR, "+905320000001", "ONAY", ",\"retailerAccess\":[22233344,\"x\"]");
        iys.add("HS", START_MS - 3 * HOUR, "+905320000002", "ONAY",
            ",\"retailerAccess\":[" + "1,".repeat(100) + "2]");
        iys.add("HS", START_MS - 3 * HOUR, "+905320000003", "ONAY",
            ",\"retailerCode\":11223344,\"retailerAccess\":[22233344,44222419]");
        iys.add("IYS", START_MS - 2 * HOUR, "+905320000004", "RET", ",\"retailerAccess\":[{\"a\":1}]");
        final BrandFeed feed = feed();
        feed.pollOnce();
        assertEquals(2, feed.quarantined(), "a list with a string in it, and one of 101 dealers");
        final String quarantine = Files.readString(store.brand(BRAND).directory().resolve("quarantine.log"));
        assertTrue(quarantine.contains("invalid retailerAccess"), quarantine);
        assertEquals(ConsentStatus.NONE, status("+905320000001"));
        assertEquals(ConsentStatus.NONE, status("+905320000002"));
        assertEquals(ConsentStatus.ONAY, status("+905320000003"));
        assertEquals(ConsentStatus.RET, status("+905320000004"), "a RET is applied whatever its dealer fields say");
        assertEquals(1, store.brand(BRAND).dealerLists(), "the valid ONAY's list, and nothing for the RET");
        final IndexLookup lookup = store.newLookup();
        assertEquals(ConsentStatus.ONAY, lookup.status(store.brand(BRAND), Channel.MESAJ, RecipientType.BIREYSEL,
            new ParsedRecipient().phone(905_320_000_003L)));
        assertTrue(lookup.dealerListed(44_222_419L));
        assertFalse(lookup.dealerListed(11_223_344L), "the collecting dealer (retailerCode) is not given access");
    }

    @Test
    void shouldQuarantineARecordFromTheFutureSoThatTheRealRetHolds() throws Exception
    {
        iys.add("IYS", START_MS - 2 * HOUR, "+905320000001", "RET");
        iys.add("HS", IysTime.parseSeconds("2099-12-31 00:00:00") * 1000, "+905320000001", "ONAY");
        iys.ignoreExclusion = true;
        final BrandFeed feed = feed();
        feed.pollOnce();
        assertEquals(ConsentStatus.RET, status("+905320000001"), "the 2099 ONAY did not beat the citizen's RET");
        assertEquals(1, feed.quarantined());
        final String quarantine = Files.readString(store.brand(BRAND).directory().resolve("quarantine.log"));
        assertTrue(quarantine.contains("creationDate 2099-12-31 00:00:00 lies in the future"), quarantine);
        assertTrue(quarantine.contains("+90532*****01") && !quarantine.contains("+905320000001"),
            "the recipient is masked: " + quarantine);
        assertTrue(store.brand(BRAND).asOfMs() <= System.currentTimeMillis(), "the as-of time is not in 2099");
        assertEquals(1, pipeline.rejected());
    }

    @Test
    void shouldHoldItsCursorBeforeARetFromTheFutureAndApplyItWhenTheClockGetsThere() throws Exception
    {
        // this server's clock is two hours behind İYS's: the writer shares the test's clock
        pipeline.close();
        store.close();
        store = ConsentStore.open(dataDir, TestKeys.options(1_000).withClock(nowMs::get));
        pipeline = new IngestPipeline(store.writer(), 1024);
        iys.add("HS", START_MS - 2 * HOUR, "+905320000001", "ONAY");
        iys.add("HS", START_MS + 2 * HOUR, "+905320000001", "RET");
        iys.ignoreExclusion = true;
        final BrandFeed feed = feed();

        feed.pollOnce();
        assertEquals(ConsentStatus.ONAY, status("+905320000001"), "the RET from the future is refused for now");
        assertEquals(null, feed.cursor("HS"), "the cursor stays before the page holding it");
        assertEquals(0, feed.quarantined(), "and the RET is not set aside");
        assertEquals(1, feed.heldPages());
        assertEquals(1, pipeline.rejected());

        feed.pollOnce();
        assertEquals("HS null", iys.lastRequest("HS"), "the page is fetched again");
        assertEquals(2, feed.heldPages());

        nowMs.addAndGet(2 * HOUR);
        feed.pollOnce();
        assertEquals(ConsentStatus.RET, status("+905320000001"), "once the clock gets there, the RET is applied");
        assertTrue(feed.cursor("HS").startsWith(Long.toString(START_MS + 2 * HOUR)), feed.cursor("HS"));
        assertEquals(2, feed.heldPages());
        assertEquals(0, feed.quarantined());
    }

    /**
     * A page is applied whole or not at all: a body that fails part-way (the connection reset) or ends part-way (a
     * page cut short) applies none of its records, quarantines none of them, and leaves the cursor before it.
     */
    @Test
    void shouldApplyNothingOfAPageCutMidwayNorMoveItsCursor() throws Exception
    {
        iys.add("HS", START_MS - 3 * HOUR, "+905320000001", "RET");
        iys.add("HS", START_MS - 3 * HOUR + 1_000, "+905320000002", "ONAY");
        iys.add("HS", START_MS - 3 * HOUR + 2_000, "+905320000003", "ONAY");
        final BrandFeed feed = feed();
        final Path quarantine = store.brand(BRAND).directory().resolve("quarantine.log");
        for (final boolean reset : new boolean[] {true, false})
        {
            iys.bodies.put("HS", (page) ->
            {
                final String text = new String(page, StandardCharsets.UTF_8);
                final int cut = text.indexOf("+905320000003"); // the first two records are whole before it
                assertTrue(cut > 0, text);
                return reset ? new ResetAfter(page, cut) : new ByteArrayInputStream(page, 0, cut);
            });
            nowMs.addAndGet(60_000);
            final IOException failed = assertThrows(IOException.class, feed::pollOnce);
            assertEquals(ConsentStatus.NONE, status("+905320000001"), "nothing of the page is applied: " + failed);
            assertEquals(ConsentStatus.NONE, status("+905320000002"));
            assertEquals(null, feed.cursor("HS"), "the cursor stays before the page");
            assertEquals(0, feed.applied());
            if (reset)
            {
                assertTrue(failed.getMessage().contains("connection reset"), failed.toString());
                assertEquals(0, feed.quarantined(), "an I/O error is retried, not quarantined");
                assertFalse(Files.exists(quarantine), "and none of its records is quarantined");
            }
            else
            {
                assertTrue(failed.getMessage().startsWith("malformed JSON from İYS (quarantined)"), failed.toString());
                assertEquals(1, feed.quarantined(), "a page cut short can never be read: quarantined, as one page");
                final String text = Files.readString(quarantine);
                assertTrue(text.contains("reason=malformed JSON page: Unexpected end-of-input"), text);
            }
        }
        iys.bodies.remove("HS");
        nowMs.addAndGet(60_000);
        feed.pollOnce();
        assertEquals(ConsentStatus.RET, status("+905320000001"), "the page whole is applied");
        assertEquals(ConsentStatus.ONAY, status("+905320000003"));
        assertTrue(feed.cursor("HS").startsWith(Long.toString(START_MS - 3 * HOUR + 2_000)), feed.cursor("HS"));
    }

    /**
     * Jackson's limits (a number of more than 1,000 digits, nesting deeper than its maximum) throw
     * StreamConstraintsException, not JsonParseException: such a page can never be read either, so it is quarantined
     * (counted, written to quarantine.log, logged) like any malformed page, and its cursor stays.
     */
    @Test
    void shouldQuarantineAPageOverTheParsersLimitsLikeAnyMalformedPage() throws Exception
    {
        final String time = IysTime.format((START_MS - 3 * HOUR) / 1000);
        final String valid = "{\"consentDate\":\"" + time + "\",\"creationDate\":\"" + time + "\",\"source\":" +
            "\"HS_WEB\",\"recipient\":\"+905320000001\",\"recipientType\":\"BIREYSEL\",\"status\":\"RET\"," +
            "\"type\":\"MESAJ\",\"transactionId\":\"" + "a".repeat(64) + "\"}";
        final String digits = "9".repeat(2_000);
        final String nested = "[".repeat(2_000) + "]".repeat(2_000);
        final String[] pages = {
            "{\"list\":[" + valid + ",{\"x\":" + digits + "}],\"after\":\"a\"}",
            "{\"list\":[" + valid + ",{\"x\":" + nested + "}],\"after\":\"a\"}",
            "{\"list\":[" + valid + "],\"x\":" + nested + ",\"after\":\"a\"}"};
        final BrandFeed feed = feed();
        final Path quarantine = store.brand(BRAND).directory().resolve("quarantine.log");
        int expected = 0;
        for (final String page : pages)
        {
            iys.bodies.put("HS", (ignored) -> new ByteArrayInputStream(page.getBytes(StandardCharsets.UTF_8)));
            nowMs.addAndGet(60_000);
            final IOException failed = assertThrows(IOException.class, feed::pollOnce);
            expected++;
            assertTrue(failed.getMessage().startsWith("malformed JSON from İYS (quarantined)"), failed.toString());
            assertTrue(failed.getCause().getCause() instanceof StreamConstraintsException, failed.toString());
            assertEquals(expected, feed.quarantined(), "counted once per fetch of the page");
            assertEquals(null, feed.cursor("HS"), "the cursor stays before it, as for any malformed page");
            assertEquals(ConsentStatus.NONE, status("+905320000001"), "nothing of the page is applied");
            final List<String> lines = Files.readAllLines(quarantine);
            assertEquals(expected, lines.size());
            assertTrue(lines.get(expected - 1).contains("reason=malformed JSON page: " +
                (page.contains(digits) ? "Number value length" : "Document nesting depth")), lines.get(expected - 1));
        }
        iys.bodies.remove("HS");
        iys.add("HS", START_MS - 3 * HOUR, "+905320000001", "RET");
        nowMs.addAndGet(60_000);
        feed.pollOnce();
        assertEquals(ConsentStatus.RET, status("+905320000001"), "the source goes on once İYS serves a good page");
    }

    /**
     * Found by FeedPageFuzzTest once it drove the real page handling: a field holding a lone surrogate (JSON
     * {@code "\\ud800"}) made writing its quarantine line throw, so the page failed at every fetch; now the record is
     * quarantined and the rest of the page applied.
     */
    @Test
    void shouldQuarantineARecordWhoseTextUtf8CannotEncode() throws Exception
    {
        iys.add("HS", START_MS - 3 * HOUR, "+905320000001", "RET");
        iys.bodies.put("HS", (page) -> new ByteArrayInputStream(new String(page, StandardCharsets.UTF_8)
            .replace("\"list\":[{", "\"list\":[{\"recipient\":\"\\ud800\"},{").getBytes(StandardCharsets.UTF_8)));
        final BrandFeed feed = feed();
        feed.pollOnce();
        assertEquals(1, feed.quarantined());
        assertEquals(ConsentStatus.RET, status("+905320000001"), "the rest of the page is applied");
        final String quarantine = Files.readString(store.brand(BRAND).directory().resolve("quarantine.log"));
        assertTrue(quarantine.contains("record={recipient=?}"), quarantine);
    }

    /**
     * A body that gives its first bytes, then fails as a reset connection does.
     */
    private static final class ResetAfter extends InputStream
    {
        private final ByteArrayInputStream page;
        private int left;

        ResetAfter(final byte[] page, final int cut)
        {
            this.page = new ByteArrayInputStream(page);
            this.left = cut;
        }

        @Override
        public int read() throws IOException
        {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int length) throws IOException
        {
            if (left == 0)
            {
                throw new IOException("connection reset");
            }
            final int read = page.read(bytes, offset, Math.min(length, left));
            left -= Math.max(read, 0);
            return read;
        }
    }

    private int status(final String phone)
    {
        final IndexLookup lookup = store.newLookup();
        final ParsedRecipient parsed = new ParsedRecipient();
        new RecipientParser().parse(phone, parsed);
        return lookup.status(lookup.brand(BRAND), Channel.MESAJ, RecipientType.BIREYSEL, parsed);
    }

    private static IysApiException iysError(final int status, final String code, final String message,
        final String location)
    {
        final String body = "{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"" +
            (location == null ? "" : ",\"location\":[\"" + location + "\"]") + "}]}";
        return IysApiException.of("changes", status, 0, body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Serves each source's movements like İYS: ordered by creation, after a cursor {@code <creationMs>_<tx>}, none
     * newer than an hour; an empty page repeats the cursor it was asked with.
     */
    private final class StubIys implements BrandFeed.Changes
    {
        final Map<String, List<String[]>> feeds = new HashMap<>(Map.of("HS", new ArrayList<>(), "IYS",
            new ArrayList<>()));
        final Map<String, Supplier<IOException>> failing = new HashMap<>();
        /** Per source, what İYS's answer body becomes on its way (cut, replaced), or none. */
        final Map<String, java.util.function.Function<byte[], InputStream>> bodies = new HashMap<>();
        final List<String> requests = new ArrayList<>();
        /** Serve movements whatever their creation time, as a faulty İYS (or a man in the middle) might. */
        boolean ignoreExclusion;
        private int transactions;

        void add(final String source, final long creationMs, final String phone, final String status)
        {
            add(source, creationMs, phone, status, "");
        }

        /**
         * @param fields more JSON fields for the record, as written, each after a comma (e.g. a retailerAccess).
         */
        void add(final String source, final long creationMs, final String phone, final String status,
            final String fields)
        {
            final String tx = String.format(Locale.ROOT, "%064x", ++transactions);
            feeds.get(source).add(new String[] {Long.toString(creationMs), tx, phone, status, fields});
        }

        String lastRequest(final String source)
        {
            for (int i = requests.size() - 1; i >= 0; i--)
            {
                if (requests.get(i).startsWith(source + " "))
                {
                    return requests.get(i);
                }
            }
            return null;
        }

        long count(final String request)
        {
            return requests.stream().filter(request::equals).count();
        }

        @Override
        public <T> T changes(
            final long brandCode, final String source, final String after, final IysHttp.BodyReader<T> reader)
            throws IOException
        {
            final byte[] page = page(source, after);
            final java.util.function.Function<byte[], InputStream> body = bodies.get(source);
            return reader.read(body == null ? new ByteArrayInputStream(page) : body.apply(page));
        }

        private byte[] page(final String source, final String after) throws IOException
        {
            requests.add(source + " " + after);
            final Supplier<IOException> failure = failing.get(source);
            if (failure != null)
            {
                throw failure.get();
            }
            final List<String[]> feed = feeds.get(source);
            int start = 0;
            if (after != null)
            {
                start = -1;
                for (int i = 0; i < feed.size(); i++)
                {
                    if (after.equals(feed.get(i)[0] + "_" + feed.get(i)[1]))
                    {
                        start = i + 1;
                    }
                }
                if (start < 0)
                {
                    throw iysError(422, "H400", "unknown after", "after");
                }
            }
            final StringBuilder json = new StringBuilder("{\"list\":[");
            String next = after;
            boolean first = true;
            for (int i = start; i < feed.size() &&
                (ignoreExclusion || Long.parseLong(feed.get(i)[0]) <= nowMs.get() - HOUR); i++)
            {
                final String[] movement = feed.get(i);
                final String time = IysTime.format(Long.parseLong(movement[0]) / 1000);
                json.append(first ? "{" : ",{")
                    .append("\"consentDate\":\"").append(time).append("\",\"creationDate\":\"").append(time)
                    .append("\",\"source\":\"").append("HS".equals(source) ? "HS_WEB" : "IYS_MOBIL")
                    .append("\",\"recipient\":\"").append(movement[2])
                    .append("\",\"recipientType\":\"BIREYSEL\",\"status\":\"").append(movement[3])
                    .append("\",\"type\":\"MESAJ\",\"transactionId\":\"").append(movement[1]).append('"')
                    .append(movement[4]).append('}');
                next = movement[0] + "_" + movement[1];
                first = false;
            }
            json.append("],\"after\":").append(next == null ? "null" : "\"" + next + "\"").append('}');
            return json.toString().getBytes(StandardCharsets.UTF_8);
        }
    }
}
