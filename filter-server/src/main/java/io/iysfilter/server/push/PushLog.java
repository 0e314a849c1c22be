package io.iysfilter.server.push;

import io.iysfilter.server.index.DurableFiles;

import io.iysfilter.server.index.IndexKey;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * The push log ({@code push.log} in the data directory): every valid pushed record, appended and forced to disk
 * before the push is answered 2xx, so an acknowledged push survives a crash that takes the index pages with it. A
 * line is {@code crc32 sealed}: the JSON record sealed with AES-256-GCM under a key derived from the data
 * directory's key file (nonce and ciphertext in base64), and the CRC (8 hex digits) over that text. A line that does
 * not open counts as corrupt. At start the log is read, a torn or
 * corrupt line dropped (counted), and its records replayed through the single writer; records older than the pull
 * feed's window are left out of the log then (the pull feed has served them since), so it holds about a week of
 * pushes. Not thread-safe: one thread appends.
 */
final class PushLog implements AutoCloseable
{
    /** The file's name in the data directory. */
    static final String FILE_NAME = "push.log";

    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] AAD = "iys-filter push v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final SecretKeySpec key;
    private FileChannel channel;

    /**
     * The records read at start.
     *
     * @param records the whole, intact records, oldest first.
     * @param dropped lines dropped: torn, corrupt.
     */
    record Contents(List<String> records, int dropped)
    {
    }

    /**
     * @param dataDirectory where the log lives.
     * @param indexKey      the data directory's key: each record is sealed (AES-256-GCM) under a key derived from it,
     *                      so no recipient is readable on disk, as in the opt-out logs.
     */
    PushLog(final Path dataDirectory, final IndexKey indexKey)
    {
        this.file = dataDirectory.resolve(FILE_NAME);
        final byte[] material = indexKey.derive("push-log");
        this.key = new SecretKeySpec(material, "AES");
        Arrays.fill(material, (byte)0);
    }

    /**
     * @return the log's intact records; a torn last line is cut off the file.
     * @throws IOException when it cannot be read.
     */
    Contents read() throws IOException
    {
        final List<String> records = new ArrayList<>();
        int dropped = 0;
        if (!Files.exists(file))
        {
            return new Contents(records, 0);
        }
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        int start = 0;
        while (start < text.length())
        {
            final int end = text.indexOf('\n', start);
            if (end < 0)
            {
                dropped++;
                break;
            }
            final String line = text.substring(start, end);
            start = end + 1;
            final String record = intact(line);
            if (record == null)
            {
                dropped++;
            }
            else
            {
                records.add(record);
            }
        }
        return new Contents(records, dropped);
    }

    /**
     * Write the log again with these records only, replacing it durably (temporary file, forced, moved).
     *
     * @param records the records to keep.
     * @throws IOException when it cannot be written.
     */
    void rewrite(final List<String> records) throws IOException
    {
        final Path temporary = file.resolveSibling(FILE_NAME + ".tmp");
        Files.deleteIfExists(temporary);
        ownerOnly(temporary);
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            final StringBuilder text = new StringBuilder();
            for (final String record : records)
            {
                line(text, record);
            }
            write(out, text);
            out.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // the rename must reach the disk before anything is appended and acknowledged: else a power cut can leave
        // the directory naming the old file, and every push acknowledged since would be lost with the new one
        if (channel != null)
        {
            // appends go to the file now named, never to the one replaced
            channel.close();
            channel = null;
        }
        DurableFiles.forceDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * Append records and force them to disk. When that fails, what was appended is cut off again.
     *
     * @param records JSON records, one line each.
     * @throws IOException when they cannot be written and forced.
     */
    void append(final List<String> records) throws IOException
    {
        if (records.isEmpty())
        {
            return;
        }
        if (channel == null)
        {
            ownerOnly(file);
            final FileChannel opened = FileChannel.open(file, StandardOpenOption.WRITE);
            try
            {
                // a file just created is found after a crash only once its directory entry is on disk: forced before
                // the first append is acknowledged, and again at the next append if this fails
                DurableFiles.forceDirectory(file.toAbsolutePath().getParent());
            }
            catch (final IOException | RuntimeException ex)
            {
                opened.close();
                throw ex;
            }
            channel = opened;
        }
        final long before = channel.size();
        final StringBuilder text = new StringBuilder();
        for (final String record : records)
        {
            line(text, record);
        }
        try
        {
            channel.position(before);
            write(channel, text);
            channel.force(false);
        }
        catch (final IOException ex)
        {
            try
            {
                channel.truncate(before);
            }
            catch (final IOException inner)
            {
                ex.addSuppressed(inner);
            }
            throw ex;
        }
    }

    /**
     * Create a file readable by its owner only (it names recipients), when it does not exist yet.
     *
     * @param path the file.
     * @throws IOException when it cannot be created.
     */
    static void ownerOnly(final Path path) throws IOException
    {
        if (Files.exists(path))
        {
            return;
        }
        try
        {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        catch (final UnsupportedOperationException ex)
        {
            Files.createFile(path);
        }
    }

    @Override
    public void close() throws IOException
    {
        if (channel != null)
        {
            channel.close();
            channel = null;
        }
    }

    private static void write(final FileChannel out, final CharSequence text) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining())
        {
            out.write(bytes);
        }
    }

    private void line(final StringBuilder text, final String record)
    {
        final String sealed = seal(record);
        text.append(String.format(Locale.ROOT, "%08x", crc(sealed))).append(' ').append(sealed).append('\n');
    }

    /**
     * @return the record, or null when the line is torn, corrupt or does not open under this key.
     */
    private String intact(final String line)
    {
        if (line.length() < 10 || line.charAt(8) != ' ')
        {
            return null;
        }
        final String sealed = line.substring(9);
        try
        {
            return Long.parseLong(line.substring(0, 8), 16) == crc(sealed) ? open(sealed) : null;
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }

    private String seal(final String record)
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        try
        {
            final Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(AAD);
            final byte[] sealed = cipher.doFinal(record.getBytes(StandardCharsets.UTF_8));
            final byte[] line = new byte[NONCE_LENGTH + sealed.length];
            System.arraycopy(nonce, 0, line, 0, NONCE_LENGTH);
            System.arraycopy(sealed, 0, line, NONCE_LENGTH, sealed.length);
            return Base64.getEncoder().encodeToString(line);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("cannot seal a push record", ex);
        }
    }

    private String open(final String sealed)
    {
        try
        {
            final byte[] bytes = Base64.getDecoder().decode(sealed);
            if (bytes.length <= NONCE_LENGTH)
            {
                return null;
            }
            final Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_LENGTH));
            cipher.updateAAD(AAD);
            return new String(cipher.doFinal(bytes, NONCE_LENGTH, bytes.length - NONCE_LENGTH),
                StandardCharsets.UTF_8);
        }
        catch (final IllegalArgumentException | GeneralSecurityException ex)
        {
            return null;
        }
    }

    private static long crc(final String record)
    {
        final CRC32 crc = new CRC32();
        crc.update(record.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }
}
