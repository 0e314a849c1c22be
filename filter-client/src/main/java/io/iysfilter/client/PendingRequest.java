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

    final int type;
    final CompletableFuture<?> future;
    final long deadlineNs;

    PendingRequest(final int type, final CompletableFuture<?> future, final long deadlineNs)
    {
        this.type = type;
        this.future = future;
        this.deadlineNs = deadlineNs;
    }

    @SuppressWarnings("unchecked")
    <T> void complete(final T value)
    {
        ((CompletableFuture<T>)future).complete(value);
    }
}
