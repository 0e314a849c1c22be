package io.iysfilter.server.replication;

import io.iysfilter.server.index.DurableFiles;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A replica's place in the topic, {@code <data-dir>/replica.offsets}: the topic, its partition count, per partition
 * the next offset to read (every record before it applied to the index and forced), and the fetcher's newest feed
 * cursor per brand and source read up to there (for a fetcher fail-over). Replaced durably, whole, in one rename.
 * <pre>
 * topic=iys-filter.changes
 * topic.id=Jm3xvQ5ZRaSx3Qf0Dk1q9A
 * partitions=12
 * offset.0=1234
 * cursor.600001.HS=1700000000000 1700000000000_abc
 * frozen.brand.600002=partition+1+offset+7%3A+does+not+decode
 * frozen.partition.2=partition+2+offset+9%3A+does+not+decode
 * </pre>
 * A cursor line holds the acceptance time, a space, and the cursor URL-encoded. A frozen line names a brand, or a
 * partition (every brand in it), whose watermarks the replica no longer applies because a record of it was
 * quarantined (docs/REPLICATION.md §3.5), with the reason URL-encoded; it stays until the replica is rebuilt.
 * {@code topic.id} is the Kafka topic id the offsets were read from: a topic deleted and created again under the same
 * name has another id, and offsets of the old one say nothing about the new one (absent in files written before it
 * was kept: the next write adds it).
 */
final class ReplicaOffsets
{
    /** The file's name in the data directory. */
    static final String FILE = "replica.offsets";

    /**
     * A feed cursor the fetcher published.
     *
     * @param cursor     İYS's {@code after}.
     * @param acceptedMs when İYS last answered the source's end from it, or 0.
     */
    record Cursor(String cursor, long acceptedMs)
    {
    }

    /**
     * What the file held.
     *
     * @param topic      the topic, or null when there is no file.
     * @param topicId    the Kafka id of the topic the offsets were read from, or null when not known.
     * @param partitions the partition count, or 0 when there is no file.
     * @param offsets    partition to next offset.
     * @param cursors    {@code brand.SOURCE} to cursor.
     * @param frozenBrands     brand to why its watermarks are no longer applied.
     * @param frozenPartitions partition to why the watermarks of every brand in it are no longer applied.
     */
    record State(
        String topic,
        String topicId,
        int partitions,
        Map<Integer, Long> offsets,
        Map<String, Cursor> cursors,
        Map<Long, String> frozenBrands,
        Map<Integer, String> frozenPartitions)
    {
        boolean empty()
        {
            return topic == null;
        }
    }

    private ReplicaOffsets()
    {
    }

    /**
     * @param brand  İYS brand code.
     * @param source {@code HS} or {@code IYS}.
     * @return the key a cursor is kept under.
     */
    static String cursorKey(final long brand, final String source)
    {
        return brand + "." + source;
    }

    static State read(final Path dataDirectory) throws IOException
    {
        final Path file = dataDirectory.resolve(FILE);
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return new State(null, null, 0, Map.of(), Map.of(), Map.of(), Map.of());
        }
        String topic = null;
        String topicId = null;
        int partitions = 0;
        final Map<Integer, Long> offsets = new TreeMap<>();
        final Map<String, Cursor> cursors = new TreeMap<>();
        final Map<Long, String> frozenBrands = new TreeMap<>();
        final Map<Integer, String> frozenPartitions = new TreeMap<>();
        for (final String raw : lines)
        {
            final String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final int equals = line.indexOf('=');
            if (equals < 0)
            {
                throw bad(file, line, null);
            }
            final String name = line.substring(0, equals);
            final String value = line.substring(equals + 1);
            try
            {
                if ("topic".equals(name))
                {
                    topic = value;
                }
                else if ("topic.id".equals(name))
                {
                    topicId = value;
                }
                else if ("partitions".equals(name))
                {
                    partitions = Integer.parseInt(value);
                }
                else if (name.startsWith("offset."))
                {
                    final long offset = Long.parseLong(value);
                    if (offset < 0)
                    {
                        throw bad(file, line, null);
                    }
                    offsets.put(Integer.parseInt(name.substring("offset.".length())), offset);
                }
                else if (name.startsWith("cursor."))
                {
                    final int space = value.indexOf(' ');
                    cursors.put(name.substring("cursor.".length()), new Cursor(
                        URLDecoder.decode(value.substring(space + 1), StandardCharsets.UTF_8),
                        Long.parseLong(value.substring(0, space))));
                }
                else if (name.startsWith("frozen.brand."))
                {
                    frozenBrands.put(Long.parseLong(name.substring("frozen.brand.".length())),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
                }
                else if (name.startsWith("frozen.partition."))
                {
                    frozenPartitions.put(Integer.parseInt(name.substring("frozen.partition.".length())),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
                }
                else
                {
                    throw bad(file, line, null);
                }
            }
            catch (final NumberFormatException | IndexOutOfBoundsException ex)
            {
                throw bad(file, line, ex);
            }
        }
        if (topic == null || partitions < 1)
        {
            throw new IOException(file + ": no topic or partition count; the file is not a replica's offsets " +
                "(move it away to bootstrap the replica from the beginning of the topic)");
        }
        for (final int partition : offsets.keySet())
        {
            if (partition < 0 || partition >= partitions)
            {
                throw new IOException(file + ": offset of partition " + partition + " in a topic of " + partitions);
            }
        }
        return new State(topic, topicId, partitions, offsets, cursors, frozenBrands, frozenPartitions);
    }

    static void write(
        final Path dataDirectory,
        final String topic,
        final long[] offsets,
        final Map<String, Cursor> cursors) throws IOException
    {
        write(dataDirectory, topic, null, offsets, cursors, Map.of(), Map.of());
    }

    static void write(
        final Path dataDirectory,
        final String topic,
        final String topicId,
        final long[] offsets,
        final Map<String, Cursor> cursors,
        final Map<Long, String> frozenBrands,
        final Map<Integer, String> frozenPartitions) throws IOException
    {
        final StringBuilder text = new StringBuilder(64 + 24 * offsets.length)
            .append("# iys-filter replica offsets (docs/REPLICATION.md): each partition's next offset, every record ")
            .append("before it applied and forced\n")
            .append("topic=").append(topic).append('\n');
        if (topicId != null)
        {
            text.append("topic.id=").append(topicId).append('\n');
        }
        text.append("partitions=").append(offsets.length).append('\n');
        for (int partition = 0; partition < offsets.length; partition++)
        {
            text.append("offset.").append(partition).append('=').append(offsets[partition]).append('\n');
        }
        for (final Map.Entry<String, Cursor> cursor : new TreeMap<>(cursors).entrySet())
        {
            text.append("cursor.").append(cursor.getKey()).append('=').append(cursor.getValue().acceptedMs())
                .append(' ').append(URLEncoder.encode(cursor.getValue().cursor(), StandardCharsets.UTF_8))
                .append('\n');
        }
        for (final Map.Entry<Long, String> frozen : new TreeMap<>(frozenBrands).entrySet())
        {
            text.append("frozen.brand.").append(frozen.getKey()).append('=')
                .append(URLEncoder.encode(frozen.getValue(), StandardCharsets.UTF_8)).append('\n');
        }
        for (final Map.Entry<Integer, String> frozen : new TreeMap<>(frozenPartitions).entrySet())
        {
            text.append("frozen.partition.").append(frozen.getKey()).append('=')
                .append(URLEncoder.encode(frozen.getValue(), StandardCharsets.UTF_8)).append('\n');
        }
        DurableFiles.replace(dataDirectory, FILE, text.toString());
    }

    private static IOException bad(final Path file, final String line, final Throwable cause)
    {
        return new IOException(file + ": bad line '" + line + "' (expected: topic=, topic.id=, partitions=, " +
            "offset.<p>=<n>, cursor.<brand>.<source>=<accepted ms> <cursor>, frozen.brand.<brand>=<reason> or " +
            "frozen.partition.<p>=<reason>)", cause);
    }
}
