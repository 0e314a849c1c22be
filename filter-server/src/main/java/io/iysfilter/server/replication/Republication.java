package io.iysfilter.server.replication;

import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.ingest.IngestPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Publishing a fetcher's existing index (docs/REPLICATION.md §2, "Publishing an existing index"). At each takeover,
 * once the topic was read to its end into the index and before the feeds resume, every consent of every brand and
 * each brand's watermark are handed to the term's tap on the single writer's thread when the topic lacks what the
 * index holds:
 * <ul>
 *   <li>the data directory's {@link FetcherMarker} says imported (an offline import since, or a republication not
 *   finished): republished. Safe over a topic holding records: the index has just read them, so each key holds
 *   the newer of the topic's and its own in İYS order, never an older value to be kept last by compaction;</li>
 *   <li>it names no id or another (a standalone server's index becoming a fetcher's, a topic deleted and created
 *   again) and the topic is empty: republished;</li>
 *   <li>otherwise nothing is published, and with a topic that holds records the marker takes its id: the index
 *   holds everything the topic holds.</li>
 * </ul>
 * The intent is marked before the walk; once the topic has committed it all, the marker names the topic's id.
 */
public final class Republication
{
    private static final Logger LOG = LoggerFactory.getLogger(Republication.class);

    /**
     * What a start did.
     *
     * @param consents   consents handed over (0 when nothing was needed).
     * @param watermarks watermarks handed over.
     * @param committed  completes once the topic committed them all and the marker says so; exceptionally when it
     *                   did not (the next start publishes them again).
     */
    public record Outcome(long consents, long watermarks, CompletableFuture<Void> committed)
    {
    }

    private Republication()
    {
    }

    /**
     * Publish the index when the topic lacks it; call at a takeover, once the topic was read to its end into the
     * index and the writer's tap is the new term's publisher's, before anything else is handed to it (the opt-out
     * logs' replay, the feeds): whether the topic is empty is read first. Returns once everything is handed over;
     * the commit is awaited in the background.
     *
     * @param dataDirectory the fetcher's data directory.
     * @param publisher     its publisher, or null when the server is not a fetcher (nothing to do).
     * @param store         the index.
     * @param pipeline      the single writer, whose tap is the publisher's.
     * @return what was handed over.
     * @throws IOException when the marker cannot be read or the walk fails.
     */
    public static Outcome ifNeeded(final Path dataDirectory, final FetcherPublisher publisher,
        final ConsentStore store, final IngestPipeline pipeline) throws IOException
    {
        if (publisher == null)
        {
            return new Outcome(0, 0, CompletableFuture.completedFuture(null));
        }
        final String topic = publisher.topic();
        final String topicId = publisher.topicId();
        final FetcherMarker.Marker marker = FetcherMarker.read(dataDirectory);
        final boolean ours = marker != null && topic.equals(marker.topic()) && topicId.equals(marker.published());
        if (ours && !marker.imported())
        {
            return new Outcome(0, 0, CompletableFuture.completedFuture(null));
        }
        final boolean imported = marker != null && marker.imported();
        if (!imported && !TopicIds.isEmpty(publisher.adminConfig(), topic))
        {
            // a takeover reads the topic to its end into this index first: the index holds everything the topic
            // holds (a standby's index is the topic's), so there is nothing of the topic's to publish again. An
            // index this directory held before it joined the fleet is not published by this: import it
            // (imported=true, below) or reconcile its brands on the active fetcher
            FetcherMarker.markPublished(dataDirectory, topic, topicId);
            LOG.info("fetcher index follows topic {} (id {}): read to its end before taking office, nothing to " +
                "republish", topic, topicId);
            return new Outcome(0, 0, CompletableFuture.completedFuture(null));
        }
        // an import since (the takeover read the topic to its end into the index first, so each key holds the newer
        // of the topic's and the import's record in İYS order: what is published is never older than what the topic
        // has), or an empty topic (a standalone index becoming a fetcher's, a topic created again)
        LOG.warn("republishing this fetcher's index to topic {} (id {}): {}", topic, topicId, ours ?
            "an offline import wrote the index since it was published" : marker == null ||
            marker.published() == null ? "it was never published whole (a standalone index becoming a fetcher's)" :
            "the topic was created again (the index was published to topic id " + marker.published() + ")");
        if (!imported)
        {
            // the intent first, durably: a walk cut short (the term ended, the process died) leaves some of it
            // committed, so the topic is no longer empty, and only this mark makes the next takeover publish again
            FetcherMarker.markUnpublished(dataDirectory);
        }
        final ChangeTap tap = publisher.tap();
        final long term = pipeline.tapTerm();
        final long[] counts = walk(store, pipeline, tap);
        final long consents = counts[0];
        final long skipped = counts[2];
        LOG.info("republication: {} consents and {} watermarks handed to the publisher{}", consents, counts[1],
            skipped == 0 ? "" : "; " + skipped + " damaged brands left out (republished at a start after repair)");
        final CompletableFuture<Void> committed = pipeline.published(term).thenRunAsync(() ->
        {
            if (skipped > 0)
            {
                return;
            }
            try
            {
                FetcherMarker.markPublished(dataDirectory, topic, topicId);
                LOG.info("republication committed: {} consents on topic {} (id {})", consents, topic, topicId);
            }
            catch (final IOException ex)
            {
                LOG.error("republication committed, but the mark could not be written (the next start republishes " +
                    "again): {}", ex.toString());
                throw new IllegalStateException(ex);
            }
        });
        committed.whenComplete((ignored, error) ->
        {
            if (error != null)
            {
                LOG.error("republication not committed: {}; the next start of this fetcher publishes the index again",
                    error.toString());
            }
        });
        return new Outcome(consents, counts[1], committed);
    }

    /**
     * On the writer's thread: every consent and watermark of every brand whose maps are open handed to {@code tap}.
     *
     * @return consents, watermarks, and damaged brands left out.
     */
    private static long[] walk(final ConsentStore store, final IngestPipeline pipeline, final ChangeTap tap)
        throws IOException
    {
        final long[] counts = new long[3];
        try
        {
            // on the writer's thread: nothing changes the maps while they are walked, and the tap's one producer
            pipeline.runOnWriter(index ->
            {
                for (final BrandIndex brand : store.brands())
                {
                    if (!brand.holdsMaps())
                    {
                        counts[2]++;
                        continue;
                    }
                    counts[0] += brand.forEachConsent(tap::onChange);
                    if (brand.watermarkMs() > 0)
                    {
                        tap.onWatermark(brand.brandCode(), brand.watermarkMs());
                        counts[1]++;
                    }
                }
                return null;
            }).get();
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("cannot walk the index to republish it: " + ex.getCause(), ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted republishing the index", ex);
        }
        return counts;
    }
}
