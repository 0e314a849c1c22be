package io.iysfilter.server.optout;

import io.iysfilter.server.index.DurableFiles;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * A brand's log of local opt-outs, {@code optouts.log} beside its index, written <em>ahead</em> of the index: a
 * record is appended and forced to disk before the index is touched, so an acknowledged opt-out survives a power
 * cut even when the index pages holding it do not, and is put back by the replay at start.
 * <pre>
 *   record  = crc SP payload LF
 *   crc     = 8 lower-case hex digits: CRC32C of the payload's UTF-8 bytes
 *   payload = one JSON object, no line break
 * </pre>
 * A record is whole only when its line ends and its checksum matches. A failed append is truncated back to the last
 * whole record; a torn tail found at start (the process or machine died mid-append) is truncated then. A log in the
 * format before checksums (one JSON object a line) is rewritten once, its original kept as
 * {@code optouts.log.original-<epoch ms>}.
 * <p>
 * Threading: an instance belongs to the single writer. {@link #read(Path)} may run on any thread and never sees a
 * record being appended: it stops at the last whole one.
 */
public final class OptOutLog implements AutoCloseable
{
    /** The log's file name in a brand's directory. */
    public static final String FILE_NAME = "optouts.log";
    /** Where the original of a rewritten log is kept: this, then the epoch milliseconds of the rewrite. */
    public static final String ORIGINAL_COPY_PREFIX = "optouts.log.original-";
    private static final Logger LOG = LoggerFactory.getLogger(OptOutLog.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final int CRC_LENGTH = 8;
    private static final int HEADER_LENGTH = CRC_LENGTH + 1;

    private final Path file;
    private final FileChannel channel;
    private long end;
    private boolean dirty;

    /**
     * What a log holds.
     *
     * @param records     the payloads of its whole, verified records, in order.
     * @param validLength bytes up to the end of the last whole record.
     * @param tornBytes   bytes after it: a torn append.
     * @param corrupt     lines before it that are not a whole record (a checksum that does not match).
     * @param oldFormat   records in the format before checksums, or found glued behind a torn line.
     */
    public record Contents(List<String> records, long validLength, long tornBytes, int corrupt, int oldFormat)
    {
        /**
         * @return whether anything was dropped: a torn tail or corrupt lines.
         */
        public boolean repaired()
        {
            return tornBytes > 0 || corrupt > 0;
        }
    }

    private OptOutLog(final Path file, final FileChannel channel, final long end)
    {
        this.file = file;
        this.channel = channel;
        this.end = end;
    }

    /**
     * Writer only: open a brand's log for appending, repairing it first: a torn tail is truncated, a log with corrupt
     * lines or in the old format is rewritten with its whole records only (the original kept beside it, see
     * {@link #ORIGINAL_COPY_PREFIX}).
     *
     * @param directory the brand's directory.
     * @param recovered receives what the log held; may be null.
     * @return the open log.
     * @throws IOException when it cannot be read, repaired or opened.
     */
    static OptOutLog open(final Path directory, final Contents[] recovered) throws IOException
    {
        final Path file = directory.resolve(FILE_NAME);
        final Contents contents = read(file);
        if (contents.corrupt() > 0 || contents.oldFormat() > 0)
        {
            LOG.warn("opt-out log rewritten: file={}, records={}, oldFormat={}, corruptLinesDropped={}, " +
                "tornBytesDropped={}, originalKeptAs={}", file, contents.records().size(), contents.oldFormat(),
                contents.corrupt(), contents.tornBytes(), rewrite(file, contents.records()));
        }
        final boolean created = !Files.exists(file);
        final FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE), DurableFiles.FILE_ATTRIBUTE);
        try
        {
            if (created)
            {
                // the first acknowledged opt-out must not depend on the file system keeping the new file's name
                DurableFiles.forceDirectory(directory);
            }
            final long size = channel.size();
            final long end = contents.corrupt() > 0 || contents.oldFormat() > 0 ? size : contents.validLength();
            if (size > end)
            {
                channel.truncate(end);
                channel.force(true);
                LOG.warn("opt-out log had a torn tail, truncated: file={}, tornBytes={}, records={}", file,
                    size - end, contents.records().size());
            }
            if (recovered != null)
            {
                recovered[0] = contents;
            }
            return new OptOutLog(file, channel, end);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * Writer only: append one record and force it to disk. When that fails, the log is truncated back to the end of
     * its last whole record (and, if even that fails, before the next append).
     *
     * @param payload one JSON object, no line break.
     * @return the log's length before the record: {@link #truncate(long)} to it takes the record back.
     * @throws IOException when the record cannot be written and forced; it is not in the log.
     */
    long append(final String payload) throws IOException
    {
        if (dirty)
        {
            truncate(end);
        }
        final ByteBuffer record = StandardCharsets.UTF_8.encode(encode(payload));
        final long start = end;
        final int length = record.remaining();
        try
        {
            long position = start;
            while (record.hasRemaining())
            {
                position += channel.write(record, position);
            }
            channel.force(true);
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            try
            {
                truncate(start);
            }
            catch (final IOException | RuntimeException | Error undo)
            {
                ex.addSuppressed(undo);
            }
            throw ex;
        }
        end = start + length;
        return start;
    }

    /**
     * Writer only: cut the log back to a length, e.g. to take back a record whose index change failed.
     *
     * @param length the new length, the end of a whole record.
     * @throws IOException when the file cannot be truncated; the next append tries again first.
     */
    void truncate(final long length) throws IOException
    {
        dirty = true;
        end = length;
        channel.truncate(length);
        channel.force(true);
        dirty = false;
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("cannot close the opt-out log: file={}", file, ex);
        }
    }

    /**
     * @param payload one JSON object, no line break.
     * @return its record, line break included.
     */
    public static String encode(final String payload)
    {
        if (payload.indexOf('\n') >= 0 || payload.indexOf('\r') >= 0)
        {
            throw new IllegalArgumentException("opt-out record must be one line: " + payload);
        }
        final CRC32C crc = new CRC32C();
        crc.update(payload.getBytes(StandardCharsets.UTF_8));
        return String.format(Locale.ROOT, "%08x", crc.getValue()) + ' ' + payload + '\n';
    }

    /**
     * Read a log's whole, verified records; any thread, no change to the file.
     *
     * @param file the log; a missing file holds nothing.
     * @return what it holds.
     * @throws IOException when it cannot be read.
     */
    public static Contents read(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return new Contents(List.of(), 0, 0, 0, 0);
        }
        final byte[] bytes = Files.readAllBytes(file);
        final List<String> records = new ArrayList<>();
        long validLength = 0;
        int invalidSinceValid = 0;
        int corrupt = 0;
        int oldFormat = 0;
        int lineStart = 0;
        for (int i = 0; i <= bytes.length; i++)
        {
            final boolean lineEnds = i < bytes.length && bytes[i] == '\n';
            final boolean unterminatedTail = i == bytes.length && lineStart < bytes.length;
            if (!lineEnds && !unterminatedTail)
            {
                continue;
            }
            final boolean old = bytes[lineStart] == '{';
            final String payload = lineEnds || old ? payload(bytes, lineStart, i) : null;
            if (payload != null)
            {
                records.add(payload);
                oldFormat += old || !verified(bytes, lineStart, i) ? 1 : 0;
                corrupt += invalidSinceValid;
                invalidSinceValid = 0;
                validLength = lineEnds ? i + 1 : i;
            }
            else if (lineEnds)
            {
                invalidSinceValid++;
            }
            lineStart = i + 1;
        }
        return new Contents(records, validLength, bytes.length - validLength, corrupt, oldFormat);
    }

    /**
     * The payload of a line: its own when whole; else the last whole record glued behind a torn one (what an append
     * after a torn line made of both before this log had checksums).
     */
    private static String payload(final byte[] bytes, final int start, final int end)
    {
        final boolean oldFormat = bytes[start] == '{';
        for (int from = start; from < end; from++)
        {
            if (verified(bytes, from, end))
            {
                return new String(bytes, from + HEADER_LENGTH, end - from - HEADER_LENGTH, StandardCharsets.UTF_8);
            }
            if (oldFormat && bytes[from] == '{')
            {
                final String json = new String(bytes, from, end - from, StandardCharsets.UTF_8);
                if (isJsonObject(json))
                {
                    return json;
                }
            }
        }
        return null;
    }

    private static boolean isHex(final byte[] bytes, final int from, final int end)
    {
        if (end - from <= HEADER_LENGTH || bytes[from + CRC_LENGTH] != ' ' || bytes[from + HEADER_LENGTH] != '{')
        {
            return false;
        }
        for (int i = from; i < from + CRC_LENGTH; i++)
        {
            final byte b = bytes[i];
            if (!(b >= '0' && b <= '9' || b >= 'a' && b <= 'f'))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean verified(final byte[] bytes, final int from, final int end)
    {
        if (!isHex(bytes, from, end))
        {
            return false;
        }
        final CRC32C crc = new CRC32C();
        crc.update(bytes, from + HEADER_LENGTH, end - from - HEADER_LENGTH);
        final long stored = Long.parseLong(new String(bytes, from, CRC_LENGTH, StandardCharsets.US_ASCII), 16);
        return stored == crc.getValue();
    }

    private static boolean isJsonObject(final String text)
    {
        try (JsonParser json = JSON.createParser(text))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                return false;
            }
            json.skipChildren();
            return json.nextToken() == null;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * Replace a log by its whole records in the current format: the original is kept beside it (a hard link, or a
     * copy), the new content written to a temporary file, forced, and renamed over it, so that a crash at any point
     * leaves either the old log or the new one.
     *
     * @return where the original is kept.
     */
    private static Path rewrite(final Path file, final List<String> records) throws IOException
    {
        final Path directory = file.getParent();
        final Path copy = directory.resolve(ORIGINAL_COPY_PREFIX + System.currentTimeMillis());
        try
        {
            Files.createLink(copy, file);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
            DurableFiles.ownerOnly(copy);
        }
        final StringBuilder text = new StringBuilder();
        for (final String record : records)
        {
            text.append(encode(record));
        }
        DurableFiles.replace(directory, file.getFileName().toString(), text.toString());
        return copy;
    }
}
