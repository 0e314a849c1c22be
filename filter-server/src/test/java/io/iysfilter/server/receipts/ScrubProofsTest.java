package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A scrub run's proof: the input digest is the SHA-256 of the body as received however it was split, the counts are
 * the rows' reasons, the first and last ids are the run's recorded ones, and the summary is filed durably under the
 * day with the chain head that covers the last decision, and read back with the root once the day is closed.
 */
class ScrubProofsTest
{
    private static final long NOW = Instant.parse("2026-11-30T10:00:00Z").toEpochMilli();

    @TempDir
    Path dir;

    private final MemoryReceipts journal = new MemoryReceipts(MemoryReceipts.FAKE_PROTECTION);

    @Test
    void shouldSumARunAndFileItWithTheHeadThatCoversItsLastDecision() throws Exception
    {
        final byte[] body = "+905321111111\n+905322222222\nbad\n+905323333333\n".getBytes(StandardCharsets.UTF_8);
        final ScrubRun run = new ScrubRun("client:acme", NOW);
        run.onBody(ByteBuffer.wrap(body, 0, 10));
        run.onBody(ByteBuffer.wrap(body, 10, body.length - 10));
        final long first = journal.add(NOW, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111",
            Reason.CONSENT, 1);
        run.onRow(first, Reason.CONSENT);
        final long second = journal.add(NOW, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905322222222",
            Reason.REJECTED, 1);
        run.onRow(second, Reason.REJECTED);
        run.onRow(0, Reason.INVALID_RECIPIENT);
        final long last = journal.add(NOW, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905323333333",
            Reason.CONSENT, 1);
        run.onRow(last, Reason.CONSENT);
        assertEquals(first, run.runId());

        final ScrubProof proof = run.finish(NOW + 1_000);
        assertEquals(4, proof.rows());
        assertEquals(Map.of("CONSENT", 2L, "REJECTED", 1L, "INVALID_RECIPIENT", 1L), proof.byReason());
        assertEquals(proof.rows(), proof.byReason().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(first, proof.firstId());
        assertEquals(last, proof.lastId());
        assertEquals(ScrubProof.hex(MessageDigest.getInstance("SHA-256").digest(body)), proof.inputDigest());

        final ScrubProofs proofs = new ScrubProofs(dir, journal);
        final ScrubProof filed = proofs.complete(proof, Runnable::run).get(10, TimeUnit.SECONDS);
        final long day = Math.floorDiv(NOW, FoundReceipt.DAY_MS);
        assertEquals(journal.digest(day).hex(), filed.chainHead());
        assertEquals(last, filed.headCovers());
        final Path file = dir.resolve("scrubs/2026-11-30/" + DecisionIds.text(first) + ".json");
        assertEquals(ScrubProofs.file(dir, day, first), file);
        final String json = Files.readString(file);
        assertTrue(json.contains("\"runId\":\"" + DecisionIds.text(first) + "\""), json);
        assertTrue(json.contains("\"client\":\"client:acme\""), json);
        assertTrue(json.contains("\"inputSha256\":\"" + proof.inputDigest() + "\""), json);
        assertTrue(json.contains("\"lastDecisionId\":\"" + DecisionIds.text(last) + "\""), json);
        assertTrue(json.contains("\"chainHead\":\"" + journal.digest(day).hex() + "\""), json);

        assertTrue(proofs.read(first).contains("\"dayClosed\":false,\"dayRoot\":null"), proofs.read(first));
        journal.close(day, "cd".repeat(32));
        assertTrue(proofs.read(first).contains("\"dayClosed\":true,\"dayRoot\":\"" + "cd".repeat(32) + "\""),
            proofs.read(first));
        assertNull(proofs.read(first + 1000), "no such run");
        assertEquals(1, proofs.written());
    }

    @Test
    void shouldFileRunsEndingAroundMidnightOutsideTheJournalsDaysSoThatNoDayIsLeftWithoutSegments() throws Exception
    {
        final long midnight = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
        final long lastDay = Math.floorDiv(midnight - 1, FoundReceipt.DAY_MS);
        final long beforeFirst;
        final long lastOfFirst;
        final long lastOfSecond;
        try (JournalFiller filler = JournalFiller.open(dir, MemoryReceipts.FAKE_PROTECTION, midnight - 60_000))
        {
            beforeFirst = filler.add(midnight - 2_000, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111",
                Reason.CONSENT);
            lastOfFirst = filler.add(midnight - 1_500, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905322222222",
                Reason.REJECTED);
            lastOfSecond = filler.add(midnight - 50, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905323333333",
                Reason.CONSENT);
        }
        final ScrubProofs proofs = new ScrubProofs(dir, JournalReceiptSource.open(dir));
        // one run ends at the last millisecond of the day, the other just after midnight, its rows all the day before
        final ScrubProof atMidnight = new ScrubProof(beforeFirst, "client:acme", "ab".repeat(32), 2,
            Map.of("CONSENT", 1L, "REJECTED", 1L), beforeFirst, lastOfFirst, midnight - 3_000, midnight - 1, null, 0,
            lastDay);
        final ScrubProof afterMidnight = new ScrubProof(lastOfSecond, "client:acme", "cd".repeat(32), 1,
            Map.of("CONSENT", 1L), lastOfSecond, lastOfSecond, midnight - 100, midnight + 300, null, 0, lastDay + 1);
        final ScrubProof first = proofs.complete(atMidnight, Runnable::run).get(30, TimeUnit.SECONDS);
        final ScrubProof second = proofs.complete(afterMidnight, Runnable::run).get(30, TimeUnit.SECONDS);

        try (Stream<Path> entries = Files.list(dir))
        {
            for (final Path entry : entries.filter(Files::isDirectory).toList())
            {
                final String name = entry.getFileName().toString();
                if (name.matches("\\d{4}-\\d{2}-\\d{2}"))
                {
                    assertTrue(JournalFormat.segments(entry).length > 0, "a day directory without segments: " + name);
                }
            }
        }
        assertEquals(ScrubProofs.file(dir, lastDay + 1, lastOfSecond), dir.resolve("scrubs/2026-12-01/" +
            DecisionIds.text(lastOfSecond) + ".json"));
        assertTrue(Files.isRegularFile(ScrubProofs.file(dir, lastDay, beforeFirst)));
        assertTrue(Files.isRegularFile(ScrubProofs.file(dir, lastDay + 1, lastOfSecond)));
        final Verification verified = ReceiptReader.open(dir).verifyAll();
        assertTrue(verified.ok(), verified.describe());

        // the chain head is the one of the day of the run's last decision, which covers it
        final ReceiptSource.DayDigest digest = JournalReceiptSource.open(dir).digest(lastDay);
        assertEquals(digest.hex(), first.chainHead());
        assertEquals(digest.hex(), second.chainHead());
        assertEquals(lastOfSecond, second.headCovers());
        final String read = proofs.read(lastOfSecond);
        assertTrue(read.contains("\"day\":\"2026-12-01\""), read);
        assertTrue(read.contains("\"chainHeadDay\":\"2026-11-30\""), read);
        assertTrue(read.contains("\"dayClosed\":false"), read);
    }

    @Test
    void shouldStillReadASummaryAnEarlierBuildFiledInsideItsDay() throws Exception
    {
        final long day = Math.floorDiv(NOW, FoundReceipt.DAY_MS);
        final long id = journal.add(NOW, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111", Reason.CONSENT,
            1);
        final Path legacy = dir.resolve("2026-11-30/scrubs/" + DecisionIds.text(id) + ".json");
        Files.createDirectories(legacy.getParent());
        Files.writeString(legacy, "{\"runId\":\"" + DecisionIds.text(id) + "\",\"day\":\"2026-11-30\"}\n");
        final ScrubProofs proofs = new ScrubProofs(dir, journal);
        assertEquals("{\"runId\":\"" + DecisionIds.text(id) + "\",\"day\":\"2026-11-30\",\"dayClosed\":false," +
            "\"dayRoot\":null}", proofs.read(id));
        journal.close(day, "cd".repeat(32));
        assertTrue(proofs.read(id).endsWith("\"dayClosed\":true,\"dayRoot\":\"" + "cd".repeat(32) + "\"}"));
        assertNull(proofs.read(id + 1));
    }

    @Test
    void shouldWaitForTheSealOfTheLastDecisionAndReadTheHeadOnceWithoutPolling() throws Exception
    {
        final long day = Math.floorDiv(NOW, FoundReceipt.DAY_MS);
        final long lastId = (1L << 48) | 7;
        final AtomicLong sealedId = new AtomicLong((1L << 48) | 3);
        final AtomicInteger digests = new AtomicInteger();
        final ReceiptSource live = new ReceiptSource()
        {
            @Override
            public long[] days()
            {
                return new long[]{day};
            }

            @Override
            public void read(final long epochDay, final Visitor visitor)
            {
            }

            @Override
            public DayDigest digest(final long epochDay)
            {
                digests.incrementAndGet();
                return new DayDigest(epochDay, false, Long.toHexString(sealedId.get()), sealedId.get());
            }
        };
        final CountDownLatch seal = new CountDownLatch(1);
        final CountDownLatch waiting = new CountDownLatch(1);
        final ScrubProofs proofs = new ScrubProofs(dir, live, (decisionId, timeout, unit) ->
        {
            assertEquals(lastId, decisionId, "waits for the run's last decision");
            waiting.countDown();
            return seal.await(timeout, unit);
        });
        final ScrubProof proof = new ScrubProof(lastId - 6, "client:acme", "ab".repeat(32), 7, Map.of("CONSENT", 7L),
            lastId - 6, lastId, NOW - 1_000, NOW, null, 0, day);
        final ExecutorService worker = Executors.newSingleThreadExecutor();
        try
        {
            final CompletableFuture<ScrubProof> filed = proofs.complete(proof, worker);
            assertTrue(waiting.await(10, TimeUnit.SECONDS));
            assertEquals(0, digests.get(), "nothing read before the seal");
            sealedId.set(lastId);
            seal.countDown();
            final ScrubProof written = filed.get(10, TimeUnit.SECONDS);
            assertEquals(lastId, written.headCovers());
            assertEquals(Long.toHexString(lastId), written.chainHead());
            assertEquals(1, digests.get(), "the head is read once, after the seal");
        }
        finally
        {
            worker.shutdownNow();
        }
    }

    @Test
    void shouldNotFileARunWithoutARecordedDecision() throws Exception
    {
        final ScrubRun run = new ScrubRun("peer:127.0.0.1", NOW);
        run.onRow(0, Reason.INVALID_RECIPIENT);
        final ScrubProofs proofs = new ScrubProofs(dir, journal);
        assertNull(proofs.complete(run.finish(NOW), Runnable::run).get(10, TimeUnit.SECONDS));
        assertEquals(0, proofs.written());
    }
}
