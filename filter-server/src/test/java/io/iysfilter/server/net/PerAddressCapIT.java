package io.iysfilter.server.net;

import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.http.HttpSettings;
import io.iysfilter.server.metrics.AddressConnections;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code max-connections-per-address} (issue 13's finding: a few addresses holding idle connections took the whole
 * cap from everyone until the idle timeout). 127.0.0.1 fills its share; 127.0.0.2, another address of the loopback
 * interface, still gets in.
 */
@Timeout(60)
class PerAddressCapIT
{
    private static final int PER_ADDRESS = 2;
    private static final int READ_BOUND_MS = 20_000;
    private static final InetAddress FIRST = loopback(1);
    private static final InetAddress SECOND = loopback(2);

    @TempDir
    static Path dataDir;
    private static FilterServer server;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir).maxConnectionsPerAddress(PER_ADDRESS)
            .http(new HttpSettings(HttpSettings.MAX_CONNECTIONS_DEFAULT, HttpSettings.IDLE_TIMEOUT_MS_DEFAULT,
                HttpSettings.REQUEST_TIMEOUT_MS_DEFAULT, 1024 * 1024, PER_ADDRESS)));
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
    void shouldRefuseABinaryConnectionPastItsAddressesShareAndServeAnotherAddress() throws Exception
    {
        final AddressConnections binary = server.counters().addressConnections(Endpoint.BINARY);
        final long refusedBefore = server.counters().protocolErrors(ErrorCode.TOO_MANY_CONNECTIONS);
        final List<Socket> held = new ArrayList<>();
        try
        {
            for (int i = 0; i < PER_ADDRESS; i++)
            {
                held.add(connect(server.binaryPort(), FIRST));
            }
            awaitOpen(binary, FIRST, PER_ADDRESS);
            try (Socket refused = connect(server.binaryPort(), FIRST))
            {
                final String answer = readToClose(refused.getInputStream());
                assertTrue(answer.contains("connection limit per address reached: maxConnectionsPerAddress=2"),
                    answer);
            }
            assertEquals(refusedBefore + 1, server.counters().protocolErrors(ErrorCode.TOO_MANY_CONNECTIONS));
            assertEquals(1, binary.refused());

            try (Socket other = connect(server.binaryPort(), SECOND))
            {
                assertEquals(SECOND, other.getLocalAddress());
                awaitOpen(binary, SECOND, 1);
                assertEquals(PER_ADDRESS, binary.open(FIRST));
            }
            held.remove(0).close();
            awaitOpen(binary, FIRST, PER_ADDRESS - 1);
            held.add(connect(server.binaryPort(), FIRST));
            awaitOpen(binary, FIRST, PER_ADDRESS);
            assertEquals(1, binary.refused(), "a place given back is taken again");
        }
        finally
        {
            for (final Socket socket : held)
            {
                socket.close();
            }
        }
    }

    @Test
    void shouldAnswer503PastAnAddressesShareOfHttpConnections() throws Exception
    {
        final AddressConnections http = server.counters().addressConnections(Endpoint.HTTP);
        final List<Socket> held = new ArrayList<>();
        try
        {
            for (int i = 0; i < PER_ADDRESS; i++)
            {
                held.add(connect(server.httpPort(), FIRST));
            }
            awaitOpen(http, FIRST, PER_ADDRESS);
            try (Socket refused = connect(server.httpPort(), FIRST))
            {
                final String answer = readToClose(refused.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("max-connections-per-address=2"), answer);
            }
            assertEquals(1, http.refused());
            try (Socket other = connect(server.httpPort(), SECOND))
            {
                other.getOutputStream().write("GET /health/live HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
                assertTrue(readToClose(other.getInputStream()).startsWith("HTTP/1.1 200"));
            }
        }
        finally
        {
            for (final Socket socket : held)
            {
                socket.close();
            }
        }
    }

    private static Socket connect(final int port, final InetAddress from) throws IOException
    {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), port, from, 0);
        socket.setSoTimeout(READ_BOUND_MS);
        return socket;
    }

    private static String readToClose(final InputStream in) throws IOException
    {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /**
     * The server counts a connection in on its event loop, after the client's connect returns: wait, bounded.
     */
    private static void awaitOpen(final AddressConnections table, final InetAddress address, final int open)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (table.open(address) != open)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail(address + ": " + table.open(address) + " open, expected " + open);
            }
            Thread.sleep(5);
        }
    }

    private static InetAddress loopback(final int last)
    {
        try
        {
            return InetAddress.getByAddress(new byte[]{127, 0, 0, (byte)last});
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
