package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.ReceiptDecoder;

import java.io.IOException;

/**
 * What a search reads of the journal: its days, each day's receipts in order, the day's digest and the names of
 * parties. {@link ReceiptSearch} reads through this so that it does not depend on the layout of the files.
 */
public interface ReceiptSource
{
    /**
     * One receipt, as stored.
     */
    @FunctionalInterface
    interface Visitor
    {
        /**
         * @param receipt   the receipt, wrapped for this call only.
         * @param partyName the name of the party that asked, or null when the journal names none.
         * @return false to stop the day's reading.
         */
        boolean receipt(ReceiptDecoder receipt, String partyName);
    }

    /**
     * @return the UTC days the journal holds (days since 1970-01-01), ascending.
     * @throws IOException when the directory cannot be listed.
     */
    long[] days() throws IOException;

    /**
     * Read one day's receipts in the order written. A day may be refused part way through, after some of its
     * receipts were handed to the visitor (a journal's day whose parties could be read two ways is found so only
     * where it breaks, and checking first would read every day twice): those receipts are of a day that cannot be
     * attributed, so a visitor holds what it keeps of a day until this returns, and drops it when this throws.
     *
     * @param epochDay the day.
     * @param visitor  told each receipt.
     * @throws IOException when the day cannot be read, or is refused (then the receipts visited are not to be used).
     */
    void read(long epochDay, Visitor visitor) throws IOException;

    /**
     * @param epochDay the day.
     * @return its digest: the root once the day is closed, else the chain head of what is written so far.
     * @throws IOException when it cannot be read.
     */
    DayDigest digest(long epochDay) throws IOException;

    /**
     * A day's digest.
     *
     * @param epochDay the day.
     * @param closed   whether the day is closed: then {@code hex} is its root.
     * @param hex      the root, or the chain head of the open day, as lowercase hex; null when the day holds nothing.
     * @param covers   the greatest decision id the digest covers (0 when none).
     */
    record DayDigest(long epochDay, boolean closed, String hex, long covers)
    {
    }
}
