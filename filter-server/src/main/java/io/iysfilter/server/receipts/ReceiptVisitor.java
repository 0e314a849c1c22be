package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.ReceiptDecoder;

/**
 * Receives the receipts of a day in journal order from {@link ReceiptReader#scan}. A scan that refuses the day
 * throws after the receipts before the break were visited: what a visitor keeps of a day is used only once the scan
 * returns.
 */
@FunctionalInterface
public interface ReceiptVisitor
{
    /**
     * @param decisionId the receipt's decision id (run &lt;&lt; 48 | sequence).
     * @param timeMs     the time of the decision, epoch milliseconds (its day's start plus its {@code dayMillis}).
     * @param partyName  the name of the party that asked, from the day's party entries; {@code unknown} when the
     *                   receipt's party is 0 or the day names no such party.
     * @param receipt    the receipt, wrapped for this call only (the decoder is reused for the next receipt).
     * @return true to go on, false to stop the scan.
     */
    boolean receipt(long decisionId, long timeMs, String partyName, ReceiptDecoder receipt);
}
