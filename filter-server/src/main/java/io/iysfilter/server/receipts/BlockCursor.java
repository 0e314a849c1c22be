package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.BlockHeaderDecoder;
import io.iysfilter.protocol.receipts.BlockKind;
import io.iysfilter.protocol.receipts.DealerPartyEntryDecoder;
import io.iysfilter.protocol.receipts.MessageHeaderDecoder;
import io.iysfilter.protocol.receipts.PartyEntryDecoder;
import io.iysfilter.protocol.receipts.SegmentHeaderDecoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;

/**
 * Walks the blocks of one mapped segment, for the writer's recovery and the reader: each block's header, the
 * bounds of its body and digest, and whether the stored digest is the block's.
 */
final class BlockCursor
{
    /**
     * The block at the cursor is well formed (header, bounds).
     */
    static final int BLOCK = 1;
    /**
     * Nothing follows: a zero message header.
     */
    static final int END = 0;
    /**
     * What is at the cursor is not a block, or runs past the segment's end.
     */
    static final int MALFORMED = -1;

    final MessageHeaderDecoder messageHeader = new MessageHeaderDecoder();
    final BlockHeaderDecoder header = new BlockHeaderDecoder();
    final SegmentHeaderDecoder segmentHeader = new SegmentHeaderDecoder();
    final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    final byte[] digest = new byte[JournalFormat.DIGEST_LENGTH];
    private ByteBuffer view;
    int limit;
    int position;
    int bodyOffset;
    int digestOffset;
    /** Bytes per receipt in the segment wrapped, from its header ({@link #checkSegmentHeader}). */
    int receiptLength = JournalFormat.RECEIPT_LENGTH;
    /** The receipt schema version the segment wrapped was written with, from its header. */
    int receiptVersion = JournalFormat.RECEIPT_VERSION;
    String malformed;
    /** Where the entry {@link #readParties} is at starts (its message header, from receipt schema version 4). */
    int entryOffset;

    /**
     * @param mapped the segment's mapping.
     * @param length the segment file's length.
     */
    void wrap(final ByteBuffer mapped, final int length)
    {
        buffer.wrap(mapped, 0, length);
        view = mapped.duplicate();
        limit = length;
        position = JournalFormat.SEGMENT_HEADER_LENGTH;
        // this build's receipts until checkSegmentHeader reads the segment's own
        receiptLength = JournalFormat.RECEIPT_LENGTH;
        receiptVersion = JournalFormat.RECEIPT_VERSION;
    }

    /**
     * @return null when the segment header is of this format, the day and number given; else what is wrong.
     */
    String checkSegmentHeader(final long epochDay, final int segment)
    {
        if (limit < JournalFormat.SEGMENT_HEADER_LENGTH)
        {
            return "segment shorter than its header (" + limit + " bytes)";
        }
        messageHeader.wrap(buffer, 0);
        if (messageHeader.schemaId() != SegmentHeaderDecoder.SCHEMA_ID ||
            messageHeader.templateId() != SegmentHeaderDecoder.TEMPLATE_ID)
        {
            return "not a segment header (schema " + messageHeader.schemaId() + ", template " +
                messageHeader.templateId() + ")";
        }
        segmentHeader.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, messageHeader.blockLength(),
            messageHeader.version());
        final int length = segmentHeader.receiptLength();
        final int version = segmentHeader.receiptVersion();
        // a segment's receipts are as long as the version they were written with: 48 bytes up to version 2, 52
        // (the dealer appended) in version 3, 48 (a PartyReceipt, naming a day party) from version 4; a later version
        // may only append fields, so it is read as far as this build knows it, provided its receipts are at least as
        // long
        final boolean known = version < JournalFormat.DEALER_VERSION ? length == JournalFormat.LEGACY_RECEIPT_LENGTH :
            version == JournalFormat.DEALER_VERSION ? length == JournalFormat.DEALER_RECEIPT_LENGTH :
            length >= JournalFormat.RECEIPT_LENGTH;
        if (segmentHeader.format() != JournalFormat.FORMAT || version < 1 || !known)
        {
            return "segment format " + segmentHeader.format() + " with " + length + "-byte receipts of version " +
                version + " (this build reads format " + JournalFormat.FORMAT + ", " +
                JournalFormat.LEGACY_RECEIPT_LENGTH + " bytes up to version " + (JournalFormat.DEALER_VERSION - 1) +
                ", " + JournalFormat.DEALER_RECEIPT_LENGTH + " in version " + JournalFormat.DEALER_VERSION + ", " +
                JournalFormat.RECEIPT_LENGTH + " from version " + JournalFormat.DAY_PARTY_VERSION + ")";
        }
        receiptLength = length;
        receiptVersion = version;
        if (segmentHeader.epochDay() != epochDay || segmentHeader.segment() != segment)
        {
            return "segment header names day " + java.time.LocalDate.ofEpochDay(segmentHeader.epochDay()) +
                " segment " + segmentHeader.segment();
        }
        return null;
    }

    /**
     * Read the block at the cursor.
     *
     * @return {@link #BLOCK}, {@link #END} or {@link #MALFORMED} (with {@link #malformed} saying why).
     */
    int read()
    {
        if (position + JournalFormat.BLOCK_HEADER_LENGTH > limit)
        {
            return position + MessageHeaderDecoder.ENCODED_LENGTH > limit || buffer.getLong(position) == 0 ?
                END : malformed("a block header runs past the end of the segment");
        }
        if (buffer.getLong(position) == 0)
        {
            return END;
        }
        messageHeader.wrap(buffer, position);
        if (messageHeader.schemaId() != BlockHeaderDecoder.SCHEMA_ID ||
            messageHeader.templateId() != BlockHeaderDecoder.TEMPLATE_ID ||
            messageHeader.blockLength() != BlockHeaderDecoder.BLOCK_LENGTH)
        {
            return malformed("not a block header (schema " + messageHeader.schemaId() + ", template " +
                messageHeader.templateId() + ", length " + messageHeader.blockLength() + ")");
        }
        header.wrap(buffer, position + MessageHeaderDecoder.ENCODED_LENGTH, BlockHeaderDecoder.BLOCK_LENGTH,
            messageHeader.version());
        final long bodyLength = header.bodyLength();
        bodyOffset = position + JournalFormat.BLOCK_HEADER_LENGTH;
        if (bodyOffset + bodyLength + JournalFormat.DIGEST_LENGTH > limit)
        {
            return malformed("the block's body (" + bodyLength + " bytes) runs past the end of the segment");
        }
        final BlockKind kind = header.kind();
        if (kind == BlockKind.RECEIPTS)
        {
            if (bodyLength != header.count() * (long)receiptLength || header.count() == 0)
            {
                return malformed("a receipts block of " + header.count() + " receipts with a body of " +
                    bodyLength + " bytes");
            }
        }
        else if (kind != BlockKind.PARTIES)
        {
            return malformed("a block of unknown kind " + header.kindRaw());
        }
        digestOffset = bodyOffset + (int)bodyLength;
        return BLOCK;
    }

    /**
     * The entries of a {@code PARTIES} block, as {@link #readParties} finds them; {@link #entryOffset} is where each
     * starts. Each may refuse what it is given (an entry the day's numbering does not allow), which stops the read.
     */
    interface PartyEntries
    {
        /**
         * A run's party named.
         *
         * @param run        the run.
         * @param party      the party number within the run.
         * @param buffer     holding the name.
         * @param nameOffset where its UTF-8 bytes start.
         * @param nameLength how many there are.
         * @return null to go on, else what is wrong with the entry.
         */
        String name(int run, int party, UnsafeBuffer buffer, int nameOffset, int nameLength);

        /**
         * A day party numbered (receipt schema version 4 on).
         *
         * @param dayParty the day party.
         * @param run      the run.
         * @param party    the party number within the run.
         * @param dealer   the dealer code, 0 for the brand itself.
         * @return null to go on, else what is wrong with the entry.
         */
        String dayParty(int dayParty, int run, int party, long dealer);
    }

    /**
     * Read the entries of the {@code PARTIES} block at the cursor (after {@link #read} returned {@link #BLOCK}): up to
     * receipt schema version 3 each a {@code PartyEntry}; from version 4 each after a message header, a
     * {@code PartyEntry} or a {@code DealerPartyEntry}.
     *
     * @param entries receives each.
     * @return null when every entry the header counts lies within the body and none was refused, else what is
     *     malformed or refused (the entry at {@link #entryOffset}).
     */
    String readParties(final PartyEntries entries)
    {
        final boolean headed = receiptVersion >= JournalFormat.DAY_PARTY_VERSION;
        final long count = header.count();
        int at = bodyOffset;
        for (long e = 0; e < count; e++)
        {
            entryOffset = at;
            int template = PartyEntryDecoder.TEMPLATE_ID;
            int blockLength = PartyEntryDecoder.BLOCK_LENGTH;
            if (headed)
            {
                if (at + MessageHeaderDecoder.ENCODED_LENGTH > digestOffset)
                {
                    return "party entry " + e + " runs past the block's body";
                }
                messageHeader.wrap(buffer, at);
                template = messageHeader.templateId();
                blockLength = messageHeader.blockLength();
                if (messageHeader.schemaId() != PartyEntryDecoder.SCHEMA_ID ||
                    template != PartyEntryDecoder.TEMPLATE_ID && template != DealerPartyEntryDecoder.TEMPLATE_ID)
                {
                    return "party entry " + e + " is of schema " + messageHeader.schemaId() + " template " + template;
                }
                at += MessageHeaderDecoder.ENCODED_LENGTH;
            }
            if (template == DealerPartyEntryDecoder.TEMPLATE_ID)
            {
                if (blockLength < DealerPartyEntryDecoder.BLOCK_LENGTH || at + blockLength > digestOffset)
                {
                    return "dealer party entry " + e + " of " + blockLength + " bytes runs past the block's body";
                }
                final int dayParty =
                    buffer.getInt(at + DealerPartyEntryDecoder.dayPartyEncodingOffset(), PartyEntryDecoder.BYTE_ORDER);
                if (dayParty < 1 || dayParty > JournalFormat.DAY_PARTY_MASK)
                {
                    // 0 is "unknown", never numbered; above the mask no receipt could name it
                    return "dealer party entry " + e + " numbers day party " + Integer.toUnsignedString(dayParty) +
                        " (expected 1.." + JournalFormat.DAY_PARTY_MASK + ")";
                }
                final String refused = entries.dayParty(
                    dayParty,
                    buffer.getShort(at + DealerPartyEntryDecoder.runEncodingOffset(), PartyEntryDecoder.BYTE_ORDER) &
                    0xFFFF,
                    buffer.getShort(at + DealerPartyEntryDecoder.partyEncodingOffset(), PartyEntryDecoder.BYTE_ORDER) &
                    0xFFFF,
                    buffer.getInt(at + DealerPartyEntryDecoder.dealerEncodingOffset(), PartyEntryDecoder.BYTE_ORDER) &
                    0xFFFF_FFFFL);
                if (refused != null)
                {
                    return refused;
                }
                at += blockLength;
                continue;
            }
            final int nameAt = at + blockLength + PartyEntryDecoder.nameHeaderLength();
            if (blockLength < PartyEntryDecoder.BLOCK_LENGTH || nameAt > digestOffset)
            {
                return "party entry " + e + " runs past the block's body";
            }
            final int nameLength = buffer.getShort(nameAt - PartyEntryDecoder.nameHeaderLength(),
                PartyEntryDecoder.BYTE_ORDER) & 0xFFFF;
            if (nameAt + nameLength > digestOffset)
            {
                return "party entry " + e + "'s name of " + nameLength + " bytes runs past the block's body";
            }
            final String refused = entries.name(
                buffer.getShort(at + PartyEntryDecoder.runEncodingOffset(), PartyEntryDecoder.BYTE_ORDER) & 0xFFFF,
                buffer.getShort(at + PartyEntryDecoder.partyEncodingOffset(), PartyEntryDecoder.BYTE_ORDER) & 0xFFFF,
                buffer, nameAt, nameLength);
            if (refused != null)
            {
                return refused;
            }
            at = nameAt + nameLength;
        }
        return null;
    }

    private int malformed(final String why)
    {
        malformed = why;
        return MALFORMED;
    }

    /**
     * Compute the digest of the block at the cursor into {@link #digest}.
     *
     * @return whether it equals the digest stored after the block.
     */
    boolean computeDigest(final MessageDigest sha)
    {
        view.clear();
        view.position(position).limit(digestOffset);
        sha.update(view);
        try
        {
            sha.digest(digest, 0, JournalFormat.DIGEST_LENGTH);
        }
        catch (final DigestException ex)
        {
            throw new IllegalStateException(ex);
        }
        for (int i = 0; i < JournalFormat.DIGEST_LENGTH; i++)
        {
            if (buffer.getByte(digestOffset + i) != digest[i])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return whether the block's previousDigest equals the given digest.
     */
    boolean linksTo(final byte[] previous)
    {
        final int at = position + MessageHeaderDecoder.ENCODED_LENGTH +
            BlockHeaderDecoder.previousDigestEncodingOffset();
        for (int i = 0; i < JournalFormat.DIGEST_LENGTH; i++)
        {
            if (buffer.getByte(at + i) != previous[i])
            {
                return false;
            }
        }
        return true;
    }

    void previousDigest(final byte[] into)
    {
        buffer.getBytes(position + MessageHeaderDecoder.ENCODED_LENGTH +
            BlockHeaderDecoder.previousDigestEncodingOffset(), into);
    }

    void storedDigest(final byte[] into)
    {
        buffer.getBytes(digestOffset, into);
    }

    /**
     * Look for a sealed block after a failing one: at any offset from {@code from} on, a well-formed block whose
     * stored digest is the SHA-256 of its own header and body (whatever its previous-digest field says). A crash
     * leaves no such block after the block it tore, so finding one means damage. The cursor is left where it was;
     * {@link #header}, {@link #bodyOffset}, {@link #digestOffset} and {@link #digest} are not.
     *
     * @return the offset of the first such block, or -1 when there is none.
     */
    int findSealed(final int from, final MessageDigest sha)
    {
        final int saved = position;
        try
        {
            // a sealed block ends in its digest, at or before the last non-zero byte
            final int last = lastNonZero(Math.max(from, 0)) + 1 - JournalFormat.BLOCK_HEADER_LENGTH -
                JournalFormat.DIGEST_LENGTH;
            for (int at = Math.max(from, 0); at <= last; at++)
            {
                if ((buffer.getShort(at + MessageHeaderDecoder.templateIdEncodingOffset(),
                    MessageHeaderDecoder.BYTE_ORDER) & 0xFFFF) != BlockHeaderDecoder.TEMPLATE_ID ||
                    (buffer.getShort(at + MessageHeaderDecoder.schemaIdEncodingOffset(),
                    MessageHeaderDecoder.BYTE_ORDER) & 0xFFFF) != BlockHeaderDecoder.SCHEMA_ID)
                {
                    continue;
                }
                position = at;
                if (read() == BLOCK && computeDigest(sha))
                {
                    return at;
                }
            }
            return -1;
        }
        finally
        {
            position = saved;
        }
    }

    /**
     * @return the offset of the last non-zero byte from the cursor to the end, or -1 when all are zero.
     */
    int lastNonZero(final int from)
    {
        int i = limit;
        while (i - Long.BYTES >= from && buffer.getLong(i - Long.BYTES) == 0)
        {
            i -= Long.BYTES;
        }
        for (i = i - 1; i >= from; i--)
        {
            if (buffer.getByte(i) != 0)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Move past the block at the cursor.
     */
    void advance()
    {
        position = digestOffset + JournalFormat.DIGEST_LENGTH;
    }

    /**
     * @return the offset of the first non-zero byte from the cursor to the end, or -1 when all are zero.
     */
    int firstNonZero(final int from)
    {
        int i = from;
        while (i + Long.BYTES <= limit)
        {
            if (buffer.getLong(i) != 0)
            {
                break;
            }
            i += Long.BYTES;
        }
        for (; i < limit; i++)
        {
            if (buffer.getByte(i) != 0)
            {
                return i;
            }
        }
        return -1;
    }
}
