package io.iysfilter.server.ingest;

import io.iysfilter.server.index.ConsentChange;

/**
 * Work the single writer runs between two events of the ring (see {@link IngestPipeline#runOnWriter}), e.g. putting a
 * write-ahead log back into the index at start. It changes the index only through the {@link Changes} it is given.
 * <p>
 * A task bypasses the guards ordinary changes pass: the writer's fault latch, the disk reserve and the
 * applied/superseded counters. It is meant for start-up replay, before anything is served, where a record the
 * index already holds writes nothing and one that cannot be written fails the task (and the start); a new use must
 * bring its own guards.
 *
 * @param <T> what it answers.
 */
@FunctionalInterface
public interface WriterTask<T>
{
    /**
     * Run on the writer thread.
     *
     * @param index applies changes to the index.
     * @return the answer, handed to whoever waits.
     * @throws Exception when the work failed; whoever waits is told.
     */
    T run(Changes index) throws Exception;

    /**
     * The index's change path, on the writer thread.
     */
    @FunctionalInterface
    interface Changes
    {
        /**
         * Apply one change, last-writer-wins in İYS order.
         *
         * @param change the change; its brand must exist.
         * @return {@link io.iysfilter.server.index.ConsentIndexWriter#APPLIED}, {@code SUPERSEDED} or
         *         {@code REJECTED_FUTURE}.
         */
        int apply(ConsentChange change);
    }
}
