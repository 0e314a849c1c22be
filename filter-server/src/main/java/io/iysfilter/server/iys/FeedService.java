package io.iysfilter.server.iys;

import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Follows İYS's change feed for every configured brand of every configured service provider: one poll loop per
 * brand on a small scheduled pool, so a slow or failing brand delays no other. A brand without an index gets one.
 * After a failure the brand backs off exponentially with jitter (honouring Retry-After), up to the poll interval
 * × 16; its watermark stops advancing, so its commercial answers become STALE once past the freshness bound. A
 * source whose cursor is lost puts the brand in NEEDS_REBOOTSTRAP: the other source is still polled and applied,
 * the lost one is tried again hourly, the watermark stops.
 * <p>
 * A fetcher's feeds are made {@link #paused} and follow İYS only between {@link #resume} and {@link #pause}, while it
 * is the elected fetcher (docs/REPLICATION.md §4); each term reads every brand's cursors anew.
 */
public final class FeedService implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(FeedService.class);
    private static final long MIN_BACKOFF_MS = 1_000;

    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final Map<Long, FeedSettings> brandProviders = new LinkedHashMap<>();
    private final Map<Long, IysClient> brandClients = new HashMap<>();
    /** Per brand, what the terms before the current one counted (a fetcher follows İYS only while elected). */
    private final Map<Long, Totals> totals = new ConcurrentHashMap<>();
    /** The current term's followers; empty while paused. */
    private final Map<Long, Follower> followers = new ConcurrentHashMap<>();
    /** Per brand, who waits for a poll while paused: answered by the next term's. */
    private final Map<Long, CompletableFuture<Void>> pendingPolls = new HashMap<>();
    private final Map<Long, CompletableFuture<Void>> pendingAttempts = new HashMap<>();
    private ScheduledExecutorService scheduler;

    /**
     * Status of one followed brand.
     *
     * @param brandCode      the brand.
     * @param state          FOLLOWING after a complete poll, STARTING before the first, BACKING_OFF after a failure,
     *                       NEEDS_REBOOTSTRAP while a source's cursor is lost (see {@link SourceStatus}).
     * @param watermarkMs    time up to which the feed is applied.
     * @param lastPollMs     when the last complete poll finished, or 0.
     * @param lastError      the last failure, or null.
     * @param completedPolls complete polls since start.
     * @param received       records received since start.
     * @param quarantined    records quarantined since start.
     * @param sources        per source (HS, IYS), in that order.
     */
    public record BrandStatus(
        long brandCode,
        String state,
        long watermarkMs,
        long lastPollMs,
        String lastError,
        long completedPolls,
        long received,
        long quarantined,
        Map<String, SourceStatus> sources)
    {
    }

    /**
     * Status of one source of a followed brand's feed.
     *
     * @param state       FOLLOWING, or CURSOR_LOST when İYS refused its cursor or last accepted it longer ago than
     *                    its 7-day window.
     * @param cursor      the persisted {@code after}, null where none yet.
     * @param acceptedMs  when İYS last answered the source's end from its cursor, or 0 when not known.
     * @param lostReason  why the cursor is lost, or null.
     * @param lostCode    İYS's H-code(s) in its refusal, or null (also when judged by age).
     * @param lostBody    İYS's answer body in its refusal, cut, or null.
     * @param lostSinceMs when the cursor was first judged lost, or 0.
     * @param nextRetryMs when a lost cursor is next offered to İYS (hourly), or 0.
     */
    public record SourceStatus(
        String state,
        String cursor,
        long acceptedMs,
        String lostReason,
        String lostCode,
        String lostBody,
        long lostSinceMs,
        long nextRetryMs)
    {
    }

    /**
     * Resolve each provider's brands, create the missing brand indexes and start polling.
     *
     * @param providers the service providers and brands to follow.
     * @param store     the index.
     * @param pipeline  the single writer.
     * @throws IOException when a provider's brands cannot be listed or an index cannot be created.
     */
    public FeedService(final List<FeedSettings> providers, final ConsentStore store, final IngestPipeline pipeline)
        throws IOException
    {
        this(providers, store, pipeline, CursorPublication.NONE);
    }

    /**
     * Resolve each provider's brands, create the missing brand indexes and start polling, publishing each cursor
     * before it is persisted (a fetcher).
     *
     * @param providers   the service providers and brands to follow.
     * @param store       the index.
     * @param pipeline    the single writer.
     * @param publication where cursors are published first; {@link CursorPublication#NONE} for a standalone server.
     * @throws IOException when a provider's brands cannot be listed or an index cannot be created.
     */
    public FeedService(final List<FeedSettings> providers, final ConsentStore store, final IngestPipeline pipeline,
        final CursorPublication publication) throws IOException
    {
        this(providers, store, pipeline, publication, true);
    }

    /**
     * Resolve each provider's brands and create the missing brand indexes, following nothing until
     * {@link #resume}: a fetcher follows İYS only while it is the elected one (docs/REPLICATION.md §4).
     *
     * @param providers the service providers and brands to follow.
     * @param store     the index.
     * @param pipeline  the single writer.
     * @return the feeds, paused.
     * @throws IOException when a provider's brands cannot be listed or an index cannot be created.
     */
    public static FeedService paused(final List<FeedSettings> providers, final ConsentStore store,
        final IngestPipeline pipeline) throws IOException
    {
        return new FeedService(providers, store, pipeline, CursorPublication.NONE, false);
    }

    private FeedService(final List<FeedSettings> providers, final ConsentStore store, final IngestPipeline pipeline,
        final CursorPublication publication, final boolean follow) throws IOException
    {
        this.store = store;
        this.pipeline = pipeline;
        final HttpClient http = HttpClient.newBuilder().connectTimeout(IysClient.TIMEOUT).build();
        final Map<String, Tokens> logins = new HashMap<>();
        for (final FeedSettings provider : providers)
        {
            final Tokens tokens = logins.computeIfAbsent(provider.baseUrl() + "\0" + provider.username(),
                (login) -> new Tokens(provider, http));
            final IysClient client = new IysClient(provider, tokens, http);
            for (final long brand : provider.brands().isEmpty() ? listBrands(client, provider) : provider.brands())
            {
                if (brandProviders.put(brand, provider) != null)
                {
                    throw new IllegalArgumentException("brand " + brand + " is followed twice (iysCode " +
                        provider.iysCode() + " and another)");
                }
                brandClients.put(brand, client);
            }
        }
        for (final long brand : brandProviders.keySet())
        {
            createBrand(brand);
            totals.put(brand, new Totals());
        }
        LOG.info("İYS providers: {}", providers);
        if (follow)
        {
            resume(publication);
        }
    }

    /**
     * Start following every brand (again): each brand's feed reads its cursors anew, asking {@code publication}
     * first ({@link CursorPublication#resume}), and publishes through it. Does nothing while already following.
     *
     * @param publication where cursors are published first; {@link CursorPublication#NONE} for a standalone server.
     */
    public synchronized void resume(final CursorPublication publication)
    {
        if (scheduler != null)
        {
            return;
        }
        final ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(
            Math.max(1, Math.min(4, brandProviders.size())), (runnable) ->
            {
                final Thread thread = new Thread(runnable, "iys-feed");
                thread.setDaemon(true);
                return thread;
            });
        pool.setRemoveOnCancelPolicy(true);
        scheduler = pool;
        for (final Map.Entry<Long, FeedSettings> entry : brandProviders.entrySet())
        {
            startFollowing(entry.getKey(), entry.getValue(), brandClients.get(entry.getKey()), publication, pool);
        }
        LOG.info("following İYS: brands={}", brandProviders.keySet());
    }

    /**
     * Stop following every brand (a fetcher that is no longer the elected one): polls in progress are interrupted
     * (the last applied page's cursor is already on disk), and {@link #status} answers null until {@link #resume}.
     */
    public synchronized void pause()
    {
        final ScheduledExecutorService pool = scheduler;
        if (pool == null)
        {
            return;
        }
        scheduler = null;
        stopPool(pool);
        for (final Follower follower : followers.values())
        {
            totals.get(follower.brandCode).add(follower);
            // whoever waits for a poll waits for the next term's
            pendingPolls.put(follower.brandCode, follower.nextCompletePoll());
            pendingAttempts.put(follower.brandCode, follower.nextAttempt());
        }
        followers.clear();
        LOG.info("İYS feeds paused: brands={}", brandProviders.keySet());
    }

    /**
     * @return whether the brands are followed now (not paused).
     */
    public synchronized boolean following()
    {
        return scheduler != null;
    }

    private static void stopPool(final ScheduledExecutorService pool)
    {
        pool.shutdownNow();
        try
        {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS))
            {
                LOG.warn("an İYS poll did not stop within 10 s of its interruption");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * @param settings one provider and its brands.
     * @param store    the index.
     * @param pipeline the single writer.
     * @throws IOException when the brands cannot be listed or an index cannot be created.
     */
    public FeedService(final FeedSettings settings, final ConsentStore store, final IngestPipeline pipeline)
        throws IOException
    {
        this(List.of(settings), store, pipeline);
    }

    private static List<Long> listBrands(final IysClient client, final FeedSettings provider) throws IOException
    {
        try
        {
            final List<Long> brands = client.brands();
            LOG.info("İYS lists the brands of iysCode {}: {}", provider.iysCode(), brands);
            return brands;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted listing the brands of iysCode " + provider.iysCode(), ex);
        }
    }

    private void createBrand(final long brand) throws IOException
    {
        try
        {
            pipeline.createBrand(brand).get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted creating brand " + brand, ex);
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("cannot create the index of brand " + brand, ex.getCause());
        }
    }

    private void startFollowing(final long brand, final FeedSettings settings, final IysClient client,
        final CursorPublication publication, final ScheduledExecutorService pool)
    {
        final BrandIndex index = store.brand(brand);
        final Runnable durability = () ->
        {
            if (settings.fsync())
            {
                try
                {
                    index.force();
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("cannot sync the index of brand " + brand, ex);
                }
            }
        };
        final Follower follower = new Follower(brand, settings, client, new BrandFeed(brand, client, pipeline,
            new FeedFiles(index.directory()), settings.exclusionMs(), durability, publication), pool);
        followers.put(brand, follower);
        pass(pendingPolls.remove(brand), follower.nextCompletePoll());
        pass(pendingAttempts.remove(brand), follower.nextAttempt());
        pool.execute(follower);
    }

    /**
     * @param brandCode a followed brand.
     * @return its status, or null when it is not followed (or not now: paused).
     */
    public BrandStatus status(final long brandCode)
    {
        final Follower follower = followers.get(brandCode);
        return follower == null ? null : follower.status();
    }

    /**
     * @param brandCode a followed brand.
     * @return completes after the brand's next complete poll (one that starts after this call).
     */
    public synchronized CompletableFuture<Void> nextCompletePoll(final long brandCode)
    {
        final Follower follower = followers.get(brandCode);
        return follower != null ? follower.nextCompletePoll() : pending(pendingPolls, brandCode);
    }

    /**
     * @return while paused, what the brand's first poll of the next term completes.
     */
    private CompletableFuture<Void> pending(final Map<Long, CompletableFuture<Void>> waiting, final long brandCode)
    {
        if (!brandProviders.containsKey(brandCode))
        {
            return CompletableFuture.failedFuture(new IllegalArgumentException("brand " + brandCode +
                " is not followed"));
        }
        return waiting.computeIfAbsent(brandCode, (brand) -> new CompletableFuture<>());
    }

    private static void pass(final CompletableFuture<Void> waiting, final CompletableFuture<Void> to)
    {
        if (waiting != null)
        {
            to.whenComplete((ignored, error) ->
            {
                if (error == null)
                {
                    waiting.complete(null);
                }
                else
                {
                    waiting.completeExceptionally(error);
                }
            });
        }
    }

    /**
     * @param brandCode a followed brand.
     * @return completes after the brand's next poll attempt, successful or not.
     */
    public synchronized CompletableFuture<Void> nextPollAttempt(final long brandCode)
    {
        final Follower follower = followers.get(brandCode);
        return follower != null ? follower.nextAttempt() : pending(pendingAttempts, brandCode);
    }

    /**
     * @param brandCode a brand.
     * @param date      {@code YYYY-MM-DD}.
     * @param reader    reads İYS's daily change file of the brand for that day as it arrives (never held whole).
     * @param <T>       what the reader makes of it.
     * @return what the reader returned.
     * @throws IOException          when İYS refuses or cannot be reached, or the reader fails.
     * @throws InterruptedException when interrupted.
     */
    <T> T dailyFile(final long brandCode, final String date, final IysHttp.BodyReader<T> reader)
        throws IOException, InterruptedException
    {
        final IysClient client = brandClients.get(brandCode);
        if (client == null)
        {
            throw new IOException("brand " + brandCode + " is not followed, so there is no İYS login to fetch its " +
                "daily file with");
        }
        return client.dailyFile(brandCode, date, reader);
    }

    /**
     * The dealers that may use one consent now, from İYS's access-list call, through the brand's login.
     *
     * @param brandCode     a followed brand.
     * @param recipient     E.164 phone or e-mail, as İYS writes it.
     * @param recipientType BIREYSEL or TACIR.
     * @param type          ARAMA, MESAJ or EPOSTA.
     * @return the dealers' İYS numbers.
     * @throws IOException when the brand is not followed, İYS refuses ({@link IysApiException}) or answers no list.
     */
    public List<Long> accessList(final long brandCode, final String recipient, final String recipientType,
        final String type) throws IOException, InterruptedException
    {
        final IysClient client = brandClients.get(brandCode);
        if (client == null)
        {
            throw new IOException("brand " + brandCode + " is not followed, so there is no İYS login to read its " +
                "dealer access with");
        }
        return client.accessList(brandCode, recipient, recipientType, type);
    }

    /**
     * Bind per-brand feed meters, once.
     *
     * @param registry the registry Prometheus scrapes.
     */
    public void bindTo(final MeterRegistry registry)
    {
        // read through the brand: a fetcher's followers are made anew each term, the counters go on from the last
        for (final long brandCode : brandProviders.keySet())
        {
            final String brand = Long.toString(brandCode);
            final Totals before = totals.get(brandCode);
            Gauge.builder("iys_feed_watermark_age_seconds", this, (s) -> s.watermarkAgeSeconds(brandCode))
                .tag("brand", brand)
                .description("seconds since the time up to which the brand's İYS feed is applied").register(registry);
            FunctionCounter.builder("iys_feed_polls", this, (s) -> before.polls + s.current(brandCode,
                (f) -> f.completedPolls)).tag("brand", brand)
                .description("complete polls of the brand's İYS feed").register(registry);
            FunctionCounter.builder("iys_feed_records", this, (s) -> before.received + s.current(brandCode,
                (f) -> f.feed.received())).tag("brand", brand)
                .description("records received from the brand's İYS feed").register(registry);
            FunctionCounter.builder("iys_feed_quarantined", this, (s) -> before.quarantined + s.current(brandCode,
                (f) -> f.feed.quarantined())).tag("brand", brand)
                .description("records or pages quarantined").register(registry);
            FunctionCounter.builder("iys_feed_held_pages", this, (s) -> before.heldPages + s.current(brandCode,
                (f) -> f.feed.heldPages())).tag("brand", brand)
                .description("pages held, cursor unmoved, over a RET from the future").register(registry);
            Gauge.builder("iys_feed_needs_rebootstrap", this, (s) -> s.current(brandCode,
                (f) -> "NEEDS_REBOOTSTRAP".equals(f.state) ? 1 : 0)).tag("brand", brand)
                .description("1 when the brand's cursor is lost and it must be re-bootstrapped").register(registry);
            Gauge.builder("iys_feed_backing_off", this, (s) -> s.current(brandCode,
                (f) -> "BACKING_OFF".equals(f.state) ? 1 : 0)).tag("brand", brand)
                .description("1 while the brand's polls fail and back off").register(registry);
            for (int i = 0; i < BrandFeed.SOURCES.length; i++)
            {
                final int sourceIndex = i;
                FunctionCounter.builder("iys_feed_pages", this, (s) -> before.pages[sourceIndex] +
                    s.current(brandCode, (f) -> f.feed.pages(sourceIndex)))
                    .tag("brand", brand).tag("source", BrandFeed.SOURCES[i])
                    .description("pages fetched from the source, empty ones included").register(registry);
                Gauge.builder("iys_feed_source_lag_seconds", this, (s) -> s.sourceLagSeconds(brandCode, sourceIndex))
                    .tag("brand", brand).tag("source", BrandFeed.SOURCES[i])
                    .description("seconds since the time up to which the source is applied").register(registry);
            }
        }
    }

    private double current(final long brandCode, final java.util.function.ToDoubleFunction<Follower> value)
    {
        final Follower follower = followers.get(brandCode);
        return follower == null ? 0 : value.applyAsDouble(follower);
    }

    private double watermarkAgeSeconds(final long brandCode)
    {
        final BrandIndex index = store.brand(brandCode);
        final long watermarkMs = index == null ? 0 : index.watermarkMs();
        return watermarkMs == 0 ? Double.NaN : (System.currentTimeMillis() - watermarkMs) / 1000.0;
    }

    private double sourceLagSeconds(final long brandCode, final int sourceIndex)
    {
        final Follower follower = followers.get(brandCode);
        return follower == null ? Double.NaN : follower.feed.sourceLagSeconds(sourceIndex);
    }

    /**
     * What a brand's followers of the terms before the current one counted.
     */
    private static final class Totals
    {
        volatile double polls;
        volatile double received;
        volatile double quarantined;
        volatile double heldPages;
        final double[] pages = new double[BrandFeed.SOURCES.length];

        synchronized void add(final Follower ended)
        {
            polls += ended.completedPolls;
            received += ended.feed.received();
            quarantined += ended.feed.quarantined();
            heldPages += ended.feed.heldPages();
            for (int i = 0; i < pages.length; i++)
            {
                pages[i] += ended.feed.pages(i);
            }
        }
    }

    /**
     * Stop polling; a poll in progress is interrupted, its last applied page's cursor is already on disk.
     */
    @Override
    public void close()
    {
        pause();
    }

    private final class Follower implements Runnable
    {
        private final long brandCode;
        private final FeedSettings settings;
        private final IysClient client;
        private final BrandFeed feed;
        private volatile String state = "STARTING";
        private volatile long lastPollMs;
        private volatile String lastError;
        private volatile long completedPolls;
        private int failures;
        private CompletableFuture<Void> waiting = new CompletableFuture<>();
        private CompletableFuture<Void> attempt = new CompletableFuture<>();
        private final ScheduledExecutorService scheduler;

        Follower(final long brandCode, final FeedSettings settings, final IysClient client, final BrandFeed feed,
            final ScheduledExecutorService scheduler)
        {
            this.brandCode = brandCode;
            this.settings = settings;
            this.client = client;
            this.feed = feed;
            this.scheduler = scheduler;
        }

        synchronized CompletableFuture<Void> nextCompletePoll()
        {
            return waiting;
        }

        synchronized CompletableFuture<Void> nextAttempt()
        {
            return attempt;
        }

        @Override
        public void run()
        {
            final CompletableFuture<Void> covered;
            final CompletableFuture<Void> attempted;
            synchronized (this)
            {
                covered = waiting;
                waiting = new CompletableFuture<>();
                attempted = attempt;
                attempt = new CompletableFuture<>();
            }
            long delayMs = settings.pollIntervalMs();
            try
            {
                final long watermarkMs = feed.pollOnce();
                failures = 0;
                if (watermarkMs != 0)
                {
                    lastError = null;
                    lastPollMs = System.currentTimeMillis();
                    completedPolls++;
                    state = "FOLLOWING";
                    covered.complete(null);
                }
                else
                {
                    // a source's cursor is lost: the other was polled, the watermark stays (BrandFeed logs it)
                    lastError = lostSummary();
                    state = "NEEDS_REBOOTSTRAP";
                    chain(covered);
                }
            }
            catch (final InterruptedException ex)
            {
                // paused or closed: whoever waited for this poll waits for the next one (the next term's)
                Thread.currentThread().interrupt();
                chain(covered);
                attempted.complete(null);
                return;
            }
            catch (final CursorPublication.PublicationStoppedException ex)
            {
                // fenced: another fetcher publishes now; following İYS on would only move local cursors past what
                // this one can no longer publish, so this brand stops here (the publisher logged the ERROR)
                lastError = ex.getMessage();
                state = "STOPPED";
                // no poll follows: whoever waits for one is answered now (an attempt was made, no poll completes)
                synchronized (this)
                {
                    attempt.complete(null);
                    waiting.completeExceptionally(ex);
                }
                covered.completeExceptionally(ex);
                attempted.complete(null);
                return;
            }
            catch (final IOException | RuntimeException ex)
            {
                failures++;
                lastError = IysHttp.describe(ex);
                state = feed.anyLost() ? "NEEDS_REBOOTSTRAP" : "BACKING_OFF";
                delayMs = backoffMs(ex);
                LOG.warn("İYS feed poll failed, retrying in {} ms: brand={}, failures={}, error={}", delayMs,
                    brandCode, failures, lastError);
                chain(covered);
            }
            attempted.complete(null);
            if (!scheduler.isShutdown())
            {
                scheduler.schedule(this, delayMs, TimeUnit.MILLISECONDS);
            }
        }

        /**
         * Whoever waited for this poll now waits for the next complete one.
         */
        private synchronized void chain(final CompletableFuture<Void> covered)
        {
            waiting.whenComplete((ignored, error) -> covered.complete(null));
        }

        private String lostSummary()
        {
            final StringBuilder summary = new StringBuilder();
            for (int i = 0; i < BrandFeed.SOURCES.length; i++)
            {
                final BrandFeed.Lost lost = feed.lost(i);
                if (lost != null)
                {
                    summary.append(summary.length() == 0 ? "" : "; ").append(lost.reason());
                }
            }
            return summary.toString();
        }

        private long backoffMs(final Exception failure)
        {
            final long retryAfterMs = failure instanceof IysApiException api ? api.retryAfterMs() : 0;
            final long exponential = Math.min(settings.pollIntervalMs() * 16,
                MIN_BACKOFF_MS << Math.min(failures - 1, 16));
            final long jitter = ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
            return Math.max(retryAfterMs, exponential / 2 + jitter);
        }

        BrandStatus status()
        {
            final BrandIndex index = store.brand(brandCode);
            final Map<String, SourceStatus> sources = new LinkedHashMap<>();
            for (int i = 0; i < BrandFeed.SOURCES.length; i++)
            {
                final BrandFeed.Lost lost = feed.lost(i);
                sources.put(BrandFeed.SOURCES[i], lost == null ?
                    new SourceStatus("FOLLOWING", feed.cursor(i), feed.acceptedMs(i), null, null, null, 0, 0) :
                    new SourceStatus("CURSOR_LOST", feed.cursor(i), feed.acceptedMs(i), lost.reason(), lost.code(),
                        lost.body(), lost.sinceMs(), lost.nextRetryMs()));
            }
            return new BrandStatus(brandCode, state, index == null ? 0 : index.watermarkMs(), lastPollMs, lastError,
                completedPolls, feed.received(), feed.quarantined(), sources);
        }
    }
}
