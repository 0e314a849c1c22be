package io.iysfilter.loadtest.abuse;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * Blocking loopback sockets with bounded waits, for the hostile clients.
 */
final class Wire
{
    static final String HOST = "127.0.0.1";

    private Wire()
    {
    }

    /**
     * @param port      the server's port on 127.0.0.1.
     * @param timeoutMs connect and read timeout.
     * @return the connected socket.
     * @throws IOException when it cannot connect.
     */
    static Socket connect(final int port, final long timeoutMs) throws IOException
    {
        final Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(HOST, port), (int)Math.max(1, timeoutMs));
        socket.setSoTimeout((int)Math.max(1, timeoutMs));
        return socket;
    }

    /**
     * @param in    where from.
     * @param count how many bytes.
     * @return them, or null when the stream ended first.
     * @throws IOException on a timeout or reset.
     */
    static byte[] readExactly(final InputStream in, final int count) throws IOException
    {
        final byte[] bytes = new byte[count];
        int read = 0;
        while (read < count)
        {
            final int n = in.read(bytes, read, count - read);
            if (n < 0)
            {
                return null;
            }
            read += n;
        }
        return bytes;
    }

    /**
     * Wait for the server to close the connection, reading and dropping what else it sends.
     *
     * @param socket the connection, with its read timeout set.
     * @return {@code closed}, {@code reset}, or {@code not closed within N ms}.
     */
    static String awaitClose(final Socket socket)
    {
        try
        {
            final InputStream in = socket.getInputStream();
            final byte[] drop = new byte[8192];
            while (in.read(drop) >= 0)
            {
                // the rest of an answer, dropped
            }
            return "closed";
        }
        catch (final SocketTimeoutException ex)
        {
            return "not closed within " + timeoutOf(socket) + " ms";
        }
        catch (final SocketException ex)
        {
            return "reset";
        }
        catch (final IOException ex)
        {
            return "failed: " + ex;
        }
    }

    static int timeoutOf(final Socket socket)
    {
        try
        {
            return socket.getSoTimeout();
        }
        catch (final SocketException ex)
        {
            return -1;
        }
    }

    /**
     * Close quietly.
     *
     * @param socket the socket, or null.
     */
    static void close(final Socket socket)
    {
        if (socket != null)
        {
            try
            {
                socket.close();
            }
            catch (final IOException ex)
            {
                // closing a loopback socket we own: nothing to do about it
            }
        }
    }
}
