package io.iysfilter.server.decision;

/**
 * Where decisions are recorded as receipts (the journal, docs/RECEIPTS.md). The {@link Decider} records every
 * decision it makes before its answer leaves, and gives the answer its decision id.
 * Implementations are thread-safe: every connection's decider records into the one journal.
 */
public interface DecisionRecorder
{
    /** What {@link #record} returns when the decision could not be recorded; no decision id is 0. */
    long NOT_RECORDED = 0;

    /** Records nothing and lets every answer through: the journal is off. */
    DecisionRecorder NONE = new DecisionRecorder()
    {
        @Override
        public int party(final Door door, final String name)
        {
            return 0;
        }

        @Override
        public long record(final DecisionFacts facts)
        {
            return NOT_RECORDED;
        }

        @Override
        public boolean allowsUnrecorded()
        {
            return true;
        }
    };

    /**
     * Name who asks, once per connection (or when it authenticates): may allocate, never on the hot path.
     *
     * @param door the endpoint.
     * @param name the client id when authenticated, else the peer's address.
     * @return the party number to give {@link DecisionFacts#asker}.
     */
    int party(Door door, String name);

    /**
     * Record one decision. Allocates nothing and never blocks: when the journal cannot take it (queue full, disk
     * failed, journal closed) it returns {@link #NOT_RECORDED} at once and counts it.
     *
     * @param facts the decision.
     * @return its decision id, or {@link #NOT_RECORDED}.
     */
    long record(DecisionFacts facts);

    /**
     * The policy for a decision that could not be recorded: whether its ALLOW may still be given (setting
     * {@code receipts-policy allow}), or must become DENY {@code RECEIPT_UNAVAILABLE}, a reason of its own
     * ({@code deny}, the default).
     *
     * @return true to serve unrecorded answers as they are.
     */
    boolean allowsUnrecorded();
}
