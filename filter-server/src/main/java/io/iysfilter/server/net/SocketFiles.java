package io.iysfilter.server.net;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The file of a Unix domain socket the server listens on ({@code milter-socket}): a stale one left by a server that
 * died is removed before binding, but never a file that is not a socket, nor a socket another process still listens
 * on; once bound it is given {@link #MODE}; at stop it is removed.
 */
final class SocketFiles
{
    /** The socket's mode: the server's user and its group (e.g. {@code postfix}) may connect, no one else. */
    static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rw-rw----");

    private SocketFiles()
    {
    }

    /**
     * Make way for a socket at {@code path}: nothing there, or a stale socket (nothing accepts on it), which is
     * removed.
     *
     * @param path where the socket goes.
     * @throws IOException when something else is there: a file that is not a socket, a symbolic link, or a socket a
     *                     live process listens on; or its directory does not exist.
     */
    static void clear(final Path path) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent))
        {
            throw new IOException("milter-socket: " + path + ": its directory does not exist (expected: an existing " +
                "directory the server's user may write, e.g. /run/iys-filter)");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        final BasicFileAttributes attributes =
            Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isOther() || !isSocket(path))
        {
            throw new IOException("milter-socket: " + path + " exists and is not a socket; not removing it " +
                "(expected: a path where the server may create its socket)");
        }
        boolean live;
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            live = probe.connect(UnixDomainSocketAddress.of(path));
        }
        catch (final IOException refused)
        {
            live = false; // nothing listens: a stale socket from a server that did not stop cleanly
        }
        if (live)
        {
            throw new IOException("milter-socket: " + path + " is in use: a running process accepts connections " +
                "on it (another iys-filter?)");
        }
        Files.deleteIfExists(path);
    }

    private static boolean isSocket(final Path path) throws IOException
    {
        try
        {
            final int mode = (Integer)Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000;
        }
        catch (final UnsupportedOperationException | IllegalArgumentException ex)
        {
            return true; // no unix view: "other" (not a file, directory or link) is the best the JDK can tell
        }
    }

    /**
     * @param path a socket the server has just bound.
     * @throws IOException when its mode cannot be set.
     */
    static void restrict(final Path path) throws IOException
    {
        Files.setPosixFilePermissions(path, MODE);
    }

    /**
     * Remove the socket at stop, if it is still a socket (never a file put there since).
     *
     * @param path the socket.
     */
    static void remove(final Path path)
    {
        try
        {
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && isSocket(path))
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            // the next start removes it as stale
        }
    }
}
