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
 * </pre>
 * A fetcher starting against a topic whose id is not the one named (no line: a standalone server's index becoming a
 * fetcher's, an import since; another id: the topic was created again) publishes its whole index before its feeds
 * resume. Replaced durably, whole.
 */
public final class FetcherMarker
{
    /** The file's name in the data directory. */
    public static final String FILE = "fetcher.topic";
    private static final String PUBLISHED = "published=";

    /**
     * What the file holds.
     *
     * @param topic     the topic the data directory's fetcher publishes to.
     * @param published the Kafka id of the topic the whole index was last committed to, or null.
     */
    public record Marker(String topic, String published)
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
        for (final String raw : lines)
        {
            final String line = raw.trim();
            if (line.startsWith(PUBLISHED))
            {
                published = line.substring(PUBLISHED.length());
            }
            else if (!line.isEmpty() && topic == null)
            {
                topic = line;
            }
        }
        return new Marker(topic, published == null || published.isEmpty() ? null : published);
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
        write(dataDirectory, topic, old != null && topic.equals(old.topic()) ? old.published() : null);
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
        write(dataDirectory, topic, topicId);
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
        write(dataDirectory, old.topic(), null);
        return true;
    }

    private static void write(final Path dataDirectory, final String topic, final String published)
        throws IOException
    {
        DurableFiles.replace(dataDirectory, FILE, topic + "\n" + (published == null ? "" :
            PUBLISHED + published + "\n"));
    }
}
