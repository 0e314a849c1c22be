package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.BlockHeaderEncoder;
import io.iysfilter.protocol.receipts.BlockKind;
import io.iysfilter.protocol.receipts.MessageHeaderEncoder;
import io.iysfilter.protocol.receipts.PartyEntryEncoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.protocol.receipts.SegmentHeaderEncoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import static io.iysfilter.server.receipts.Receipts.DAY;
import static io.iysfilter.server.receipts.Receipts.DAY_MS;
import static io.iysfilter.server.receipts.Receipts.NAMES;
import static io.iysfilter.server.receipts.Receipts.RUN;
import static io.iysfilter.server.receipts.Receipts.SMALL_SEGMENT;
import static io.iysfilter.server.receipts.Receipts.id;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receipts filed in 48 bytes (receipt schema version 4): a receipt names a day party, which the day's PARTIES blocks
 * number for its (run, party, dealer) triple before its first receipt; searches read back the party and the dealer
 * the request named, as from a version 3 receipt. A day numbers each triple once (across blocks and segments, and
 * after the journal reopens the open day), numbers again from 1 the next day, keeps the party but not the dealer past
 * its cap, and a day of version 3 segments goes on in version 4 ones and reads whole.
 */
class ReceiptDayPartyTest
{
    private static final long DEALER = 4_000_000_000L;
    private static final int LARGE_SEGMENT = 256 * 1024;

    @TempDir
    Path dir;

    private static UnsafeBuffer receipt(final long sequence, final int party, final long dealer)
    {
        final UnsafeBuffer receipt = Receipts.receipt(sequence, 1000 + (int)sequence);
        new ReceiptEncoder().wrap(receipt, 0).party(party).dealer(dealer);
        return receipt;
    }

    private static List<FoundReceipt> found(final Path dir, final long day) throws IOException
    {
        final List<FoundReceipt> found = new ArrayList<>();
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            reader.scan(LocalDate.ofEpochDay(day), (id, timeMs, party, receipt) ->
                found.add(FoundReceipt.decode(receipt, day, party)));
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
        }
        return found;
    }

    /**
     * The party entries of a day's segments, in order: {@code name run party text} and {@code day-party N run party
     * dealer}; and each segment's receipt length and version.
     */
    private static List<String> entries(final Path dir, final long day) throws IOException
    {
        final List<String> entries = new ArrayList<>();
        final Path dayPath = JournalFormat.dayDirectory(dir, day);
        for (final int number : JournalFormat.segments(dayPath))
        {
            final byte[] bytes = Files.readAllBytes(JournalFormat.segmentFile(dayPath, number));
            final BlockCursor cursor = new BlockCursor();
            cursor.wrap(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip(), bytes.length);
            assertEquals(null, cursor.checkSegmentHeader(day, number));
            entries.add("segment " + number + " " + cursor.receiptLength + "B v" + cursor.receiptVersion);
            while (cursor.read() == BlockCursor.BLOCK)
            {
                if (cursor.header.kind() == BlockKind.PARTIES)
                {
                    assertEquals(null, cursor.readParties(new BlockCursor.PartyEntries()
                    {
                        @Override
                        public String name(final int run, final int party, final UnsafeBuffer buffer,
                            final int nameOffset, final int nameLength)
                        {
                            entries.add("name " + run + " " + party + " " +
                                buffer.getStringWithoutLengthUtf8(nameOffset, nameLength));
                            return null;
                        }

                        @Override
                        public String dayParty(final int dayParty, final int run, final int party,
                            final long dealer)
                        {
                            entries.add("day-party " + dayParty + " " + run + " " + party + " " + dealer);
                            return null;
                        }
                    }));
                }
                cursor.advance();
            }
        }
        return entries;
    }

    private static long count(final List<String> entries, final String prefix)
    {
        return entries.stream().filter((entry) -> entry.startsWith(prefix)).count();
    }

    @Test
    void shouldNumberEveryDealerOfOnePartyOnceAndNameThePartyOnce() throws Exception
    {
        final int dealers = 64;
        long sequence = 0;
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, LARGE_SEGMENT))
        {
            for (int round = 0; round < 3; round++)
            {
                for (int d = 0; d <= dealers; d++)
                {
                    journal.append(receipt(++sequence, 1, d == 0 ? 0 : DEALER + d), 0, DAY);
                }
            }
            journal.seal(DAY * DAY_MS + 60_000);
        }
        final List<FoundReceipt> found = found(dir, DAY);
        assertEquals(3 * (dealers + 1), found.size());
        for (int i = 0; i < found.size(); i++)
        {
            final int d = i % (dealers + 1);
            assertEquals(id(i + 1), found.get(i).decisionId());
            assertEquals(d == 0 ? 0 : DEALER + d, found.get(i).dealerCode(), "receipt " + i);
            assertEquals("client:party-" + RUN + "-1", found.get(i).party());
            assertEquals(Door.HTTP, found.get(i).door());
            assertEquals(Channel.MESAJ, found.get(i).channel());
        }
        final List<String> entries = entries(dir, DAY);
        assertEquals("segment 0 48B v4", entries.get(0), "this build writes 48-byte receipts of version 4");
        assertEquals(List.of("name " + RUN + " 1 client:party-" + RUN + "-1"),
            entries.stream().filter((entry) -> entry.startsWith("name")).toList(), "the party named once");
        assertEquals(dealers + 1, count(entries, "day-party"), "each triple numbered once, not per round");
        for (int d = 0; d <= dealers; d++)
        {
            assertTrue(entries.contains("day-party " + (d + 1) + " " + RUN + " 1 " + (d == 0 ? 0 : DEALER + d)),
                "day parties from 1 in the order first seen: " + d);
        }
    }

    @Test
    void shouldNumberTheSameDealerOnceADayAcrossBlocksAndSegmentsAndAgainFromOneTheNextDay() throws Exception
    {
        long sequence = 0;
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, SMALL_SEGMENT))
        {
            for (int i = 0; i < 600; i++)
            {
                journal.append(receipt(++sequence, 2, DEALER), 0, DAY);
                if (i % 50 == 49)
                {
                    journal.seal(DAY * DAY_MS + 60_000);
                }
            }
            for (int i = 0; i < 10; i++)
            {
                journal.append(receipt(++sequence, 2, DEALER), 0, DAY + 1);
            }
            journal.append(receipt(++sequence, 1, 0), 0, DAY + 1);
            journal.seal((DAY + 1) * DAY_MS + 60_000);
        }
        final List<String> first = entries(dir, DAY);
        assertTrue(count(first, "segment") >= 4, "the day spans segments: " + first);
        assertEquals(List.of("day-party 1 " + RUN + " 2 " + DEALER), first.stream()
            .filter((entry) -> entry.startsWith("day-party")).toList(), "numbered once in the day");
        assertEquals(1, count(first, "name "));
        for (final FoundReceipt receipt : found(dir, DAY))
        {
            assertEquals(DEALER, receipt.dealerCode(), "in every block and segment");
            assertEquals("client:party-" + RUN + "-2", receipt.party());
        }
        final List<String> next = entries(dir, DAY + 1);
        assertEquals(List.of("day-party 1 " + RUN + " 2 " + DEALER, "day-party 2 " + RUN + " 1 0"), next.stream()
            .filter((entry) -> entry.startsWith("day-party")).toList(), "the next day numbers from 1 again");
        assertEquals(2, count(next, "name "), "and names its parties again");
        final List<FoundReceipt> nextFound = found(dir, DAY + 1);
        assertEquals(11, nextFound.size());
        assertEquals(DEALER, nextFound.get(0).dealerCode());
        assertEquals(0, nextFound.get(10).dealerCode());
        assertEquals("client:party-" + RUN + "-1", nextFound.get(10).party());
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertTrue(reader.root(LocalDate.ofEpochDay(DAY)).closed());
            assertEquals(600, reader.verify(LocalDate.ofEpochDay(DAY)).receipts());
        }
    }

    @Test
    void shouldGoOnNumberingTheOpenDayWhenTheJournalReopensIt() throws Exception
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, SMALL_SEGMENT))
        {
            journal.append(receipt(1, 1, DEALER + 1), 0, DAY);
            journal.append(receipt(2, 1, DEALER + 2), 0, DAY);
        }
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS + 1000, SMALL_SEGMENT))
        {
            journal.append(receipt(3, 1, DEALER + 2), 0, DAY);
            journal.append(receipt(4, 2, DEALER + 1), 0, DAY);
            journal.append(receipt(5, 1, DEALER + 1), 0, DAY);
            journal.seal(DAY * DAY_MS + 2000);
        }
        final List<String> entries = entries(dir, DAY);
        assertEquals(List.of("day-party 1 " + RUN + " 1 " + (DEALER + 1), "day-party 2 " + RUN + " 1 " + (DEALER + 2),
            "day-party 3 " + RUN + " 2 " + (DEALER + 1)), entries.stream()
            .filter((entry) -> entry.startsWith("day-party")).toList(), "no triple numbered twice, none reused");
        assertEquals(List.of("name " + RUN + " 1 client:party-" + RUN + "-1", "name " + RUN + " 2 client:party-" +
            RUN + "-2"), entries.stream().filter((entry) -> entry.startsWith("name")).toList());
        final List<FoundReceipt> found = found(dir, DAY);
        final long[] dealers = {DEALER + 1, DEALER + 2, DEALER + 2, DEALER + 1, DEALER + 1};
        final int[] parties = {1, 1, 1, 2, 1};
        assertEquals(5, found.size());
        for (int i = 0; i < 5; i++)
        {
            assertEquals(dealers[i], found.get(i).dealerCode(), "receipt " + i);
            assertEquals("client:party-" + RUN + "-" + parties[i], found.get(i).party(), "receipt " + i);
        }
    }

    @Test
    void shouldKeepThePartyButNotTheDealerPastTheDaysCapAndCountIt() throws Exception
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, SMALL_SEGMENT, 2,
            JournalFormat.MAX_DAY_PARTIES))
        {
            journal.append(receipt(1, 1, DEALER + 1), 0, DAY);
            journal.append(receipt(2, 1, DEALER + 2), 0, DAY);
            journal.append(receipt(3, 1, DEALER + 3), 0, DAY);
            journal.append(receipt(4, 1, DEALER + 3), 0, DAY);
            journal.append(receipt(5, 1, 0), 0, DAY);
            journal.append(receipt(6, 2, DEALER + 4), 0, DAY);
            journal.append(receipt(7, 1, DEALER + 1), 0, DAY);
            assertEquals(3, journal.dealersUnkept(), "receipts 3, 4 and 6");
        }
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS + 1000, SMALL_SEGMENT, 2,
            JournalFormat.MAX_DAY_PARTIES))
        {
            journal.append(receipt(8, 1, DEALER + 5), 0, DAY);
            journal.append(receipt(9, 1, DEALER + 2), 0, DAY);
            assertEquals(1, journal.dealersUnkept(), "the day's count rebuilt at open: still full");
            journal.append(receipt(10, 1, DEALER + 5), 0, DAY + 1);
            assertEquals(1, journal.dealersUnkept(), "a new day keeps dealers again");
            journal.seal((DAY + 1) * DAY_MS + 1000);
        }
        final List<FoundReceipt> found = found(dir, DAY);
        final long unknown = FoundReceipt.DEALER_UNKNOWN;
        final long[] dealers = {DEALER + 1, DEALER + 2, unknown, unknown, 0, unknown, DEALER + 1, unknown, DEALER + 2};
        final int[] parties = {1, 1, 1, 1, 1, 2, 1, 1, 1};
        assertEquals(dealers.length, found.size());
        for (int i = 0; i < dealers.length; i++)
        {
            assertEquals(dealers[i], found.get(i).dealerCode(), "receipt " + (i + 1));
            assertEquals("client:party-" + RUN + "-" + parties[i], found.get(i).party(), "receipt " + (i + 1));
        }
        assertTrue(found.get(2).json().contains(",\"dealer\":null}"), found.get(2).json());
        assertEquals(DEALER + 5, found(dir, DAY + 1).get(0).dealerCode());
        final List<String> entries = entries(dir, DAY);
        assertEquals(List.of("day-party 1 " + RUN + " 1 " + (DEALER + 1), "day-party 2 " + RUN + " 1 " + (DEALER + 2),
            "day-party 3 " + RUN + " 1 0", "day-party 4 " + RUN + " 2 0"), entries.stream()
            .filter((entry) -> entry.startsWith("day-party")).toList(), "past the cap, the party's own (dealer 0)");
    }

    @Test
    void shouldFileDayPartyZeroWhenTheDaysDayPartiesAreExhausted() throws Exception
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, SMALL_SEGMENT,
            JournalFormat.MAX_DEALER_PARTIES, 2))
        {
            journal.append(receipt(1, 1, 0), 0, DAY);
            journal.append(receipt(2, 2, DEALER), 0, DAY);
            journal.append(receipt(3, 1, DEALER), 0, DAY);
            journal.append(receipt(4, 2, DEALER), 0, DAY);
            journal.append(receipt(5, 3, DEALER), 0, DAY);
            assertEquals(2, journal.dealersUnkept());
            journal.seal(DAY * DAY_MS + 1000);
        }
        final List<FoundReceipt> found = found(dir, DAY);
        assertEquals(5, found.size());
        assertEquals("client:party-" + RUN + "-1", found.get(2).party(), "no number left for the pair: its party, " +
            "numbered today, is kept");
        assertEquals(FoundReceipt.DEALER_UNKNOWN, found.get(2).dealerCode(), "but not its dealer");
        assertEquals(600_003, found.get(2).brandCode(), "the rest of the receipt kept");
        assertEquals(DEALER, found.get(3).dealerCode());
        assertEquals("client:party-" + RUN + "-2", found.get(3).party());
        assertEquals("unknown", found.get(4).party(), "a party not numbered today: neither party nor dealer kept");
        assertEquals(FoundReceipt.DEALER_UNKNOWN, found.get(4).dealerCode());
        assertEquals(600_005, found.get(4).brandCode());
    }

    @Test
    void shouldReadAMixedDayOfVersion3AndVersion4SegmentsWithTheNamesOfEither() throws Exception
    {
        final Path segment = Receipts.segment(dir, DAY, 0);
        Files.createDirectories(segment.getParent());
        Files.write(segment, version3Segment(DAY));
        final byte[] before = Files.readAllBytes(segment);

        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS + 50_000, SMALL_SEGMENT))
        {
            assertEquals(id(3), journal.lastDecisionId());
            journal.append(receipt(4, 1, DEALER), 0, DAY);
            journal.append(receipt(5, 2, 0), 0, DAY);
            journal.append(receipt(6, 1, 7), 0, DAY);
            journal.seal(DAY * DAY_MS + 60_000);
        }
        assertArrayEquals(before, Files.readAllBytes(segment), "the version 3 segment takes no more blocks");
        final List<String> entries = entries(dir, DAY);
        assertEquals("segment 0 52B v3", entries.get(0));
        assertTrue(entries.contains("segment 1 48B v4"), entries.toString());
        assertEquals(List.of("name " + RUN + " 1 client:named-in-v3", "name " + RUN + " 2 client:party-" + RUN + "-2"),
            entries.stream().filter((entry) -> entry.startsWith("name")).toList(),
            "party 1, named in the version 3 segment, is not named again");

        final List<FoundReceipt> found = found(dir, DAY);
        final long[] dealers = {0, DEALER + 2, 7, DEALER, 0, 7};
        final String[] parties = {"client:named-in-v3", "client:named-in-v3", "client:named-in-v3",
            "client:named-in-v3", "client:party-" + RUN + "-2", "client:named-in-v3"};
        assertEquals(6, found.size());
        for (int i = 0; i < 6; i++)
        {
            assertEquals(id(i + 1), found.get(i).decisionId());
            assertEquals(600_001 + i, found.get(i).brandCode());
            assertEquals(dealers[i], found.get(i).dealerCode(), "receipt " + (i + 1));
            assertEquals(parties[i], found.get(i).party(), "receipt " + (i + 1));
            assertEquals(Receipts.DAY * DAY_MS + 1001 + i, found.get(i).timeMs());
        }
        // the same decision reads the same from either version: JSON and CSV alike but for the id, brand and time
        final String v3 = found.get(2).json().replace("0003000000000003", "ID").replace("600003", "BRAND")
            .replace(".003Z", ".00TZ");
        final String v4 = found.get(5).json().replace("0003000000000006", "ID").replace("600006", "BRAND")
            .replace(".006Z", ".00TZ");
        assertEquals(v3, v4);

        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, (DAY + 1) * DAY_MS, SMALL_SEGMENT))
        {
            journal.closeDaysBefore((DAY + 1) * DAY_MS);
        }
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(6, verification.receipts());
            assertTrue(reader.root(LocalDate.ofEpochDay(DAY)).closed(), "the mixed day closes with its root");
        }
    }

    @Test
    void shouldRefuseAPartiesBlockWithAnEntryItDoesNotKnowNamingWhere() throws Exception
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, SMALL_SEGMENT))
        {
            journal.append(receipt(1, 1, DEALER), 0, DAY);
            journal.append(receipt(2, 1, DEALER), 0, DAY + 1);
        }
        final Path segment = Receipts.segment(dir, DAY, 0);
        final long partiesBlock = Receipts.blocks(segment)[0];
        final byte[] bytes = Files.readAllBytes(segment);
        // the first entry's message header: its template id (2 bytes after its block length) becomes 9
        final int template = (int)partiesBlock + JournalFormat.BLOCK_HEADER_LENGTH + 2;
        assertEquals(io.iysfilter.protocol.receipts.PartyEntryEncoder.TEMPLATE_ID, bytes[template]);
        bytes[template] = 9;
        Files.write(segment, bytes);
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final IOException refused = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> reader.scan(LocalDate.ofEpochDay(DAY), (id, timeMs, party, receipt) -> true));
            assertTrue(refused.getMessage().contains("000000.seg") &&
                refused.getMessage().contains("party entry 0 is of schema 7701 template 9"), refused.getMessage());
            assertFalse(reader.verifyAll().ok(), "the chain breaks there too");
        }
    }

    @Test
    void shouldServeTheUnkeptDealersCounter() throws Exception
    {
        // every decision at the same instant: one day, whatever the hour the test runs at
        final long nowMs = System.currentTimeMillis();
        // a day keeps one dealer pair: the second dealer asked about goes unkept, each time it is asked about
        try (ReceiptRecorder recorder = ReceiptRecorder.open(new ReceiptSettings(dir.resolve("capped"), false, 730,
            1024), nowMs, 64 * 1024, 1))
        {
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            recorder.bindTo(registry);
            final FunctionCounter counter = registry.find("iys_receipts_dealers_unkept").functionCounter();
            assertNotNull(counter, "iys_receipts_dealers_unkept registered");
            assertFalse(counter.getId().getDescription().isEmpty());
            assertEquals(0.0, counter.count(), "nothing recorded yet");

            final int party = recorder.party(Door.BINARY, "client:acme");
            record(recorder, nowMs, party, DEALER + 1);
            record(recorder, nowMs, party, 0);
            awaitDrained(recorder);
            assertEquals(0.0, counter.count(), "the day's one dealer pair, and the brand's own: both kept");

            record(recorder, nowMs, party, DEALER + 2);
            awaitDrained(recorder);
            assertEquals(1.0, counter.count(), "a second dealer, past the cap");

            record(recorder, nowMs, party, DEALER + 2);
            record(recorder, nowMs, party, DEALER + 1);
            record(recorder, nowMs, party, 0);
            awaitDrained(recorder);
            assertEquals(2.0, counter.count(), "counted per receipt; the kept dealer and the brand still kept");
        }

        // the same decisions under the real cap: nothing unkept
        try (ReceiptRecorder recorder = ReceiptRecorder.open(new ReceiptSettings(dir.resolve("uncapped"), false,
            730, 1024), nowMs, 64 * 1024))
        {
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            recorder.bindTo(registry);
            final FunctionCounter counter = registry.find("iys_receipts_dealers_unkept").functionCounter();
            final int party = recorder.party(Door.BINARY, "client:acme");
            final long[] dealers = {DEALER + 1, 0, DEALER + 2, DEALER + 2, DEALER + 1, 0};
            for (int i = 0; i < dealers.length; i++)
            {
                record(recorder, nowMs, party, dealers[i]);
            }
            awaitDrained(recorder);
            assertEquals(0.0, counter.count(), "every dealer within the cap is kept");
        }
    }

    private static void record(final ReceiptRecorder recorder, final long timeMs, final int party, final long dealer)
    {
        final DecisionFacts facts = new DecisionFacts();
        facts.begin(timeMs, 600_001, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL)
            .dealer(dealer).asker(Door.BINARY, party).answer(Reason.DEALER_ACCESS, timeMs);
        assertNotEquals(DecisionRecorder.NOT_RECORDED, recorder.record(facts));
    }

    /**
     * Wait, up to 10 s, until the drain thread has appended every receipt recorded (and so counted what it kept).
     */
    private static void awaitDrained(final ReceiptRecorder recorder)
    {
        final long deadlineNs = System.nanoTime() + 10_000_000_000L;
        while (recorder.queueDepth() > 0)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the drain appended nothing within 10 s");
            Thread.yield();
        }
    }

    /**
     * A segment as a build of receipt schema version 3 wrote it, left open: a PARTIES block naming party 1
     * ({@code client:named-in-v3}), then a block of three 52-byte receipts of party 1 (sequences 1 to 3, dealers 0,
     * DEALER + 2 and 7); the journal's first (previous digest zeros).
     */
    private static byte[] version3Segment(final long day) throws Exception
    {
        final int length = 52;
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocate(SMALL_SEGMENT));
        new MessageHeaderEncoder().wrap(buffer, 0).blockLength(SegmentHeaderEncoder.BLOCK_LENGTH)
            .templateId(SegmentHeaderEncoder.TEMPLATE_ID).schemaId(SegmentHeaderEncoder.SCHEMA_ID).version(3);
        new SegmentHeaderEncoder().wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH)
            .format(JournalFormat.FORMAT).receiptLength(length).receiptVersion(3).reserved(0).epochDay((int)day)
            .segment(0).segmentSize(SMALL_SEGMENT).reserved2(0).createdMs(day * DAY_MS);
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        final byte[] name = "client:named-in-v3".getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer parties = new UnsafeBuffer(new byte[PartyEntryEncoder.BLOCK_LENGTH + 2 + name.length]);
        new PartyEntryEncoder().wrap(parties, 0).run(RUN).party(1).putName(name, 0, name.length);
        final int at = block(buffer, JournalFormat.SEGMENT_HEADER_LENGTH, BlockKind.PARTIES, 0, id(1), 1, parties,
            new byte[32], sha);
        final UnsafeBuffer receipts = new UnsafeBuffer(new byte[3 * length]);
        final long[] dealers = {0, DEALER + 2, 7};
        for (int i = 0; i < 3; i++)
        {
            receipts.putBytes(i * length, receipt(i + 1, 1, dealers[i]), 0, length);
        }
        final byte[] previous = new byte[32];
        buffer.getBytes(at - 32, previous);
        block(buffer, at, BlockKind.RECEIPTS, 1, id(1), 3, receipts, previous, sha);
        return buffer.byteArray();
    }

    /**
     * Write a sealed block at an offset.
     *
     * @return the offset after it.
     */
    private static int block(final UnsafeBuffer buffer, final int at, final BlockKind kind, final long number,
        final long firstId, final int count, final UnsafeBuffer body, final byte[] previous, final MessageDigest sha)
    {
        new MessageHeaderEncoder().wrap(buffer, at).blockLength(BlockHeaderEncoder.BLOCK_LENGTH)
            .templateId(BlockHeaderEncoder.TEMPLATE_ID).schemaId(BlockHeaderEncoder.SCHEMA_ID).version(3);
        new BlockHeaderEncoder().wrap(buffer, at + MessageHeaderEncoder.ENCODED_LENGTH)
            .firstDecisionId(firstId).count(count).bodyLength(body.capacity()).block(number).kind(kind)
            .reserved((short)0).reserved2(0).putPreviousDigest(previous, 0, 32);
        final int bodyAt = at + JournalFormat.BLOCK_HEADER_LENGTH;
        buffer.putBytes(bodyAt, body, 0, body.capacity());
        final int digestAt = bodyAt + body.capacity();
        sha.update(buffer.byteArray(), at, digestAt - at);
        buffer.putBytes(digestAt, sha.digest());
        return digestAt + 32;
    }
}
