package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.iys.FeedSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a fetcher an opt-out is acknowledged (201) only once the replication topic has committed it: with the broker
 * down it answers 503 {@code "error":"replication","retry":true} with {@code Retry-After} within the bound, and once
 * the broker is back it answers 201 and the topic holds it (and the one refused before, which stayed in the
 * hand-off and was sent again).
 */
@Timeout(240)
class FetcherOptOutIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final int PARTITIONS = 2;

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
        if (server != null)
        {
            server.close();
        }
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
    void anOptOutIsAcknowledgedOnlyOnceTheTopicCommittedItAndRefusedRetryablyWhileTheBrokerIsDown() throws Exception
    {
        broker = KafkaBroker.start(kafkaDir);
        final String topic = "fetcher-optouts";
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 20, 5,
            "iys-user", "secret", 0, 7_200_000));
        final FeedSettings feed = FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user",
            "secret", List.of(BRAND), 50, 64, 0, true);
        server = FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000))
            .feed(feed)
            .replication(new ReplicationSettings(Role.FETCHER, broker.bootstrapServers(), null, topic, PARTITIONS,
                (short)1)));
        server.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);

        final HttpResponse<String> first = optOut("05321110001");
        assertEquals(201, first.statusCode(), "the broker is up: committed and acknowledged: " + first.body());
        final Map<String, String> before = consents(topic);
        assertTrue(before.size() >= 1, "the first opt-out is on the topic");

        broker.stop();
        final HttpResponse<String> refused;
        final long startNs = System.nanoTime();
        try
        {
            refused = optOut("05321110002");
        }
        finally
        {
            broker.restart();
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertEquals(503, refused.statusCode(), "recorded here, not committed to the topic: not acknowledged: " +
            refused.body());
        assertTrue(refused.body().startsWith("{\"error\":\"replication\",\"retry\":true,"), refused.body());
        assertEquals("5", refused.headers().firstValue("Retry-After").orElse(null));
        assertTrue(tookMs < ChangeTap.PUBLISH_WAIT_MS + 3_000, "answered within the bound: " + tookMs + " ms");

        // the broker is back: a client sending again (Retry-After) gets its acknowledgement once committed
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        HttpResponse<String> again = optOut("05321110003");
        while (again.statusCode() == 503)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "never acknowledged after the broker came back: " +
                again.body());
            again = optOut("05321110003");
        }
        assertEquals(201, again.statusCode(), again.body());

        final Map<String, String> after = consents(topic);
        final Map<String, String> added = new HashMap<>(after);
        added.keySet().removeAll(before.keySet());
        assertEquals(2, added.size(), "both opt-outs made while and after the broker was down reached the topic " +
            "(the refused one was kept in the hand-off and sent again): " + added);
        for (final String value : added.values())
        {
            final long word1 = Long.parseLong(value.substring(value.indexOf(':') + 1));
            assertEquals(ConsentStatus.RET, ConsentValueDescriptor.status(word1), value);
        }
    }

    private HttpResponse<String> optOut(final String recipient) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/optouts"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"brand\":" + BRAND + ",\"channel\":\"MESAJ\"," +
                "\"recipient\":\"" + recipient + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * @return the newest value of every consent key the topic holds committed.
     */
    private Map<String, String> consents(final String topic)
    {
        final Map<String, String> newest = new HashMap<>();
        for (final TopicReader.Read read : TopicReader.readCommitted(broker.bootstrapServers(), topic))
        {
            if (read.kind() == TopicRecords.CONSENT)
            {
                newest.put(read.key(), read.value());
            }
        }
        return newest;
    }
}
