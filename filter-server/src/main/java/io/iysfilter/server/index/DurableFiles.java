package io.iysfilter.server.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The one way the server replaces a small file durably (brand metadata, feed cursors, integrity findings, a rewritten
 * opt-out log): the whole text to a temporary file beside it, forced, renamed over the old one, and the directory
 * forced so that the rename survives a power cut. A crash at any instant leaves either the old or the new content.
 * <p>
 * It also keeps the data directory private (docs/SECURITY.md): every directory in it mode 0700 and every file 0600,
 * whatever the umask. Each file is created with that mode and it is then set explicitly ({@link #ownerOnly}), since a
 * creation mode is narrowed by the umask but a file created by a library (Chronicle's maps) gets the umask's;
 * {@link #restrictTree} fixes what an older version or an operator left wider.
 */
public final class DurableFiles
{
    /** Mode of every file in the data directory. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /** Mode of every directory in the data directory. */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    /** {@link #FILE_MODE} as an attribute for creating a file. */
    public static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE =
        PosixFilePermissions.asFileAttribute(FILE_MODE);
    /** open(2)'s O_WRONLY on Linux. */
    private static final int O_WRONLY = 1;

    private DurableFiles()
    {
    }

    /**
     * Replace a file's content.
     *
     * @param directory where the file is.
     * @param name      the file's name; {@code name + ".tmp"} is used on the way.
     * @param text      the whole new content, written as UTF-8.
     * @throws IOException when it cannot be written; the old content is then still in place.
     */
    public static void replace(final Path directory, final String name, final String text) throws IOException
    {
        final Path temporary = directory.resolve(name + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, Set.of(
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), FILE_ATTRIBUTE))
        {
            ownerOnly(temporary);
            final ByteBuffer bytes = StandardCharsets.UTF_8.encode(text);
            while (bytes.hasRemaining())
            {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temporary, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(directory);
    }

    /**
     * Make a rename, creation or deletion in a directory durable.
     *
     * @param directory the directory.
     * @throws IOException when it cannot be forced.
     */
    public static void forceDirectory(final Path directory) throws IOException
    {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    /**
     * Allocate a file's blocks up to a length without writing them ({@code fallocate(2)} through the POSIX binding
     * Chronicle brings), so that a full disk fails here rather than at a later store into a mapping of the file; the
     * allocated range reads as zeros. It saves writing the whole length once with zeros and the kernel writing them
     * back to the device.
     *
     * @param file   an existing regular file, writable.
     * @param length the length to allocate from offset 0 (the file grows to it).
     * @return true when allocated (the file is at least {@code length} bytes); false when the platform or the file
     *     system cannot allocate this way (no native binding, {@code EOPNOTSUPP}) or the call failed, in which case
     *     the caller writes zeros instead, which fails on a full disk as it should.
     */
    public static boolean preallocate(final Path file, final long length)
    {
        final net.openhft.posix.PosixAPI posix = Posix.API;
        if (posix == null)
        {
            return false;
        }
        try
        {
            final int fd = posix.open(file.toString(), O_WRONLY, 0);
            if (fd < 0)
            {
                return false;
            }
            try
            {
                return posix.fallocate(fd, 0, 0, length) == 0 && Files.size(file) >= length;
            }
            finally
            {
                posix.close(fd);
            }
        }
        catch (final IOException | RuntimeException | LinkageError ex)
        {
            return false;
        }
    }

    /**
     * Load the native binding {@link #preallocate} uses, if not yet loaded (it takes about half a second of CPU the
     * first time): call before a time-critical first use.
     *
     * @return whether {@link #preallocate} can allocate natively on this platform.
     */
    public static boolean canPreallocate()
    {
        return Posix.API != null;
    }

    /**
     * The native POSIX binding, loaded on first use; null when only its no-op stand-in loads (not Linux, no native
     * library), whose fallocate would allocate nothing.
     */
    private static final class Posix
    {
        private static final net.openhft.posix.PosixAPI API = load();

        private static net.openhft.posix.PosixAPI load()
        {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"))
            {
                return null;
            }
            try
            {
                final net.openhft.posix.PosixAPI api = net.openhft.posix.PosixAPI.posix();
                return api.getClass().getName().contains(".noop.") ? null : api;
            }
            catch (final RuntimeException | LinkageError ex)
            {
                return null;
            }
        }
    }

    /**
     * Give a file or directory of the data directory its mode: 0600, or 0700 for a directory.
     *
     * @param path the file or directory.
     * @throws IOException when the mode cannot be set.
     */
    public static void ownerOnly(final Path path) throws IOException
    {
        Files.setPosixFilePermissions(path, Files.isDirectory(path) ? DIRECTORY_MODE : FILE_MODE);
    }

    /**
     * Create a directory of the data directory (and its missing parents) with mode 0700.
     *
     * @param directory the directory.
     * @throws IOException when it cannot be created or its mode set.
     */
    public static void createPrivateDirectories(final Path directory) throws IOException
    {
        Files.createDirectories(directory);
        ownerOnly(directory);
    }

    /**
     * Set every directory under a root, the root included, to 0700 and every file to 0600, and name those whose
     * mode was wider.
     *
     * @param root the data directory.
     * @return the paths whose mode was changed.
     * @throws IOException when the tree cannot be walked or a mode set.
     */
    public static List<Path> restrictTree(final Path root) throws IOException
    {
        final List<Path> changed = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                if (Files.isSymbolicLink(path))
                {
                    continue;
                }
                final Set<PosixFilePermission> wanted = Files.isDirectory(path) ? DIRECTORY_MODE : FILE_MODE;
                if (!Files.getPosixFilePermissions(path).equals(wanted))
                {
                    Files.setPosixFilePermissions(path, wanted);
                    changed.add(path);
                }
            }
        }
        return changed;
    }
}
