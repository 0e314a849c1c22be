package io.iysfilter.server.iys;

import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.ingest.IngestPipeline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reconciling a running server's brand with one day of İYS: the day's change file is given (e.g. a request's body)
 * or, when none is, fetched from İYS ({@code GET /sps/{iysCode}/brands/{brand}/changes/{date}/file}) through the
 * feed the server follows; the {@link Reconciler} compares it with the index and applies what is missing through the
 * single writer. {@link #check} is cheap and may run anywhere; {@link #reconcile} blocks (İYS, the file, the ring)
 * and must run off the event loops.
 */
public final class ReconcileService
{
    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final FeedService feed;

    /**
     * What became of a reconcile request.
     */
    public enum Outcome
    {
        /** Reconciled: see the report. */
        RECONCILED,
        /** A parameter is wrong, or there is no file and no feed to fetch it from: see the message. */
        INVALID,
        /** The server holds no index for the brand. */
        UNKNOWN_BRAND,
        /** The file could not be fetched or read, or the reconciler failed: see the message. */
        FAILED,
        /** Interrupted: the server is stopping. */
        INTERRUPTED,
        /**
         * Reconciled here, but a fetcher's replication topic did not commit the repairs within
         * {@link ChangeTap#PUBLISH_WAIT_MS}, or its publisher stopped: the replicas may lack
         * them; reconcile again.
         */
        UNPUBLISHED
    }

    /**
     * An answer.
     *
     * @param outcome what became of the request.
     * @param fetched whether the file was fetched from İYS rather than given.
     * @param report  the drift found, when {@link Outcome#RECONCILED}; else null.
     * @param message why, when it was not; else null.
     */
    public record Result(Outcome outcome, boolean fetched, Reconciler.Report report, String message)
    {
        static Result failed(final Outcome outcome, final String message)
        {
            return new Result(outcome, false, null, message);
        }
    }

    /**
     * @param store    the index.
     * @param pipeline the single writer, through which what is missing is applied.
     * @param feed     the İYS feed follower to fetch daily files through, or null when the server follows none.
     */
    public ReconcileService(final ConsentStore store, final IngestPipeline pipeline, final FeedService feed)
    {
        this.store = store;
        this.pipeline = pipeline;
        this.feed = feed;
    }

    /**
     * Check a request before running it.
     *
     * @param brandCode the brand, or -1 when the request named none that parses.
     * @param date      the day, {@code YYYY-MM-DD}.
     * @param fileGiven whether the request carries the file; if not, it is fetched from İYS.
     * @return null when it may run; else {@link Outcome#INVALID} or {@link Outcome#UNKNOWN_BRAND}, with why.
     */
    public Result check(final long brandCode, final String date, final boolean fileGiven)
    {
        if (brandCode < 0)
        {
            return Result.failed(Outcome.INVALID, "brand: '" + brandCode + "' (expected: an İYS brand code)");
        }
        if (store.brand(brandCode) == null)
        {
            return Result.failed(Outcome.UNKNOWN_BRAND, "no index for brand " + brandCode);
        }
        if (Reconciler.parseDay(date) == null)
        {
            return Result.failed(Outcome.INVALID, "date: '" + date + "' (expected: YYYY-MM-DD, not after today in " +
                "Turkey)");
        }
        if (!fileGiven && feed == null)
        {
            return Result.failed(Outcome.INVALID, "body: empty and this server follows no İYS feed to fetch the " +
                "file from (expected: the daily file as the body)");
        }
        return null;
    }

    /**
     * Reconcile a brand's day; blocks. Call {@link #check} first.
     *
     * @param brandCode the brand.
     * @param date      the day, {@code YYYY-MM-DD}.
     * @param file      the day's change file (CSV), or null to fetch it from İYS.
     * @return {@link Outcome#RECONCILED} with the report; {@link Outcome#FAILED} or {@link Outcome#INTERRUPTED} (the
     *         thread's interrupt flag is set again) with why; {@link Outcome#INVALID} or
     *         {@link Outcome#UNKNOWN_BRAND} when {@link #check} would have said so.
     */
    public Result reconcile(final long brandCode, final String date, final Path file)
    {
        final Result invalid = check(brandCode, date, file != null);
        if (invalid != null)
        {
            return invalid;
        }
        final boolean fetch = file == null;
        final Reconciler reconciler = new Reconciler(store, pipeline, brandCode, Reconciler.parseDay(date));
        // before the first repair: the answer waits on the term of office the repairs were written in, never a later
        // one (a fetcher that stepped down and was elected again while a long reconcile ran published none of those
        // applied between the two terms)
        final long term = pipeline.tapTerm();
        try
        {
            final Result reconciled;
            if (fetch)
            {
                // read line by line as İYS sends it: the file is never held whole
                reconciled = feed.dailyFile(brandCode, date,
                    (in) -> new Result(Outcome.RECONCILED, true, reconciler.reconcile(in), null));
            }
            else
            {
                try (InputStream in = Files.newInputStream(file))
                {
                    reconciled = new Result(Outcome.RECONCILED, false, reconciler.reconcile(in), null);
                }
            }
            return published(reconciled, term);
        }
        catch (final IOException | RuntimeException ex)
        {
            return Result.failed(Outcome.FAILED, fetch ? IysHttp.describe(ex) : String.valueOf(ex.getMessage()));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return Result.failed(Outcome.INTERRUPTED, "the server is stopping");
        }
    }

    /**
     * Refresh the dealer access of the consents a file names from İYS's access-list call ({@link DealerAccessRefresh}:
     * one line {@code recipient,recipientType,type} a consent); blocks, off the event loops. The lists read are
     * applied through the single writer and, on a fetcher, published before this answers.
     *
     * @param brandCode the brand, followed by this server's feed (its İYS login reads the lists).
     * @param file      the consents, one a line.
     * @param perSecond calls a second to İYS at most, 1..{@link DealerAccessRefresh#MAX_PER_SECOND}.
     * @return the report, or why not.
     */
    public DealerResult refreshDealers(final long brandCode, final Path file, final int perSecond)
    {
        if (brandCode < 0)
        {
            return new DealerResult(Outcome.INVALID, null, "brand: '" + brandCode + "' (expected: an İYS brand code)");
        }
        if (store.brand(brandCode) == null)
        {
            return new DealerResult(Outcome.UNKNOWN_BRAND, null, "no index for brand " + brandCode);
        }
        if (feed == null)
        {
            return new DealerResult(Outcome.INVALID, null, "this server follows no İYS feed, so it has no İYS login " +
                "to read dealer access with");
        }
        try (InputStream in = Files.newInputStream(file))
        {
            return new DealerResult(Outcome.RECONCILED, new DealerAccessRefresh(store, pipeline, feed::accessList,
                System::currentTimeMillis).refresh(brandCode, in, perSecond), null);
        }
        catch (final IOException | RuntimeException ex)
        {
            return new DealerResult(Outcome.FAILED, null, String.valueOf(ex.getMessage()));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return new DealerResult(Outcome.INTERRUPTED, null, "the server is stopping");
        }
    }

    /**
     * A dealer-access refresh's answer.
     *
     * @param outcome {@link Outcome#RECONCILED} with the report, else why not.
     * @param report  what the refresh did, or null.
     * @param message why not, or null.
     */
    public record DealerResult(Outcome outcome, DealerAccessRefresh.Report report, String message)
    {
    }

    /**
     * A reconcile's answer waits until its repairs (applied by the importer's last barrier) are published: on a
     * fetcher, committed to the replication topic, bounded.
     */
    private Result published(final Result reconciled, final long term) throws InterruptedException
    {
        try
        {
            pipeline.published(term).get(ChangeTap.PUBLISH_WAIT_MS, TimeUnit.MILLISECONDS);
            return reconciled;
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            final String why = ex instanceof TimeoutException ? "the replication topic did not commit them within " +
                ChangeTap.PUBLISH_WAIT_MS + " ms (Kafka unreachable?)" : String.valueOf(ex.getCause().getMessage());
            return Result.failed(Outcome.UNPUBLISHED, "the reconcile's repairs are applied on this fetcher, but not " +
                "yet on the replication topic: " + why + "; the replicas may lack them, reconcile again");
        }
    }
}
