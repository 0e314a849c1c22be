package io.iysfilter.server.feed;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * A brand's feed files beside its index: {@code feed-HS.cursor}, {@code feed-IYS.cursor} (the last {@code after}
 * whose page is applied; written atomically: temporary file, fsync, rename) and {@code quarantine.log} (records
 * that failed validation, one line each with the reason).
 */
final class FeedFiles
{
    private final Path directory;

    FeedFiles(final Path directory)
    {
        this.directory = directory;
    }

    String cursor(final String source) throws IOException
    {
        final Path file = directory.resolve("feed-" + source + ".cursor");
        if (!Files.exists(file))
        {
            return null;
        }
        final String cursor = Files.readString(file, StandardCharsets.UTF_8).trim();
        return cursor.isEmpty() ? null : cursor;
    }

    void persistCursor(final String source, final String cursor) throws IOException
    {
        final Path target = directory.resolve("feed-" + source + ".cursor");
        final Path temporary = directory.resolve("feed-" + source + ".cursor.tmp");
        try (FileChannel channel = FileChannel.open(temporary,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            channel.write(StandardCharsets.UTF_8.encode(cursor + "\n"));
            channel.force(true);
        }
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    void quarantine(final String source, final String reason, final String record) throws IOException
    {
        final String line = Instant.now() + " source=" + source + " reason=" + reason.replace('\n', ' ') +
            " record=" + record.replace('\n', ' ') + "\n";
        Files.writeString(directory.resolve("quarantine.log"), line, StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
