package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Scrape;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.cli.ImportCommand;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.iys.DailyFileImporter;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.iys.IysTime;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fetcher publishes an index the topic lacks: a standalone server's index that becomes a fetcher's, the index after
 * an offline import into the fetcher's directory, and the index again when the topic was deleted and created empty
 * under its name; a start against the topic it already published to publishes nothing again.
 */
@Timeout(300)
class FetcherRepublishIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final int PARTITIONS = 2;
    private static final String TOPIC = "fetcher-republish";
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(120);

    @TempDir
    Path kafkaDir;

    @TempDir
    Path dataDir;

    private KafkaBroker broker;
    private IysEmulator emulator;
    private FilterServer server;

    @AfterEach
    void stop()
    {
        closeServer();
        if (emulator != null)
        {
            emulator.close();
        }
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void aStandaloneIndexBecomingAFetchersAndATopicCreatedAgainArePublishedWhole() throws Exception
    {
        broker = KafkaBroker.start(kafkaDir);
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 200, 11,
            "iys-user", "secret", 0, 7_200_000));
        server = start(ReplicationSettings.STANDALONE);
        server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
        final long entries = server.store().brand(BRAND).entries();
        assertTrue(entries >= 200, "the standalone server built its index: " + entries);
        closeServer();
        // and a record İYS's feed never serves again (a daily file of the standalone days): only the republication
        // can put it on the topic (a fetcher taking office over a topic without cursors fetches İYS's window again)
        importDay("ab", "+905329998866");

        // the same data directory as a fetcher: it publishes its index whole once in office
        server = start(fetcher());
        awaitActive();
        final String topicId = server.publisher().topicId();
        assertNotNull(topicId);
        await(() -> topicId.equals(published()), "the marker names the topic once the index is committed");
        closeServer();
        assertTopicHoldsTheIndex();

        // a start against the topic it published to publishes nothing again
        server = start(fetcher());
        awaitActive();
        server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
        // what it publishes is what its feed fetched again (İYS's window, since the first term closed before its
        // feed's cursor was committed), never the index whole: the imported record is no feed's
        final double publishedAgain = Scrape.series(server.httpPort())
            .get("iys_replication_published_total{kind=\"consent\"}");
        assertTrue(publishedAgain < server.store().brand(BRAND).entries(), "the marker names this topic: the " +
            "index is not published whole again (" + publishedAgain + " consents published)");
        assertEquals(topicId, published());
        closeServer();

        // a daily file imported offline into the fetcher's directory: its next start publishes the index whole
        importDay("cd", "+905329998877");
        assertTrue(FetcherMarker.read(dataDir).imported());
        server = start(fetcher());
        await(() -> !importedQuietly(), "the import is published and the marker says so");
        assertEquals(topicId, published());
        closeServer();
        assertTopicHoldsTheIndex();

        // the topic is deleted and created again, empty: the next start publishes the index whole again
        final Map<String, Object> client = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            broker.bootstrapServers());
        try (Admin admin = Admin.create(client))
        {
            admin.deleteTopics(List.of(TOPIC)).all().get(30, TimeUnit.SECONDS);
        }
        await(() -> topicIdQuietly(client) == null, "the topic is gone");
        final long startNs = System.nanoTime();
        while (server == null)
        {
            try
            {
                server = start(fetcher());
            }
            catch (final IOException ex)
            {
                // the broker may still be deleting the old topic's logs
                assertTrue(System.nanoTime() - startNs < DEADLINE_NS, "cannot start the fetcher again: " + ex);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
        }
        awaitActive();
        final String newId = server.publisher().topicId();
        assertTrue(!topicId.equals(newId), "created again: another id");
        await(() -> newId.equals(published()), "the marker names the new topic once the index is committed");
        closeServer();
        assertTopicHoldsTheIndex();
    }

    /**
     * Import one RET of {@code recipient} offline, as a daily file of a minute ago.
     */
    private void importDay(final String transactionByte, final String recipient) throws Exception
    {
        final Path day = Files.writeString(dataDir.resolve("day-" + transactionByte + ".csv"),
            String.join(",", DailyFileImporter.COLUMNS) + "\n" + IysTime.format(System.currentTimeMillis() / 1000 -
            60) + "," + transactionByte.repeat(32) + "," + recipient + ",BIREYSEL,MESAJ,RET,2025-01-02 10:00:00," +
            "HS_WEB\n");
        assertEquals(1, ImportCommand.importFile(dataDir, BRAND, 10_000, TestKeys.KEY, day,
            new PrintStream(OutputStream.nullOutputStream())).applied());
    }

    private void awaitActive()
    {
        await(() -> server.election().state() == FetcherElection.State.ACTIVE, "the fetcher takes office");
    }

    private FilterServer start(final ReplicationSettings replication) throws Exception
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
            .feed(feed)
            .replication(replication));
    }

    private ReplicationSettings fetcher()
    {
        return new ReplicationSettings(Role.FETCHER, broker.bootstrapServers(), null, TOPIC, PARTITIONS, (short)1);
    }

    private void closeServer()
    {
        if (server != null)
        {
            server.close();
            server = null;
        }
    }

    private String published()
    {
        try
        {
            final FetcherMarker.Marker marker = FetcherMarker.read(dataDir);
            return marker == null ? null : marker.published();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private boolean importedQuietly()
    {
        try
        {
            return FetcherMarker.read(dataDir).imported();
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    private String topicIdQuietly(final Map<String, Object> client)
    {
        try
        {
            return TopicIds.of(client, TOPIC);
        }
        catch (final IOException ex)
        {
            return "unknown: " + ex;
        }
    }

    /**
     * The topic holds a record for every entry of the index, and its newest record of each key is the index's value.
     */
    private void assertTopicHoldsTheIndex() throws Exception
    {
        final Map<String, String> newest = new HashMap<>();
        for (final TopicReader.Read read : TopicReader.readCommitted(broker.bootstrapServers(), TOPIC))
        {
            if (read.kind() == TopicRecords.CONSENT && read.brand() == BRAND)
            {
                newest.put(read.key(), read.value());
            }
        }
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000)))
        {
            final BrandIndex index = store.brand(BRAND);
            assertEquals(index.entries(), newest.size(), "one key on the topic per index entry");
            final IndexLookup lookup = store.newLookup();
            final long[] words = new long[2];
            final ConsentChange change = new ConsentChange();
            for (final Map.Entry<String, String> entry : newest.entrySet())
            {
                final String[] key = entry.getKey().split(":");
                change.setKeyed(BRAND, Integer.parseInt(key[0]), Long.parseLong(key[1]), Long.parseLong(key[2]), 0,
                    0);
                assertTrue(lookup.storedValue(change, words), "the index holds " + entry.getKey());
                assertEquals(entry.getValue(), words[0] + ":" + words[1], "the value of " + entry.getKey());
            }
        }
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + DEADLINE_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "timed out: " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }
}
