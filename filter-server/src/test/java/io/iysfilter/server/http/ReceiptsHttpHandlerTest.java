package io.iysfilter.server.http;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.receipts.FoundReceipt;
import io.iysfilter.server.receipts.JournalFiller;
import io.iysfilter.server.receipts.JournalReceiptSource;
import io.iysfilter.server.receipts.JournalTamperer;
import io.iysfilter.server.receipts.MemoryReceipts;
import io.iysfilter.server.receipts.ReceiptSearch;
import io.iysfilter.server.receipts.ScrubProofs;
import io.iysfilter.server.receipts.ScrubRun;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.BearerTokens;
import io.iysfilter.server.security.ClientCounters;
import io.iysfilter.server.security.Role;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v1/receipts} and {@code /v1/receipts/scrubs/<run id>} behind the authorisation handler, as
 * {@link HttpEndpoint} mounts them: admin only (401 without a client, 403 for a client without the role), JSON by
 * default and CSV on request, the result limit with its own error, and a 400 naming each bad parameter.
 */
class ReceiptsHttpHandlerTest
{
    private static final long BRAND = 600001;
    private static final String PHONE = "%2B905321111111";
    private static final long T0 = Instant.parse("2026-11-29T10:00:00Z").toEpochMilli();
    /** The handlers' clock: two days after {@link #T0}. */
    private static final long NOW = T0 + 2 * FoundReceipt.DAY_MS;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final SocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40001);
    private static final SocketAddress REMOTE = new InetSocketAddress(address(192, 0, 2, 7), 40001);
    private final String adminToken = BearerTokens.generate(RANDOM);
    private final String checkerToken = BearerTokens.generate(RANDOM);

    @TempDir
    Path dir;

    private Authenticator auth;
    private final MemoryReceipts journal = new MemoryReceipts(MemoryReceipts.FAKE_PROTECTION);
    private ScrubProofs proofs;
    private final AtomicInteger searching = new AtomicInteger();
    private long first;
    private long second;

    @BeforeEach
    void setUp() throws Exception
    {
        final Path clients = dir.resolve("clients.conf");
        Files.writeString(clients, "[ops]\nroles = admin\nbrands = *\ntoken = " + BearerTokens.hash(adminToken) +
            "\n\n[sender]\nroles = check, scrub\nbrands = " + BRAND + "\ntoken = " + BearerTokens.hash(checkerToken) +
            "\n");
        auth = Authenticator.load(clients, 1_000, new ClientCounters());
        first = journal.add(T0, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111", Reason.CONSENT, 1);
        journal.add(T0 + 1, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, "+905322222222", Reason.CONSENT, 1);
        second = journal.add(T0 + FoundReceipt.DAY_MS, BRAND, Channel.ARAMA, RecipientType.TACIR, "+905321111111",
            Reason.NO_CONSENT, 2);
        proofs = new ScrubProofs(dir.resolve("receipts"), journal);
    }

    @AfterEach
    void tearDown()
    {
        auth.close();
    }

    private Response get(final String target, final String token)
    {
        return get(target, token, auth, LOOPBACK);
    }

    /**
     * @param peer the connection's remote address.
     */
    private Response get(final String target, final String token, final Authenticator authenticator,
        final SocketAddress peer)
    {
        final EmbeddedChannel channel = channel(authenticator, peer, Runnable::run);
        send(channel, target, token);
        final Response response = read(channel);
        channel.finishAndReleaseAll();
        return response;
    }

    /**
     * A connection as {@link HttpEndpoint} mounts the routes, from a peer, its journal read on the workers given;
     * every connection of a test shares {@link #searching} and the clock {@link #NOW}.
     */
    private EmbeddedChannel channel(final Authenticator authenticator, final SocketAddress peer,
        final Executor workers)
    {
        return channel(authenticator, peer, workers, new ReceiptSearch(journal, MemoryReceipts.FAKE_PROTECTION));
    }

    /**
     * A connection as {@link #channel(Authenticator, SocketAddress, Executor)}, searching another journal.
     */
    private EmbeddedChannel channel(final Authenticator authenticator, final SocketAddress peer,
        final Executor workers, final ReceiptSearch search)
    {
        final EmbeddedChannel channel = new EmbeddedChannel()
        {
            @Override
            protected SocketAddress remoteAddress0()
            {
                return peer;
            }
        };
        final ServerCounters counters = new ServerCounters();
        channel.pipeline().addLast("http", new HttpServerCodec());
        channel.pipeline().addLast("auth", new HttpAuthHandler(authenticator, new RequestIdentity(), counters));
        channel.pipeline().addLast("aggregator", new HttpObjectAggregator(HttpEndpoint.MAX_REQUEST_LENGTH, true));
        channel.pipeline().addLast("receipts", new ReceiptsHttpHandler(search, proofs, workers, counters, searching,
            () -> NOW));
        return channel;
    }

    private static void send(final EmbeddedChannel channel, final String target, final String token)
    {
        channel.writeInbound(Unpooled.copiedBuffer("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
            (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n", StandardCharsets.US_ASCII));
        channel.runPendingTasks();
    }

    private static Response read(final EmbeddedChannel channel)
    {
        channel.runPendingTasks();
        final StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null)
        {
            text.append(out.toString(StandardCharsets.UTF_8));
            out.release();
        }
        final String response = text.toString();
        final int headEnd = response.indexOf("\r\n\r\n");
        assertTrue(headEnd > 0, response);
        return new Response(Integer.parseInt(response.substring(9, 12)), response.substring(0, headEnd),
            response.substring(headEnd + 4));
    }

    private record Response(int status, String head, String body)
    {
    }

    @Test
    void shouldAnswerOnlyTheAdminRole()
    {
        final String target = "/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE;
        assertEquals(401, get(target, null).status());
        assertEquals(401, get(target, BearerTokens.generate(RANDOM)).status());
        final Response forbidden = get(target, checkerToken);
        assertEquals(403, forbidden.status());
        assertTrue(forbidden.body().contains("lacks the admin role"), forbidden.body());
        assertEquals(403, get("/v1/receipts/scrubs/0001000000000001", checkerToken).status());
        assertEquals(200, get(target, adminToken).status());
        assertEquals(Role.ADMIN, HttpAuthHandler.roleOf("/v1/receipts"));
        assertEquals(Role.ADMIN, HttpAuthHandler.roleOf("/v1/receipts/scrubs/0001000000000001"));
    }

    private static InetAddress address(final int a, final int b, final int c, final int d)
    {
        try
        {
            return InetAddress.getByAddress(new byte[]{(byte)a, (byte)b, (byte)c, (byte)d});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void shouldAnswerOnlyLoopbackPeersWhileAuthenticationIsOff()
    {
        final Authenticator off = Authenticator.off(new ClientCounters());
        final String target = "/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE;
        final String scrub = "/v1/receipts/scrubs/0001000000000001";
        // percent-encoded, as the router decodes it: the same path, refused the same
        final String encoded = "/v1/%72eceipts?brand=" + BRAND + "&recipient=" + PHONE;
        assertEquals(200, get(encoded, null, off, LOOPBACK).status(), "the router serves the encoded path");
        for (final String path : new String[]{target, scrub, encoded, "/v1/receipts%2Fscrubs/0001000000000001"})
        {
            final Response refused = get(path, null, off, REMOTE);
            assertEquals(403, refused.status(), refused.body());
            assertTrue(refused.head().contains("application/json"), refused.head());
            assertTrue(refused.body().startsWith("{\"error\":\"forbidden\",\"message\":\"the receipts are served " +
                "only to loopback peers"), refused.body());
        }
        assertEquals(200, get(target, null, off, LOOPBACK).status());
        assertEquals(200, get(target, null, off, new InetSocketAddress(address(127, 0, 0, 2), 40001)).status());
        assertEquals(404, get(scrub, null, off, LOOPBACK).status(), "no such run: asked, not refused");
        // authentication on: the admin role answers wherever it asks from
        assertEquals(200, get(target, adminToken, auth, REMOTE).status());
        assertEquals(403, get(target, checkerToken, auth, REMOTE).status());
    }

    @Test
    void shouldReadTheLast31DaysWhenFromIsAbsentAndRefuseARangePastTheMostDays()
    {
        final long old = journal.add(NOW - 40 * FoundReceipt.DAY_MS, BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            "+905321111111", Reason.CONSENT, 1);
        final String target = "/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE;
        final Response recent = get(target, adminToken);
        assertEquals(200, recent.status(), recent.body());
        // the 31 UTC days up to today: 2026-11-01 .. 2026-12-01
        assertTrue(recent.body().contains("\"from\":\"2026-11-01T00:00:00Z\""), recent.body());
        assertTrue(recent.body().contains("\"count\":2,"), recent.body());
        assertTrue(!recent.body().contains(DecisionIds.text(old)), "the day 40 days back is not read: " +
            recent.body());
        final Response toGiven = get(target + "&to=2026-10-25", adminToken);
        assertTrue(toGiven.body().contains("\"from\":\"2026-09-25T00:00:00Z\"") &&
            toGiven.body().contains(DecisionIds.text(old)), "31 days up to to's day: " + toGiven.body());

        final Response asked = get(target + "&from=2026-10-20", adminToken);
        assertEquals(200, asked.status(), asked.body());
        assertTrue(asked.body().contains(DecisionIds.text(old)) && asked.body().contains("\"count\":3,"),
            asked.body());
        // 2026-09-01 .. 2026-12-01 is 92 days, the most; a day more is refused, naming the limit
        assertEquals(200, get(target + "&from=2026-09-01", adminToken).status());
        final Response tooLong = get(target + "&from=2026-08-31", adminToken);
        assertEquals(400, tooLong.status(), tooLong.body());
        assertTrue(tooLong.body().contains("\"error\":\"bad_request\"") &&
            tooLong.body().contains("spans 93 UTC days, more than the 92"), tooLong.body());
        assertEquals(400, get(target + "&from=2025-01-01&to=2025-06-01", adminToken).status());
        assertEquals(0, searching.get(), "no search left counted");
    }

    @Test
    void shouldAnswer503WithRetryAfterPastTwoSearchesAtOnce()
    {
        final List<Runnable> queued = new ArrayList<>();
        final String target = "/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE;
        final List<EmbeddedChannel> running = new ArrayList<>();
        for (int i = 0; i < ReceiptsHttpHandler.MAX_SEARCHES; i++)
        {
            final EmbeddedChannel channel = channel(auth, LOOPBACK, queued::add);
            send(channel, target, adminToken);
            assertNull(channel.readOutbound(), "running");
            running.add(channel);
        }
        final EmbeddedChannel third = channel(auth, LOOPBACK, queued::add);
        send(third, target, adminToken);
        final Response busy = read(third);
        assertEquals(503, busy.status(), busy.body());
        assertTrue(busy.head().contains("retry-after: " + ReceiptsHttpHandler.RETRY_AFTER_SECONDS), busy.head());
        assertTrue(busy.body().startsWith("{\"error\":\"busy\""), busy.body());
        assertEquals(ReceiptsHttpHandler.MAX_SEARCHES, queued.size(), "the third never reached the journal");
        // a proof-of-scrub is no search: still answered
        send(third, "/v1/receipts/scrubs/00010000000000ff", adminToken);
        assertEquals(ReceiptsHttpHandler.MAX_SEARCHES + 1, queued.size());

        queued.remove(0).run();
        assertEquals(200, read(running.get(0)).status());
        send(third, target, adminToken);
        assertEquals(ReceiptsHttpHandler.MAX_SEARCHES + 1, queued.size(), "one finished: the next is taken");
        for (final Runnable work : queued)
        {
            work.run();
        }
        assertEquals(200, read(running.get(1)).status());
        assertEquals(0, searching.get());
        running.forEach(EmbeddedChannel::finishAndReleaseAll);
        third.finishAndReleaseAll();
    }

    @Test
    void shouldAnswerTheRecipientsReceiptsAsJsonByDefaultAndCsvOnRequest()
    {
        final Response json = get("/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE, adminToken);
        assertEquals(200, json.status(), json.body());
        assertTrue(json.head().contains("application/json"), json.head());
        assertTrue(json.body().contains("\"count\":2"), json.body());
        assertTrue(json.body().contains("\"decisionId\":\"" + DecisionIds.text(first) + "\""), json.body());
        assertTrue(json.body().contains("\"decisionId\":\"" + DecisionIds.text(second) + "\""), json.body());
        assertTrue(json.body().contains("\"days\":[{\"day\":\"2026-11-29\""), json.body());

        final Response csv = get("/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE +
            "&from=2026-11-30&to=2026-11-30&format=csv", adminToken);
        assertEquals(200, csv.status(), csv.body());
        assertTrue(csv.head().contains("text/csv"), csv.head());
        final String[] lines = csv.body().split("\n");
        assertEquals(2, lines.length, csv.body());
        assertEquals(io.iysfilter.server.receipts.ReceiptResults.CSV_HEADER, lines[0]);
        assertTrue(lines[1].startsWith(DecisionIds.text(second) + ",2026-11-30T10:00:00Z,2026-11-30,HTTP," +
            "client:test2," + BRAND + ",ARAMA,TACIR,COMMERCIAL,DENY,NO_CONSENT,"), lines[1]);
    }

    @Test
    void shouldAnswer500AndNoReceiptWhenADaySearchedNumbersItsPartiesOtherwiseThanTheJournal() throws Exception
    {
        final Path receipts = dir.resolve("journal");
        final long[] ids = new long[2];
        try (JournalFiller filler = JournalFiller.open(receipts, MemoryReceipts.FAKE_PROTECTION, T0))
        {
            ids[0] = filler.add(T0, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111", Reason.CONSENT);
            ids[1] = filler.add(T0 + FoundReceipt.DAY_MS, BRAND, Channel.ARAMA, RecipientType.TACIR,
                "+905321111111", Reason.NO_CONSENT);
        }
        final ReceiptSearch onDisk = new ReceiptSearch(JournalReceiptSource.open(receipts),
            MemoryReceipts.FAKE_PROTECTION);
        final String target = "/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE;
        final Response before = search(target, onDisk);
        assertEquals(200, before.status(), before.body());
        assertTrue(before.body().contains("\"count\":2,"), before.body());

        // the first day's only day party renumbered 2, every digest and root recomputed: its receipt names day
        // party 1, which the day no longer numbers (a search used to answer it with party and dealer unknown)
        JournalTamperer.renumberDayParty(receipts, Math.floorDiv(T0, FoundReceipt.DAY_MS), 1, 2);
        final Response refused = search(target, onDisk);
        assertEquals(500, refused.status(), refused.body());
        assertTrue(refused.head().contains("application/json"), refused.head());
        assertTrue(refused.body().startsWith("{\"error\":\"journal_unreadable\",\"message\":\"the journal could " +
            "not be read, nothing is answered: day 2026-11-29 segment 0 block "), refused.body());
        assertTrue(refused.body().contains("PARTIES entry: day parties skipped") &&
            refused.body().contains("receipts verify --day 2026-11-29"), refused.body());
        assertFalse(refused.body().contains(DecisionIds.text(ids[0])) ||
            refused.body().contains(DecisionIds.text(ids[1])), "no receipt, of either day: " + refused.body());

        final Response nextDay = search(target + "&from=2026-11-30", onDisk);
        assertEquals(200, nextDay.status(), nextDay.body());
        assertTrue(nextDay.body().contains("\"count\":1,") &&
            nextDay.body().contains("\"decisionId\":\"" + DecisionIds.text(ids[1]) + "\""), nextDay.body());
    }

    private Response search(final String target, final ReceiptSearch search)
    {
        final EmbeddedChannel channel = channel(auth, LOOPBACK, Runnable::run, search);
        send(channel, target, adminToken);
        final Response response = read(channel);
        channel.finishAndReleaseAll();
        return response;
    }

    @Test
    void shouldRefusePastTheLimitWithAnErrorOfItsOwn()
    {
        final Response refused = get("/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE + "&limit=1", adminToken);
        assertEquals(ReceiptsHttpHandler.TOO_MANY, refused.status());
        assertTrue(refused.body().contains("\"error\":\"too_many_results\""), refused.body());
        assertEquals(200, get("/v1/receipts?brand=" + BRAND + "&recipient=" + PHONE + "&limit=2", adminToken)
            .status());
    }

    @Test
    void shouldAnswer400NamingEachBadParameter()
    {
        final String ok = "&recipient=" + PHONE;
        final String[][] cases = {
            {"/v1/receipts?recipient=" + PHONE, "brand: missing"},
            {"/v1/receipts?brand=abc" + ok, "brand: 'abc'"},
            {"/v1/receipts?brand=" + BRAND, "recipient: missing"},
            {"/v1/receipts?brand=" + BRAND + "&recipient=nobody", "recipient: not a phone"},
            {"/v1/receipts?brand=" + BRAND + ok + "&from=yesterday", "from: 'yesterday'"},
            {"/v1/receipts?brand=" + BRAND + ok + "&to=2026-13-01", "to: '2026-13-01'"},
            {"/v1/receipts?brand=" + BRAND + ok + "&from=2026-11-30&to=2026-11-29", "from must be before to"},
            {"/v1/receipts?brand=" + BRAND + ok + "&format=xml", "format: 'xml'"},
            {"/v1/receipts?brand=" + BRAND + ok + "&limit=0", "limit: '0'"},
            {"/v1/receipts?brand=" + BRAND + ok + "&limit=10001", "limit: '10001'"},
            {"/v1/receipts?brand=" + BRAND + ok + "&channel=MESAJ", "channel: not a parameter"},
            {"/v1/receipts?brand=" + BRAND + ok + "&format=csv&format=json", "format: given more than once"},
            {"/v1/receipts/scrubs/xyz", "run id:"},
        };
        for (final String[] c : cases)
        {
            final Response response = get(c[0], adminToken);
            assertEquals(400, response.status(), c[0] + " " + response.body());
            assertTrue(response.body().contains("\"error\":\"bad_request\"") && response.body().contains(c[1]),
                c[0] + " " + response.body());
        }
    }

    @Test
    void shouldServeAFiledScrubRunAndSay404ForAnother() throws Exception
    {
        final ScrubRun run = new ScrubRun("client:sender", T0);
        run.onRow(first, Reason.CONSENT);
        proofs.complete(run.finish(T0), Runnable::run).get(10, TimeUnit.SECONDS);
        final Response filed = get("/v1/receipts/scrubs/" + DecisionIds.text(first), adminToken);
        assertEquals(200, filed.status(), filed.body());
        assertTrue(filed.body().contains("\"runId\":\"" + DecisionIds.text(first) + "\""), filed.body());
        assertEquals(404, get("/v1/receipts/scrubs/00010000000000ff", adminToken).status());
    }
}
