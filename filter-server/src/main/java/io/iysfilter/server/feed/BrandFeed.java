package io.iysfilter.server.feed;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.ingest.ConsentRecordParser;
import io.iysfilter.server.ingest.FlatJson;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Polls one brand's two feeds ({@code HS}, {@code IYS}) to their end. For each page: every record is validated and
 * published to the single writer (a bad one is quarantined, the rest still applied), then a barrier waits until the
 * writer has applied them all, and only then is the page's {@code after} persisted as the source's cursor. So a
 * crash at any instant loses no change, and a page applied twice changes nothing (the index is idempotent).
 * <p>
 * When both sources have reached their end in a poll that started at T, every movement İYS stored before
 * T − exclusion is applied: that is the brand's new watermark, set through the writer too.
 * One thread at a time.
 */
final class BrandFeed
{
    static final String[] SOURCES = {"HS", "IYS"};
    /** İYS serves the last 7 days; a cursor older than this (less a margin) cannot be continued. */
    static final long WINDOW_MS = 7L * 24 * 3600 * 1000 - 3600 * 1000;

    private final long brandCode;
    private final IysClient client;
    private final IngestPipeline pipeline;
    private final FeedFiles files;
    private final long exclusionMs;
    private final Runnable durability;
    private final ConsentRecordParser parser = new ConsentRecordParser();
    private final ConsentChange change = new ConsentChange();
    private final Outcomes outcomes = new Outcomes();
    private final AtomicLong quarantined = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong[] pages = {new AtomicLong(), new AtomicLong()};
    private final AtomicLong[] sourceWatermarkMs = {new AtomicLong(), new AtomicLong()};

    BrandFeed(
        final long brandCode,
        final IysClient client,
        final IngestPipeline pipeline,
        final FeedFiles files,
        final long exclusionMs,
        final Runnable durability)
    {
        this.durability = durability;
        this.brandCode = brandCode;
        this.client = client;
        this.pipeline = pipeline;
        this.files = files;
        this.exclusionMs = exclusionMs;
    }

    /**
     * Poll both sources to their end and advance the watermark.
     *
     * @return the new watermark, epoch ms.
     * @throws IOException          when İYS or the disk fails; cursors stay where the last applied page left them.
     * @throws InterruptedException when stopped.
     */
    long pollOnce() throws IOException, InterruptedException
    {
        final long startedMs = System.currentTimeMillis();
        for (int i = 0; i < SOURCES.length; i++)
        {
            final long drainStartedMs = System.currentTimeMillis();
            drain(SOURCES[i], pages[i]);
            sourceWatermarkMs[i].set(drainStartedMs - exclusionMs);
        }
        final long watermarkMs = startedMs - exclusionMs;
        await(pipeline.advanceWatermark(brandCode, watermarkMs));
        return watermarkMs;
    }

    private void drain(final String source, final AtomicLong pageCount) throws IOException, InterruptedException
    {
        String after = files.cursor(source);
        checkWithinWindow(source, after);
        while (true)
        {
            final byte[] body;
            try
            {
                body = client.changes(brandCode, source, after);
            }
            catch (final IysApiException ex)
            {
                if (after != null && ex.status() / 100 == 4 && ex.status() != 401 && ex.status() != 429)
                {
                    throw new CursorLostException("İYS refused the " + source + " cursor of brand " + brandCode +
                        ": " + ex.getMessage(), ex);
                }
                throw ex;
            }
            final Page page = applyPage(source, body);
            pageCount.incrementAndGet();
            if (page.records.isEmpty())
            {
                return;
            }
            quarantineFailures(source, page);
            if (page.after == null || page.after.equals(after))
            {
                return;
            }
            files.persistCursor(source, page.after);
            after = page.after;
        }
    }

    /**
     * Publish every valid record of a page to the writer and wait until all are applied and, per the durability
     * setting, on disk. The cursor is not touched.
     */
    Page applyPage(final String source, final byte[] body) throws IOException, InterruptedException
    {
        final Page page = publish(source, body);
        if (!page.records.isEmpty())
        {
            await(pipeline.barrier());
            final String storeFailure = outcomes.storeFailure.getAndSet(null);
            if (storeFailure != null)
            {
                outcomes.failures.clear();
                throw new IOException("the index could not take the page, it will be fetched again: " + storeFailure);
            }
            durability.run();
        }
        return page;
    }

    /**
     * İYS's cursors start with the epoch milliseconds of the movement they follow; one older than the feed's window
     * means movements in between may be gone.
     */
    private static void checkWithinWindow(final String source, final String after) throws CursorLostException
    {
        final int underscore = after == null ? -1 : after.indexOf('_');
        if (underscore == 13 && after.substring(0, 13).chars().allMatch(Character::isDigit))
        {
            final long cursorMs = Long.parseLong(after.substring(0, 13));
            if (System.currentTimeMillis() - cursorMs > WINDOW_MS)
            {
                throw new CursorLostException("the " + source + " cursor is older than İYS's 7-day window: " +
                    java.time.Instant.ofEpochMilli(cursorMs), null);
            }
        }
    }

    static final class Page
    {
        final List<Map<String, String>> records = new ArrayList<>();
        String after;
    }

    /**
     * Parse a page, publishing each valid record as it is read.
     */
    private Page publish(final String source, final byte[] body) throws IOException
    {
        final Page page = new Page();
        try (JsonParser json = IysClient.JSON.createParser(body))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("changes page is not a JSON object");
            }
            while (json.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = json.currentName();
                final JsonToken value = json.nextToken();
                if ("after".equals(name))
                {
                    page.after = value == JsonToken.VALUE_NULL ? null : json.getText();
                }
                else if ("list".equals(name) && value == JsonToken.START_ARRAY)
                {
                    while (json.nextToken() == JsonToken.START_OBJECT)
                    {
                        final Map<String, String> record = FlatJson.read(json);
                        page.records.add(record);
                        publish(source, record, page.records.size() - 1);
                    }
                }
                else
                {
                    json.skipChildren();
                }
            }
        }
        catch (final JsonParseException ex)
        {
            files.quarantine(source, "malformed JSON page: " + ex.getOriginalMessage(),
                new String(body, 0, Math.min(body.length, 2000), java.nio.charset.StandardCharsets.UTF_8));
            quarantined.incrementAndGet();
            throw new IOException("malformed JSON from İYS (quarantined): " + ex.getOriginalMessage(), ex);
        }
        return page;
    }

    private void publish(final String source, final Map<String, String> record, final int index) throws IOException
    {
        received.incrementAndGet();
        final String error = parser.parse(brandCode,
            record.getOrDefault("creationDate", ""), record.getOrDefault("transactionId", ""),
            record.getOrDefault("recipient", ""), record.getOrDefault("recipientType", ""),
            record.getOrDefault("type", ""), record.getOrDefault("status", ""),
            record.getOrDefault("consentDate", ""), record.getOrDefault("source", ""), change);
        if (error != null)
        {
            quarantined.incrementAndGet();
            files.quarantine(source, error, record.toString());
            return;
        }
        pipeline.publish(change, index, outcomes);
    }

    private void quarantineFailures(final String source, final Page page) throws IOException
    {
        Failure failure;
        while ((failure = outcomes.failures.poll()) != null)
        {
            quarantined.incrementAndGet();
            files.quarantine(source, "index refused: " + failure.reason, page.records.get((int)failure.tag)
                .toString());
        }
    }

    private static void await(final java.util.concurrent.CompletableFuture<Void> future)
        throws IOException, InterruptedException
    {
        try
        {
            future.get();
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("index writer failed", ex.getCause());
        }
    }

    /**
     * @return the persisted cursor of a source, or null (also when it cannot be read).
     */
    String cursor(final String source)
    {
        try
        {
            return files.cursor(source);
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * @param sourceIndex index in {@link #SOURCES}.
     * @return pages fetched from that source since start, empty ones included.
     */
    long pages(final int sourceIndex)
    {
        return pages[sourceIndex].get();
    }

    /**
     * @param sourceIndex index in {@link #SOURCES}.
     * @return seconds since the time up to which that source is applied (its last drain to the end, less İYS's
     * exclusion), or NaN before its first.
     */
    double sourceLagSeconds(final int sourceIndex)
    {
        final long watermarkMs = sourceWatermarkMs[sourceIndex].get();
        return watermarkMs == 0 ? Double.NaN : (System.currentTimeMillis() - watermarkMs) / 1000.0;
    }

    long received()
    {
        return received.get();
    }

    long applied()
    {
        return outcomes.applied.get();
    }

    long quarantined()
    {
        return quarantined.get();
    }

    private record Failure(long tag, String reason)
    {
    }

    /**
     * Told by the writer what became of each record.
     */
    private static final class Outcomes implements IngestListener
    {
        final AtomicLong applied = new AtomicLong();
        final AtomicLong superseded = new AtomicLong();
        final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
        /** The store could not take a record (disk full, I/O): the page fails and is retried, nothing quarantined. */
        final java.util.concurrent.atomic.AtomicReference<String> storeFailure =
            new java.util.concurrent.atomic.AtomicReference<>();

        @Override
        public void onApplied(final long tag)
        {
            applied.incrementAndGet();
        }

        @Override
        public void onSuperseded(final long tag)
        {
            superseded.incrementAndGet();
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            failures.add(new Failure(tag, reason));
        }

        @Override
        public void onStoreFailure(final long tag, final String reason)
        {
            storeFailure.compareAndSet(null, reason);
        }
    }
}
