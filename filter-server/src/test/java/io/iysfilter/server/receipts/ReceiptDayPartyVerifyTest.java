package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.BlockKind;
import io.iysfilter.protocol.receipts.DealerPartyEntryDecoder;
import io.iysfilter.protocol.receipts.MessageHeaderDecoder;
import io.iysfilter.protocol.receipts.PartyEntryDecoder;
import io.iysfilter.protocol.receipts.PartyReceiptDecoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.decision.DecisionFacts;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import static io.iysfilter.server.receipts.Receipts.DAY;
import static io.iysfilter.server.receipts.Receipts.DAY_MS;
import static io.iysfilter.server.receipts.Receipts.NAMES;
import static io.iysfilter.server.receipts.Receipts.RUN;
import static io.iysfilter.server.receipts.Receipts.SMALL_SEGMENT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal written by the journal, its {@code PARTIES} entries or its receipts' day parties then altered and every
 * digest, link and root recomputed after (as a tamperer would): the chain is whole, so only the reading of the day
 * parties can find what was done. {@code receipts verify} reports each at its place, of a closed and of an open day;
 * a search's scan refuses the day at the same place, naming it and {@code receipts verify}, and attributes no receipt
 * of it, while it reads an untouched day (and day party 0, unknown) as written; the journal refuses to reopen an open
 * day whose day parties could be read two ways, and leaves its files as they were.
 */
class ReceiptDayPartyVerifyTest
{
    private static final int OTHER_RUN = RUN + 1;
    private static final long DEALER_A = 4_000_000_001L;
    private static final long DEALER_B = 4_000_000_002L;
    private static final LocalDate FIRST = LocalDate.ofEpochDay(DAY);

    @TempDir
    Path dir;

    /**
     * An entry of a {@code PARTIES} block ({@code name} or {@code day-party}) or a receipt, where it is.
     */
    private record Entry(String kind, int segment, long block, int offset, int run, int party, int dayParty,
        long dealer)
    {
    }

    /**
     * Day {@link #FIRST}: day parties 1 (run 3, party 1, dealer A), 2 (run 3, party 1, dealer B), 3 (run 3, party 2,
     * the brand itself) and 4 (run 4, party 1, the brand itself), in receipts 1 to 5, each party named before its
     * first day party; closed by a receipt of the next day when asked.
     */
    private void write(final boolean closeFirstDay) throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, SMALL_SEGMENT))
        {
            journal.append(receipt(RUN, 1, 1, DEALER_A), 0, DAY);
            journal.append(receipt(RUN, 2, 1, DEALER_B), 0, DAY);
            journal.append(receipt(RUN, 3, 2, 0), 0, DAY);
            journal.append(receipt(RUN, 4, 1, DEALER_A), 0, DAY);
            journal.append(receipt(OTHER_RUN, 5, 1, 0), 0, DAY);
            journal.seal(DAY * DAY_MS + 10_000);
            if (closeFirstDay)
            {
                journal.append(receipt(OTHER_RUN, 6, 1, DEALER_A), 0, DAY + 1);
                journal.seal((DAY + 1) * DAY_MS + 10_000);
            }
        }
        final Verification verification = verifyAll();
        assertTrue(verification.ok(), verification.describe());
        assertEquals(List.of("name 3 1", "day-party 1", "receipt 1", "day-party 2", "receipt 2", "name 3 2",
            "day-party 3", "receipt 3", "receipt 1", "name 4 1", "day-party 4", "receipt 4"),
            entries(DAY).stream().map((entry) -> entry.kind() + " " + (entry.kind().equals("name") ?
            entry.run() + " " + entry.party() : entry.dayParty())).toList(), "the day as the journal writes it");
    }

    private static UnsafeBuffer receipt(final int run, final long sequence, final int party, final long dealer)
    {
        final UnsafeBuffer receipt = Receipts.receipt(sequence, 1000 + (int)sequence);
        new ReceiptEncoder().wrap(receipt, 0).decisionId((long)run << 48 | sequence).party(party).dealer(dealer);
        return receipt;
    }

    @ParameterizedTest(name = "closed day {0}")
    @ValueSource(booleans = {true, false})
    void shouldReportADayPartyNumberedTwiceWithAnotherMeaning(final boolean closed) throws Exception
    {
        write(closed);
        final Verification broken = assertDayPartyBroken(2, DealerPartyEntryDecoder.dayPartyEncodingOffset(), 1,
            "PARTIES entry: a day party numbered twice");
        assertEquals("day party 2", broken.expected());
        assertEquals("day party 1", broken.found());
        if (closed)
        {
            assertTrue(readRoot(DAY).closed(), "a closed day, its root file recomputed");
        }
    }

    @Test
    void shouldReportADayPartyNumberedTwiceWithTheSameMeaning() throws Exception
    {
        write(true);
        final Entry second = dayParty(2);
        putInt(second, DealerPartyEntryDecoder.dayPartyEncodingOffset(), 1);
        putInt(second, DealerPartyEntryDecoder.dealerEncodingOffset(), (int)DEALER_A);
        reseal();
        assertBroken(second, "PARTIES entry: a day party numbered twice");
    }

    @Test
    void shouldHandASearchNoReceiptOfADayRefusedAfterSomeOfItsReceiptsWereScanned() throws Exception
    {
        write(true);
        // every receipt holds the zero key: a search for receipt 1's brand finds it
        final ReceiptSearch search = new ReceiptSearch(JournalReceiptSource.open(dir),
            (brand, channel, type, recipient, facts) -> facts.recipient(DecisionFacts.RECIPIENT_PHONE, 0, 0));
        final ReceiptQuery query = new ReceiptQuery(600_001, "+905321111111", Long.MIN_VALUE, Long.MAX_VALUE);
        final List<Long> found = new ArrayList<>();
        search.search(query, (receipt) -> found.add(receipt.decisionId() & 0xFFFF_FFFF_FFFFL));
        assertEquals(List.of(1L), found, "found while the day is whole");

        // day party 4 numbered as 1 again: the day breaks after its first four receipts
        putInt(dayParty(4), DealerPartyEntryDecoder.dayPartyEncodingOffset(), 1);
        reseal();
        final List<Long> visited = new ArrayList<>();
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertThrows(IOException.class, () -> reader.scan(FIRST, (id, timeMs, party, receipt) ->
                visited.add(id & 0xFFFF_FFFF_FFFFL)));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L), visited, "the scan refuses the day where it breaks, as documented");
        found.clear();
        final IOException refused = assertThrows(IOException.class, () -> search.search(query,
            (receipt) -> found.add(receipt.decisionId() & 0xFFFF_FFFF_FFFFL)));
        assertTrue(refused.getMessage().startsWith("day " + FIRST), refused.getMessage());
        assertEquals(List.of(), found, "nothing of the refused day, though its receipt 1 was scanned");
    }

    @ParameterizedTest(name = "closed day {0}")
    @ValueSource(booleans = {true, false})
    void shouldReportASkippedDayParty(final boolean closed) throws Exception
    {
        write(closed);
        final Verification broken = assertDayPartyBroken(3, DealerPartyEntryDecoder.dayPartyEncodingOffset(), 5,
            "PARTIES entry: day parties skipped");
        assertEquals("day party 3", broken.expected());
        assertEquals("day party 5", broken.found());
    }

    @ParameterizedTest(name = "closed day {0}")
    @ValueSource(booleans = {true, false})
    void shouldReportAPairNumberedTwice(final boolean closed) throws Exception
    {
        write(closed);
        // day party 2 now says (run 3, party 1, dealer A), which day party 1 numbered: receipt 2 would read dealer A
        final Verification broken = assertDayPartyBroken(2, DealerPartyEntryDecoder.dealerEncodingOffset(),
            (int)DEALER_A, "PARTIES entry: a (run, party, dealer) numbered twice");
        assertTrue(broken.expected().contains("as day party 1") && broken.found().contains("as day party 2"),
            broken.describe());
    }

    @Test
    void shouldReportADayPartyOfAPartyNotNamed() throws Exception
    {
        write(true);
        final Entry third = dayParty(3);
        putShort(third, DealerPartyEntryDecoder.partyEncodingOffset(), 9);
        reseal();
        assertBroken(third, "PARTIES entry: a day party of a party the day has not named");
    }

    @Test
    void shouldReportAPartyNamedTwice() throws Exception
    {
        write(true);
        // party 2's name now names party 1 again (with party 2's name): a search would name party 1 so
        final Entry secondName = entries(DAY).stream().filter((entry) -> entry.kind().equals("name") &&
            entry.party() == 2).findFirst().orElseThrow();
        putShort(secondName, MessageHeaderDecoder.ENCODED_LENGTH + PartyEntryDecoder.partyEncodingOffset(), 1);
        reseal();
        final Verification broken = assertBroken(secondName, "PARTIES entry: a party named twice in the day");
        assertEquals("run 3 party 1 named once a day", broken.expected());
    }

    @Test
    void shouldReportAMalformedEntryInASealedBlock() throws Exception
    {
        write(true);
        final Entry second = dayParty(2);
        // the entry's message header: its template id (after its block length) becomes 9
        putShort(second, -MessageHeaderDecoder.ENCODED_LENGTH + 2, 9);
        reseal();
        assertBroken(second, "PARTIES entry: party entry 0 is of schema");
    }

    @ParameterizedTest(name = "closed day {0}")
    @ValueSource(booleans = {true, false})
    void shouldReportAReceiptNamingADayPartyNeverNumbered(final boolean closed) throws Exception
    {
        write(closed);
        final Verification broken = assertReceiptBroken(2, 77,
            "a receipt names a day party the day has not numbered before it");
        assertEquals("day party 0..3", broken.expected());
        assertEquals("day party 77", broken.found());
    }

    @Test
    void shouldReportAReceiptNamingADayPartyNumberedOnlyAfterIt() throws Exception
    {
        write(true);
        // receipt 1 (day party 1) now names day party 2, which the day numbers after it: dealer B, when it was A
        final Verification broken = assertReceiptBroken(0, 2,
            "a receipt names a day party the day has not numbered before it");
        assertEquals("day party 0..1", broken.expected());
    }

    @Test
    void shouldReportAReceiptNamingADayPartyOfAnotherRun() throws Exception
    {
        write(true);
        // receipt 5 (run 4, day party 4) now names day party 1: run 3's party, which did not ask it
        final Verification broken = assertReceiptBroken(4, 1,
            "a receipt names a day party of another run than its decision id's");
        assertEquals("a day party of run 4", broken.expected());
        assertEquals("day party 1 of run 3", broken.found());
    }

    @Test
    void shouldAcceptDayPartyZeroAndStillVerifyAnUntouchedNextDay() throws Exception
    {
        write(true);
        // day party 0 is "unknown", which the journal files when a day's numbers run out: not a break
        putDayParty(receipts(DAY).get(3), 0);
        reseal();
        final Verification verification = verifyAll();
        assertTrue(verification.ok(), verification.describe());
        assertEquals(6, verification.receipts());
        assertEquals("4 unknown 0 0 true", scanned(FIRST).get(3), "read as unknown, and the scan goes on");
        assertEquals(5, scanned(FIRST).size());
    }

    @ParameterizedTest(name = "closed day {0}")
    @ValueSource(booleans = {true, false})
    void shouldScanAnUntouchedDayGivingEachReceiptItsPartyAndDealer(final boolean closed) throws Exception
    {
        write(closed);
        assertEquals(List.of(
            "1 client:party-3-1 1 " + DEALER_A + " false",
            "2 client:party-3-1 1 " + DEALER_B + " false",
            "3 client:party-3-2 2 0 false",
            "4 client:party-3-1 1 " + DEALER_A + " false",
            "5 client:party-4-1 1 0 false"), scanned(FIRST));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"numbered twice", "skipped", "pair twice", "named twice", "not named"})
    void shouldRefuseToReopenAnOpenDayWhosePartiesAreAmbiguous(final String alteration) throws Exception
    {
        write(false);
        final Entry second = dayParty(2);
        final String message = switch (alteration)
        {
            case "numbered twice" ->
            {
                putInt(second, DealerPartyEntryDecoder.dayPartyEncodingOffset(), 1);
                yield "day party 1 numbered where the day's next is 2 (a day party numbered twice)";
            }
            case "skipped" ->
            {
                putInt(second, DealerPartyEntryDecoder.dayPartyEncodingOffset(), 3);
                yield "day party 3 numbered where the day's next is 2 (day parties skipped)";
            }
            case "pair twice" ->
            {
                putInt(second, DealerPartyEntryDecoder.dealerEncodingOffset(), (int)DEALER_A);
                yield "party 1 of run 3 with dealer " + DEALER_A + " numbered twice in the day, as day parties 1 " +
                    "and 2";
            }
            case "named twice" ->
            {
                final Entry name = entries(DAY).stream().filter((entry) -> entry.kind().equals("name") &&
                    entry.party() == 2).findFirst().orElseThrow();
                putShort(name, MessageHeaderDecoder.ENCODED_LENGTH + PartyEntryDecoder.partyEncodingOffset(), 1);
                yield "party 1 of run 3 named twice in the day";
            }
            default ->
            {
                putShort(second, DealerPartyEntryDecoder.partyEncodingOffset(), 9);
                yield "day party 2 of party 9 of run 3, which the day has not named";
            }
        };
        reseal();
        final Path segment = Receipts.segment(dir, DAY, 0);
        final byte[] before = Files.readAllBytes(segment);
        final IOException refused = assertThrows(IOException.class,
            () -> ReceiptJournal.open(dir, NAMES, DAY * DAY_MS + 20_000, SMALL_SEGMENT).close());
        assertTrue(refused.getMessage().contains(segment.toString()) && refused.getMessage().contains(message) &&
            refused.getMessage().contains("receipts verify"), refused.getMessage());
        assertArrayEquals(before, Files.readAllBytes(segment), "nothing cut or appended");
        assertFalse(verifyAll().ok(), "verify reports it too");
    }

    @Test
    void shouldRefuseToReopenAnOpenDayWithAMalformedSealedEntryNamingItsBlock() throws Exception
    {
        write(false);
        final Entry second = dayParty(2);
        putShort(second, -MessageHeaderDecoder.ENCODED_LENGTH + 2, 9);
        reseal();
        final IOException refused = assertThrows(IOException.class,
            () -> ReceiptJournal.open(dir, NAMES, DAY * DAY_MS + 20_000, SMALL_SEGMENT).close());
        assertTrue(refused.getMessage().contains("block " + second.block() + " offset ") &&
            refused.getMessage().contains("(entry at " + (second.offset() - MessageHeaderDecoder.ENCODED_LENGTH) +
            "): party entry 0 is of schema"), refused.getMessage());
    }

    @Test
    void shouldReopenAnUntouchedOpenDayAndGoOnNumberingIt() throws Exception
    {
        write(false);
        reseal();
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS + 20_000, SMALL_SEGMENT))
        {
            journal.append(receipt(OTHER_RUN, 7, 1, DEALER_B), 0, DAY);
            journal.seal(DAY * DAY_MS + 30_000);
        }
        assertEquals(5, dayParty(5).dayParty());
        final Verification verification = verifyAll();
        assertTrue(verification.ok(), verification.describe());
        assertEquals(6, verification.receipts());
    }

    /**
     * The {@code PARTIES} entry numbering {@code dayParty} given {@code value} in its int {@code field}, and the
     * journal resealed: verification breaks at that entry, saying {@code what}.
     */
    private Verification assertDayPartyBroken(final int dayParty, final int field, final int value, final String what)
        throws Exception
    {
        final Entry entry = dayParty(dayParty);
        putInt(entry, field, value);
        reseal();
        return assertBroken(entry, what);
    }

    /**
     * Receipt {@code index} of the day (from 0) made to name {@code dayParty}, and the journal resealed: verification
     * breaks at that receipt, saying {@code what}.
     */
    private Verification assertReceiptBroken(final int index, final int dayParty, final String what) throws Exception
    {
        final Entry receipt = receipts(DAY).get(index);
        putDayParty(receipt, dayParty);
        reseal();
        return assertBroken(receipt, what);
    }

    private Verification assertBroken(final Entry at, final String what) throws IOException
    {
        final Verification broken = verifyAll();
        assertFalse(broken.ok(), "passed: " + broken.describe());
        assertEquals(FIRST, broken.day(), broken.describe());
        assertEquals(at.segment(), broken.segment(), broken.describe());
        assertEquals(at.block(), broken.block(), broken.describe());
        final int offset = at.kind().equals("receipt") || at.kind().equals("name") ? at.offset() :
            at.offset() - MessageHeaderDecoder.ENCODED_LENGTH;
        assertEquals(offset, broken.offset(), broken.describe());
        assertTrue(broken.what().startsWith(what), broken.describe());
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertEquals(broken, reader.verify(FIRST), "the day alone");
        }
        assertScanRefuses(broken);
        return broken;
    }

    /**
     * A search ({@code receipts find}, {@code GET /v1/receipts}) reads the day by verification's rules: it refuses
     * the day where verification breaks, saying what verification says and to run it, rather than attribute any
     * receipt of it; and still reads the next day, untouched, when there is one.
     */
    private void assertScanRefuses(final Verification broken) throws IOException
    {
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final IOException refused = assertThrows(IOException.class,
                () -> reader.scan(FIRST, (id, timeMs, party, receipt) -> true), "scan of " + broken.describe());
            final String message = refused.getMessage();
            assertTrue(message.startsWith("day " + FIRST + " segment " + broken.segment() + " block " +
                broken.block() + " offset " + broken.offset() + ": " + broken.what()), message);
            assertTrue(broken.expected().isEmpty() || message.contains("(expected " + broken.expected() +
                ", found " + broken.found() + ")"), message);
            assertTrue(message.contains("so none is attributed: run iys-filter receipts verify --day " + FIRST),
                message);
            assertTrue(message.contains(Receipts.segment(dir, DAY, broken.segment()).toString()), message);
            if (Files.isDirectory(JournalFormat.dayDirectory(dir, DAY + 1)))
            {
                assertEquals(List.of("6 client:party-4-1 1 " + DEALER_A + " false"), scanned(FIRST.plusDays(1)),
                    "the next day, untouched, is read");
            }
        }
    }

    /**
     * @return each receipt a scan of the day reads: its sequence, party name, party and dealer, and whether its
     *     dealer is unknown.
     */
    private List<String> scanned(final LocalDate day) throws IOException
    {
        final List<String> scanned = new ArrayList<>();
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            reader.scan(day, (id, timeMs, party, receipt) -> scanned.add((id & 0xFFFF_FFFF_FFFFL) + " " + party +
                " " + receipt.party() + " " + receipt.dealer() + " " + receipt.flags().dealerUnknown()));
        }
        return scanned;
    }

    private Verification verifyAll() throws IOException
    {
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            return reader.verifyAll();
        }
    }

    private DayRoot readRoot(final long day) throws IOException
    {
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            return reader.root(LocalDate.ofEpochDay(day));
        }
    }

    private Entry dayParty(final int dayParty) throws IOException
    {
        return entries(DAY).stream().filter((entry) -> entry.kind().equals("day-party") &&
            entry.dayParty() == dayParty).findFirst().orElseThrow();
    }

    private List<Entry> receipts(final long day) throws IOException
    {
        return entries(day).stream().filter((entry) -> entry.kind().equals("receipt")).toList();
    }

    /**
     * The day's entries and receipts in order. A name's offset is its entry's (message header included), a day
     * party's its {@code DealerPartyEntry}'s block (after its message header), a receipt's its own.
     */
    private List<Entry> entries(final long day) throws IOException
    {
        final List<Entry> entries = new ArrayList<>();
        final Path dayPath = JournalFormat.dayDirectory(dir, day);
        for (final int number : JournalFormat.segments(dayPath))
        {
            final byte[] bytes = Files.readAllBytes(JournalFormat.segmentFile(dayPath, number));
            final BlockCursor cursor = new BlockCursor();
            cursor.wrap(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip(), bytes.length);
            assertNull(cursor.checkSegmentHeader(day, number));
            while (cursor.read() == BlockCursor.BLOCK)
            {
                final long block = cursor.header.block();
                if (cursor.header.kind() == BlockKind.PARTIES)
                {
                    assertNull(cursor.readParties(new BlockCursor.PartyEntries()
                    {
                        @Override
                        public String name(final int run, final int party, final UnsafeBuffer buffer,
                            final int nameOffset, final int nameLength)
                        {
                            entries.add(new Entry("name", number, block, cursor.entryOffset, run, party, 0, 0));
                            return null;
                        }

                        @Override
                        public String dayParty(final int dayParty, final int run, final int party,
                            final long dealer)
                        {
                            entries.add(new Entry("day-party", number, block, cursor.entryOffset +
                                MessageHeaderDecoder.ENCODED_LENGTH, run, party, dayParty, dealer));
                            return null;
                        }
                    }));
                }
                else
                {
                    for (int r = 0; r < cursor.header.count(); r++)
                    {
                        final int at = cursor.bodyOffset + r * cursor.receiptLength;
                        entries.add(new Entry("receipt", number, block, at, 0, 0, cursor.buffer.getInt(at +
                            PartyReceiptDecoder.partyDoorChannelEncodingOffset(), ByteOrder.LITTLE_ENDIAN) &
                            JournalFormat.DAY_PARTY_MASK, 0));
                    }
                }
                cursor.advance();
            }
        }
        return entries;
    }

    private void putInt(final Entry entry, final int field, final int value) throws IOException
    {
        final Path file = Receipts.segment(dir, DAY, entry.segment());
        final byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(entry.offset() + field, value);
        Files.write(file, bytes);
    }

    private void putShort(final Entry entry, final int field, final int value) throws IOException
    {
        final Path file = Receipts.segment(dir, DAY, entry.segment());
        final byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(entry.offset() + field, (short)value);
        Files.write(file, bytes);
    }

    /**
     * Set a receipt's day party, keeping its door and channel.
     */
    private void putDayParty(final Entry receipt, final int dayParty) throws IOException
    {
        final Path file = Receipts.segment(dir, DAY, receipt.segment());
        final byte[] bytes = Files.readAllBytes(file);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int at = receipt.offset() + PartyReceiptDecoder.partyDoorChannelEncodingOffset();
        buffer.putInt(at, buffer.getInt(at) & ~JournalFormat.DAY_PARTY_MASK | dayParty);
        Files.write(file, bytes);
    }

    /**
     * What a tamperer does after altering a block: every link, digest and root recomputed.
     */
    private void reseal() throws Exception
    {
        JournalTamperer.reseal(dir);
    }
}
