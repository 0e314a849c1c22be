package io.iysfilter.server.iys;

import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.index.DurableFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

/**
 * A brand's feed files beside its index: {@code feed-HS.cursor}, {@code feed-IYS.cursor} and {@code quarantine.log}
 * (records that failed validation, one line each with the reason).
 * <p>
 * A cursor file holds the last {@code after} whose page is applied, on its first line, and on a second line
 * {@code accepted=<epoch ms>}: when İYS last answered the source's end from that cursor (or an earlier one of the
 * same chain). It is written atomically: temporary file, fsync, rename. A file without the second line (written
 * before acceptance times were kept) reads as accepted 0, not known.
 */
final class FeedFiles
{
    private static final String ACCEPTED = "accepted=";

    private final Path directory;

    /**
     * A source's persisted position.
     *
     * @param cursor     the last {@code after} whose page is applied, or null.
     * @param acceptedMs when İYS last answered the source's end from it, epoch ms, or 0 when not known.
     */
    record Position(String cursor, long acceptedMs)
    {
    }

    FeedFiles(final Path directory)
    {
        this.directory = directory;
    }

    Position position(final String source) throws IOException
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(directory.resolve("feed-" + source + ".cursor"), StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return new Position(null, 0);
        }
        final String cursor = lines.isEmpty() ? "" : lines.get(0).trim();
        long acceptedMs = 0;
        for (int i = 1; i < lines.size(); i++)
        {
            final String line = lines.get(i).trim();
            if (line.startsWith(ACCEPTED))
            {
                try
                {
                    acceptedMs = Long.parseLong(line.substring(ACCEPTED.length()));
                }
                catch (final NumberFormatException ex)
                {
                    throw new IOException("feed-" + source + ".cursor: bad line '" + line + "' (expected: " +
                        ACCEPTED + "<epoch ms>)", ex);
                }
            }
        }
        return new Position(cursor.isEmpty() ? null : cursor, cursor.isEmpty() ? 0 : acceptedMs);
    }

    String cursor(final String source) throws IOException
    {
        return position(source).cursor();
    }

    /**
     * Durably replace a source's position.
     *
     * @param source     {@code HS} or {@code IYS}.
     * @param cursor     the cursor, whose page is applied.
     * @param acceptedMs when İYS last answered the source's end from it (or an earlier cursor), or 0 when not known.
     */
    void persist(final String source, final String cursor, final long acceptedMs) throws IOException
    {
        DurableFiles.replace(directory, "feed-" + source + ".cursor",
            cursor + "\n" + (acceptedMs == 0 ? "" : ACCEPTED + acceptedMs + "\n"));
    }

    /**
     * Durably remove a source's position: the source starts again from the start of İYS's window.
     *
     * @param source {@code HS} or {@code IYS}.
     */
    void clear(final String source) throws IOException
    {
        Files.deleteIfExists(directory.resolve("feed-" + source + ".cursor"));
        DurableFiles.forceDirectory(directory);
    }

    /**
     * Append a line to the quarantine. Text that UTF-8 cannot encode (a lone surrogate, which a JSON escape such as
     * {@code "\\ud800"} decodes to) is written as {@code ?}: refusing it would fail the page again at every fetch.
     */
    void quarantine(final String source, final String reason, final String record) throws IOException
    {
        // recipients masked (log-recipients): the quarantine is read by people, not replayed
        final String line = Instant.now() + " source=" + source + " reason=" +
            Recipients.maskText(reason).replace('\n', ' ') + " record=" +
            Recipients.maskText(record).replace('\n', ' ') + "\n";
        final Path file = directory.resolve("quarantine.log");
        final boolean created = !Files.exists(file);
        Files.write(file, line.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (created)
        {
            DurableFiles.ownerOnly(file);
        }
    }
}
