package io.iysfilter.client;

import java.util.concurrent.CompletableFuture;

/**
 * A request sent and not yet answered.
 */
final class PendingRequest
{
    static final int HELLO = 1;
    static final int CHECK = 2;
    static final int CHECK_BATCH = 3;
    static final int CHECK_BATCH_INTO = 4;

    final int type;
    final CompletableFuture<?> future;
    final long deadlineNs;
    /** Entries a CHECK_BATCH asked about: its answer must carry as many results; -1 for other requests. */
    final int entries;
    /** Where a {@link #CHECK_BATCH_INTO}'s results go; null for other requests. */
    final BatchResults results;

    PendingRequest(final int type, final CompletableFuture<?> future, final long deadlineNs)
    {
        this(type, future, deadlineNs, -1, null);
    }

    PendingRequest(
        final int type,
        final CompletableFuture<?> future,
        final long deadlineNs,
        final int entries,
        final BatchResults results)
    {
        this.type = type;
        this.future = future;
        this.deadlineNs = deadlineNs;
        this.entries = entries;
        this.results = results;
    }

    @SuppressWarnings("unchecked")
    <T> void complete(final T value)
    {
        ((CompletableFuture<T>)future).complete(value);
    }
}
