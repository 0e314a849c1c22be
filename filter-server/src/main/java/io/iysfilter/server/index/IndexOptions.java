package io.iysfilter.server.index;

import java.util.function.LongUnaryOperator;

/**
 * How brand indexes are sized and judged fresh, and how much disk the writer leaves free.
 *
 * @param entriesPerMap    entries each of a new brand's two maps (phones, e-mails) is sized for.
 * @param maxBloatFactor   how far past {@code entriesPerMap} a map may grow, slower, before puts fail (Chronicle).
 * @param freshnessBound   milliseconds a brand's data may age before commercial answers become STALE, per brand
 *                         code; 0 or less switches the bound off for that brand.
 * @param diskReserveBytes usable bytes the data directory's file system must keep: below it the single writer refuses
 *                         changes ("disk full") before a map grows into space that is not there; 0 switches the
 *                         guard off. See {@link DiskSpaceGuard}.
 */
public record IndexOptions(
    long entriesPerMap, double maxBloatFactor, LongUnaryOperator freshnessBound, long diskReserveBytes)
{
    /** Default sizing: 10 M entries per map. */
    public static final long DEFAULT_ENTRIES_PER_MAP = 10_000_000L;
    /** Default growth allowance. */
    public static final double DEFAULT_MAX_BLOAT_FACTOR = 10.0;
    /** Default freshness bound: 72 hours. */
    public static final long DEFAULT_FRESHNESS_BOUND_MS = 72L * 3600 * 1000;
    /**
     * Default disk reserve: 256 MiB. A map grows in steps of about 4.5 bytes per configured entry (45 MB at
     * 10 M entries), and one step must always fit.
     */
    public static final long DEFAULT_DISK_RESERVE_BYTES = 256L * 1024 * 1024;

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
        if (diskReserveBytes < 0)
        {
            throw new IllegalArgumentException("diskReserveBytes: " + diskReserveBytes + " (expected: >= 0)");
        }
    }

    /**
     * Options with the default disk reserve.
     *
     * @param entriesPerMap  sizing of new maps.
     * @param maxBloatFactor growth allowance.
     * @param freshnessBound freshness bound per brand code, ms.
     */
    public IndexOptions(final long entriesPerMap, final double maxBloatFactor, final LongUnaryOperator freshnessBound)
    {
        this(entriesPerMap, maxBloatFactor, freshnessBound, DEFAULT_DISK_RESERVE_BYTES);
    }

    /**
     * @param entriesPerMap sizing of new maps.
     * @return options with the default bloat factor, a 72 h freshness bound for every brand and the default reserve.
     */
    public static IndexOptions withEntries(final long entriesPerMap)
    {
        return new IndexOptions(entriesPerMap, DEFAULT_MAX_BLOAT_FACTOR, brand -> DEFAULT_FRESHNESS_BOUND_MS);
    }

    /**
     * @param reserveBytes usable bytes to keep free; 0 switches the guard off.
     * @return these options with another disk reserve.
     */
    public IndexOptions withDiskReserve(final long reserveBytes)
    {
        return new IndexOptions(entriesPerMap, maxBloatFactor, freshnessBound, reserveBytes);
    }
}
