package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.iysfilter.server.receipts.Receipts.DAY;
import static io.iysfilter.server.receipts.Receipts.DAY_MS;
import static io.iysfilter.server.receipts.Receipts.NAMES;
import static io.iysfilter.server.receipts.Receipts.SMALL_SEGMENT;
import static io.iysfilter.server.receipts.Receipts.append;
import static io.iysfilter.server.receipts.Receipts.id;
import static io.iysfilter.server.receipts.Receipts.receipt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReceiptJournalTest
{
    private static final long NOW = DAY * DAY_MS + 3_600_000;
    private static final String PHONE = "+905321111111";

    @TempDir
    Path dir;

    @Test
    void shouldReadBackEveryReceiptInOrderWithItsTimeAndPartyAcrossSegments() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 500, DAY);
            journal.seal(NOW);
            assertEquals(id(500), journal.lastDecisionId());
        }
        assertTrue(Files.exists(Receipts.segment(dir, DAY, 2)), "500 receipts fill several 8 KiB segments");
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertEquals(List.of(LocalDate.ofEpochDay(DAY)), reader.days());
            final List<Long> ids = new ArrayList<>();
            reader.scan(LocalDate.ofEpochDay(DAY), (id, timeMs, party, receipt) ->
            {
                final long sequence = id & 0xFFFF_FFFF_FFFFL;
                assertEquals(DAY * DAY_MS + 1000 + sequence, timeMs);
                assertEquals("client:party-3-" + Receipts.party(sequence), party);
                assertEquals(600_000 + sequence, receipt.brand());
                ids.add(id);
                return true;
            });
            assertEquals(500, ids.size());
            for (int i = 0; i < ids.size(); i++)
            {
                assertEquals(id(i + 1), ids.get(i));
            }
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(500, verification.receipts());
            final DayRoot head = reader.root(LocalDate.ofEpochDay(DAY));
            assertFalse(head.closed());
            assertEquals(500, head.receipts());
            assertEquals(id(1), head.firstDecisionId());
            assertEquals(id(500), head.lastDecisionId());
        }
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            assertEquals(id(500), journal.lastDecisionId(), "the last sealed receipt after a reopen");
            append(journal, 501, 510, DAY);
            journal.seal(NOW);
        }
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertTrue(reader.verifyAll().ok(), reader.verifyAll().describe());
            assertEquals(510, reader.scan(LocalDate.ofEpochDay(DAY), (id, timeMs, party, receipt) -> true));
        }
    }

    @Test
    void shouldNameEachPartyOnceADayBeforeItsFirstReceipt() throws IOException
    {
        final List<String> asked = new ArrayList<>();
        final PartyNames names = (run, party) ->
        {
            asked.add(run + "/" + party);
            return NAMES.name(run, party);
        };
        try (ReceiptJournal journal = ReceiptJournal.open(dir, names, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 30, DAY);
            append(journal, 31, 40, DAY + 1);
        }
        assertEquals(List.of("3/2", "3/3", "3/1", "3/2", "3/3", "3/1"), asked);
        try (ReceiptJournal journal = ReceiptJournal.open(dir, names, NOW + DAY_MS, SMALL_SEGMENT))
        {
            append(journal, 41, 45, DAY + 1);
        }
        assertEquals(6, asked.size(), "a reopened day remembers the parties it has named");
    }

    @Test
    void shouldCloseADayWithARootFileChainedIntoTheNext() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 100, DAY);
            append(journal, 101, 150, DAY + 1);
            journal.seal(NOW + DAY_MS);
        }
        final Path root = JournalFormat.dayDirectory(dir, DAY).resolve("root.json");
        assertTrue(Files.exists(root));
        final String json = Files.readString(root, StandardCharsets.UTF_8);
        assertTrue(json.contains("\"receipts\": 100"), json);
        assertTrue(json.contains("\"firstDecisionId\": \"0003000000000001\""), json);
        assertTrue(json.contains("\"lastDecisionId\": \"0003000000000064\""), json);
        assertTrue(json.contains("\"previous\": \"" + "0".repeat(64) + "\""), json);
        assertFalse(Files.exists(JournalFormat.dayDirectory(dir, DAY + 1).resolve("root.json")));
        // the journal holds recipients, keyed: owner-only, as everything the server keeps
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(JournalFormat.dayDirectory(dir, DAY))));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(JournalFormat.segmentFile(JournalFormat.dayDirectory(dir, DAY), 0))));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(root)));
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final DayRoot first = reader.root(LocalDate.ofEpochDay(DAY));
            final DayRoot second = reader.root(LocalDate.ofEpochDay(DAY + 1));
            assertTrue(first.closed());
            assertEquals(first.digest(), second.previousDigest(), "the next day chains from the root");
            assertTrue(reader.verify(LocalDate.ofEpochDay(DAY + 1)).ok());
            assertTrue(reader.verifyAll().ok(), reader.verifyAll().describe());
        }
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW + 2 * DAY_MS, SMALL_SEGMENT))
        {
            assertEquals(id(150), journal.lastDecisionId());
            assertFalse(Files.exists(JournalFormat.dayDirectory(dir, DAY + 1).resolve("root.json")),
                "opening leaves the last day open for the queue's receipts of it");
            journal.closeDaysBefore(NOW + 2 * DAY_MS);
        }
        assertTrue(Files.exists(JournalFormat.dayDirectory(dir, DAY + 1).resolve("root.json")),
            "closing the days before a later day closes the day left open");
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertTrue(reader.verifyAll().ok(), reader.verifyAll().describe());
            assertEquals(150, reader.verifyAll().receipts());
        }
    }

    @Test
    void shouldCloseTheDayWhenASealPassesMidnightAndFileAStragglerAtTheNextDaysStart() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 10, DAY);
            journal.seal((DAY + 1) * DAY_MS + 5);
            assertTrue(Files.exists(JournalFormat.dayDirectory(dir, DAY).resolve("root.json")));
            journal.append(receipt(11, 86_399_999), 0, DAY);
            journal.seal((DAY + 1) * DAY_MS + 6);
        }
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final List<Long> times = new ArrayList<>();
            reader.scan(LocalDate.ofEpochDay(DAY + 1), (id, timeMs, party, receipt) ->
            {
                assertTrue(receipt.flags().refiled(), "a receipt filed under a later day says so");
                return times.add(timeMs);
            });
            assertEquals(List.of((DAY + 1) * DAY_MS), times);
            assertTrue(reader.verifyAll().ok(), reader.verifyAll().describe());
        }
    }

    @Test
    void shouldLeaveTheLastDayOpenAtRecoverySoThatItTakesItsOwnReceiptsUntilTheDaysBeforeNowAreClosed()
        throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 10, DAY);
            journal.seal(NOW);
        }
        final long nextMorning = (DAY + 1) * DAY_MS + 8 * 3_600_000L;
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, nextMorning, SMALL_SEGMENT))
        {
            assertFalse(Files.exists(JournalFormat.dayDirectory(dir, DAY).resolve(JournalFormat.ROOT_FILE)),
                "recovery leaves the last day open");
            append(journal, 11, 12, DAY);
            journal.closeDaysBefore(nextMorning);
            assertTrue(Files.exists(JournalFormat.dayDirectory(dir, DAY).resolve(JournalFormat.ROOT_FILE)));
            assertEquals(0, journal.refiled());
        }
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final List<Long> times = new ArrayList<>();
            reader.scan(LocalDate.ofEpochDay(DAY), (id, timeMs, party, receipt) ->
            {
                assertFalse(receipt.flags().refiled());
                return times.add(timeMs);
            });
            assertEquals(12, times.size());
            assertEquals(DAY * DAY_MS + 1000 + 12, times.get(11), "its own time");
            final DayRoot root = reader.root(LocalDate.ofEpochDay(DAY));
            assertTrue(root.closed());
            assertEquals(12, root.receipts());
            assertEquals(id(12), root.lastDecisionId());
            assertTrue(reader.verifyAll().ok(), reader.verifyAll().describe());
        }
    }

    @Test
    void shouldFlagAReceiptForAClosedDayRefiledAndTheSearchReportsItsTimeAsNotItsOwnAndItsAsOfUnknown()
        throws Exception
    {
        final UnsafeBuffer own = protectedReceipt(id(1), DAY * DAY_MS + 9 * 3_600_000L);
        final UnsafeBuffer late = protectedReceipt(id(2), (DAY + 1) * DAY_MS - 10);
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            journal.append(own, 0, DAY);
            journal.seal((DAY + 1) * DAY_MS + 5);
            journal.append(late, 0, DAY);
            journal.seal((DAY + 1) * DAY_MS + 6);
            assertEquals(1, journal.refiled());
        }
        final List<FoundReceipt> found = new ArrayList<>();
        new ReceiptSearch(JournalReceiptSource.open(dir), MemoryReceipts.FAKE_PROTECTION).search(
            new ReceiptQuery(600_001, PHONE, Long.MIN_VALUE, Long.MAX_VALUE), found::add);
        assertEquals(2, found.size());
        assertFalse(found.get(0).refiled());
        assertEquals(DAY * DAY_MS + 9 * 3_600_000L - 5_000, found.get(0).asOfMs());
        assertTrue(found.get(0).json().endsWith(",\"refiled\":false,\"dealer\":0}"), found.get(0).json());
        final FoundReceipt refiled = found.get(1);
        assertTrue(refiled.refiled());
        assertEquals(DAY + 1, refiled.epochDay());
        assertEquals((DAY + 1) * DAY_MS, refiled.timeMs(), "filed at the later day's first millisecond");
        assertEquals(0, refiled.asOfMs(), "as-of unknown: not measured from the time it is filed at");
        assertTrue(refiled.json().contains("\"refiled\":true"), refiled.json());
        assertTrue(refiled.json().contains("\"asOf\":null"), refiled.json());
        assertTrue(refiled.csv().endsWith(",true,0"), refiled.csv());
    }

    private static UnsafeBuffer protectedReceipt(final long id, final long timeMs)
    {
        final DecisionFacts facts = new DecisionFacts().begin(timeMs, 600_001, Channel.MESAJ,
            RecipientType.BIREYSEL, MessageKind.COMMERCIAL).asker(Door.HTTP, 1).answer(Reason.CONSENT, timeMs - 5_000);
        final ParsedRecipient parsed = new ParsedRecipient();
        assertTrue(new RecipientParser().parse(PHONE, parsed) != ParsedRecipient.INVALID);
        MemoryReceipts.FAKE_PROTECTION.protect(600_001, Channel.MESAJ, RecipientType.BIREYSEL, parsed, facts);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ReceiptEncoder.BLOCK_LENGTH));
        MemoryReceipts.encode(facts, id, buffer);
        return buffer;
    }

    @Test
    void shouldRefuseADecisionIdNotAboveTheLast() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 5, DAY);
            assertThrows(IllegalArgumentException.class, () -> journal.append(receipt(5, 0), 0, DAY));
            assertThrows(IllegalArgumentException.class, () -> journal.append(receipt(2, 0), 0, DAY));
            journal.append(receipt(6, 0), 0, DAY);
        }
    }

    @Test
    void shouldDeleteWholeDaysBeforeOneButNeverTheOpenDayAndCountTheDisk() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 100, DAY);
            append(journal, 101, 200, DAY + 1);
            append(journal, 201, 300, DAY + 2);
            journal.seal(NOW + 2 * DAY_MS);
            assertEquals(bytesOnDisk(), journal.diskBytes());
            Files.createDirectories(JournalFormat.dayDirectory(dir, DAY).resolve("scrubs"));
            Files.writeString(JournalFormat.dayDirectory(dir, DAY).resolve("scrubs").resolve("x.json"), "{}");
            assertEquals(1, journal.deleteDaysBefore(DAY + 1));
            assertFalse(Files.exists(JournalFormat.dayDirectory(dir, DAY)));
            assertTrue(Files.exists(JournalFormat.dayDirectory(dir, DAY + 1)));
            assertEquals(1, journal.deleteDaysBefore(DAY + 10), "the open day stays");
            assertTrue(Files.exists(JournalFormat.dayDirectory(dir, DAY + 2)));
            assertEquals(bytesOnDisk(), journal.diskBytes());
            append(journal, 301, 310, DAY + 2);
        }
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW + 2 * DAY_MS, SMALL_SEGMENT))
        {
            assertEquals(bytesOnDisk(), journal.diskBytes());
            assertEquals(id(310), journal.lastDecisionId());
        }
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), "the first day left anchors the chain: " + verification.describe());
        }
    }

    @Test
    void shouldPublishTheOpenDaysHeadAfterEachSealForOtherThreads() throws Exception
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            assertEquals(null, journal.head(), "an empty journal has no head");
            append(journal, 1, 10, DAY);
            final DayRoot before = journal.head();
            // a party's first receipt seals the block before it, so some are sealed already; never the last
            assertTrue(before.receipts() < 10 && before.lastDecisionId() < id(10), "sealed so far: " + before);
            journal.seal(NOW);
            final DayRoot head = CompletableFuture.supplyAsync(journal::head).get(10, TimeUnit.SECONDS);
            assertEquals(LocalDate.ofEpochDay(DAY), head.day());
            assertFalse(head.closed());
            assertEquals(journal.chainHead(), head.digest());
            assertEquals(10, head.receipts());
            assertEquals(id(1), head.firstDecisionId());
            assertEquals(id(10), head.lastDecisionId());
            assertEquals(head, journal.head(), "unchanged until the next seal");
            append(journal, 11, 12, DAY);
            journal.seal(NOW);
            assertEquals(12, journal.head().receipts());
            assertEquals(id(12), journal.head().lastDecisionId());
            assertEquals(journal.chainHead(), journal.head().digest());
            journal.seal(NOW + DAY_MS);
            assertTrue(journal.head().closed(), "a day closed publishes its root");
            try (ReceiptReader reader = ReceiptReader.open(dir))
            {
                assertEquals(reader.root(LocalDate.ofEpochDay(DAY)), journal.head());
            }
        }
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW + DAY_MS, SMALL_SEGMENT))
        {
            assertEquals(id(12), journal.head().lastDecisionId(), "a reopened journal publishes what it holds");
        }
    }

    @Test
    void shouldWakeAWaiterWhenItsDecisionIsSealedAndTimeOutOtherwise() throws Exception
    {
        final ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT);
        try
        {
            append(journal, 1, 5, DAY);
            journal.seal(NOW);
            assertTrue(journal.awaitSealed(id(5), 0, TimeUnit.MILLISECONDS), "already sealed");
            final long started = System.nanoTime();
            assertFalse(journal.awaitSealed(id(6), 50, TimeUnit.MILLISECONDS), "never appended");
            assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(50), "waited the deadline");
            final CountDownLatch waiting = new CountDownLatch(1);
            final CompletableFuture<Boolean> sealed = CompletableFuture.supplyAsync(() ->
            {
                waiting.countDown();
                try
                {
                    return journal.awaitSealed(id(8), 30, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            assertTrue(waiting.await(10, TimeUnit.SECONDS));
            append(journal, 6, 8, DAY);
            assertFalse(sealed.isDone() && sealed.get(), "appended is not sealed");
            journal.seal(NOW);
            assertTrue(sealed.get(10, TimeUnit.SECONDS), "woken by the seal, long before its deadline");
            final CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return journal.awaitSealed(id(100), 30, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            journal.close();
            assertFalse(closing.get(10, TimeUnit.SECONDS),
                "a closed journal seals nothing more: no wait to the deadline");
        }
        finally
        {
            journal.close();
        }
    }

    @Test
    void shouldNeverDeleteADayWithinRetentionOfTheNewestDayWrittenHoweverFarAheadTheClock() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 10, DAY);
            append(journal, 11, 20, DAY + 1);
            append(journal, 21, 30, DAY + 2);
            journal.seal(NOW + 2 * DAY_MS);
            // a clock thirty years ahead: by it every day is past a retention of one day
            assertEquals(1, journal.deleteExpired(NOW + 10_000 * DAY_MS, 1));
            assertFalse(Files.exists(JournalFormat.dayDirectory(dir, DAY)));
            assertTrue(Files.exists(JournalFormat.dayDirectory(dir, DAY + 1)), "within a day of the newest");
            assertTrue(Files.exists(JournalFormat.dayDirectory(dir, DAY + 2)), "the newest");
            assertEquals(0, journal.deleteExpired(NOW + 10_000 * DAY_MS, 1));
            assertEquals(bytesOnDisk(), journal.diskBytes());
            // the real clock still bounds it: a day within retention of today stays
            assertEquals(0, journal.deleteExpired(NOW + DAY_MS, 1));
        }
    }

    @Test
    void shouldPrepareTheNextSegmentAheadSoThatARollOnlySwapsItIn() throws Exception
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 1, DAY);
            final Path spare = dir.resolve(ReceiptJournal.SPARE_FILE);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(Files.exists(spare) && Files.size(spare) == SMALL_SEGMENT))
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "no spare segment was prepared");
                Thread.onSpinWait();
            }
            final Object inode = Files.getAttribute(spare, "unix:ino");
            assertFalse(Files.exists(Receipts.segment(dir, DAY, 1)));
            int sequence = 1;
            while (!Files.exists(Receipts.segment(dir, DAY, 1)))
            {
                sequence++;
                journal.append(receipt(sequence, 0), 0, DAY);
            }
            assertEquals(inode, Files.getAttribute(Receipts.segment(dir, DAY, 1), "unix:ino"),
                "the roll took the prepared file");
            journal.seal(NOW);
        }
        assertFalse(Files.exists(dir.resolve(ReceiptJournal.SPARE_FILE)), "a spare is not left behind at close");
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
        }
    }

    @Test
    void shouldHaveEverySealedBlockInTheFileAndNothingUnsealedWithoutMappingTheSegment() throws IOException
    {
        final Path crashed = dir.resolveSibling(dir.getFileName() + "-crashed");
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 20, DAY);
            journal.seal(NOW);
            append(journal, 21, 23, DAY);
            // the files as a kill -9 would leave them now
            Receipts.copy(dir, crashed);
            final String maps = Files.readString(Path.of("/proc/self/maps"));
            assertFalse(maps.contains(Receipts.segment(dir, DAY, 0).toString()),
                "the segment is written, not mapped: forcing a mapped file write-protects its pages in every thread");
        }
        try (ReceiptReader reader = ReceiptReader.open(crashed))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(20, verification.receipts(), "every sealed receipt, none of the open block's");
            assertEquals("OK", verification.what(), "no unsealed tail in the file");
        }
    }

    @Test
    void shouldAllocateSegmentsWholeBeforeWritingThem() throws IOException, InterruptedException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT * 16))
        {
            append(journal, 1, 1, DAY);
            final Path segment = Receipts.segment(dir, DAY, 0);
            assertEquals(SMALL_SEGMENT * 16, Files.size(segment));
            final Process stat = new ProcessBuilder("stat", "-c", "%b %B", segment.toString())
                .redirectErrorStream(true).start();
            final String[] blocks = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
                .trim().split(" ");
            Assumptions.assumeTrue(stat.waitFor() == 0 && blocks.length == 2, "stat(1) tells allocated blocks");
            final long allocated = Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
            assertTrue(allocated >= SMALL_SEGMENT * 16, "not sparse: " + allocated + " bytes allocated");
        }
    }

    private long bytesOnDisk() throws IOException
    {
        long total = 0;
        try (var walk = Files.walk(dir))
        {
            for (final Path path : walk.toList())
            {
                // the spare segment, made ahead asynchronously, is not the journal's until a roll names it
                if (Files.isRegularFile(path) && !path.getFileName().toString().equals(ReceiptJournal.SPARE_FILE))
                {
                    total += Files.size(path);
                }
            }
        }
        return total;
    }
}
