package io.iysfilter.server.index;

import java.util.function.LongUnaryOperator;

/**
 * How brand indexes are sized and judged fresh.
 *
 * @param entriesPerMap  entries each of a new brand's two maps (phones, e-mails) is sized for; the files are sparse.
 * @param maxBloatFactor how far past {@code entriesPerMap} a map may grow, slower, before puts fail (Chronicle).
 * @param freshnessBound milliseconds a brand's data may age before commercial answers become STALE, per brand
 *                       code; 0 or less switches the bound off for that brand.
 */
public record IndexOptions(long entriesPerMap, double maxBloatFactor, LongUnaryOperator freshnessBound)
{
    /** Default sizing: 10 M entries per map. */
    public static final long DEFAULT_ENTRIES_PER_MAP = 10_000_000L;
    /** Default growth allowance. */
    public static final double DEFAULT_MAX_BLOAT_FACTOR = 10.0;
    /** Default freshness bound: 72 hours. */
    public static final long DEFAULT_FRESHNESS_BOUND_MS = 72L * 3600 * 1000;

    /**
     * Validate.
     */
    public IndexOptions
    {
        if (entriesPerMap < 1)
        {
            throw new IllegalArgumentException("entriesPerMap: " + entriesPerMap + " (expected: >= 1)");
        }
        if (maxBloatFactor < 1.0 || maxBloatFactor > 1000.0)
        {
            throw new IllegalArgumentException("maxBloatFactor: " + maxBloatFactor + " (expected: 1..1000)");
        }
    }

    /**
     * @param entriesPerMap sizing of new maps.
     * @return options with the default bloat factor and a 72 h freshness bound for every brand.
     */
    public static IndexOptions withEntries(final long entriesPerMap)
    {
        return new IndexOptions(entriesPerMap, DEFAULT_MAX_BLOAT_FACTOR, brand -> DEFAULT_FRESHNESS_BOUND_MS);
    }
}
