package io.iysfilter.server.index;

import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * How brand indexes are sized, judged fresh, validated and verified, and how much disk the writer leaves free.
 *
 * @param phoneEntries      entries a new brand's phone map is sized for.
 * @param emailEntries      entries a new brand's e-mail map is sized for (a brand's phones and e-mails are sized
 *                          apart: a brand of mostly phones need not reserve as much for e-mails).
 * @param maxBloatFactor    how far past its sizing a map may grow, slower, before puts fail (Chronicle).
 * @param freshnessBound    milliseconds a brand's data may age before commercial answers become STALE, per brand
 *                          code; 0 or less switches the bound off for that brand.
 * @param maxFutureSkewMs   how far past this server's clock a record's creationDate may lie before the writer
 *                          refuses it: a record from the future would beat every real one of its key forever.
 * @param clockMs           the wall clock, epoch milliseconds: what "now" is for the writer and for verification.
 * @param checksums         whether new maps store a checksum per entry (verified at open); off only to measure
 *                          what they cost.
 * @param syncVerifyEntries brands holding at most this many entries are verified before the store's open returns;
 *                          larger ones are verified in the background, not ready meanwhile.
 * @param diskReserveBytes  usable bytes the data directory's file system must keep: below it the single writer
 *                          refuses changes ("disk full") before a map grows into space that is not there; 0 switches
 *                          the guard off. See {@link DiskSpaceGuard}.
 * @param key               the key every brand's index keys are derived with ({@link IndexKey}); a store cannot be
 *                          opened without one ({@link #withKey}).
 * @param dealerAccessTrusted per brand code, whether dealer decisions may rest on the dealer lists the change feed
 *                          delivered; false (the default) answers them DENY / DEALER_ACCESS_UNKNOWN.
 * @param dealerAccessFreshFor per brand code, how long a dealer list read from İYS's access-list call is known
 *                          fresh, ms; 0 (the default) never.
 */
public record IndexOptions(
    long phoneEntries,
    long emailEntries,
    double maxBloatFactor,
    LongUnaryOperator freshnessBound,
    long maxFutureSkewMs,
    LongSupplier clockMs,
    boolean checksums,
    long syncVerifyEntries,
    long diskReserveBytes,
    IndexKey key,
    LongPredicate dealerAccessTrusted,
    LongUnaryOperator dealerAccessFreshFor)
{
    /** Default sizing: 10 M entries per map. */
    public static final long DEFAULT_ENTRIES_PER_MAP = 10_000_000L;
    /** Default growth allowance. */
    public static final double DEFAULT_MAX_BLOAT_FACTOR = 10.0;
    /** Default freshness bound: 72 hours. */
    public static final long DEFAULT_FRESHNESS_BOUND_MS = 72L * 3600 * 1000;
    /** Default clock skew allowed to a record's creationDate: 5 minutes. */
    public static final long DEFAULT_MAX_FUTURE_SKEW_MS = 5L * 60 * 1000;
    /** Default size up to which a brand is verified before start-up goes on: about 0.1 s of work. */
    public static final long DEFAULT_SYNC_VERIFY_ENTRIES = 1_000_000L;
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
        if (phoneEntries < 1 || emailEntries < 1)
        {
            throw new IllegalArgumentException("phoneEntries: " + phoneEntries + ", emailEntries: " + emailEntries +
                " (expected: >= 1)");
        }
        if (maxBloatFactor < 1.0 || maxBloatFactor > 1000.0)
        {
            throw new IllegalArgumentException("maxBloatFactor: " + maxBloatFactor + " (expected: 1..1000)");
        }
        if (maxFutureSkewMs < 0)
        {
            throw new IllegalArgumentException("maxFutureSkewMs: " + maxFutureSkewMs + " (expected: >= 0)");
        }
        if (syncVerifyEntries < 0)
        {
            throw new IllegalArgumentException("syncVerifyEntries: " + syncVerifyEntries + " (expected: >= 0)");
        }
        if (diskReserveBytes < 0)
        {
            throw new IllegalArgumentException("diskReserveBytes: " + diskReserveBytes + " (expected: >= 0)");
        }
    }

    /**
     * Options with the default skew, the system clock, checksums on, the default verification threshold, the
     * default disk reserve, and no key yet ({@link #withKey}).
     *
     * @param entriesPerMap  sizing of new maps, phones and e-mails alike.
     * @param maxBloatFactor growth allowance.
     * @param freshnessBound freshness bound per brand code.
     */
    public IndexOptions(final long entriesPerMap, final double maxBloatFactor, final LongUnaryOperator freshnessBound)
    {
        this(entriesPerMap, entriesPerMap, maxBloatFactor, freshnessBound, DEFAULT_MAX_FUTURE_SKEW_MS,
            System::currentTimeMillis, true, DEFAULT_SYNC_VERIFY_ENTRIES, DEFAULT_DISK_RESERVE_BYTES, null,
            brand -> false, brand -> 0);
    }

    /**
     * @param entriesPerMap sizing of new maps.
     * @return options with the default bloat factor and a 72 h freshness bound for every brand.
     */
    public static IndexOptions withEntries(final long entriesPerMap)
    {
        return new IndexOptions(entriesPerMap, DEFAULT_MAX_BLOAT_FACTOR, brand -> DEFAULT_FRESHNESS_BOUND_MS);
    }

    /**
     * @param phones sizing of a new brand's phone map.
     * @param emails sizing of a new brand's e-mail map.
     * @return a copy with that sizing.
     */
    public IndexOptions withMapEntries(final long phones, final long emails)
    {
        return new IndexOptions(phones, emails, maxBloatFactor, freshnessBound, maxFutureSkewMs, clockMs, checksums,
            syncVerifyEntries, diskReserveBytes, key, dealerAccessTrusted, dealerAccessFreshFor);
    }

    /**
     * @param skewMs how far ahead of the clock a creationDate may lie.
     * @return a copy with that skew.
     */
    public IndexOptions withMaxFutureSkewMs(final long skewMs)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, skewMs, clockMs,
            checksums, syncVerifyEntries, diskReserveBytes, key, dealerAccessTrusted, dealerAccessFreshFor);
    }

    /**
     * @param clock the wall clock, epoch ms.
     * @return a copy with that clock.
     */
    public IndexOptions withClock(final LongSupplier clock)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, maxFutureSkewMs, clock,
            checksums, syncVerifyEntries, diskReserveBytes, key, dealerAccessTrusted, dealerAccessFreshFor);
    }

    /**
     * @param on whether new maps store entry checksums.
     * @return a copy with that choice.
     */
    public IndexOptions withChecksums(final boolean on)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, maxFutureSkewMs, clockMs,
            on, syncVerifyEntries, diskReserveBytes, key, dealerAccessTrusted, dealerAccessFreshFor);
    }

    /**
     * @param entries brands up to this size are verified before open returns.
     * @return a copy with that threshold.
     */
    public IndexOptions withSyncVerifyEntries(final long entries)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, maxFutureSkewMs, clockMs,
            checksums, entries, diskReserveBytes, key, dealerAccessTrusted, dealerAccessFreshFor);
    }

    /**
     * @param reserveBytes usable bytes to keep free; 0 switches the guard off.
     * @return a copy with that disk reserve.
     */
    public IndexOptions withDiskReserve(final long reserveBytes)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, maxFutureSkewMs, clockMs,
            checksums, syncVerifyEntries, reserveBytes, key, dealerAccessTrusted, dealerAccessFreshFor);
    }

    /**
     * @param indexKey the key the index keys are derived with.
     * @return a copy with that key.
     */
    public IndexOptions withKey(final IndexKey indexKey)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, maxFutureSkewMs, clockMs,
            checksums, syncVerifyEntries, diskReserveBytes, indexKey, dealerAccessTrusted, dealerAccessFreshFor);
    }

    /**
     * @param trusted per brand code: whether dealer decisions may rest on the dealer lists the change feed
     *                delivered ({@code dealer-access-trust-feed}); false fails closed with DEALER_ACCESS_UNKNOWN.
     * @return a copy with that choice.
     */
    public IndexOptions withDealerAccessTrusted(final LongPredicate trusted)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, maxFutureSkewMs, clockMs,
            checksums, syncVerifyEntries, diskReserveBytes, key, trusted, dealerAccessFreshFor);
    }

    /**
     * @param freshFor per brand code: how long a dealer list read from İYS's access-list call is known fresh, ms
     *                 ({@code dealer-access-fresh-for}); 0 never, so the brand's dealer checks stay DENY /
     *                 DEALER_ACCESS_UNKNOWN unless it trusts the feed.
     * @return a copy with that choice.
     */
    public IndexOptions withDealerAccessFreshFor(final LongUnaryOperator freshFor)
    {
        return new IndexOptions(phoneEntries, emailEntries, maxBloatFactor, freshnessBound, maxFutureSkewMs, clockMs,
            checksums, syncVerifyEntries, diskReserveBytes, key, dealerAccessTrusted, freshFor);
    }
}
