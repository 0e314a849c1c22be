package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;

import java.util.concurrent.CountDownLatch;

/**
 * How {@code serve} stops, shared with the demo (module loadtest).
 */
public final class Shutdown
{
    private Shutdown()
    {
    }

    /**
     * Block until the JVM is asked to stop, then close the server and run {@code afterClose}, in that order, in
     * one shutdown hook (the JVM runs separate hooks concurrently). {@code afterClose} may be null. A second
     * SIGTERM or SIGINT during the stop exits at once ({@link SignalEscalation}).
     * <p>
     * This hook is the only one that closes the index. Chronicle registers one JVM hook of its own, run at the same
     * time as this one: its Chronicle Map part closes only maps built without {@code skipCloseOnExitHook}, and every
     * brand map is built with it; its other part stops Chronicle's background releaser, which frees only buffers
     * already released (Chronicle Map does not use it) and from then on frees them on the releasing thread.
     *
     * @param server     the running server.
     * @param afterClose what to stop after the server, or null.
     * @throws InterruptedException when interrupted while waiting.
     */
    public static void awaitShutdown(final FilterServer server, final Runnable afterClose) throws InterruptedException
    {
        final CountDownLatch stopped = new CountDownLatch(1);
        SignalEscalation.install();
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            server.close();
            if (afterClose != null)
            {
                afterClose.run();
            }
            stopped.countDown();
        }, "iys-filter-shutdown"));
        stopped.await();
    }
}
