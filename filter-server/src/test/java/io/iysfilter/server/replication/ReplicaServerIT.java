package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server with role replica: no İYS settings at all, its index built from the topic alone. Not ready until its
 * bootstrap reached the topic's end; then it answers exactly as the records say, shows its place in the topic per
 * brand, counts what it consumed, follows new records, and refuses opt-outs and reconciles.
 */
class ReplicaServerIT
{
    private static final long BRAND = 600_001;
    private static final String TOPIC = "iys-filter.changes";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    private int httpPort;

    @Test
    void aReplicaServesWhatTheTopicSaysAndTakesNoOtherWrites() throws Exception
    {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker")))
        {
            final Path dataDir = dir.resolve("replica");
            java.nio.file.Files.createDirectories(dataDir);
            TestKeys.writeKeyFile(IndexKey.defaultFile(dataDir));
            try (FilterServer server = FilterServer.start(new FilterServer.Context()
                .dataDirectory(dataDir)
                .binaryPort(0)
                .httpPort(0)
                .milterPort(-1)
                .ioThreads(1)
                .policy(FilterPolicy.DEFAULT)
                .indexOptions(TestKeys.options(10_000))
                .replication(new ReplicationSettings(Role.REPLICA, broker.bootstrapServers(), null, TOPIC, 3,
                    (short)1))))
            {
                httpPort = server.httpPort();
                final HttpResponse<String> early = get("/health/ready");
                assertEquals(503, early.statusCode(), "the topic does not exist yet: " + early.body());
                assertTrue(early.body().contains("\"replica\":\"STARTING\""), early.body());

                final long nowSec = System.currentTimeMillis() / 1000;
                final long watermarkMs = (nowSec - 30) * 1000;
                try (TopicFiller filler = new TopicFiller(broker.bootstrapServers(), TOPIC, 3, dir.resolve("fetcher")))
                {
                    final String earlier = IysTime.format(nowSec - 3600);
                    filler.consent(BRAND, earlier, "+905321111111", "BIREYSEL", "MESAJ", "ONAY");
                    filler.consent(BRAND, earlier, "+905322222222", "BIREYSEL", "MESAJ", "RET");
                    filler.consent(BRAND, earlier, "ayse@example.com", "BIREYSEL", "EPOSTA", "ONAY");
                    filler.consent(BRAND, earlier, "ali@example.com", "BIREYSEL", "EPOSTA", "RET");
                    filler.watermark(BRAND, watermarkMs);
                    filler.commit();
                    server.replica().caughtUp().get(60, TimeUnit.SECONDS);
                    // caught up with the end taken when the topic appeared, maybe before the records: ready once the
                    // brand is there and fresh
                    awaitBody("/health/ready", "\"status\":\"READY\"");

                    assertReason("MESAJ", "05321111111", "ALLOW", "CONSENT");
                    assertReason("MESAJ", "05322222222", "DENY", "REJECTED");
                    assertReason("ARAMA", "05321111111", "DENY", "NO_CONSENT");
                    assertReason("EPOSTA", "ayse@example.com", "ALLOW", "CONSENT");
                    assertReason("EPOSTA", "ali@example.com", "DENY", "REJECTED");
                    assertReason("EPOSTA", "veli@example.com", "DENY", "NO_CONSENT");
                    assertTrue(get("/v1/check?brand=600001&channel=MESAJ&recipient=05321111111").body()
                        .contains("\"asOf\":\"" + Instant.ofEpochMilli(watermarkMs) + "\""), "as-of: the watermark");

                    final String brands = get("/v1/brands").body();
                    assertTrue(brands.contains("\"role\":\"replica\",\"offset\":6,\"lagRecords\":") &&
                        brands.contains("\"watermark\":\"" + Instant.ofEpochMilli(watermarkMs) + "\""), brands);
                    final String metrics = get("/metrics").body();
                    assertTrue(metrics.contains("iys_replication_consumed_total{kind=\"consent\"} 4.0") &&
                        metrics.contains("iys_replication_consumed_total{kind=\"watermark\"} 1.0") &&
                        metrics.contains("iys_replication_quarantined_total 0.0") &&
                        metrics.contains("iys_replication_lag_records"), metrics);

                    filler.consent(BRAND, IysTime.format(nowSec - 10), "ayse@example.com", "BIREYSEL", "EPOSTA",
                        "RET");
                    filler.commit();
                    awaitBody("/v1/check?brand=600001&channel=EPOSTA&recipient=ayse@example.com", "\"REJECTED\"");
                }

                final HttpResponse<String> optOut = HTTP.send(HttpRequest.newBuilder(uri("/v1/optouts"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"brand\":600001,\"channel\":\"MESAJ\"," +
                        "\"recipient\":\"05321111111\"}")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(409, optOut.statusCode(), optOut.body());
                assertTrue(optOut.body().contains("\"error\":\"replica\"") && optOut.body().contains("fetcher"),
                    optOut.body());
                final HttpResponse<String> reconcile = HTTP.send(HttpRequest.newBuilder(
                    uri("/v1/reconcile?brand=600001&date=2025-01-01")).POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(409, reconcile.statusCode(), reconcile.body());
                assertTrue(reconcile.body().contains("\"error\":\"replica\""), reconcile.body());
                assertReason("MESAJ", "05321111111", "ALLOW", "CONSENT");
            }
        }
    }

    private void assertReason(final String channel, final String recipient, final String verdict,
        final String reason) throws Exception
    {
        final String body = get("/v1/check?brand=600001&channel=" + channel + "&recipient=" + recipient).body();
        assertTrue(body.startsWith("{\"verdict\":\"" + verdict + "\",\"reason\":\"" + reason + "\""),
            channel + " " + recipient + ": " + body);
    }

    private void awaitBody(final String path, final String part) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String body;
        while (!(body = get(path).body()).contains(part))
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, path + " never held " + part + ": " + body);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private HttpResponse<String> get(final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(final String path)
    {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }
}
