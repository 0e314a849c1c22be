package io.iysfilter.server.replication;

import io.iysfilter.server.index.DurableFiles;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Records a replica set aside, never applied: {@code <data-dir>/replica-quarantine.log}, one line each with the
 * partition, offset, reason and the record's key and value in hex (each cut to {@link #MAX_BYTES} bytes). The topic
 * holds protected keys, never a plain number or address, so the bytes can be kept whole. Bounded: past its cap the
 * file takes no more lines (the caller still counts every record); the first line refused says so.
 */
final class ReplicaQuarantine
{
    /** The file's name in the data directory. */
    static final String FILE = "replica-quarantine.log";
    /** Most bytes of a key or value written. */
    static final int MAX_BYTES = 1024;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final Path file;
    private final long maxBytes;
    private long size = -1;
    private boolean full;
    private boolean unforced;
    private boolean newFile;

    ReplicaQuarantine(final Path dataDirectory, final long maxBytes)
    {
        this.file = dataDirectory.resolve(FILE);
        this.maxBytes = maxBytes;
    }

    /**
     * @param partition the record's partition.
     * @param offset    its offset.
     * @param reason    why it is set aside.
     * @param key       its key, or null.
     * @param value     its value, or null.
     * @throws IOException when the file cannot be written.
     */
    void add(final int partition, final long offset, final String reason, final byte[] key, final byte[] value)
        throws IOException
    {
        if (size < 0)
        {
            size = Files.exists(file) ? Files.size(file) : 0;
        }
        if (full)
        {
            return;
        }
        final String line;
        if (size >= maxBytes)
        {
            full = true;
            line = Instant.now() + " quarantine full at " + maxBytes + " bytes: later records are counted " +
                "(iys_replication_quarantined_total) and logged, not written\n";
        }
        else
        {
            line = Instant.now() + " partition=" + partition + " offset=" + offset + " reason=" +
                reason.replace('\n', ' ') + " key=" + hex(key) + " value=" + hex(value) + "\n";
        }
        final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        final boolean created = size == 0 && !Files.exists(file);
        Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (created)
        {
            DurableFiles.ownerOnly(file);
            newFile = true;
        }
        size += bytes.length;
        unforced = true;
    }

    /**
     * Force what was added since the last force to the disk: called before the offsets past the records it names are
     * stored, so that a record set aside is never behind the stored offsets without its line.
     *
     * @throws IOException when the file cannot be forced.
     */
    void force() throws IOException
    {
        if (!unforced)
        {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        if (newFile)
        {
            DurableFiles.forceDirectory(file.getParent());
            newFile = false;
        }
        unforced = false;
    }

    static String hex(final byte[] bytes)
    {
        if (bytes == null)
        {
            return "null";
        }
        final int length = Math.min(bytes.length, MAX_BYTES);
        final StringBuilder text = new StringBuilder(2 * length + 16);
        for (int i = 0; i < length; i++)
        {
            text.append(HEX[(bytes[i] >> 4) & 0xf]).append(HEX[bytes[i] & 0xf]);
        }
        if (length < bytes.length)
        {
            text.append("…(").append(bytes.length).append(" bytes)");
        }
        return text.toString();
    }
}
