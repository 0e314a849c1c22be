package io.iysfilter.server.receipts;

import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The journal on disk: receipts filed by UTC day, one directory per day, in hash-chained segments
 * (docs/RECEIPTS.md). Written by one thread only (the journal's drain thread); readers use their own classes.
 * SKELETON: the signatures the drain thread codes against; the bodies land with the journal format.
 */
public final class ReceiptJournal implements AutoCloseable
{
    private ReceiptJournal()
    {
    }

    /**
     * Open the journal, creating its directory if needed: a torn tail (a block begun and not sealed, or a record
     * begun and not finished) is detected and cut off, so that what was sealed before it still verifies.
     *
     * @param directory  the receipts directory.
     * @param partyNames names the parties of receipts appended.
     * @param nowMs      the time, epoch milliseconds (days before the current one left open are closed).
     * @return the journal.
     * @throws IOException when it cannot be opened.
     */
    public static ReceiptJournal open(final Path directory, final PartyNames partyNames, final long nowMs)
        throws IOException
    {
        throw new UnsupportedOperationException("journal format not yet landed");
    }

    /**
     * @return the greatest decision id in the journal, 0 when empty.
     */
    public long lastDecisionId()
    {
        throw new UnsupportedOperationException();
    }

    /**
     * Append one receipt: the 48-byte {@code Receipt} block of the receipt schema (no message header).
     *
     * @param buffer   holding it.
     * @param offset   of it.
     * @param epochDay the UTC day it is filed under (days since 1970-01-01); a later day than the last closes that.
     * @throws IOException when the disk fails.
     */
    public void append(final DirectBuffer buffer, final int offset, final long epochDay) throws IOException
    {
        throw new UnsupportedOperationException();
    }

    /**
     * Seal the open block, so that the chain's head covers every receipt appended so far.
     *
     * @param nowMs the time, epoch milliseconds.
     * @throws IOException when the disk fails.
     */
    public void seal(final long nowMs) throws IOException
    {
        throw new UnsupportedOperationException();
    }

    /**
     * Force what is written to the storage device.
     *
     * @throws IOException when the disk fails.
     */
    public void force() throws IOException
    {
        throw new UnsupportedOperationException();
    }

    /**
     * Delete the days before one (retention).
     *
     * @param epochDay the first day to keep.
     * @return the days deleted.
     * @throws IOException when a day cannot be deleted.
     */
    public int deleteDaysBefore(final long epochDay) throws IOException
    {
        throw new UnsupportedOperationException();
    }

    /**
     * @return bytes the journal takes on disk.
     */
    public long diskBytes()
    {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() throws IOException
    {
        throw new UnsupportedOperationException();
    }
}
