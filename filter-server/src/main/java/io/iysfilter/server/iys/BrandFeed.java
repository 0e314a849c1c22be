package io.iysfilter.server.iys;

import io.iysfilter.server.logging.Recipients;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.logging.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Polls one brand's two feeds ({@code HS}, {@code IYS}) to their end. For each page: every record is validated and
 * published to the single writer (a bad one is quarantined, the rest still applied), then a barrier waits until the
 * writer has applied them all, and only then is the page's {@code after} persisted as the source's cursor. So a
 * crash at any instant loses no change, and a page applied twice changes nothing (the index is idempotent).
 * <p>
 * Each source is followed on its own: a failure or a lost cursor on one does not stop the other being polled and
 * applied. When both sources have reached their end in a poll that started at T, every movement İYS stored before
 * T − exclusion is applied: that is the brand's new watermark, set through the writer too. While a source's cursor
 * is lost the watermark does not move, as it would claim that source applied.
 * <p>
 * A cursor is judged by when İYS last <em>accepted</em> it, not by the age of the movement it follows: each answer
 * that reaches a source's end (an empty page) records its request time beside the cursor ({@link FeedFiles}). A
 * source that was quiet for days but polled all along is therefore current; one whose last acceptance is older than
 * İYS's window may have lost movements and is declared lost without asking İYS. A cursor İYS refuses
 * ({@link #refusesCursor}) is lost too. A lost cursor is offered to İYS again once every {@link #LOST_RETRY_MS}, not
 * every poll; if İYS takes it again while the last acceptance is still inside the window, nothing was missed and
 * the source resumes.
 * One thread at a time.
 */
final class BrandFeed
{
    static final String[] SOURCES = {"HS", "IYS"};
    /**
     * İYS serves the last 7 days; a cursor last accepted longer ago than this, less the exclusion (movements İYS
     * still withheld at that acceptance), may have movements behind it that left the window. An hour's margin.
     */
    static final long WINDOW_MS = 7L * 24 * 3600 * 1000 - 3600 * 1000;
    /** A lost cursor is offered to İYS again this often, not every poll. */
    static final long LOST_RETRY_MS = 3_600_000;
    /** The acceptance time on disk may lag the one in memory by this much: it needs hours' precision, not seconds'. */
    static final long ACCEPTED_WRITE_INTERVAL_MS = 60_000;
    /** İYS's published retry list (H-codes worth retrying whatever the HTTP status). */
    static final Set<String> RETRY_CODES =
        Set.of("H015", "H101", "H102", "H103", "H123", "H124", "H179", "H192", "H412", "H470");
    private static final Pattern AFTER_WORD = Pattern.compile("(?<![\\p{L}\\p{N}_])after(?![\\p{L}\\p{N}_])",
        Pattern.CASE_INSENSITIVE);
    /**
     * Most records one page may list: İYS serves at most 999 a page ({@code limit}); ten times that is refused as a
     * page that cannot be read rather than held.
     */
    static final int MAX_PAGE_RECORDS = 10 * FeedSettings.PAGE_SIZE_MAX;
    /** Most fields one record may have (İYS's have about a dozen). */
    static final int MAX_RECORD_FIELDS = 64;
    /** Longest record description or reason kept for the quarantine, and the most of a page's start quarantined. */
    static final int MAX_DESCRIPTION = 2000;
    /**
     * Feed pages are parsed with tighter limits than Jackson's defaults: no İYS field is longer than a few hundred
     * characters, so a string of 64 KiB is refused (the page quarantined) rather than held.
     */
    static final JsonFactory PAGES = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
        .maxStringLength(64 * 1024).build()).build();
    private static final Logger LOG = LoggerFactory.getLogger(BrandFeed.class);
    private static final LogLimiter UNREADABLE_LOG = LogLimiter.everyTenSeconds();

    /**
     * One page of İYS's change feed: {@code GET /sps/{iysCode}/brands/{brandCode}/consents/changes}. {@link IysClient}
     * in service, a stub in tests.
     */
    interface Changes
    {
        /**
         * @param brandCode the brand.
         * @param source    {@code HS} or {@code IYS}.
         * @param after     the cursor to continue from, or null for the start of İYS's window.
         * @param reader    reads the page's body as it arrives (on the calling thread).
         * @param <T>       what the reader makes of it.
         * @return what the reader returned.
         * @throws IysApiException      when İYS answers with an error status.
         * @throws IOException          when İYS cannot be reached or does not answer in time, or the reader fails.
         * @throws InterruptedException when interrupted.
         */
        <T> T changes(long brandCode, String source, String after, IysHttp.BodyReader<T> reader)
            throws IOException, InterruptedException;
    }

    private final long brandCode;
    private final Changes client;
    private final LongSupplier clock;
    private final IngestPipeline pipeline;
    private final FeedFiles files;
    private final CursorPublication publication;
    private final long exclusionMs;
    private final Runnable durability;
    private final ConsentRecordParser parser = new ConsentRecordParser();
    /** The changes of the page being read, reused from page to page. */
    private final List<ConsentChange> changes = new ArrayList<>();
    private final Outcomes outcomes = new Outcomes();
    private final AtomicLong quarantined = new AtomicLong();
    private final AtomicLong heldPages = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final Source[] sources = {new Source(SOURCES[0]), new Source(SOURCES[1])};

    /**
     * Why a source's cursor is judged lost.
     *
     * @param reason      what happened, for people.
     * @param code        İYS's H-code(s) in the refusal, or null when the cursor was judged by its age.
     * @param body        İYS's answer body, cut, or null.
     * @param sinceMs     when it was first judged lost.
     * @param nextRetryMs when it will be offered to İYS (or its age checked) again.
     */
    record Lost(String reason, String code, String body, long sinceMs, long nextRetryMs)
    {
    }

    /**
     * One source's progress. Written by the polling thread; the volatile fields are read by status and metrics.
     */
    private static final class Source
    {
        final String name;
        final AtomicLong pages = new AtomicLong();
        volatile boolean loaded;
        volatile String cursor;
        /** Request time of the last answer that reached this source's end from the cursor, or 0 when not known. */
        volatile long acceptedMs;
        long acceptedOnDiskMs;
        volatile long watermarkMs;
        volatile Lost lost;

        Source(final String name)
        {
            this.name = name;
        }
    }

    BrandFeed(
        final long brandCode,
        final Changes client,
        final IngestPipeline pipeline,
        final FeedFiles files,
        final long exclusionMs,
        final Runnable durability)
    {
        this(brandCode, client, pipeline, files, exclusionMs, durability, System::currentTimeMillis);
    }

    /**
     * @param publication where each cursor is published before it is persisted (a fetcher's topic), or
     *                    {@link CursorPublication#NONE}.
     */
    BrandFeed(
        final long brandCode,
        final Changes client,
        final IngestPipeline pipeline,
        final FeedFiles files,
        final long exclusionMs,
        final Runnable durability,
        final CursorPublication publication)
    {
        this(brandCode, client, pipeline, files, exclusionMs, durability, System::currentTimeMillis, publication);
    }

    /**
     * @param clock epoch milliseconds, e.g. {@code System::currentTimeMillis}; tests pass their own.
     */
    BrandFeed(
        final long brandCode,
        final Changes client,
        final IngestPipeline pipeline,
        final FeedFiles files,
        final long exclusionMs,
        final Runnable durability,
        final LongSupplier clock)
    {
        this(brandCode, client, pipeline, files, exclusionMs, durability, clock, CursorPublication.NONE);
    }

    /**
     * @param clock       epoch milliseconds.
     * @param publication where each cursor is published before it is persisted, or {@link CursorPublication#NONE}.
     */
    BrandFeed(
        final long brandCode,
        final Changes client,
        final IngestPipeline pipeline,
        final FeedFiles files,
        final long exclusionMs,
        final Runnable durability,
        final LongSupplier clock,
        final CursorPublication publication)
    {
        this.publication = publication;
        this.clock = clock;
        this.durability = durability;
        this.brandCode = brandCode;
        this.client = client;
        this.pipeline = pipeline;
        this.files = files;
        this.exclusionMs = exclusionMs;
    }

    /**
     * Poll each source to its end (a lost one only when its retry is due) and, when both are at their end, advance
     * the watermark.
     *
     * @return the new watermark, epoch ms, or 0 when a source's cursor is lost and the watermark stays.
     * @throws IOException          when İYS or the disk fails on a source (after the other was polled); cursors stay
     *                              where the last applied page left them.
     * @throws InterruptedException when stopped.
     */
    long pollOnce() throws IOException, InterruptedException
    {
        final long startedMs = clock.getAsLong();
        IOException failure = null;
        boolean complete = true;
        for (final Source source : sources)
        {
            final Lost lost = source.lost;
            if (lost != null)
            {
                if (startedMs - lost.nextRetryMs() < 0)
                {
                    complete = false;
                    continue;
                }
                // one try per LOST_RETRY_MS, whatever comes of it
                source.lost = new Lost(lost.reason(), lost.code(), lost.body(), lost.sinceMs(),
                    startedMs + LOST_RETRY_MS);
            }
            try
            {
                final long drainStartedMs = clock.getAsLong();
                drain(source);
                source.watermarkMs = drainStartedMs - exclusionMs;
                if (lost != null)
                {
                    LOG.info("İYS took the {} cursor of brand {} again within its window: the source resumes",
                        source.name, brandCode);
                    source.lost = null;
                }
            }
            catch (final CursorLostException ex)
            {
                complete = false;
                final long nowMs = clock.getAsLong();
                source.lost = new Lost(ex.getMessage(), ex.code(), ex.body(), lost == null ? nowMs : lost.sinceMs(),
                    nowMs + LOST_RETRY_MS);
                if (lost == null)
                {
                    LOG.error("İYS feed of brand {}: {} cursor LOST, the brand NEEDS RE-BOOTSTRAP: {}. The other " +
                        "source is still followed, the watermark stops (answers turn STALE past the freshness " +
                        "bound); the cursor is tried again hourly. See docs/OPERATIONS.md", brandCode, source.name,
                        ex.getMessage());
                }
                else
                {
                    LOG.warn("İYS feed of brand {}: {} cursor still lost: {}", brandCode, source.name,
                        ex.getMessage());
                }
            }
            catch (final IOException ex)
            {
                complete = false;
                if (failure == null)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        if (failure != null)
        {
            throw failure;
        }
        if (!complete)
        {
            return 0;
        }
        final long watermarkMs = startedMs - exclusionMs;
        await(pipeline.advanceWatermark(brandCode, watermarkMs));
        return watermarkMs;
    }

    /**
     * Whether İYS's error answer to a changes request that carried a cursor means İYS will not continue from that
     * cursor, so the source is lost. İYS documents no code for an unknown or expired {@code after}, so this takes
     * the conservative reading and keeps everything else retryable (backed off; the watermark stops meanwhile, so
     * the brand still fails closed by its freshness bound). True only when all of these hold:
     * <ul>
     *   <li>the status is a 4xx other than 401 (token), 403 (permission), 407, 408 (timeout) and 429 (rate limit):
     *   a 5xx, a timeout or a permission error says nothing about the cursor;</li>
     *   <li>no error carries a code from İYS's retry list ({@link #RETRY_CODES}, e.g. {@code 400 H123} "service
     *   busy");</li>
     *   <li>at least one error concerns the {@code after} parameter itself: its {@code location} starts with
     *   {@code after}, or, when it has no location, its message names {@code after} as a word.</li>
     * </ul>
     *
     * @param status the HTTP status.
     * @param errors the entries of İYS's error body.
     * @return whether the cursor is refused.
     */
    static boolean refusesCursor(final int status, final List<IysApiException.Error> errors)
    {
        if (status < 400 || status > 499 || status == 401 || status == 403 || status == 407 || status == 408 ||
            status == 429)
        {
            return false;
        }
        boolean aboutAfter = false;
        for (final IysApiException.Error error : errors)
        {
            if (RETRY_CODES.contains(error.code()))
            {
                return false;
            }
            aboutAfter |= error.location().isEmpty() ? AFTER_WORD.matcher(error.message()).find() :
                "after".equalsIgnoreCase(error.location().get(0));
        }
        return aboutAfter;
    }

    private void drain(final Source source) throws IOException, InterruptedException
    {
        load(source);
        String after = source.cursor;
        checkWithinWindow(source);
        while (true)
        {
            final long requestMs = clock.getAsLong();
            final Page page;
            try
            {
                page = client.changes(brandCode, source.name, after, this::readPage);
            }
            catch (final IysApiException ex)
            {
                if (after != null && refusesCursor(ex.status(), ex.errors()))
                {
                    throw new CursorLostException("İYS refused the " + source.name + " cursor of brand " +
                        brandCode + ": " + ex.getMessage(), ex.codes(), ex.body(), ex);
                }
                throw ex;
            }
            catch (final UnreadablePageException ex)
            {
                throw quarantine(source.name, ex);
            }
            apply(source.name, page);
            source.pages.incrementAndGet();
            if (page.records == 0)
            {
                accepted(source, after, requestMs);
                return;
            }
            if (page.held)
            {
                return;
            }
            if (page.after == null || page.after.equals(after))
            {
                return;
            }
            // the page is applied (applyPage's barrier): only now may the cursor move past it, published first
            // (a fetcher: committed to the topic with the page's changes), persisted here after that
            publication.publish(brandCode, source.name, page.after, source.acceptedMs);
            files.persist(source.name, page.after, source.acceptedMs);
            source.cursor = page.after;
            source.acceptedOnDiskMs = source.acceptedMs;
            after = page.after;
        }
    }

    private void load(final Source source) throws IOException
    {
        if (!source.loaded)
        {
            FeedFiles.Position position = files.position(source.name);
            // an elected fetcher resumes where the topic's cursors say (what the replicas have), not where its own
            // file says: a file ahead names changes the topic never committed, one behind missed another's term
            final CursorPublication.Resume topic = publication.resume(brandCode, source.name);
            if (topic != null && !Objects.equals(topic.cursor(), position.cursor()))
            {
                LOG.warn("İYS feed of brand {}: {} resumes from the cursor the replication topic holds ({}), not " +
                    "from its local file ({})", brandCode, source.name, topic.cursor() == null ?
                    "none: the start of İYS's window" : topic.cursor(), position.cursor());
                if (topic.cursor() == null)
                {
                    files.clear(source.name);
                }
                else
                {
                    files.persist(source.name, topic.cursor(), topic.acceptedMs());
                }
                position = new FeedFiles.Position(topic.cursor(), topic.cursor() == null ? 0 : topic.acceptedMs());
            }
            source.cursor = position.cursor();
            source.acceptedMs = position.acceptedMs();
            source.acceptedOnDiskMs = position.acceptedMs();
            source.loaded = true;
        }
    }

    /**
     * İYS answered the end of the source from {@code after}: nothing follows it but what İYS still withholds.
     * Recorded in memory, and on disk beside the cursor when the disk's copy is a minute or more behind.
     */
    private void accepted(final Source source, final String after, final long requestMs)
        throws IOException, InterruptedException
    {
        source.acceptedMs = requestMs;
        if (after != null && requestMs - source.acceptedOnDiskMs >= ACCEPTED_WRITE_INTERVAL_MS)
        {
            publication.publish(brandCode, source.name, after, requestMs);
            files.persist(source.name, after, requestMs);
            source.acceptedOnDiskMs = requestMs;
        }
    }

    /**
     * Read one page body and apply it: {@link #readPage}, then {@link #apply}. Package-private for the fuzz harness
     * ({@code FeedPageFuzzTest}), which drives the feed's own page handling through it.
     *
     * @param source {@code HS} or {@code IYS}.
     * @param body   the page's body.
     * @return the page, applied.
     * @throws IOException          when the body cannot be read (nothing of it applied), or the index cannot take
     *                              it; a page that can never be read is quarantined first.
     * @throws InterruptedException when interrupted.
     */
    Page applyPage(final String source, final InputStream body) throws IOException, InterruptedException
    {
        final Page page;
        try
        {
            page = readPage(body);
        }
        catch (final UnreadablePageException ex)
        {
            throw quarantine(source, ex);
        }
        apply(source, page);
        return page;
    }

    /**
     * A cursor last accepted longer ago than İYS's window (less the exclusion) may have movements behind it that are
     * gone: lost, without asking İYS. A cursor with no recorded acceptance (written before acceptance times were
     * kept, or during a first drain that did not reach the end) is judged by the epoch milliseconds İYS's cursors
     * start with, the creation time of the movement it follows, when it has them; otherwise İYS decides.
     */
    private void checkWithinWindow(final Source source) throws CursorLostException
    {
        final String after = source.cursor;
        if (after == null)
        {
            return;
        }
        long acceptedMs = source.acceptedMs;
        String what = "İYS last accepted the " + source.name + " cursor at ";
        if (acceptedMs == 0)
        {
            final int underscore = after.indexOf('_');
            if (underscore != 13 || !after.substring(0, 13).chars().allMatch(Character::isDigit))
            {
                return;
            }
            acceptedMs = Long.parseLong(after.substring(0, 13));
            what = "the " + source.name + " cursor has no recorded acceptance and follows a movement of ";
        }
        if (clock.getAsLong() - acceptedMs > WINDOW_MS - exclusionMs)
        {
            throw new CursorLostException(what + java.time.Instant.ofEpochMilli(acceptedMs) + ", longer ago " +
                "than İYS's 7-day window: movements since may be gone", null, null, null);
        }
    }

    /**
     * One page, read whole before anything of it is applied: its valid records as changes (reused from page to
     * page), the invalid ones with their reasons, and each record's description for the quarantine. Bounded: at most
     * {@link #MAX_PAGE_RECORDS} records, descriptions and reasons cut to {@link #MAX_DESCRIPTION}.
     */
    static final class Page
    {
        /** Records listed, valid or not. */
        int records;
        /** The page's {@code after}, or null. */
        String after;
        /** Whether the page, applied, is held: its cursor must stay before it (a RET from the future). */
        boolean held;
        private final List<ConsentChange> changes;
        private final List<String> descriptions = new ArrayList<>();
        private final List<String> statuses = new ArrayList<>();
        /** Per record: null when valid, else why not. */
        private final List<String> rejections = new ArrayList<>();
        private int valid;

        Page(final List<ConsentChange> changes)
        {
            this.changes = changes;
        }

        /**
         * @return records listed that passed validation.
         */
        int valid()
        {
            return valid;
        }

        /**
         * @param index a valid record's index among the valid ones.
         * @return its change.
         */
        ConsentChange change(final int index)
        {
            return changes.get(index);
        }

        private ConsentChange nextChange()
        {
            if (valid == changes.size())
            {
                changes.add(new ConsentChange());
            }
            return changes.get(valid);
        }
    }

    /**
     * A page that can never be read as it is: malformed JSON, a number, string or nesting over the parser's limits,
     * not a JSON object, more records than any page holds. Fetching it again would give the same; it is quarantined.
     */
    static final class UnreadablePageException extends IOException
    {
        private static final long serialVersionUID = 1L;
        private final String reason;
        private final String start;

        UnreadablePageException(final String reason, final String start, final Throwable cause)
        {
            super("unreadable page from İYS: " + reason, cause);
            this.reason = reason;
            this.start = start;
        }

        /**
         * @return what is wrong with it.
         */
        String reason()
        {
            return reason;
        }

        /**
         * @return the page's first bytes, as text.
         */
        String start()
        {
            return start;
        }
    }

    /**
     * Read a page body as it arrives, validating each record, and publish nothing: the page is applied by
     * {@link #apply} only once it has been read to its end, so a body cut short applies nothing and quarantines
     * nothing. Memory is bounded by the page's records, never its bytes: the body itself is not held.
     *
     * @param body the page's body.
     * @return the page.
     * @throws UnreadablePageException when the page can never be read (quarantined by the caller).
     * @throws IOException             when the body cannot be read to its end (a cut connection, a deadline, the size
     *                                 cap): the page is fetched again.
     */
    Page readPage(final InputStream body) throws IOException
    {
        final PageStart start = new PageStart(body);
        final Page page = new Page(changes);
        try (JsonParser json = PAGES.createParser(start))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                throw new UnreadablePageException("changes page is not a JSON object", start.text(), null);
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
                        if (page.records == MAX_PAGE_RECORDS)
                        {
                            throw new UnreadablePageException("the page lists more than " + MAX_PAGE_RECORDS +
                                " records", start.text(), null);
                        }
                        read(page, FlatJson.read(json, MAX_RECORD_FIELDS));
                    }
                }
                else
                {
                    json.skipChildren();
                }
            }
        }
        catch (final JsonProcessingException ex)
        {
            // JsonParseException (syntax, a premature end) and StreamConstraintsException (a number, string or
            // nesting over the limits) alike: the same bytes would fail the same way
            throw new UnreadablePageException(ex.getOriginalMessage(), start.text(), ex);
        }
        return page;
    }

    private void read(final Page page, final Map<String, String> record)
    {
        page.records++;
        final String status = record.getOrDefault("status", "");
        final String error = parser.parse(brandCode,
            record.getOrDefault("creationDate", ""), record.getOrDefault("transactionId", ""),
            record.getOrDefault("recipient", ""), record.getOrDefault("recipientType", ""),
            record.getOrDefault("type", ""), status,
            record.getOrDefault("consentDate", ""), record.getOrDefault("source", ""),
            record.getOrDefault("retailerCode", ""), record.getOrDefault("retailerAccess", ""), page.nextChange());
        page.descriptions.add(cut(record.toString()));
        page.statuses.add("RET".equals(status) ? "RET" : "ONAY".equals(status) ? "ONAY" : "");
        page.rejections.add(error == null ? null : cut(error));
        if (error == null)
        {
            page.valid++;
        }
    }

    /**
     * Apply a page read whole: quarantine its invalid records, publish its valid ones to the writer and wait until
     * all are applied and, per the durability setting, on disk; then set aside what the writer refused, or hold the
     * page ({@link Page#held}, see quarantineFailures). The cursor is not touched.
     *
     * @param source {@code HS} or {@code IYS}.
     * @param page   a page {@link #readPage} read to its end.
     * @throws IOException          when the index cannot take it (it is fetched again).
     * @throws InterruptedException when interrupted.
     */
    void apply(final String source, final Page page) throws IOException, InterruptedException
    {
        received.addAndGet(page.records);
        int valid = 0;
        for (int i = 0; i < page.records; i++)
        {
            final String rejection = page.rejections.get(i);
            if (rejection != null)
            {
                quarantined.incrementAndGet();
                files.quarantine(source, rejection, page.descriptions.get(i));
            }
            else
            {
                pipeline.publish(page.change(valid++), i, outcomes);
            }
        }
        if (valid > 0)
        {
            await(pipeline.barrier());
            final String storeFailure = outcomes.storeFailure.getAndSet(null);
            if (storeFailure != null)
            {
                outcomes.failures.clear();
                throw new IOException("the index could not take the page, it will be fetched again: " + storeFailure);
            }
            durability.run();
            page.held = quarantineFailures(source, page);
        }
    }

    /**
     * Set a page that can never be read aside: written to the quarantine with its start, counted and logged. The
     * cursor stays before it, as for any page that fails: the source retries it after the usual back-off.
     *
     * @return the failure to throw.
     */
    private IOException quarantine(final String source, final UnreadablePageException ex) throws IOException
    {
        quarantined.incrementAndGet();
        files.quarantine(source, "malformed JSON page: " + ex.reason(), ex.start());
        final long suppressed = UNREADABLE_LOG.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.error("İYS feed of brand {}: {} page cannot be read, quarantined; its cursor stays before it and " +
                "the page is fetched again after the back-off (nothing of it is applied): {}, suppressedSinceLast={}",
                brandCode, source, ex.reason(), suppressed);
        }
        return new IOException("malformed JSON from İYS (quarantined): " + ex.reason(), ex);
    }

    private static String cut(final String text)
    {
        return text.length() <= MAX_DESCRIPTION ? text : text.substring(0, MAX_DESCRIPTION) + "…";
    }

    /**
     * The body as it is read, keeping its first bytes for the quarantine.
     */
    private static final class PageStart extends FilterInputStream
    {
        private final byte[] start = new byte[MAX_DESCRIPTION];
        private int length;

        PageStart(final InputStream body)
        {
            super(body);
        }

        @Override
        public int read() throws IOException
        {
            final int next = super.read();
            if (next >= 0 && length < start.length)
            {
                start[length++] = (byte)next;
            }
            return next;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int count) throws IOException
        {
            final int read = super.read(bytes, offset, count);
            if (read > 0 && length < start.length)
            {
                final int kept = Math.min(read, start.length - length);
                System.arraycopy(bytes, offset, start, length, kept);
                length += kept;
            }
            return read;
        }

        String text()
        {
            return new String(start, 0, length, StandardCharsets.UTF_8);
        }
    }

    /**
     * Set aside the records of an applied page that the writer refused, except a RET from the future: setting that
     * one aside would lose a citizen's refusal (the feed moves on and never returns to it), so the page is held
     * instead. Its cursor stays before it, the next poll fetches it again (the records already applied are then
     * superseded), and the RET is applied once this server's clock reaches its creationDate. Meanwhile the brand's
     * as-of time does not move, so its answers turn STALE (DENY) past the freshness bound rather than ALLOW on a
     * refusal we were sent. An ONAY from the future is set aside: losing it can only deny.
     *
     * @return whether the page is held.
     */
    private boolean quarantineFailures(final String source, final Page page) throws IOException
    {
        boolean held = false;
        Failure failure;
        while ((failure = outcomes.failures.poll()) != null)
        {
            final String record = page.descriptions.get((int)failure.tag);
            if (failure.future && "RET".equals(page.statuses.get((int)failure.tag)))
            {
                held = true;
                LOG.error("İYS feed of brand {}: {} holds its cursor before a RET from the future, which it will " +
                    "apply once this server's clock reaches it; check the clock (NTP). {}: {}", brandCode, source,
                    failure.reason, Recipients.maskText(record.toString()));
                continue;
            }
            quarantined.incrementAndGet();
            files.quarantine(source, "index refused: " + failure.reason, record);
        }
        if (held)
        {
            heldPages.incrementAndGet();
        }
        return held;
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
     * @param sourceIndex index in {@link #SOURCES}.
     * @return the source's cursor (persisted), or null before it has one.
     */
    String cursor(final int sourceIndex)
    {
        final Source source = sources[sourceIndex];
        if (!source.loaded)
        {
            try
            {
                return files.position(source.name).cursor();
            }
            catch (final IOException ex)
            {
                return null;
            }
        }
        return source.cursor;
    }

    /**
     * @param source {@code HS} or {@code IYS}.
     * @return the source's cursor (persisted), or null before it has one.
     */
    String cursor(final String source)
    {
        return cursor(SOURCES[0].equals(source) ? 0 : 1);
    }

    /**
     * @param sourceIndex index in {@link #SOURCES}.
     * @return when İYS last answered the source's end from its cursor, epoch ms, or 0 when not known.
     */
    long acceptedMs(final int sourceIndex)
    {
        return sources[sourceIndex].acceptedMs;
    }

    /**
     * @param sourceIndex index in {@link #SOURCES}.
     * @return why the source's cursor is lost, or null while it is followed.
     */
    Lost lost(final int sourceIndex)
    {
        return sources[sourceIndex].lost;
    }

    /**
     * @return whether a source's cursor is lost.
     */
    boolean anyLost()
    {
        return sources[0].lost != null || sources[1].lost != null;
    }

    /**
     * @param sourceIndex index in {@link #SOURCES}.
     * @return pages fetched from that source since start, empty ones included.
     */
    long pages(final int sourceIndex)
    {
        return sources[sourceIndex].pages.get();
    }

    /**
     * @param sourceIndex index in {@link #SOURCES}.
     * @return seconds since the time up to which that source is applied (its last drain to the end, less İYS's
     * exclusion), or NaN before its first.
     */
    double sourceLagSeconds(final int sourceIndex)
    {
        final long watermarkMs = sources[sourceIndex].watermarkMs;
        return watermarkMs == 0 ? Double.NaN : (clock.getAsLong() - watermarkMs) / 1000.0;
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

    /**
     * @return pages held because the writer refused a RET in them as from the future (see quarantineFailures).
     */
    long heldPages()
    {
        return heldPages.get();
    }

    /**
     * A record the writer refused.
     *
     * @param tag    its index in the page.
     * @param reason why.
     * @param future whether it was refused as from the future (a clock behind İYS's, or a bad date).
     */
    private record Failure(long tag, String reason, boolean future)
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
            failures.add(new Failure(tag, reason, false));
        }

        @Override
        public void onFromTheFuture(final long tag, final String reason)
        {
            failures.add(new Failure(tag, reason, true));
        }

        @Override
        public void onStoreFailure(final long tag, final String reason)
        {
            storeFailure.compareAndSet(null, reason);
        }
    }
}
