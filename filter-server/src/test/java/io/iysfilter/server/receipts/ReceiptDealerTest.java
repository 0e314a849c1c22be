package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.BlockHeaderEncoder;
import io.iysfilter.protocol.receipts.BlockKind;
import io.iysfilter.protocol.receipts.MessageHeaderEncoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.protocol.receipts.SegmentHeaderEncoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.iysfilter.server.receipts.Receipts.DAY;
import static io.iysfilter.server.receipts.Receipts.DAY_MS;
import static io.iysfilter.server.receipts.Receipts.NAMES;
import static io.iysfilter.server.receipts.Receipts.SMALL_SEGMENT;
import static io.iysfilter.server.receipts.Receipts.id;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A receipt names the dealer a request named (since receipt schema version 3; filed through its day party since
 * version 4, ReceiptDayPartyTest), 0 for the brand itself; segments and queue files written before that (48-byte
 * receipts of version 2) still read, verify and replay, their receipts' dealer reported unknown, and a journal left
 * open by such a build goes on in a segment of its own.
 */
class ReceiptDealerTest
{
    private static final long DEALER = 4_000_000_123L;

    @TempDir
    Path dir;

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

    @Test
    void shouldRecordTheDealerARequestNamedAndShowItInJsonAndCsv() throws Exception
    {
        final long nowMs = System.currentTimeMillis();
        final long day = Math.floorDiv(nowMs, DAY_MS);
        try (ReceiptRecorder recorder = ReceiptRecorder.open(new ReceiptSettings(dir, false, 730, 1024), nowMs,
            64 * 1024))
        {
            final int party = recorder.party(Door.BINARY, "client:acme");
            final DecisionFacts facts = new DecisionFacts();
            facts.begin(nowMs, 600_001, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL)
                .dealer(DEALER).asker(Door.BINARY, party).answer(Reason.DEALER_ACCESS, nowMs);
            assertNotEquals(DecisionRecorder.NOT_RECORDED, recorder.record(facts));
            facts.begin(nowMs + 1, 600_001, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL)
                .asker(Door.BINARY, party).answer(Reason.CONSENT, nowMs);
            assertNotEquals(DecisionRecorder.NOT_RECORDED, recorder.record(facts));
        }
        final List<FoundReceipt> found = found(dir, day);
        assertEquals(2, found.size());
        assertEquals(DEALER, found.get(0).dealerCode(), "the full unsigned 32 bits");
        assertTrue(found.get(0).json().contains(",\"dealer\":" + DEALER + "}"), found.get(0).json());
        assertTrue(found.get(0).csv().endsWith(",false," + DEALER), found.get(0).csv());
        assertEquals(0, found.get(1).dealerCode(), "begin() forgets the last decision's dealer");
        assertTrue(found.get(1).json().contains(",\"dealer\":0}"), found.get(1).json());
        assertTrue(found.get(1).csv().endsWith(",false,0"), found.get(1).csv());
        assertTrue(FoundReceipt.CSV_HEADER.endsWith(",refiled,dealer"), FoundReceipt.CSV_HEADER);
    }

    @Test
    void shouldReadAndVerifyASegmentOf48ByteReceiptsAndGoOnInANewSegmentAfterIt() throws Exception
    {
        final Path segment = Receipts.segment(dir, DAY, 0);
        Files.createDirectories(segment.getParent());
        Files.write(segment, legacySegment(DAY, 3));
        final byte[] before = Files.readAllBytes(segment);

        final List<FoundReceipt> old = found(dir, DAY);
        assertEquals(3, old.size());
        for (int i = 0; i < 3; i++)
        {
            assertEquals(id(i + 1), old.get(i).decisionId(), "read 48 bytes apart");
            assertEquals(600_001 + i, old.get(i).brandCode());
            assertEquals(FoundReceipt.DEALER_UNKNOWN, old.get(i).dealerCode(), "a version 2 receipt does not say");
            assertTrue(old.get(i).json().contains(",\"dealer\":null}"), old.get(i).json());
            assertTrue(old.get(i).csv().endsWith(",false,"), old.get(i).csv());
        }

        try (ReceiptJournal journal = ReceiptJournal.open(dir, NAMES, DAY * DAY_MS + 50_000, SMALL_SEGMENT))
        {
            assertEquals(id(3), journal.lastDecisionId());
            for (long s = 4; s <= 6; s++)
            {
                final UnsafeBuffer receipt = Receipts.receipt(s, 1000 + (int)s);
                new ReceiptEncoder().wrap(receipt, 0).dealer(DEALER + s);
                journal.append(receipt, 0, DAY);
            }
            journal.seal(DAY * DAY_MS + 60_000);
        }
        assertArrayEquals(before, Files.readAllBytes(segment), "the older build's segment takes no more blocks");
        assertTrue(Files.exists(Receipts.segment(dir, DAY, 1)), "this build's receipts go on in a new segment");

        final List<FoundReceipt> both = found(dir, DAY);
        assertEquals(6, both.size());
        assertEquals(FoundReceipt.DEALER_UNKNOWN, both.get(2).dealerCode());
        for (int i = 3; i < 6; i++)
        {
            assertEquals(id(i + 1), both.get(i).decisionId());
            assertEquals(600_001 + i, both.get(i).brandCode());
            assertEquals(DEALER + i + 1, both.get(i).dealerCode());
        }

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
    void shouldReplayAQueueOf48ByteReceiptsWithTheirDealerUnknownNotReadFromTheDayStoredAfterThem() throws Exception
    {
        final long nowMs = System.currentTimeMillis();
        final long day = Math.floorDiv(nowMs, DAY_MS);
        assertEquals(1, ReceiptRun.next(dir), "the run that crashed");
        final int slots = 1024;
        final byte[] queue = new byte[ReceiptQueue.HEADER_LENGTH + slots * ReceiptQueue.SLOT_LENGTH];
        final UnsafeBuffer file = new UnsafeBuffer(queue);
        file.putLong(0, 0x3130305152535949L, ByteOrder.LITTLE_ENDIAN);
        file.putInt(8, 1, ByteOrder.LITTLE_ENDIAN);
        file.putInt(12, slots, ByteOrder.LITTLE_ENDIAN);
        for (long s = 1; s <= 2; s++)
        {
            final long decisionId = 1L << 48 | s;
            final int slot = ReceiptQueue.HEADER_LENGTH + (int)s * ReceiptQueue.SLOT_LENGTH;
            final UnsafeBuffer receipt = Receipts.receipt(s, 5_000);
            receipt.putLong(0, decisionId, ByteOrder.LITTLE_ENDIAN);
            file.putBytes(slot, receipt, 0, JournalFormat.LEGACY_RECEIPT_LENGTH);
            file.putLong(slot + 48, day, ByteOrder.LITTLE_ENDIAN);
            file.putLong(slot + 56, decisionId, ByteOrder.LITTLE_ENDIAN);
        }
        Files.write(dir.resolve(ReceiptRecorder.QUEUE_FILE), queue);

        try (ReceiptRecorder recorder = ReceiptRecorder.open(new ReceiptSettings(dir, false, 730, slots), nowMs,
            64 * 1024))
        {
            assertEquals(2, recorder.journalHead().receipts(), "both replayed before serving");
        }
        final List<FoundReceipt> found = found(dir, day);
        assertEquals(2, found.size());
        for (int i = 0; i < 2; i++)
        {
            assertEquals(1L << 48 | (i + 1), found.get(i).decisionId());
            assertEquals(600_001 + i, found.get(i).brandCode());
            assertEquals(day * DAY_MS + 5_000, found.get(i).timeMs(), "filed under the day the slot held");
            // neither the day stored after the 48 bytes, nor 0 (the brand itself): that build did not keep the dealer
            assertEquals(FoundReceipt.DEALER_UNKNOWN, found.get(i).dealerCode(), "not the day stored after the 48 " +
                "bytes (" + day + "), nor 0");
            assertTrue(found.get(i).json().contains(",\"dealer\":null}"), found.get(i).json());
        }
        final byte[] header = Arrays.copyOf(Files.readAllBytes(dir.resolve(ReceiptRecorder.QUEUE_FILE)), 16);
        assertEquals(2, new UnsafeBuffer(header).getInt(8, ByteOrder.LITTLE_ENDIAN), "re-created at version 2");
    }

    /**
     * A segment as a build before receipt schema version 3 wrote it: 48-byte receipts of version 2, one block of
     * {@code count} receipts (sequences 1.., party 0), the journal's first (previous digest zeros).
     */
    private static byte[] legacySegment(final long day, final int count) throws Exception
    {
        final int legacy = JournalFormat.LEGACY_RECEIPT_LENGTH;
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocate(SMALL_SEGMENT));
        new MessageHeaderEncoder().wrap(buffer, 0).blockLength(SegmentHeaderEncoder.BLOCK_LENGTH)
            .templateId(SegmentHeaderEncoder.TEMPLATE_ID).schemaId(SegmentHeaderEncoder.SCHEMA_ID).version(2);
        new SegmentHeaderEncoder().wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH)
            .format(JournalFormat.FORMAT).receiptLength(legacy).receiptVersion(2).reserved(0).epochDay((int)day)
            .segment(0).segmentSize(SMALL_SEGMENT).reserved2(0).createdMs(day * DAY_MS);
        final int blockAt = JournalFormat.SEGMENT_HEADER_LENGTH;
        new MessageHeaderEncoder().wrap(buffer, blockAt).blockLength(BlockHeaderEncoder.BLOCK_LENGTH)
            .templateId(BlockHeaderEncoder.TEMPLATE_ID).schemaId(BlockHeaderEncoder.SCHEMA_ID).version(2);
        new BlockHeaderEncoder().wrap(buffer, blockAt + MessageHeaderEncoder.ENCODED_LENGTH)
            .firstDecisionId(id(1)).count(count).bodyLength((long)count * legacy).block(0).kind(BlockKind.RECEIPTS)
            .reserved((short)0).reserved2(0).putPreviousDigest(new byte[32], 0, 32);
        final int bodyAt = blockAt + JournalFormat.BLOCK_HEADER_LENGTH;
        for (int i = 0; i < count; i++)
        {
            final UnsafeBuffer receipt = Receipts.receipt(i + 1, 1000 + i);
            new ReceiptEncoder().wrap(receipt, 0).party(0);
            buffer.putBytes(bodyAt + i * legacy, receipt, 0, legacy);
        }
        final int digestAt = bodyAt + count * legacy;
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(buffer.byteArray(), blockAt, digestAt - blockAt);
        buffer.putBytes(digestAt, sha.digest());
        return buffer.byteArray();
    }
}
