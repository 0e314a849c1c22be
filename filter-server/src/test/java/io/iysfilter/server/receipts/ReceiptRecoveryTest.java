package io.iysfilter.server.receipts;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.iysfilter.server.receipts.Receipts.DAY;
import static io.iysfilter.server.receipts.Receipts.DAY_MS;
import static io.iysfilter.server.receipts.Receipts.NAMES;
import static io.iysfilter.server.receipts.Receipts.SMALL_SEGMENT;
import static io.iysfilter.server.receipts.Receipts.append;
import static io.iysfilter.server.receipts.Receipts.id;
import static io.iysfilter.server.receipts.Receipts.receipt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash can leave the last block of a segment begun, half sealed or half written: a power loss that kept some of a
 * sealed block's pages and not others, or a kill -9 of a build that wrote segments through a shared mapping (which
 * left the open block's receipts in the file, unsealed). Every such tail is cut at open (its bytes kept beside the
 * segment), what was sealed verifies, and the journal goes on from the last sealed receipt. What a crash cannot
 * leave (a failing block with a sealed block after it, or with data after it) is damage: open refuses and cuts
 * nothing.
 */
class ReceiptRecoveryTest
{
    private static final long NOW = DAY * DAY_MS + 3_600_000;
    private static final int PARTY_COUNT_OFFSET = 8 + 8;

    @TempDir
    Path dir;

    @Test
    void shouldCutAnUnsealedTailBlockTornAtEveryByte() throws IOException
    {
        final Path crashed = crashWithTail(false);
        final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
        final long tail = blocks[blocks.length - 2];
        final long end = tail + JournalFormat.BLOCK_HEADER_LENGTH + 3 * JournalFormat.RECEIPT_LENGTH;
        assertEquals(end + JournalFormat.DIGEST_LENGTH, blocks[blocks.length - 1], "the tail: 3 receipts unsealed");
        for (long k = tail; k <= end; k++)
        {
            assertRecoversTo(tornAt(crashed, k), 20, "unsealed tail written up to byte " + k, tail);
        }
    }

    @Test
    void shouldCutASealedTailBlockTornAtEveryByteOrWithItsDigestZeroedOrAltered() throws IOException
    {
        final Path crashed = crashWithTail(true);
        final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
        final long tail = blocks[blocks.length - 2];
        final long end = blocks[blocks.length - 1];
        assertRecoversTo(copy(crashed), 23, "nothing torn", end);
        for (long k = tail; k < end; k++)
        {
            assertRecoversTo(tornAt(crashed, k), 20, "sealed tail written up to byte " + k, tail);
        }
        final Path zeroed = copy(crashed);
        write(Receipts.segment(zeroed, DAY, 0), end - JournalFormat.DIGEST_LENGTH,
            new byte[JournalFormat.DIGEST_LENGTH]);
        assertRecoversTo(zeroed, 20, "the tail's digest zeroed", tail);
        final Path altered = copy(crashed);
        flip(Receipts.segment(altered, DAY, 0), end - 1);
        assertRecoversTo(altered, 20, "the tail's digest's last byte altered", tail);
    }

    @Test
    void shouldCutAHalfWrittenPartyEntryAndNameThePartyAgain() throws IOException
    {
        final Path live = dir.resolve("live");
        final Path crashed = dir.resolve("crashed");
        long partyBlock;
        try (ReceiptJournal journal = ReceiptJournal.open(live, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 20, DAY);
            journal.seal(NOW);
            final long[] before = Receipts.blocks(Receipts.segment(live, DAY, 0));
            partyBlock = before[before.length - 1];
            journal.append(withParty(21, 9), 0, DAY);
            journal.seal(NOW);
            Receipts.copy(live, crashed);
        }
        final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
        assertEquals(partyBlock, blocks[blocks.length - 3], "a party block, then the receipt's block");
        final long partyEnd = blocks[blocks.length - 2];
        for (long k = partyBlock + 1; k < partyEnd; k++)
        {
            final Path torn = tornAt(crashed, k);
            assertRecoversTo(torn, 20, "party entry written up to byte " + k, partyBlock);
        }
        final Path torn = tornAt(crashed, partyBlock + JournalFormat.BLOCK_HEADER_LENGTH + 3);
        try (ReceiptJournal journal = ReceiptJournal.open(torn, NAMES, NOW, SMALL_SEGMENT))
        {
            journal.append(withParty(21, 9), 0, DAY);
        }
        final List<String> names = new ArrayList<>();
        try (ReceiptReader reader = ReceiptReader.open(torn))
        {
            reader.scan(LocalDate.ofEpochDay(DAY), (id, timeMs, party, receipt) -> names.add(party));
            assertTrue(reader.verifyAll().ok(), reader.verifyAll().describe());
        }
        assertEquals("client:party-3-9", names.get(20));
    }

    @Test
    void shouldRefuseToOpenWhenABlockBeforeTheLastSegmentIsBroken() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 400, DAY);
        }
        final Path first = Receipts.segment(dir, DAY, 0);
        final long[] blocks = Receipts.blocks(first);
        write(first, blocks[1], new byte[8]);
        final IOException refused = assertThrows(IOException.class,
            () -> ReceiptJournal.open(dir, NAMES, NOW, SMALL_SEGMENT));
        assertTrue(refused.getMessage().contains("000000.seg"), refused.getMessage());
    }

    @Test
    void shouldRefuseToOpenAndCutNothingWhenASealedBlockInTheMiddleOfTheLastSegmentIsAltered() throws IOException
    {
        final Path live = dir.resolve("live");
        try (ReceiptJournal journal = ReceiptJournal.open(live, NAMES, NOW, SMALL_SEGMENT))
        {
            for (int b = 0; b < 6; b++)
            {
                append(journal, b * 5 + 1, b * 5 + 5, DAY);
                journal.seal(NOW);
            }
        }
        final long[] blocks = Receipts.blocks(Receipts.segment(live, DAY, 0));
        assertTrue(blocks.length > 6, "several sealed blocks in the open day's only segment");
        final int middle = blocks.length / 2;
        final long[] alterations = {
            blocks[middle] + 1,
            blocks[middle] + JournalFormat.BLOCK_HEADER_LENGTH + 5,
            blocks[middle + 1] - 1,
        };
        for (final long at : alterations)
        {
            final Path altered = copy(live);
            final Path segment = Receipts.segment(altered, DAY, 0);
            flip(segment, at);
            final byte[] before = Files.readAllBytes(segment);
            final IOException refused = assertThrows(IOException.class,
                () -> ReceiptJournal.open(altered, NAMES, NOW, SMALL_SEGMENT), "byte " + at + " flipped");
            final String message = refused.getMessage();
            assertTrue(message.contains("segment 0") && message.contains("offset " + blocks[middle]) &&
                message.contains(LocalDate.ofEpochDay(DAY).toString()), message);
            assertArrayEquals(before, Files.readAllBytes(segment), "nothing cut: byte " + at + " flipped");
            assertEquals(List.of(), tornFiles(altered), "nothing kept: byte " + at + " flipped");
        }
    }

    @Test
    void shouldCutAReceiptAppendedOverTheDigestPlaceBeforeTheCountClaimedIt() throws IOException
    {
        final Path crashed = crashWithTail(false);
        final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
        final long tail = blocks[blocks.length - 2];
        final long end = tail + JournalFormat.BLOCK_HEADER_LENGTH + 3 * JournalFormat.RECEIPT_LENGTH;
        final Path appending = copy(crashed);
        final byte[] next = new byte[JournalFormat.RECEIPT_LENGTH];
        receipt(24, 5000).getBytes(0, next);
        // the 4th receipt copied in, the header's count not yet raised: it runs 16 bytes past the digest's place
        write(Receipts.segment(appending, DAY, 0), end, next);
        assertRecoversTo(appending, 20, "a receipt over the digest's place", tail);
    }

    @Test
    void shouldRefuseToOpenWhenABlockWithAWrongDigestIsNotTheLastWritten() throws IOException
    {
        final Path crashed = crashWithTail(true);
        final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
        final long tail = blocks[blocks.length - 2];
        final long end = blocks[blocks.length - 1];
        final Path altered = copy(crashed);
        final Path segment = Receipts.segment(altered, DAY, 0);
        flip(segment, tail + JournalFormat.BLOCK_HEADER_LENGTH);
        write(segment, end + JournalFormat.RECEIPT_LENGTH, new byte[] {1, 2, 3});
        final byte[] before = Files.readAllBytes(segment);
        final IOException refused = assertThrows(IOException.class,
            () -> ReceiptJournal.open(altered, NAMES, NOW, SMALL_SEGMENT));
        assertTrue(refused.getMessage().contains("offset " + tail), refused.getMessage());
        assertArrayEquals(before, Files.readAllBytes(segment));
    }

    @Test
    void shouldRefuseToOpenWhenAZeroGapIsFollowedByASealedBlock() throws IOException
    {
        final Path crashed = crashWithTail(true);
        final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
        final long before = blocks[blocks.length - 3];
        final Path gap = copy(crashed);
        final Path segment = Receipts.segment(gap, DAY, 0);
        // as a power loss may leave it: a later page persisted, an earlier one not
        write(segment, before, new byte[(int)(blocks[blocks.length - 2] - before)]);
        final byte[] bytes = Files.readAllBytes(segment);
        final IOException refused = assertThrows(IOException.class,
            () -> ReceiptJournal.open(gap, NAMES, NOW, SMALL_SEGMENT));
        assertTrue(refused.getMessage().contains("offset " + before), refused.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(segment));
    }

    @Test
    void shouldKeepTheBytesOfATornLastBlockBesideTheSegmentAndVerifyWhatWasSealed() throws IOException
    {
        final Path crashed = crashWithTail(true);
        final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
        final long tail = blocks[blocks.length - 2];
        final long end = blocks[blocks.length - 1];
        final byte[] original = Files.readAllBytes(Receipts.segment(crashed, DAY, 0));
        final Path torn = tornAt(crashed, end - 7);
        try (ReceiptJournal journal = ReceiptJournal.open(torn, NAMES, NOW, SMALL_SEGMENT))
        {
            assertEquals(id(20), journal.lastDecisionId());
        }
        final List<Path> kept = tornFiles(torn);
        assertEquals(1, kept.size(), kept.toString());
        assertTrue(kept.get(0).getFileName().toString().startsWith("000000.seg.torn-"), kept.toString());
        int last = (int)end - 8;
        while (original[last] == 0)
        {
            last--;
        }
        assertArrayEquals(Arrays.copyOfRange(original, (int)tail, last + 1), Files.readAllBytes(kept.get(0)),
            "the cut bytes, from the torn block's start to the last non-zero byte");
        try (ReceiptReader reader = ReceiptReader.open(torn))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(20, verification.receipts());
            assertEquals(kept, reader.tornTails(null));
        }
    }

    private Path crashWithTail(final boolean sealTail) throws IOException
    {
        final Path live = dir.resolve("live");
        final Path crashed = dir.resolve("crashed");
        try (ReceiptJournal journal = ReceiptJournal.open(live, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, 1, 20, DAY);
            journal.seal(NOW);
            append(journal, 21, 23, DAY);
            journal.seal(NOW);
            // the files as a crash leaves them: nothing more sealed or closed
            Receipts.copy(live, crashed);
        }
        if (!sealTail)
        {
            // the tail block without its digest: as a power loss that did not keep the digest's page leaves it, or
            // a kill -9 of a build that wrote through a mapping (its count claimed each receipt as it was appended)
            final long[] blocks = Receipts.blocks(Receipts.segment(crashed, DAY, 0));
            write(Receipts.segment(crashed, DAY, 0), blocks[blocks.length - 1] - JournalFormat.DIGEST_LENGTH,
                new byte[JournalFormat.DIGEST_LENGTH]);
        }
        return crashed;
    }

    private void assertRecoversTo(final Path journalDir, final long lastSequence, final String what,
        final long cutFrom) throws IOException
    {
        final byte[] before = Files.readAllBytes(Receipts.segment(journalDir, DAY, 0));
        int last = before.length - 1;
        while (last >= cutFrom && before[last] == 0)
        {
            last--;
        }
        try (ReceiptJournal journal = ReceiptJournal.open(journalDir, NAMES, NOW, SMALL_SEGMENT))
        {
            assertEquals(id(lastSequence), journal.lastDecisionId(), what);
        }
        final List<Path> kept = tornFiles(journalDir);
        if (last < cutFrom)
        {
            assertEquals(List.of(), kept, what + ": nothing to cut, nothing kept");
        }
        else
        {
            assertEquals(1, kept.size(), what + ": the cut bytes kept: " + kept);
            assertArrayEquals(Arrays.copyOfRange(before, (int)cutFrom, last + 1), Files.readAllBytes(kept.get(0)),
                what + ": the cut bytes kept");
        }
        try (ReceiptReader reader = ReceiptReader.open(journalDir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), what + ": " + verification.describe());
            assertEquals(lastSequence, verification.receipts(), what);
            assertTrue(verification.what().equals("OK"), what + ": no tail left: " + verification.what());
        }
        try (ReceiptJournal journal = ReceiptJournal.open(journalDir, NAMES, NOW, SMALL_SEGMENT))
        {
            append(journal, lastSequence + 1, lastSequence + 5, DAY);
        }
        try (ReceiptReader reader = ReceiptReader.open(journalDir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), what + ", then 5 more: " + verification.describe());
            assertEquals(lastSequence + 5, verification.receipts(), what);
        }
        Receipts.delete(journalDir);
    }

    private static List<Path> tornFiles(final Path journalDir) throws IOException
    {
        try (java.util.stream.Stream<Path> files = Files.list(JournalFormat.dayDirectory(journalDir, DAY)))
        {
            return files.filter(file -> file.getFileName().toString().contains(".torn-")).sorted().toList();
        }
    }

    private Path copy(final Path crashed) throws IOException
    {
        final Path copy = dir.resolve("copy");
        Receipts.delete(copy);
        return Receipts.copy(crashed, copy);
    }

    /**
     * @return a copy of the crashed journal with its last segment written only up to byte k (zeros from there).
     */
    private Path tornAt(final Path crashed, final long k) throws IOException
    {
        final Path copy = copy(crashed);
        final Path segment = Receipts.segment(copy, DAY, 0);
        write(segment, k, new byte[(int)(Files.size(segment) - k)]);
        return copy;
    }

    static UnsafeBuffer withParty(final long sequence, final int party)
    {
        final UnsafeBuffer buffer = receipt(sequence, 5000);
        buffer.putShort(io.iysfilter.protocol.receipts.ReceiptEncoder.partyEncodingOffset(), (short)party,
            ByteOrder.LITTLE_ENDIAN);
        return buffer;
    }

    static void write(final Path file, final long at, final byte[] bytes) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(java.nio.ByteBuffer.wrap(bytes), at);
        }
    }

    static void flip(final Path file, final long at) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        bytes[(int)at] ^= 0x40;
        Files.write(file, bytes);
    }
}
