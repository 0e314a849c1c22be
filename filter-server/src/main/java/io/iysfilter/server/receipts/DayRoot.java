package io.iysfilter.server.receipts;

import java.time.LocalDate;

/**
 * The head of one day of the journal: its root digest when the day is closed (from its root file), or the digest
 * of its last sealed block when it is still open.
 *
 * @param day             the UTC day.
 * @param closed          whether the day is closed (its root file written).
 * @param digest          the day's root digest (closed) or its chain head (open), 64 lowercase hex digits; the
 *                        previous day's root (or 64 zeros) for a day with no sealed block.
 * @param previousDigest  the digest the day's chain starts from: the previous day's root, or 64 zeros for the
 *                        first day the journal ever held.
 * @param receipts        the receipts the day holds (sealed ones, for an open day).
 * @param blocks          its sealed blocks, receipt blocks and party blocks together.
 * @param firstDecisionId the id of its first receipt, 0 when none.
 * @param lastDecisionId  the id of its last receipt, 0 when none.
 */
public record DayRoot(LocalDate day, boolean closed, String digest, String previousDigest, long receipts,
    long blocks, long firstDecisionId, long lastDecisionId)
{
}
