package io.iysfilter.server.receipts;

import java.time.LocalDate;

/**
 * The outcome of {@link ReceiptReader#verify}: OK, or the first place the journal's chain breaks.
 *
 * @param ok       true when everything verified.
 * @param day      the day of the break (null when OK).
 * @param segment  the segment number within the day (-1 when the break is not in a segment, e.g. the root file).
 * @param block    the block number within the day, from 0 (-1 when not in a block).
 * @param offset   the byte offset within the segment file of the block (or field) that breaks, -1 when none.
 * @param expected what the chain says should be there (e.g. a digest, hex), empty when not applicable.
 * @param found    what is there, empty when not applicable.
 * @param what     what breaks, in words.
 * @param receipts the receipts verified (up to the break).
 */
public record Verification(boolean ok, LocalDate day, int segment, long block, long offset, String expected,
    String found, String what, long receipts)
{
    /**
     * @param receipts the receipts verified.
     * @return a verification that found no break.
     */
    public static Verification passed(final long receipts)
    {
        return new Verification(true, null, -1, -1, -1, "", "", "OK", receipts);
    }

    /**
     * @return one line for an operator: OK with the count, or the break with its place.
     */
    public String describe()
    {
        if (ok)
        {
            return "OK: " + receipts + " receipts verified";
        }
        return "BROKEN at day " + day + (segment >= 0 ? " segment " + segment : "") +
            (block >= 0 ? " block " + block : "") + (offset >= 0 ? " offset " + offset : "") + ": " + what +
            (expected.isEmpty() && found.isEmpty() ? "" : " (expected " + expected + ", found " + found + ")");
    }
}
