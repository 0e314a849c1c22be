package io.iysfilter.server.index;

import java.io.IOException;

/**
 * The only way to change a {@link ConsentStore}. There is one per store, and one thread uses it: the ingest
 * pipeline's consumer.
 */
public interface ConsentIndexWriter
{
    /** The change was newer than what the key held and is now stored. */
    int APPLIED = 1;
    /** The key already held this change or a newer one; nothing changed. */
    int SUPERSEDED = 2;
    /**
     * The change's creationDate lies further past the writer's clock than the allowed skew: a record from the future
     * would beat every real record of its key, so it is refused and nothing changed.
     */
    int REJECTED_FUTURE = 3;
    /**
     * Only from {@link #applyTelling}: the key already held exactly this change (the same two words), so nothing
     * changed. {@link #apply} reports it as {@link #SUPERSEDED}, as every listener always saw it; the single writer
     * tells it apart for its change tap, since a fetcher that re-fetches a page it applied before a crash must
     * publish the page's changes again although its own index already holds them.
     */
    int EQUAL = 4;

    /**
     * Create a brand's index if the store does not hold it yet.
     *
     * @param brandCode İYS brand code.
     * @return the brand's index.
     * @throws IOException when the index cannot be created.
     */
    BrandIndex createBrand(long brandCode) throws IOException;

    /**
     * Apply one change, last-writer-wins in İYS order.
     *
     * @param change the change; its brand must exist.
     * @return {@link #APPLIED}, {@link #SUPERSEDED} or {@link #REJECTED_FUTURE}.
     * @throws IllegalStateException when the brand has no index, its index cannot take changes or its map is full.
     */
    int apply(ConsentChange change);

    /**
     * Apply one change, as {@link #apply}, telling a change the key already holds exactly from an older one.
     *
     * @param change the change; its brand must exist.
     * @return {@link #APPLIED}, {@link #EQUAL}, {@link #SUPERSEDED} or {@link #REJECTED_FUTURE}.
     * @throws IllegalStateException as {@link #apply}.
     */
    default int applyTelling(final ConsentChange change)
    {
        return apply(change);
    }

    /**
     * Advance a brand's feed watermark (never backwards, never past the writer's clock).
     *
     * @param brandCode   İYS brand code.
     * @param watermarkMs time up to which the brand's feed is applied, epoch ms.
     */
    void advanceWatermark(long brandCode, long watermarkMs);

    /**
     * @return the guard that keeps the writer from filling the data directory's file system.
     */
    DiskSpaceGuard diskSpace();

    /**
     * Persist what must survive a restart besides the maps themselves (the brands' metadata).
     */
    void checkpoint();

    /**
     * The writer faulted on a memory-mapped file: writes reported applied may have been lost (a RET among them), and
     * the feed's cursors may already be past them. Every brand becomes {@code INDEX_DAMAGED}, recorded on disk as far
     * as the disk allows (an operator reconciles, then clears it), and is closed as after a crash, so that the next
     * open recovers it.
     *
     * @param cause what happened, for the operator.
     */
    void faulted(String cause);
}
