package io.iysfilter.server.optout;

import io.iysfilter.server.index.DurableFiles;
import io.iysfilter.server.index.IndexKey;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.AEADBadTagException;

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
 *   record  = crc SP sealed LF
 *   crc     = 8 lower-case hex digits: CRC32C of the sealed text's bytes
 *   sealed  = the payload (one JSON object) sealed with AES-256-GCM under the brand's opt-out key, bound to the
 *             brand and the record's line number ({@link OptOutSeal}), in base64
 * </pre>
 * A record is whole only when its line ends and its checksum matches: a failed append is truncated back to the last
 * whole record; a torn tail found at start (the process or machine died mid-append) is truncated then; a line whose
 * checksum does not match (the medium damaged it) is dropped, counted and the original kept as
 * {@code optouts.log.original-<epoch ms>}. A whole record that does not <em>open</em> (the key file is not the one
 * it was sealed under, or the file was edited: a record changed, moved to another line or brought from another
 * brand's log) is not a torn write: {@link #read} refuses the log with an {@link IOException} naming the line, and the
 * server does not start, since a refusal it cannot read could otherwise be answered ALLOW.
 * <p>
 * A log in a format before sealing (plain JSON behind the checksum, or one JSON object a line) is read and rewritten
 * sealed once, durably (temporary file, forced, renamed); no plain copy is kept unless lines had to be dropped.
 * <p>
 * Threading: an instance belongs to the single writer. {@link #read} may run on any thread (with its own
 * {@link OptOutSeal}) and never sees a record being appended: it stops at the last whole one.
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
    private final OptOutSeal seal;
    private final CRC32C crc = new CRC32C();
    private long end;
    private long lines;
    private long lastStart = -1;
    private long lastLines;
    private boolean dirty;

    /**
     * What a log holds.
     *
     * @param records     the payloads of its whole, verified records, in order, opened.
     * @param validLength bytes up to the end of the last whole record.
     * @param lines       lines up to there, whole records and dropped lines alike (the next record's line number).
     * @param tornBytes   bytes after it: a torn append.
     * @param corrupt     lines before it that are not a whole record (a checksum that does not match).
     * @param oldFormat   records in a format before sealing, or found glued behind a torn line.
     */
    public record Contents(List<String> records, long validLength, long lines, long tornBytes, int corrupt,
        int oldFormat)
    {
        /**
         * @return whether anything was dropped: a torn tail or corrupt lines.
         */
        public boolean repaired()
        {
            return tornBytes > 0 || corrupt > 0;
        }
    }

    private OptOutLog(final Path file, final FileChannel channel, final OptOutSeal seal, final long end,
        final long lines)
    {
        this.file = file;
        this.channel = channel;
        this.seal = seal;
        this.end = end;
        this.lines = lines;
    }

    /**
     * Writer only: open a brand's log for appending, repairing it first: a torn tail is truncated, a log with corrupt
     * lines or in a format before sealing is rewritten sealed, with its whole records only (the original kept beside
     * it when lines were dropped, see {@link #ORIGINAL_COPY_PREFIX}).
     *
     * @param directory the brand's directory.
     * @param seal      the brand's seal, for the writer thread.
     * @param recovered receives what the log held; may be null.
     * @return the open log.
     * @throws IOException when it cannot be read, opened or repaired, or a record does not open.
     */
    static OptOutLog open(final Path directory, final OptOutSeal seal, final Contents[] recovered) throws IOException
    {
        final Path file = directory.resolve(FILE_NAME);
        final Contents contents = read(file, seal);
        final boolean rewritten = contents.corrupt() > 0 || contents.oldFormat() > 0;
        if (rewritten)
        {
            final Path kept = rewrite(file, contents.records(), contents.corrupt() > 0, seal);
            LOG.warn("opt-out log rewritten sealed: file={}, records={}, oldFormat={}, corruptLinesDropped={}, " +
                "tornBytesDropped={}, originalKeptAs={}", file, contents.records().size(), contents.oldFormat(),
                contents.corrupt(), contents.tornBytes(), kept == null ? "(none)" : kept);
            if (kept != null && contents.oldFormat() > 0)
            {
                LOG.warn("the kept original of the opt-out log holds recipients in plain: check the dropped lines, " +
                    "then delete it: file={}", kept);
            }
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
            final long end = rewritten ? size : contents.validLength();
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
            return new OptOutLog(file, channel, seal, end, rewritten ? contents.records().size() : contents.lines());
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
        final ByteBuffer record = StandardCharsets.US_ASCII.encode(frame(seal.seal(lines, payload), crc));
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
        lastStart = start;
        lastLines = lines;
        lines++;
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
        final long linesThere = length == end ? lines : length == lastStart ? lastLines : linesBefore(length);
        end = length;
        lines = linesThere;
        lastStart = -1;
        channel.truncate(length);
        channel.force(true);
        dirty = false;
    }

    private long linesBefore(final long length) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        long count = 0;
        long position = 0;
        while (position < length)
        {
            buffer.clear().limit((int)Math.min(buffer.capacity(), length - position));
            final int read = channel.read(buffer, position);
            if (read < 0)
            {
                break;
            }
            for (int i = 0; i < read; i++)
            {
                count += buffer.get(i) == '\n' ? 1 : 0;
            }
            position += read;
        }
        return count;
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
     * The framing without the seal: the format of a log before sealing (and, whose payload is plain JSON, what a
     * test writes to make one).
     *
     * @param payload one line of text.
     * @return {@code crc SP payload LF}.
     */
    public static String encode(final String payload)
    {
        return frame(payload, new CRC32C());
    }

    private static String frame(final String text, final CRC32C crc)
    {
        if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0)
        {
            throw new IllegalArgumentException("opt-out record must be one line");
        }
        crc.reset();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return String.format(Locale.ROOT, "%08x", crc.getValue()) + ' ' + text + '\n';
    }

    /**
     * Read a log's whole, verified records and open them; any thread, no change to the file.
     *
     * @param file the log; a missing file holds nothing.
     * @param seal the brand's seal, for the calling thread.
     * @return what it holds.
     * @throws IOException when it cannot be read, or a whole record does not open (wrong key, or edited).
     */
    public static Contents read(final Path file, final OptOutSeal seal) throws IOException
    {
        if (!Files.exists(file))
        {
            return new Contents(List.of(), 0, 0, 0, 0, 0);
        }
        final byte[] bytes = Files.readAllBytes(file);
        final List<String> records = new ArrayList<>();
        long validLength = 0;
        long validLines = 0;
        long line = 0;
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
            final int from = lineEnds || old ? recordStart(bytes, lineStart, i) : -1;
            if (from >= 0)
            {
                final boolean plain = bytes[from] == '{' || bytes[from + HEADER_LENGTH] == '{';
                if (plain)
                {
                    final int body = bytes[from] == '{' ? from : from + HEADER_LENGTH;
                    records.add(new String(bytes, body, i - body, StandardCharsets.UTF_8));
                }
                else
                {
                    records.add(open(file, seal, line, new String(bytes, from + HEADER_LENGTH,
                        i - from - HEADER_LENGTH, StandardCharsets.US_ASCII)));
                }
                oldFormat += plain || from != lineStart ? 1 : 0;
                corrupt += invalidSinceValid;
                invalidSinceValid = 0;
                validLength = lineEnds ? i + 1 : i;
                validLines = line + 1;
            }
            else if (lineEnds)
            {
                invalidSinceValid++;
            }
            line++;
            lineStart = i + 1;
        }
        return new Contents(records, validLength, validLines, bytes.length - validLength, corrupt, oldFormat);
    }

    /**
     * {@link #read(Path, OptOutSeal)} with a seal made for the call.
     *
     * @param file      the log; a missing file holds nothing.
     * @param key       the key file's key.
     * @param brandCode the brand whose log it is.
     * @return what it holds.
     * @throws IOException when it cannot be read, or a whole record does not open (wrong key, or edited).
     */
    public static Contents read(final Path file, final IndexKey key, final long brandCode) throws IOException
    {
        return read(file, OptOutSeal.forBrand(key, brandCode));
    }

    private static String open(final Path file, final OptOutSeal seal, final long line, final String sealed)
        throws IOException
    {
        try
        {
            return seal.open(line, sealed);
        }
        catch (final AEADBadTagException ex)
        {
            throw new IOException("opt-out log record does not open: file=" + file + ", line=" + (line + 1) +
                ", brand=" + seal.brandCode() + " (" + ex.getMessage() + "). Its checksum matches, so this is no " +
                "torn write: the key file is not the one the log was written under, or the file was edited (a " +
                "record changed, moved to another line, or brought from another brand's log). Restore the key " +
                "file or the log from a backup (docs/SECURITY.md §6); the log is left as it is", ex);
        }
    }

    /**
     * Where a line's record starts: at the line when whole; else the last whole record glued behind a torn one (what
     * an append after a torn line made of both before this log had checksums). For a line in the format before
     * checksums (a bare JSON object), where that object starts.
     *
     * @return the offset, or -1 when the line holds no whole record.
     */
    private static int recordStart(final byte[] bytes, final int start, final int end)
    {
        final boolean oldFormat = bytes[start] == '{';
        for (int from = start; from < end; from++)
        {
            if (verified(bytes, from, end))
            {
                return from;
            }
            if (oldFormat && bytes[from] == '{' && isJsonObject(new String(bytes, from, end - from,
                StandardCharsets.UTF_8)))
            {
                return from;
            }
        }
        return -1;
    }

    private static boolean isHex(final byte[] bytes, final int from, final int end)
    {
        if (end - from <= HEADER_LENGTH || bytes[from + CRC_LENGTH] != ' ')
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
     * Replace a log by its whole records, sealed: when lines are dropped the original is kept beside it (a hard link,
     * or a copy); the new content is written to a temporary file, forced, and renamed over it, so that a crash at any
     * point leaves either the old log or the new one.
     *
     * @return where the original is kept, or null when it is not.
     */
    private static Path rewrite(final Path file, final List<String> records, final boolean keepOriginal,
        final OptOutSeal seal) throws IOException
    {
        final Path directory = file.getParent();
        Path copy = null;
        if (keepOriginal)
        {
            copy = directory.resolve(ORIGINAL_COPY_PREFIX + System.currentTimeMillis());
            try
            {
                Files.createLink(copy, file);
            }
            catch (final IOException | UnsupportedOperationException ex)
            {
                Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                DurableFiles.ownerOnly(copy);
            }
        }
        final StringBuilder text = new StringBuilder();
        final CRC32C crc = new CRC32C();
        for (int line = 0; line < records.size(); line++)
        {
            text.append(frame(seal.seal(line, records.get(line)), crc));
        }
        DurableFiles.replace(directory, file.getFileName().toString(), text.toString());
        return copy;
    }
}
