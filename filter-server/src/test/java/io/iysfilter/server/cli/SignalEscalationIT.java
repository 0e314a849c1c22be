package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM whose graceful stop never finishes: the first SIGTERM starts it, the second ends the process.
 */
@Timeout(60)
class SignalEscalationIT
{
    private static final int SIGTERM_STATUS = 128 + 15;

    @Test
    void shouldExitAtTheSecondSigtermWhileTheFirstIsStillStopping() throws Exception
    {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
            StuckStop.class.getName())).redirectErrorStream(true).start();
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
        {
            // ProcessHandle.destroy() sends SIGTERM without closing our end of the child's output
            awaitLine(lines, "installed");
            child.toHandle().destroy();
            awaitLine(lines, "stopping");
            assertTrue(child.isAlive(), "the stop is stuck, so only the second signal can end it");
            child.toHandle().destroy();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "a second SIGTERM forces the exit");
            assertEquals(SIGTERM_STATUS, child.exitValue());
        }
        finally
        {
            child.destroyForcibly();
        }
    }

    private static void awaitLine(final BufferedReader lines, final String wanted) throws Exception
    {
        final StringBuilder seen = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine())
        {
            if (line.equals(wanted))
            {
                return;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("child ended before printing '" + wanted + "':\n" + seen);
    }

    /**
     * Installs the escalation, then a shutdown hook that never returns, as a server whose close hangs would.
     */
    public static final class StuckStop
    {
        /**
         * @param args none.
         * @throws InterruptedException never in practice: the process ends by signal.
         */
        public static void main(final String[] args) throws InterruptedException
        {
            final CountDownLatch never = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() ->
            {
                System.out.println("stopping");
                System.out.flush();
                try
                {
                    never.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }));
            System.out.println(SignalEscalation.install() ? "installed" : "not installed");
            System.out.flush();
            never.await();
        }
    }
}
