package io.iysfilter.loadtest.abuse;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * A kind that keeps a number of connections open on one thread, with one selector: it opens them (non-blocking,
 * each with a buffer of its own as the key's attachment), hands every ready key to {@link #onReady}, opens another
 * whenever one ends, and once stopping waits out the grace for the last ones to end; any still open then is counted
 * "not closed within the grace".
 */
abstract class HeldConnections extends HostileClient
{
    private final int connections;

    /**
     * @param name        the kind's name in the report.
     * @param endpoint    the endpoint it abuses.
     * @param documented  the outcomes the server documents for it.
     * @param connections how many to keep open.
     */
    HeldConnections(final String name, final String endpoint, final Set<String> documented, final int connections)
    {
        super(name, endpoint, documented, 1, 1);
        this.connections = connections;
    }

    /**
     * @return the port to connect to, on {@link Wire#HOST}.
     */
    protected abstract int port();

    /**
     * @return a new connection's buffer.
     */
    protected abstract ByteBuffer newBuffer();

    /**
     * @return whether new connections may be opened now.
     */
    protected boolean mayOpen()
    {
        return true;
    }

    /**
     * @param key a ready key; its attachment is the connection's buffer.
     * @return whether the connection ended (its outcome recorded, the key cancelled and the channel closed).
     * @throws IOException when the channel cannot be closed.
     */
    protected abstract boolean onReady(SelectionKey key) throws IOException;

    @Override
    protected final void loop()
    {
        try (Selector selector = Selector.open())
        {
            int open = 0;
            while (true)
            {
                if (!stopping())
                {
                    if (mayOpen())
                    {
                        for (; open < connections; open++)
                        {
                            countAttempt();
                            final SocketChannel channel = SocketChannel.open();
                            channel.configureBlocking(false);
                            channel.connect(new InetSocketAddress(Wire.HOST, port()));
                            channel.register(selector, SelectionKey.OP_CONNECT, newBuffer());
                        }
                    }
                }
                else if (open == 0 || System.nanoTime() - deadlineNs() > 0)
                {
                    break;
                }
                selector.select(50);
                for (final SelectionKey key : selector.selectedKeys())
                {
                    if (onReady(key))
                    {
                        open--;
                    }
                }
                selector.selectedKeys().clear();
            }
            for (final SelectionKey key : selector.keys())
            {
                // a key cancelled since the last select stays in keys() until the next: its outcome is counted
                if (key.isValid())
                {
                    record("not closed within the grace");
                }
                key.channel().close();
            }
        }
        catch (final IOException ex)
        {
            record("failed: " + ex);
        }
    }
}
