package io.iysfilter.server.milter;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.Scrape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The milter endpoint bounds its MTA connections, over real loopback sockets: a connection cap, an idle timeout and
 * a partial-packet timeout, each a setting.
 */
@Timeout(60)
class MilterLimitsIT
{
    private static final byte[] POSTFIX_OPTNEG = HexFormat.of().parseHex("0000000d4f00000006000001ff001fffff");
    private static final int MAX_CONNECTIONS = 2;
    private static final long IDLE_TIMEOUT_MS = 3_000;
    private static final long PACKET_TIMEOUT_MS = 300;
    private static final int READ_BOUND_MS = 20_000;

    @TempDir
    static Path dataDir;
    private static FilterServer server;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir).milter(new MilterSettings(MilterBrandMap.empty(),
            false, false).withLimits(MAX_CONNECTIONS, IDLE_TIMEOUT_MS, PACKET_TIMEOUT_MS)));
    }

    @AfterAll
    static void stop()
    {
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldCloseConnectionsPastTheCapAndServeAgainOnceOneCloses() throws Exception
    {
        final Socket first = negotiated();
        try (Socket second = negotiated(); Socket third = connect())
        {
            third.getOutputStream().write(POSTFIX_OPTNEG);
            assertTrue(closed(third), "the connection past the cap is closed unanswered");
            assertTrue(errors("TOO_MANY_CONNECTIONS") >= 1);
            assertTrue(second.isConnected());
            first.close();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true)
            {
                try (Socket again = connect())
                {
                    again.getOutputStream().write(POSTFIX_OPTNEG);
                    if (again.getInputStream().readNBytes(17).length == 17)
                    {
                        break; // the closed connection's place was given back
                    }
                }
                catch (final SocketException reset)
                {
                    // still refused: the server has not yet seen the close
                }
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail("no connection accepted after one of " + MAX_CONNECTIONS + " closed");
                }
            }
        }
        finally
        {
            first.close();
        }
    }

    @Test
    void shouldCloseAConnectionThatSendsNothingAfterTheIdleTimeout() throws Exception
    {
        final double before = errors("IDLE_TIMEOUT");
        try (Socket idle = negotiated())
        {
            final long startNs = System.nanoTime();
            assertTrue(closed(idle), "an idle connection is closed");
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(elapsedMs >= IDLE_TIMEOUT_MS - 500, "closed after " + elapsedMs + " ms, not before the timeout");
        }
        assertEquals(before + 1, errors("IDLE_TIMEOUT"));
    }

    @Test
    void shouldCloseAConnectionThatLeavesAPacketHalfSent() throws Exception
    {
        final double before = errors("PACKET_TIMEOUT");
        try (Socket half = negotiated())
        {
            half.getOutputStream().write(new byte[]{0, 0, 0, 20, 'M', '<'});
            final long startNs = System.nanoTime();
            assertTrue(closed(half), "a half-sent packet closes the connection");
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(elapsedMs < IDLE_TIMEOUT_MS, "closed by the packet timeout after " + elapsedMs +
                " ms, before the idle timeout would have");
        }
        assertEquals(before + 1, errors("PACKET_TIMEOUT"));
    }

    private static Socket connect() throws IOException
    {
        final Socket socket = new Socket("127.0.0.1", server.milterPort());
        socket.setSoTimeout(READ_BOUND_MS);
        return socket;
    }

    /**
     * A connection whose OPTNEG was answered; retried, bounded, while the server has not yet given back the places
     * of connections another test closed.
     */
    private static Socket negotiated() throws IOException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true)
        {
            final Socket socket = connect();
            try
            {
                socket.getOutputStream().write(POSTFIX_OPTNEG);
                final InputStream in = socket.getInputStream();
                if (in.readNBytes(17).length == 17)
                {
                    return socket;
                }
            }
            catch (final SocketException reset)
            {
                // refused: retried below
            }
            socket.close();
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("OPTNEG never answered");
            }
        }
    }

    /**
     * @return whether the server closed the connection: end of stream, or a reset when it closed with our bytes
     * unread; a read that times out fails the test instead.
     */
    private static boolean closed(final Socket socket) throws IOException
    {
        try
        {
            return socket.getInputStream().read() == -1;
        }
        catch (final SocketException reset)
        {
            return true;
        }
    }

    private static double errors(final String kind) throws Exception
    {
        return Scrape.series(server.httpPort()).getOrDefault("iys_milter_errors_total{kind=\"" + kind + "\"}", 0.0);
    }
}
