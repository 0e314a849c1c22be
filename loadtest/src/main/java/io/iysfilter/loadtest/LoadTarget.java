package io.iysfilter.loadtest;

import io.netty.util.concurrent.EventExecutor;

/**
 * A server a load run talks to: iys-filter through its Java client, or Redis for the side-by-side comparison.
 */
public interface LoadTarget extends AutoCloseable
{
    /**
     * @return a short name for reports, e.g. {@code iys-filter} or {@code redis}.
     */
    String name();

    /**
     * Open one more connection.
     *
     * @return the connection.
     * @throws Exception when the server cannot be reached.
     */
    Connection connect() throws Exception;

    /**
     * Close the connections and release the threads.
     */
    @Override
    void close();

    /**
     * One connection. {@link #send} is called only on {@link #executor()}, and answers come back on it.
     */
    interface Connection
    {
        /**
         * @return the event loop that serves this connection.
         */
        EventExecutor executor();

        /**
         * Ask about requests {@code first..first+count-1} of the pool: one CHECK (or GET) when count is 1, else one
         * CHECK_BATCH (or MGET).
         *
         * @param first  first request of the pool.
         * @param count  how many.
         * @param tagNs  passed back with the answer.
         * @param answer told of the answer.
         */
        void send(int first, int count, long tagNs, Answer answer);

        /**
         * Close the connection.
         */
        void close();
    }

    /**
     * Receives answers, on the connection's event loop.
     */
    @FunctionalInterface
    interface Answer
    {
        /**
         * @param tagNs the tag given to {@link Connection#send}.
         * @param count how many decisions the answer carries (0 when it failed).
         * @param wrong how many of them differ from the expected answer.
         * @param error why the request failed, or null.
         */
        void onAnswer(long tagNs, int count, int wrong, Throwable error);
    }
}
