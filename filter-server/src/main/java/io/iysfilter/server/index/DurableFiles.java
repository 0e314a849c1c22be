package io.iysfilter.server.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one way the server replaces a small file durably (brand metadata, feed cursors, integrity findings, a rewritten
 * opt-out log): the whole text to a temporary file beside it, forced, renamed over the old one, and the directory
 * forced so that the rename survives a power cut. A crash at any instant leaves either the old or the new content.
 */
public final class DurableFiles
{
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
        try (FileChannel channel = FileChannel.open(temporary,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
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
}
