package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recorder with its drain thread, against the real journal.
 */
class ReceiptRecorderTest
{
    private static final int SEGMENT_SIZE = 64 * 1024;

    @TempDir
    Path dir;

    private ReceiptSettings settings(final boolean allowsUnrecorded)
    {
        return new ReceiptSettings(dir, allowsUnrecorded, 730, 1024);
    }

    private ReceiptRecorder open(final boolean allowsUnrecorded) throws IOException
    {
        return ReceiptRecorder.open(settings(allowsUnrecorded), System.currentTimeMillis(), SEGMENT_SIZE);
    }

    private static DecisionFacts facts(final int party, final Reason reason)
    {
        return facts(party, reason, System.currentTimeMillis());
    }

    private static DecisionFacts facts(final int party, final Reason reason, final long nowMs)
    {
        return new DecisionFacts().begin(nowMs, 600_001, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL).asker(Door.HTTP, party).answer(reason, nowMs);
    }

    /** Every receipt of the journal: id and party name, in journal order. */
    private List<String> journal() throws IOException
    {
        final List<String> receipts = new ArrayList<>();
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            for (final LocalDate day : reader.days())
            {
                reader.scan(day, (id, timeMs, party, receipt) -> receipts.add(DecisionIds.text(id) + " " + party));
            }
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
        }
        return receipts;
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    @Test
    void shouldJournalEveryDecisionOfTwoThreadsInIdOrderAndNameItsParty() throws Exception
    {
        final List<Long> given = new ArrayList<>();
        try (ReceiptRecorder recorder = open(false))
        {
            final int party = recorder.party(Door.HTTP, "client:acme");
            final ExecutorService threads = Executors.newFixedThreadPool(2);
            final List<Future<List<Long>>> futures = new ArrayList<>();
            for (int t = 0; t < 2; t++)
            {
                futures.add(threads.submit(() ->
                {
                    final List<Long> ids = new ArrayList<>();
                    final DecisionFacts facts = facts(party, Reason.CONSENT);
                    final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (ids.size() < 3_000)
                    {
                        final long id = recorder.record(facts);
                        if (id != DecisionRecorder.NOT_RECORDED)
                        {
                            ids.add(id);
                        }
                        assertTrue(System.nanoTime() - deadlineNs < 0, "the drain never caught up");
                    }
                    return ids;
                }));
            }
            for (final Future<List<Long>> future : futures)
            {
                given.addAll(future.get(60, TimeUnit.SECONDS));
            }
            threads.shutdown();
        }
        given.sort(Long::compareUnsigned);
        final List<String> expected = new ArrayList<>();
        for (final long id : given)
        {
            expected.add(DecisionIds.text(id) + " client:acme");
        }
        assertEquals(expected, journal(), "every id given, once, in order, sealed and verified after close");
        assertEquals(1, DecisionIds.run(given.get(0)));
    }

    @Test
    void shouldAppendWhatACrashedRunLeftInTheQueueBeforeServingAndOnlyOnce() throws Exception
    {
        // run 1 records into its queue and dies before its drain appended anything
        Files.createDirectories(dir);
        final int run = ReceiptRun.next(dir);
        final ReceiptRecorder crashed = ReceiptRecorder.overQueue(
            ReceiptQueue.open(dir.resolve(ReceiptRecorder.QUEUE_FILE), 1024, run, 0, new ReceiptQueue.Replay()
            {
                @Override
                public void receipt(final org.agrona.DirectBuffer buffer, final int offset, final long epochDay)
                {
                }
            }), new Parties(dir, run), false);
        final int party = crashed.party(Door.BINARY, "peer:127.0.0.1");
        final List<String> answered = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            answered.add(DecisionIds.text(crashed.record(facts(party, Reason.CONSENT))) + " peer:127.0.0.1");
        }

        try (ReceiptRecorder second = open(false))
        {
            final long id = second.record(facts(second.party(Door.HTTP, "client:acme"), Reason.NO_CONSENT));
            assertEquals(2, DecisionIds.run(id));
            answered.add(DecisionIds.text(id) + " client:acme");
        }
        assertEquals(answered, journal(), "the crashed run's receipts, named, then the new run's");
        try (ReceiptRecorder third = open(false))
        {
            assertEquals(0, third.queueDepth());
        }
        assertEquals(answered, journal(), "replayed once");
    }

    @Test
    void shouldFileACrashedRunsReceiptsUnderTheirOwnDayWhenReplayedOnALaterDayAndCoverThemByItsRoot()
        throws Exception
    {
        // two days before today: the second run's drain (on the real clock) keeps both days within retention
        final long day = Math.floorDiv(System.currentTimeMillis(), Receipts.DAY_MS) - 2;
        final long dayStart = day * Receipts.DAY_MS;
        final long hour = 3_600_000;
        Files.createDirectories(dir);
        final int run = ReceiptRun.next(dir);
        final Parties parties = new Parties(dir, run);
        final ReceiptQueue queue = ReceiptQueue.open(dir.resolve(ReceiptRecorder.QUEUE_FILE), 1024, run, 0,
            new ReceiptQueue.Replay()
            {
                @Override
                public void receipt(final org.agrona.DirectBuffer buffer, final int offset, final long epochDay)
                {
                }
            });
        final ReceiptRecorder crashed = ReceiptRecorder.overQueue(queue, parties, false);
        final int party = crashed.party(Door.BINARY, "peer:127.0.0.1");
        final List<Long> times = new ArrayList<>();
        // at 22:00 on day D the drain appends and seals five receipts; the day stays open, as a running server has it
        final ReceiptJournal journal = ReceiptJournal.open(dir, parties, dayStart + 22 * hour, SEGMENT_SIZE);
        final ReceiptDrain drain = new ReceiptDrain(journal, parties, 730);
        drain.attach(crashed, queue);
        for (int i = 0; i < 5; i++)
        {
            times.add(dayStart + 22 * hour + i * 1000L);
            crashed.record(facts(party, Reason.CONSENT, times.get(i)));
        }
        drain.duty(dayStart + 22 * hour + 10_000);
        drain.duty(dayStart + 22 * hour + 10_000 + ReceiptDrain.IDLE_SEAL_MS);
        journal.close();
        // five more answered up to 23:10, committed in the queue and never appended: then kill -9
        for (int i = 0; i < 5; i++)
        {
            times.add(dayStart + 23 * hour + 10 * 60_000 + i * 1000L);
            crashed.record(facts(party, Reason.CONSENT, times.get(5 + i)));
        }
        assertTrue(Files.notExists(JournalFormat.dayDirectory(dir, day).resolve(JournalFormat.ROOT_FILE)));

        // started again at 08:00 on D+1, with one decision that morning
        final long restart = dayStart + Receipts.DAY_MS + 8 * hour;
        final long morning;
        final ListAppender<ILoggingEvent> logs = new ListAppender<>();
        final Logger journalLog = (Logger)LoggerFactory.getLogger(ReceiptJournal.class);
        logs.start();
        journalLog.addAppender(logs);
        try (ReceiptRecorder second = ReceiptRecorder.open(settings(false), restart, SEGMENT_SIZE))
        {
            morning = second.record(facts(second.party(Door.HTTP, "client:acme"), Reason.NO_CONSENT, restart + 1));
        }
        finally
        {
            journalLog.detachAppender(logs);
        }

        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertEquals(List.of(LocalDate.ofEpochDay(day), LocalDate.ofEpochDay(day + 1)), reader.days());
            final List<Long> filed = new ArrayList<>();
            reader.scan(LocalDate.ofEpochDay(day), (id, timeMs, name, receipt) ->
            {
                assertFalse(receipt.flags().refiled(), "filed under its own day: " + DecisionIds.text(id));
                return filed.add(timeMs);
            });
            assertEquals(times, filed, "the replayed receipts under day D with their own times");
            final DayRoot root = reader.root(LocalDate.ofEpochDay(day));
            assertTrue(root.closed(), "day D closed after the replay");
            assertEquals(10, root.receipts(), "D's root covers the replayed receipts");
            final String logged = "receipts day closed: day=" + LocalDate.ofEpochDay(day) + ", root=" + root.digest() +
                ", receipts=10,";
            assertTrue(logs.list.stream().anyMatch(event -> event.getFormattedMessage().startsWith(logged)),
                "the logged root is the one filed: " + logged);
            assertEquals(DecisionIds.text((long)run << 48 | 10), DecisionIds.text(root.lastDecisionId()));
            final List<Long> nextDay = new ArrayList<>();
            reader.scan(LocalDate.ofEpochDay(day + 1), (id, timeMs, name, receipt) -> nextDay.add(id));
            assertEquals(List.of(morning), nextDay);
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(11, verification.receipts());
        }
    }

    @Test
    void shouldKeepABlockOpenAcrossBriefLullsAndSealItOnceTheQueueHasBeenIdle() throws Exception
    {
        // under load the queue is empty for moments between bursts; sealing at each of them made blocks of a few
        // receipts (85 bytes a receipt on disk, and a SHA-256 pass per block)
        Files.createDirectories(dir);
        final int run = ReceiptRun.next(dir);
        final Parties parties = new Parties(dir, run);
        final ReceiptQueue queue = ReceiptQueue.open(dir.resolve(ReceiptRecorder.QUEUE_FILE), 4096, run, 0,
            new ReceiptQueue.Replay()
            {
                @Override
                public void receipt(final org.agrona.DirectBuffer buffer, final int offset, final long epochDay)
                {
                }
            });
        final ReceiptRecorder recorder = ReceiptRecorder.overQueue(queue, parties, false);
        final int party = recorder.party(Door.BINARY, "peer:127.0.0.1");
        final long t0 = System.currentTimeMillis();
        try (ReceiptJournal journal = ReceiptJournal.open(dir, parties, t0, SEGMENT_SIZE))
        {
            final ReceiptDrain drain = new ReceiptDrain(journal, parties, 730);
            drain.attach(recorder, queue);
            long now = t0;
            long last = 0;
            for (int burst = 0; burst < 100; burst++)
            {
                for (int i = 0; i < 3; i++)
                {
                    last = recorder.record(facts(party, Reason.CONSENT, now));
                }
                drain.duty(now);
                drain.duty(now + 1);
                now += 1;
            }
            assertEquals(0, journal.lastSealedId(), "300 receipts in bursts 1 ms apart: one block, still open");
            drain.duty(now + ReceiptDrain.IDLE_SEAL_MS);
            assertEquals(last, journal.lastSealedId(), "sealed once the queue was idle");
        }
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(300, verification.receipts());
        }
    }

    @Test
    void shouldKeepRecordingWhileRetentionDeletesADayOffTheDrainThread() throws Exception
    {
        final long today = Math.floorDiv(System.currentTimeMillis(), Receipts.DAY_MS);
        final long oldDay = today - 40;
        Files.createDirectories(dir);
        final int run = ReceiptRun.next(dir);
        final Parties parties = new Parties(dir, run);
        final ReceiptQueue queue = ReceiptQueue.open(dir.resolve(ReceiptRecorder.QUEUE_FILE), 1024, run, 0,
            (buffer, offset, epochDay) ->
            {
            });
        final ReceiptRecorder recorder = ReceiptRecorder.overQueue(queue, parties, false);
        final int party = recorder.party(Door.BINARY, "peer:127.0.0.1");
        final long oldMs = oldDay * Receipts.DAY_MS + 1000;
        final long nowMs = today * Receipts.DAY_MS + 1000;
        final ReceiptJournal journal = ReceiptJournal.open(dir, parties, oldMs, SEGMENT_SIZE);
        // the deletions handed off, held here: one that never finishes must not hold the drain up
        final List<Runnable> deletions = new ArrayList<>();
        final ReceiptDrain drain = new ReceiptDrain(journal, parties, 30, deletions::add);
        drain.attach(recorder, queue);
        recorder.record(facts(party, Reason.CONSENT, oldMs));
        drain.duty(oldMs);
        assertEquals(1, deletions.size(), "retention at start");
        deletions.get(0).run();
        recorder.record(facts(party, Reason.CONSENT, nowMs));
        drain.duty(nowMs);
        drain.duty(nowMs + ReceiptDrain.IDLE_SEAL_MS);
        assertEquals(2, deletions.size(), "retention again once the clock passed a day");
        final Path old = JournalFormat.dayDirectory(dir, oldDay);
        assertTrue(Files.exists(old), "not deleted on the drain thread");
        final long id = recorder.record(facts(party, Reason.CONSENT, nowMs + 1));
        drain.duty(nowMs + 2);
        drain.duty(nowMs + 2 + ReceiptDrain.IDLE_SEAL_MS);
        assertTrue(journal.awaitSealed(id, 0, TimeUnit.MILLISECONDS), "the drain kept recording");
        final long before = journal.diskBytes();
        deletions.forEach(Runnable::run);
        assertFalse(Files.exists(old), "deleted by the retention task");
        assertTrue(journal.diskBytes() < before, "its bytes no longer counted");
        journal.close();
        parties.close();
        queue.close();
    }

    @Test
    void shouldRefuseASecondRecorderOnTheSameDirectory() throws Exception
    {
        try (ReceiptRecorder first = open(false))
        {
            final IOException refused = assertThrows(IOException.class, () -> open(false).close());
            assertTrue(refused.getMessage().contains("in use by another server"), refused.getMessage());
            assertEquals(1, DecisionIds.run(first.record(facts(first.party(Door.HTTP, "peer:127.0.0.1"),
                Reason.CONSENT))), "the first keeps recording");
        }
        try (ReceiptRecorder again = open(false))
        {
            assertEquals(2, DecisionIds.run(again.record(facts(again.party(Door.HTTP, "peer:127.0.0.1"),
                Reason.CONSENT))), "free again once the first closed; the refused start took no run");
        }
    }

    @Test
    void shouldTellAWaiterWhenItsDecisionIsSealedAndPublishTheLiveHead() throws Exception
    {
        try (ReceiptRecorder recorder = open(false))
        {
            final long id = recorder.record(facts(recorder.party(Door.HTTP, "peer:127.0.0.1"), Reason.CONSENT));
            assertNotEquals(DecisionRecorder.NOT_RECORDED, id);
            assertTrue(recorder.awaitSealed(id, 30, TimeUnit.SECONDS), "sealed by the drain's idle seal");
            final DayRoot head = recorder.journalHead();
            assertEquals(id, head.lastDecisionId());
            assertEquals(1, head.receipts());
            assertFalse(head.closed());
            assertFalse(recorder.awaitSealed(id + 1, 20, TimeUnit.MILLISECONDS), "never recorded");
        }
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final DayRoot onDisk = reader.root(reader.days().get(0));
            assertEquals(1, onDisk.receipts());
        }
    }

    @Test
    void shouldMarkTheJournalFailedKeepRunningAndSayWhy() throws Exception
    {
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ReceiptRecorder recorder = open(false))
        {
            recorder.bindTo(registry);
            assertNotEquals(DecisionRecorder.NOT_RECORDED, recorder.record(facts(0, Reason.CONSENT)));
            await(() -> recorder.queueDepth() == 0, "the first receipt appended");
            assertNull(recorder.trouble());
            // the day's directory becomes a file: the journal cannot allocate its next segment
            final Path day = Files.list(dir).filter(Files::isDirectory).findFirst().orElseThrow();
            try (var files = Files.walk(day))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
            }
            Files.writeString(day, "not a directory");
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!recorder.failed())
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the journal never failed");
                recorder.record(facts(0, Reason.CONSENT));
            }
            assertEquals(DecisionRecorder.NOT_RECORDED, recorder.record(facts(0, Reason.CONSENT)));
            assertTrue(recorder.unrecordedDenied() >= 1);
            assertTrue(recorder.trouble().startsWith("receipts journal failed"), recorder.trouble());
            final String scrape = registry.scrape();
            assertTrue(scrape.contains("iys_receipts_failed 1.0"), scrape);
            assertTrue(scrape.contains("iys_receipts_unrecorded_total{outcome=\"denied\"}"), scrape);
            assertTrue(scrape.contains("iys_receipts_recorded_total"), scrape);
            assertTrue(scrape.contains("iys_receipts_queue_depth"), scrape);
            assertTrue(scrape.contains("iys_receipts_write_lag_seconds"), scrape);
            assertTrue(scrape.contains("iys_receipts_force_seconds"), scrape);
            assertTrue(scrape.contains("iys_receipts_unforced_seconds"), scrape);
            assertTrue(scrape.contains("iys_receipts_disk_bytes"), scrape);
            assertTrue(scrape.contains("iys_receipts_refiled_total 0.0"), scrape);
        }
    }

    @Test
    void shouldRefuseToStartWhenTheRunFileFellBehindTheJournal() throws Exception
    {
        try (ReceiptRecorder recorder = open(false))
        {
            recorder.record(facts(0, Reason.CONSENT));
        }
        Files.writeString(dir.resolve(ReceiptRun.FILE_NAME), "0\n");
        final IOException refused = assertThrows(IOException.class, () -> open(false));
        assertTrue(refused.getMessage().contains("not above the journal's last run 1"), refused.getMessage());
    }
}
