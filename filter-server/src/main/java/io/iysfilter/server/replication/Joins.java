package io.iysfilter.server.replication;

/**
 * Waiting, bounded, for one of this package's threads to end when its owner closes: the publisher, the replica's
 * follower and the fetchers' election each stop their thread the same way.
 */
final class Joins
{
    private Joins()
    {
    }

    /**
     * Wait for {@code thread} to end, at most {@code timeoutMs}; an interrupt ends the wait and stays set.
     *
     * @param thread    the thread, told to stop.
     * @param timeoutMs longest wait.
     * @return whether the thread ended.
     */
    static boolean join(final Thread thread, final long timeoutMs)
    {
        try
        {
            thread.join(timeoutMs);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
