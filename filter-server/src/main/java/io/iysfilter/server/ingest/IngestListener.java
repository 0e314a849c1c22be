package io.iysfilter.server.ingest;

/**
 * Told, on the writer thread, what became of each published change. Implementations must be quick and must not
 * block: they run inside the single writer.
 */
public interface IngestListener
{
    /**
     * @param tag the publisher's tag for the change, e.g. its line number.
     */
    void onApplied(long tag);

    /**
     * The index already held this change or a newer one for the key.
     *
     * @param tag the publisher's tag for the change.
     */
    void onSuperseded(long tag);

    /**
     * The change could not be applied (no index for the brand, index full, I/O error). Nothing changed.
     *
     * @param tag    the publisher's tag for the change.
     * @param reason why, for a report.
     */
    void onFailed(long tag, String reason);

    /**
     * The writer refused the change because its creationDate lies more than the allowed clock skew past the writer's
     * clock: such a record would beat every real record of its key until the clock caught up. Nothing changed. By
     * default, {@link #onFailed(long, String)}; a publisher that can fetch the change again later (the feed) may
     * hold it rather than set it aside.
     *
     * @param tag    the publisher's tag for the change.
     * @param reason why, with the change's creationDate.
     */
    default void onFromTheFuture(final long tag, final String reason)
    {
        onFailed(tag, reason);
    }

    /**
     * The store could not take the change: the disk is full, a write failed, or a mapped page could not be backed.
     * Nothing changed for it, and changes after it will likely fail too: a publisher should stop and retry later
     * rather than set the change aside. By default, {@link #onFailed(long, String)}.
     *
     * @param tag    the publisher's tag for the change.
     * @param reason why, e.g. "disk full: …".
     */
    default void onStoreFailure(final long tag, final String reason)
    {
        onFailed(tag, reason);
    }
}
