package io.iysfilter.server.ingest;

import io.iysfilter.server.index.ConsentChange;

import java.util.concurrent.CompletableFuture;

/**
 * Told, on the single writer's thread ({@code iys-ingest-writer}), of every change the index now holds and every
 * watermark it advanced, in the order the writer did them: what a fetcher publishes to the replication topic
 * (docs/REPLICATION.md). A standalone server has {@link #NONE}.
 * <p>
 * An implementation runs inside the single writer: it must return quickly, must not allocate per change, and may
 * wait only as long as its consumer keeps draining ({@link ChangeHandOff}).
 */
public interface ChangeTap
{
    /**
     * Longest an acknowledgement (an opt-out's, a reconcile's) waits for {@link #published()} before it answers
     * "not published, send again": some commits (every 50 ms at most) while Kafka answers.
     */
    long PUBLISH_WAIT_MS = 5_000;

    /**
     * Hears nothing: a standalone server.
     */
    ChangeTap NONE = new ChangeTap()
    {
        @Override
        public void onChange(final ConsentChange change)
        {
        }

        @Override
        public void onWatermark(final long brandCode, final long watermarkMs)
        {
        }
    };

    /**
     * A change the index now holds: applied, or found exactly equal to what its key held (a page fetched again after
     * a crash, an opt-out replayed at start; what was applied then may never have been published). Its key is
     * filled ({@link ConsentChange#keyKind()}, {@link ConsentChange#key0()}, {@link ConsentChange#key1()}).
     *
     * @param change the change; the writer's own, read it before returning.
     */
    void onChange(ConsentChange change);

    /**
     * A brand's watermark the writer advanced (asked for; the brand's own may stay where it was when this is older).
     *
     * @param brandCode   İYS brand code.
     * @param watermarkMs the watermark asked for, epoch ms.
     */
    void onWatermark(long brandCode, long watermarkMs);

    /**
     * When what the tap has been told so far is safe where it sends it (a fetcher: committed to the replication
     * topic): call it after the change to wait for was told (once the write that applied it completed). A tap that
     * sends nowhere ({@link #NONE}) answers at once.
     *
     * @return completes once every change and watermark told before this call is safe; exceptionally, with a
     * {@link NotPublishedException}, when it may never be (the consumer stopped, or a change was discarded). Never
     * times out by itself: bound the wait ({@link CompletableFuture#orTimeout}).
     */
    default CompletableFuture<Void> published()
    {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * @return the tap's term now: take it before writing what an acknowledgement waits for, and wait with
     * {@link #published(long)}. A tap whose destination can change (a fetcher's, from one term of office to the
     * next) counts its terms; others stay at 0.
     */
    default long term()
    {
        return 0;
    }

    /**
     * {@link #published()}, failing when the tap's term is no longer {@code since}: what was told in an earlier
     * term went to a destination this tap sends to no more, and may never have reached it.
     *
     * @param since the tap's {@link #term()} before the changes to wait for were written.
     * @return as {@link #published()}.
     */
    default CompletableFuture<Void> published(final long since)
    {
        return since == term() ? published() : CompletableFuture.failedFuture(new NotPublishedException(
            "the tap's destination changed since the change was written"));
    }

    /**
     * A change the tap was told may never reach where it sends it (the fetcher's publisher stopped, or a change was
     * discarded): it holds in this server's index and, for an opt-out, in its log, and nowhere else yet.
     */
    final class NotPublishedException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        /**
         * @param message why.
         */
        public NotPublishedException(final String message)
        {
            super(message, null, false, false);
        }
    }
}
