package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.Channel;
import io.iysfilter.protocol.receipts.Door;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Test receipts and journal files for the receipts tests.
 */
final class Receipts
{
    static final long DAY_MS = 86_400_000L;
    static final long DAY = 20_000; // 2024-10-04
    static final int RUN = 3;
    static final int SMALL_SEGMENT = 8192;
    static final PartyNames NAMES = (run, party) -> "client:party-" + run + "-" + party;

    private Receipts()
    {
    }

    static long id(final long sequence)
    {
        return (long)RUN << 48 | sequence;
    }

    /**
     * A receipt whose fields follow from its sequence: party 1 + sequence % 3, brand 600000 + sequence.
     */
    static UnsafeBuffer receipt(final long sequence, final int dayMillis)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ReceiptEncoder.BLOCK_LENGTH));
        final ReceiptEncoder encoder = new ReceiptEncoder().wrap(buffer, 0);
        encoder.decisionId(id(sequence))
            .dayMillis(dayMillis)
            .brand(600_000 + sequence)
            .putRecipient(new byte[12], 0, 12)
            .asOfLag(1000)
            .recordCreation(0)
            .putRecordTx(new byte[6], 0, 6)
            .party(party(sequence))
            .door(Door.HTTP)
            .channel(Channel.MESAJ);
        encoder.flags().clear();
        encoder.reason((short)1);
        return buffer;
    }

    static int party(final long sequence)
    {
        return 1 + (int)(sequence % 3);
    }

    /**
     * Append receipts from..to (inclusive) on a day, a millisecond apart from dayMillis 1000 + sequence.
     */
    static void append(final ReceiptJournal journal, final long from, final long to, final long day)
        throws IOException
    {
        for (long s = from; s <= to; s++)
        {
            journal.append(receipt(s, 1000 + (int)s), 0, day);
        }
    }

    static Path copy(final Path from, final Path to) throws IOException
    {
        try (Stream<Path> walk = Files.walk(from))
        {
            for (final Path path : walk.toList())
            {
                final Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path))
                {
                    Files.createDirectories(target);
                }
                else
                {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return to;
    }

    static void delete(final Path path) throws IOException
    {
        if (!Files.exists(path))
        {
            return;
        }
        try (Stream<Path> walk = Files.walk(path))
        {
            final List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (final Path p : paths)
            {
                Files.delete(p);
            }
        }
    }

    static Path segment(final Path dir, final long day, final int segment)
    {
        return JournalFormat.segmentFile(JournalFormat.dayDirectory(dir, day), segment);
    }

    /**
     * @return the offsets of the blocks in a segment file, then the offset after the last block.
     */
    static long[] blocks(final Path segmentFile) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(segmentFile);
        final BlockCursor cursor = new BlockCursor();
        cursor.wrap(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip(), bytes.length);
        final java.util.ArrayList<Long> offsets = new java.util.ArrayList<>();
        while (cursor.read() == BlockCursor.BLOCK)
        {
            offsets.add((long)cursor.position);
            cursor.advance();
        }
        offsets.add((long)cursor.position);
        return offsets.stream().mapToLong(Long::longValue).toArray();
    }
}
