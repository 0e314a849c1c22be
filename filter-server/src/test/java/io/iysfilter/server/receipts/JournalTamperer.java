package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.BlockHeaderDecoder;
import io.iysfilter.protocol.receipts.BlockKind;
import io.iysfilter.protocol.receipts.DealerPartyEntryDecoder;
import io.iysfilter.protocol.receipts.MessageHeaderDecoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * What a tamperer does to a journal on disk, for tests of what reads it: a block's bytes altered, then every link,
 * digest and root recomputed after, so that the chain verifies and only the reading of what the blocks say can find
 * what was done.
 */
public final class JournalTamperer
{
    private JournalTamperer()
    {
    }

    /**
     * Give the day's {@code PARTIES} entry that numbers a day party another number, then {@link #reseal}.
     *
     * @param dir      the receipts directory.
     * @param day      the day.
     * @param dayParty the day party numbered.
     * @param as       the number it is given instead.
     * @throws Exception when the journal cannot be read or written, or the day does not number that day party.
     */
    public static void renumberDayParty(final Path dir, final long day, final int dayParty, final int as)
        throws Exception
    {
        final Path dayPath = JournalFormat.dayDirectory(dir, day);
        for (final int number : JournalFormat.segments(dayPath))
        {
            final Path file = JournalFormat.segmentFile(dayPath, number);
            final byte[] bytes = Files.readAllBytes(file);
            final BlockCursor cursor = new BlockCursor();
            cursor.wrap(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip(), bytes.length);
            check(cursor.checkSegmentHeader(day, number));
            final int[] at = {-1};
            while (cursor.read() == BlockCursor.BLOCK && at[0] < 0)
            {
                if (cursor.header.kind() == BlockKind.PARTIES)
                {
                    check(cursor.readParties(new BlockCursor.PartyEntries()
                    {
                        @Override
                        public String name(final int run, final int party, final UnsafeBuffer buffer,
                            final int nameOffset, final int nameLength)
                        {
                            return null;
                        }

                        @Override
                        public String dayParty(final int numbered, final int run, final int party, final long dealer)
                        {
                            if (numbered == dayParty && at[0] < 0)
                            {
                                at[0] = cursor.entryOffset + MessageHeaderDecoder.ENCODED_LENGTH +
                                    DealerPartyEntryDecoder.dayPartyEncodingOffset();
                            }
                            return null;
                        }
                    }));
                }
                cursor.advance();
            }
            if (at[0] >= 0)
            {
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at[0], as);
                Files.write(file, bytes);
                reseal(dir);
                return;
            }
        }
        throw new IllegalStateException("day " + day + " numbers no day party " + dayParty);
    }

    /**
     * Recompute every block's link and digest from the journal's first, and give each closed day's root file the
     * day's new root and previous root.
     *
     * @param dir the receipts directory.
     * @throws Exception when the journal cannot be read or written.
     */
    public static void reseal(final Path dir) throws Exception
    {
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] head = new byte[JournalFormat.DIGEST_LENGTH];
        for (final long day : JournalFormat.days(dir))
        {
            final Path dayPath = JournalFormat.dayDirectory(dir, day);
            final byte[] start = head;
            for (final int number : JournalFormat.segments(dayPath))
            {
                final Path file = JournalFormat.segmentFile(dayPath, number);
                final byte[] bytes = Files.readAllBytes(file);
                final BlockCursor cursor = new BlockCursor();
                final ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
                cursor.wrap(buffer, bytes.length);
                check(cursor.checkSegmentHeader(day, number));
                while (cursor.read() == BlockCursor.BLOCK)
                {
                    cursor.buffer.putBytes(cursor.position + MessageHeaderDecoder.ENCODED_LENGTH +
                        BlockHeaderDecoder.previousDigestEncodingOffset(), head);
                    cursor.computeDigest(sha);
                    cursor.buffer.putBytes(cursor.digestOffset, cursor.digest);
                    head = cursor.digest.clone();
                    cursor.advance();
                }
                final byte[] resealed = new byte[bytes.length];
                cursor.buffer.getBytes(0, resealed);
                if (!Arrays.equals(bytes, resealed))
                {
                    Files.write(file, resealed);
                }
            }
            final Path root = dayPath.resolve(JournalFormat.ROOT_FILE);
            if (Files.exists(root))
            {
                Files.writeString(root, Files.readString(root)
                    .replaceFirst("\"root\": \"[0-9a-f]{64}\"", "\"root\": \"" + JournalFormat.hex(head) + "\"")
                    .replaceFirst("\"previous\": \"[0-9a-f]{64}\"", "\"previous\": \"" + JournalFormat.hex(start) +
                    "\""));
            }
        }
    }

    private static void check(final String wrong)
    {
        if (wrong != null)
        {
            throw new IllegalStateException(wrong);
        }
    }
}
