package io.iysfilter.server.replication;

import io.iysfilter.server.index.DurableFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A fetcher's mark on its data directory, {@code <data-dir>/fetcher.topic} (docs/REPLICATION.md §2): the topic it
 * publishes to and, once the whole index was committed to it, that topic's Kafka id.
 * <pre>
 * iys-filter.changes
 * published=Jm3xvQ5ZRaSx3Qf0Dk1q9A
 * imported=true
 * </pre>
 * {@code imported} says an offline import wrote the index since it was published. What a fetcher's start does with
 * it is {@link Republication}'s. Replaced durably, whole.
 */
public final class FetcherMarker
{
    /** The file's name in the data directory. */
    public static final String FILE = "fetcher.topic";
    private static final String PUBLISHED = "published=";
    private static final String IMPORTED = "imported=true";

    /**
     * What the file holds.
     *
     * @param topic     the topic the data directory's fetcher publishes to.
     * @param published the Kafka id of the topic the whole index was last committed to, or null.
     * @param imported  whether an offline import wrote the index since.
     */
    public record Marker(String topic, String published, boolean imported)
    {
    }

    private FetcherMarker()
    {
    }

    /**
     * @param dataDirectory a data directory.
     * @return its mark, or null when it is no fetcher's.
     * @throws IOException when the file cannot be read.
     */
    public static Marker read(final Path dataDirectory) throws IOException
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(dataDirectory.resolve(FILE), StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        String topic = null;
        String published = null;
        boolean imported = false;
        for (final String raw : lines)
        {
            final String line = raw.trim();
            if (line.startsWith(PUBLISHED))
            {
                published = line.substring(PUBLISHED.length());
            }
            else if (IMPORTED.equals(line))
            {
                imported = true;
            }
            else if (!line.isEmpty() && topic == null)
            {
                topic = line;
            }
        }
        return new Marker(topic, published == null || published.isEmpty() ? null : published, imported);
    }

    /**
     * Mark a data directory as a fetcher's of {@code topic}, keeping what was published to it when the topic is the
     * one named before.
     *
     * @param dataDirectory the data directory.
     * @param topic         the replication topic.
     * @throws IOException when the file cannot be read, written or forced.
     */
    public static void markFetcher(final Path dataDirectory, final String topic) throws IOException
    {
        final Marker old = read(dataDirectory);
        final boolean same = old != null && topic.equals(old.topic());
        write(dataDirectory, topic, same ? old.published() : null, same && old.imported());
    }

    /**
     * The whole index (as it was when the fetcher started, and everything after it) is committed to the topic of
     * this id.
     *
     * @param dataDirectory the data directory.
     * @param topic         the replication topic.
     * @param topicId       its Kafka id.
     * @throws IOException when the file cannot be written or forced.
     */
    public static void markPublished(final Path dataDirectory, final String topic, final String topicId)
        throws IOException
    {
        write(dataDirectory, topic, topicId, false);
    }

    /**
     * The index holds what the topic may not (an offline import is about to write it): the next fetcher start
     * publishes it whole. Does nothing to a directory that is no fetcher's.
     *
     * @param dataDirectory the data directory.
     * @return whether the directory is a fetcher's.
     * @throws IOException when the file cannot be read, written or forced.
     */
    public static boolean markUnpublished(final Path dataDirectory) throws IOException
    {
        final Marker old = read(dataDirectory);
        if (old == null)
        {
            return false;
        }
        write(dataDirectory, old.topic(), old.published(), true);
        return true;
    }

    private static void write(final Path dataDirectory, final String topic, final String published,
        final boolean imported) throws IOException
    {
        DurableFiles.replace(dataDirectory, FILE, topic + "\n" + (published == null ? "" :
            PUBLISHED + published + "\n") + (imported ? IMPORTED + "\n" : ""));
    }
}
