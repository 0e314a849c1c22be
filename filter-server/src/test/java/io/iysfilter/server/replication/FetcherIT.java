package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Scrape;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.ingest.ChangeHandOff;
import io.iysfilter.server.iys.FeedSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fetcher server following the İYS emulator publishes every change its index holds, each brand's watermarks and
 * cursors in its own partition, each cursor after the changes it covers; a page its index already held when its
 * cursor never reached the topic (a fetcher killed between applying and committing) is published when fetched again;
 * a fenced fetcher stops following İYS, stands by (refusing writes) and takes office again once re-elected.
 */
@Timeout(180)
class FetcherIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final long OTHER = 600_002;
    private static final int PARTITIONS = 3;

    @TempDir
    static Path kafkaDir;

    private static KafkaBroker broker;

    @TempDir
    Path dataDir;

    private IysEmulator emulator;
    private FilterServer server;

    @BeforeAll
    static void startBroker() throws Exception
    {
        broker = KafkaBroker.start(kafkaDir);
    }

    @AfterAll
    static void stopBroker()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

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

    private FilterServer start(final ReplicationSettings replication, final List<Long> brands) throws Exception
    {
        final FeedSettings feed = FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user",
            "secret", brands, 50, 64, 0, true);
        return FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000))
            .feed(feed)
            .replication(replication));
    }

    private static ReplicationSettings fetcher(final String topic)
    {
        return new ReplicationSettings(Role.FETCHER, broker.bootstrapServers(), null, topic, PARTITIONS, (short)1);
    }

    @Test
    void shouldPublishEveryChangeOfTheIndexWithEachBrandsCursorAfterItsChangesInTheBrandsPartition() throws Exception
    {
        final String topic = "fetcher-all";
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND, OTHER), 300, 42,
            "iys-user", "secret", 0, 7_200_000));
        server = start(fetcher(topic), List.of(BRAND, OTHER));
        assertEquals(topic, FetcherMarker.read(dataDir).topic(),
            "the fetcher marked its data directory: an offline import marks it to be published whole");
        server.feed().nextCompletePoll(BRAND).get();
        server.feed().nextCompletePoll(OTHER).get();
        emulator.change(BRAND, "HS", "+905329990002", "BIREYSEL", "MESAJ", "RET");
        server.feed().nextCompletePoll(BRAND).get();

        final Map<String, Double> series = Scrape.series(server.httpPort());
        assertTrue(series.get("iys_replication_published_total{kind=\"consent\"}") >= 600, series.toString());
        assertTrue(series.get("iys_replication_published_total{kind=\"cursor\"}") >= 2, series.toString());
        assertTrue(series.get("iys_replication_transactions_total{outcome=\"committed\"}") >= 2, series.toString());
        assertEquals(0.0, series.get("iys_replication_fenced"));
        final Map<Long, Map<String, String>> cursors = new HashMap<>();
        for (final long brand : List.of(BRAND, OTHER))
        {
            final Map<String, String> bySource = new HashMap<>();
            server.feed().status(brand).sources().forEach((source, status) ->
            {
                if (status.cursor() != null)
                {
                    bySource.put(source, status.cursor());
                }
            });
            assertTrue(!bySource.isEmpty(), "brand " + brand + " has a cursor");
            cursors.put(brand, bySource);
        }
        // closing commits what the writer handed over last (the newest watermarks)
        server.close();
        server = null;

        final List<TopicReader.Read> read = TopicReader.readCommitted(broker.bootstrapServers(), topic);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000)))
        {
            for (final long brand : List.of(BRAND, OTHER))
            {
                final List<TopicReader.Read> ofBrand = read.stream().filter((r) -> r.brand() == brand).toList();
                assertTrue(ofBrand.stream().allMatch((r) -> r.partition() == TopicRecords.partition(brand,
                    PARTITIONS)), "every record of brand " + brand + " in its partition");
                assertIndexEqualsTopic(store, brand, ofBrand);

                long lastConsent = -1;
                long lastCursor = -1;
                final Map<String, String> lastCursors = new HashMap<>();
                String lastWatermark = null;
                for (final TopicReader.Read one : ofBrand)
                {
                    if (one.kind() == TopicRecords.CONSENT)
                    {
                        lastConsent = one.offset();
                    }
                    else if (one.kind() == TopicRecords.CURSOR)
                    {
                        lastCursor = one.offset();
                        lastCursors.put(one.key(), one.value().substring(0, one.value().lastIndexOf('@')));
                    }
                    else
                    {
                        lastWatermark = one.value();
                    }
                }
                assertTrue(lastConsent < lastCursor, "brand " + brand + ": the last cursor (offset " + lastCursor +
                    ") follows every change (last at " + lastConsent + ")");
                assertEquals(cursors.get(brand), lastCursors, "the topic's cursors are the feed's");
                assertEquals(Long.toString(store.brand(brand).watermarkMs()), lastWatermark,
                    "the newest watermark record is the index's");
            }
        }
    }

    @Test
    void shouldPublishAPageItsIndexAlreadyHeldWhenItsCursorNeverReachedTheTopic() throws Exception
    {
        final String topic = "fetcher-again";
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 300, 7,
            "iys-user", "secret", 0, 7_200_000));
        // a fetcher killed after applying its pages and before committing them leaves this: the index holds the
        // changes, the local cursors have not moved (they move only after the commit)
        server = start(ReplicationSettings.STANDALONE, List.of(BRAND));
        server.feed().nextCompletePoll(BRAND).get();
        server.close();
        server = null;
        try (var files = Files.list(dataDir.resolve("brands/" + BRAND)))
        {
            for (final Path file : files.filter((f) -> f.getFileName().toString().endsWith(".cursor")).toList())
            {
                Files.delete(file);
            }
        }

        server = start(fetcher(topic), List.of(BRAND));
        server.feed().nextCompletePoll(BRAND).get();
        server.close();
        server = null;

        final List<TopicReader.Read> read = TopicReader.readCommitted(broker.bootstrapServers(), topic);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000)))
        {
            assertTrue(store.brand(BRAND).entries() >= 300, "entries " + store.brand(BRAND).entries());
            assertIndexEqualsTopic(store, BRAND, read);
        }
    }

    @Test
    void shouldStandByWhenFencedAndTakeOfficeAgainOnceReElected() throws Exception
    {
        final String topic = "fetcher-fenced";
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 50, 3,
            "iys-user", "secret", 0, 7_200_000));
        server = start(fetcher(topic), List.of(BRAND));
        server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
        final FetcherElection election = server.election();
        assertEquals(FetcherElection.State.ACTIVE, election.state());
        // once it steps down it stays out of the election group until this test lets it back
        election.resignBackoffMs(TimeUnit.MINUTES.toMillis(10));
        try (FetcherPublisher other = FetcherPublisher.start(fetcher(topic), new ChangeHandOff(8)))
        {
            assertEquals(null, other.trouble(), "the new fetcher took the transactional id");
            // from here the old fetcher can commit nothing: what the topic holds now is all it ever will
            final List<TopicReader.Read> before = TopicReader.readCommitted(broker.bootstrapServers(), topic);
            assertTrue(before.stream().anyMatch((r) -> r.kind() == TopicRecords.CONSENT), "published before");
            emulator.change(BRAND, "HS", "+905329990007", "BIREYSEL", "MESAJ", "RET");
            awaitState(election, FetcherElection.State.STANDBY);
            // fenced, or (when the takeover aborted its open transaction first, which the broker answers with an
            // invalid transaction state the producer cannot abort) stopped: either way it steps down
            assertTrue(election.lastEnd().startsWith("fenced") || election.lastEnd().startsWith("stopped:"),
                election.lastEnd());
            assertNull(server.publisher(), "no publisher out of office");
            assertNull(server.feed().status(BRAND), "a standby follows no İYS feed");
            final Map<String, Double> series = Scrape.series(server.httpPort());
            assertEquals(1.0, series.get("iys_replication_stopped"), series.toString());
            assertEquals(1.0, series.get("iys_replication_stepdowns_total{reason=\"fenced\"}") +
                series.get("iys_replication_stepdowns_total{reason=\"stopped\"}"), series.toString());
            assertEquals(1.0, series.get("iys_replication_fetcher_state{state=\"standby\"}"), series.toString());
            final HttpResponse<String> ready = get("/health/ready");
            assertTrue(ready.body().contains("\"fetcher\":\"standby\""), ready.body());
            // a write from another door would be applied here and never published: refused, not "recorded"
            final HttpResponse<String> optOut = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/optouts"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"brand\":" + BRAND + ",\"channel\":\"MESAJ\"," +
                    "\"recipient\":\"05321111111\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, optOut.statusCode(), optOut.body());
            assertTrue(optOut.body().contains("\"error\":\"replication\"") && optOut.body().contains("standby"),
                optOut.body());
            final HttpResponse<String> reconcile = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/reconcile?brand=" + BRAND +
                "&date=2025-01-01")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(503, reconcile.statusCode(), reconcile.body());
            assertTrue(reconcile.body().contains("\"error\":\"replication\""), reconcile.body());
            assertNull(other.trouble(), "the fetcher that took over was not fenced back by the standby");
            assertEquals(before, TopicReader.readCommitted(broker.bootstrapServers(), topic),
                "nothing the fenced fetcher applied after the takeover (the RET's page, its cursor) reached the " +
                "topic");

            // eligible again: the only member of the group, it is elected, fences the other and publishes the RET
            election.resignBackoffMs(0);
            awaitState(election, FetcherElection.State.ACTIVE);
            assertEquals(2, election.elections());
            server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
            final List<TopicReader.Read> after = TopicReader.readCommitted(broker.bootstrapServers(), topic);
            assertTrue(after.size() > before.size() && after.subList(0, before.size()).equals(before),
                "the re-elected fetcher published after what the topic held: " + after.size());
        }
    }

    private HttpResponse<String> get(final String path) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Wait, boundedly, for a fetcher's state of office.
     */
    static void awaitState(final FetcherElection election, final FetcherElection.State state)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (election.state() != state)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "not " + state + " but " + election.state() + ": " +
                election.lastEnd());
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * The newest record of each key the topic holds is exactly what the index holds, and the topic holds a record
     * for every entry of the index.
     */
    private static void assertIndexEqualsTopic(final ConsentStore store, final long brand,
        final List<TopicReader.Read> read)
    {
        final Map<String, String> newest = new LinkedHashMap<>();
        for (final TopicReader.Read one : read)
        {
            if (one.kind() == TopicRecords.CONSENT && one.brand() == brand)
            {
                newest.put(one.key(), one.value());
            }
        }
        final BrandIndex index = store.brand(brand);
        assertEquals(index.entries(), newest.size(), "brand " + brand + ": one key in the topic per index entry");
        final IndexLookup lookup = store.newLookup();
        final long[] words = new long[2];
        final ConsentChange change = new ConsentChange();
        for (final Map.Entry<String, String> entry : newest.entrySet())
        {
            final String[] key = entry.getKey().split(":");
            change.setKeyed(brand, Integer.parseInt(key[0]), Long.parseLong(key[1]), Long.parseLong(key[2]), 0, 0);
            assertTrue(lookup.storedValue(change, words), "the index holds " + entry.getKey());
            assertEquals(entry.getValue(), words[0] + ":" + words[1], "the value of " + entry.getKey());
        }
    }
}
