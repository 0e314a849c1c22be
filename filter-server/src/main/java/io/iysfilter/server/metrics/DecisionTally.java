package io.iysfilter.server.metrics;

import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.security.ClientStats;

/**
 * The decisions of one batch (a CHECK_BATCH, an IYS.MCHECK) tallied by reason on the connection's own thread, then
 * counted at once: one counter update per reason seen instead of one per decision. Not thread-safe: one per
 * connection.
 */
public final class DecisionTally
{
    private static final Reason[] REASONS = Reason.values();

    private final int[] counts = new int[REASONS.length];

    /**
     * @param reason one decision of the batch.
     */
    public void add(final Reason reason)
    {
        counts[reason.ordinal()]++;
    }

    /**
     * Count the tallied decisions, by reason and by verdict, and clear the tally.
     *
     * @param counters the server's counters.
     * @param endpoint where the batch came in.
     * @param stats    the client's counters, or null when there are none.
     */
    public void countAndClear(final ServerCounters counters, final Endpoint endpoint, final ClientStats stats)
    {
        long allowed = 0;
        long denied = 0;
        for (int i = 0; i < REASONS.length; i++)
        {
            final int count = counts[i];
            if (count != 0)
            {
                counts[i] = 0;
                counters.onDecisions(endpoint, REASONS[i], count);
                if (REASONS[i].allows())
                {
                    allowed += count;
                }
                else
                {
                    denied += count;
                }
            }
        }
        if (stats != null)
        {
            stats.onDecisions(allowed, denied);
        }
    }
}
