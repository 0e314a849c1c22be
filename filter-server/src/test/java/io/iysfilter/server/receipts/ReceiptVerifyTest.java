package io.iysfilter.server.receipts;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;

import static io.iysfilter.server.receipts.Receipts.DAY;
import static io.iysfilter.server.receipts.Receipts.DAY_MS;
import static io.iysfilter.server.receipts.Receipts.NAMES;
import static io.iysfilter.server.receipts.Receipts.SMALL_SEGMENT;
import static io.iysfilter.server.receipts.Receipts.append;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each alteration of a journal of three days (two closed, several segments each) is reported at its place by
 * {@link ReceiptReader#verifyAll()} and none passes.
 */
class ReceiptVerifyTest
{
    private static final LocalDate MIDDLE = LocalDate.ofEpochDay(DAY + 1);

    @TempDir
    Path dir;

    private Path segment;
    private long[] blocks;

    @BeforeEach
    void journal() throws IOException
    {
        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS, SMALL_SEGMENT))
        {
            for (long from = 1; from <= 1200; from += 40)
            {
                final long day = DAY + (from - 1) / 400;
                append(journal, from, from + 39, day);
                journal.seal(day * DAY_MS + 1000);
            }
        }
        segment = Receipts.segment(dir, DAY + 1, 1);
        blocks = Receipts.blocks(segment);
        assertTrue(blocks.length > 3, "the middle day's second segment holds blocks");
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(1200, verification.receipts());
        }
    }

    @Test
    void shouldReportAFlippedByteInAReceipt() throws IOException
    {
        ReceiptRecoveryTest.flip(segment, blocks[1] + JournalFormat.BLOCK_HEADER_LENGTH + 48 + 20);
        final Verification broken = assertBroken(1, 0, blocks[1], "block digest");
        assertNotEquals(broken.expected(), broken.found());
        assertEquals(64, broken.expected().length());
    }

    @Test
    void shouldReportAFlippedByteInABlockHeader() throws IOException
    {
        ReceiptRecoveryTest.flip(segment, blocks[1] + 8 + 2);
        assertBroken(1, 0, blocks[1], "block digest");
    }

    @Test
    void shouldReportAFlippedByteInADigest() throws IOException
    {
        ReceiptRecoveryTest.flip(segment, blocks[2] - 5);
        assertBroken(1, 0, blocks[1], "block digest");
    }

    @Test
    void shouldReportADeletedBlock() throws IOException
    {
        final byte[] bytes = Files.readAllBytes(segment);
        final int from = (int)blocks[1];
        final int length = (int)(blocks[2] - blocks[1]);
        System.arraycopy(bytes, from + length, bytes, from, bytes.length - from - length);
        java.util.Arrays.fill(bytes, bytes.length - length, bytes.length, (byte)0);
        Files.write(segment, bytes);
        assertBroken(1, 0, blocks[1], "block number");
    }

    @Test
    void shouldReportAWipedBlockHeader() throws IOException
    {
        ReceiptRecoveryTest.write(segment, blocks[1], new byte[8]);
        assertBroken(1, 0, -2, "data after the segment's last block");
    }

    @Test
    void shouldReportSwappedSegments() throws IOException
    {
        final Path other = Receipts.segment(dir, DAY + 1, 0);
        final Path aside = dir.resolve("aside");
        Files.move(segment, aside);
        Files.move(other, segment);
        Files.move(aside, other, StandardCopyOption.ATOMIC_MOVE);
        final Verification broken = verify();
        assertFalse(broken.ok());
        assertEquals(MIDDLE, broken.day());
        assertEquals(0, broken.segment());
        assertTrue(broken.what().startsWith("segment header"), broken.describe());
    }

    @Test
    void shouldReportADeletedDayInTheMiddle() throws IOException
    {
        Receipts.delete(JournalFormat.dayDirectory(dir, DAY + 1));
        final Verification broken = verify();
        assertFalse(broken.ok());
        assertEquals(LocalDate.ofEpochDay(DAY + 2), broken.day());
        assertEquals(0, broken.block());
        assertTrue(broken.what().contains("previous day's root"), broken.describe());
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertFalse(reader.verify(LocalDate.ofEpochDay(DAY + 2)).ok(), "one day alone, too");
            assertTrue(reader.verify(LocalDate.ofEpochDay(DAY)).ok());
        }
    }

    @Test
    void shouldReportADeletedLastSegmentOfAClosedDay() throws IOException
    {
        final int[] segments = JournalFormat.segments(JournalFormat.dayDirectory(dir, DAY + 1));
        Files.delete(Receipts.segment(dir, DAY + 1, segments[segments.length - 1]));
        final Verification broken = verify();
        assertFalse(broken.ok());
        assertEquals(MIDDLE, broken.day());
        assertTrue(broken.what().contains("root file"), broken.describe());
    }

    @Test
    void shouldReportAnAlteredRootFile() throws IOException
    {
        final Path root = JournalFormat.dayDirectory(dir, DAY + 1).resolve("root.json");
        Files.writeString(root, Files.readString(root).replace("\"receipts\": 400", "\"receipts\": 399"));
        final Verification broken = verify();
        assertFalse(broken.ok());
        assertEquals(MIDDLE, broken.day());
        assertTrue(broken.what().contains("counts"), broken.describe());
    }

    private Verification assertBroken(final int segmentNumber, final long blockInSegment, final long offset,
        final String what) throws IOException
    {
        final Verification broken = verify();
        assertFalse(broken.ok(), "passed: " + broken.describe());
        assertEquals(MIDDLE, broken.day(), broken.describe());
        assertEquals(segmentNumber, broken.segment(), broken.describe());
        if (offset >= 0)
        {
            assertEquals(offset, broken.offset(), broken.describe());
        }
        assertTrue(broken.what().startsWith(what), broken.describe());
        assertTrue(broken.describe().contains("day " + MIDDLE + " segment " + segmentNumber), broken.describe());
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            assertFalse(reader.verify(MIDDLE).ok(), "the day alone");
        }
        return broken;
    }

    private Verification verify() throws IOException
    {
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            return reader.verifyAll();
        }
    }
}
