package io.iysfilter.server;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.receipts.ReceiptRecorder;
import io.iysfilter.server.receipts.ReceiptRun;
import io.iysfilter.server.receipts.ReceiptSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receipts as FilterServer runs them: opened before the endpoints (the run counted up), their meters on
 * /metrics, a failed journal named by /health/ready, and closed after the endpoints.
 */
class ReceiptsServerIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void theServerRecordsCountsAndSaysWhenTheJournalFails() throws Exception
    {
        final Path dataDir = dir.resolve("data");
        Fixtures.write(dataDir);
        final Path receipts = dataDir.resolve("receipts");
        final ReceiptSettings settings = new ReceiptSettings(receipts, false, 730, 1024);
        Path day = null;
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            assertEquals(DecisionRecorder.NONE, server.recorder(), "off in a bare Context");
        }
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).receipts(settings)))
        {
            assertEquals("1", Files.readString(receipts.resolve(ReceiptRun.FILE_NAME)).trim());
            final ReceiptRecorder recorder = (ReceiptRecorder)server.recorder();
            // what a decider does for each decision (the endpoints' deciders record through this same instance)
            final DecisionFacts facts = new DecisionFacts();
            final int party = recorder.party(Door.HTTP, "peer:127.0.0.1");
            final long first = recorder.record(fill(facts, party));
            assertEquals((1L << 48) | 1, first);
            Map<String, Double> metrics = Scrape.series(server.httpPort());
            assertEquals(1.0, metrics.get("iys_receipts_recorded_total"), metrics.toString());
            assertEquals(0.0, metrics.get("iys_receipts_failed"));
            assertEquals(0.0, metrics.get("iys_receipts_unrecorded_total{outcome=\"denied\"}"));
            assertTrue(!get(server, "/health/ready").body().contains("receipts"));

            // the day's directory turns into a file: the journal cannot allocate its next segment
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (recorder.queueDepth() > 0)
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the first receipt was never appended");
                Thread.onSpinWait();
            }
            try (Stream<Path> days = Files.list(receipts))
            {
                day = days.filter(Files::isDirectory).findFirst().orElseThrow();
            }
            try (Stream<Path> files = Files.walk(day))
            {
                files.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
            }
            Files.writeString(day, "not a directory");
            while (!recorder.failed())
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the journal never failed");
                recorder.record(fill(facts, party));
            }
            assertEquals(DecisionRecorder.NOT_RECORDED, recorder.record(fill(facts, party)));
            metrics = Scrape.series(server.httpPort());
            assertEquals(1.0, metrics.get("iys_receipts_failed"), metrics.toString());
            assertNotEquals(0.0, metrics.get("iys_receipts_unrecorded_total{outcome=\"denied\"}"));
            final HttpResponse<String> ready = get(server, "/health/ready");
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("{\"journal\":\"receipts\",\"reason\":\"receipts journal failed: "),
                ready.body());
        }
        // the disk mended: the next start appends what the failed journal had not sealed, from the queue
        Files.delete(day);
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).receipts(settings)))
        {
            assertEquals("2", Files.readString(receipts.resolve(ReceiptRun.FILE_NAME)).trim(), "counted up");
            assertEquals((2L << 48) | 1, server.recorder().record(fill(new DecisionFacts(), 0)));
        }
    }

    private static DecisionFacts fill(final DecisionFacts facts, final int party)
    {
        final long nowMs = System.currentTimeMillis();
        return facts.begin(nowMs, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL)
            .asker(Door.HTTP, party).answer(Reason.CONSENT, nowMs);
    }

    private static HttpResponse<String> get(final FilterServer server, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path)).GET()
            .build(), HttpResponse.BodyHandlers.ofString());
    }
}
