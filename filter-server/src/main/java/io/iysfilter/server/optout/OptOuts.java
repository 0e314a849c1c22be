package io.iysfilter.server.optout;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.IysTime;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Local opt-outs: a RET the provider received outside İYS (a STOP reply, a call centre).
 * <ul>
 *   <li>{@link #record} validates a request's fields and applies a RET marked local through the single writer: it
 *   wins over what the key holds only if newer in İYS order, and is superseded only by a newer İYS record. Its record
 *   is written ahead to the brand's opt-out log ({@link OptOutLog}) and forced to disk before the index is touched;
 *   recorded once both are done, so it holds from the next request on. When the disk is full, or anything else
 *   fails, it is in neither. There is no local opt-in: only an ONAY in İYS makes a recipient sendable.</li>
 *   <li>{@link #list} reads a brand's opt-outs, each with the date by which it must be uploaded to İYS (three
 *   business days; public holidays are not known here), from the log's verified records only.</li>
 *   <li>{@link #replay} puts every brand's log back into the index at start, before anything is served.</li>
 * </ul>
 * {@link #record} and {@link #list} may be called from any thread.
 */
public final class OptOuts implements AutoCloseable
{
    /**
     * Longest an opt-out's answer waits, on a fetcher, for the replication topic to commit it before it answers
     * {@link Outcome#UNPUBLISHED}: some commits (every 50 ms at most) while Kafka answers.
     */
    public static final long PUBLISH_WAIT_MS = ChangeTap.PUBLISH_WAIT_MS;
    private static final long FUTURE_TOLERANCE_MS = 60_000;

    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final OptOutJournal journal;
    private final long publishWaitMs;

    /**
     * What became of a request.
     */
    public enum Outcome
    {
        /** Recorded, and the index now holds it. */
        APPLIED,
        /** Recorded; the index already held this RET or something newer. */
        SUPERSEDED,
        /**
         * Recorded here (log and index), but a fetcher's replication topic did not commit it within
         * {@link #PUBLISH_WAIT_MS}, or its publisher stopped: the replicas may not have it; send it again.
         */
        UNPUBLISHED,
        /** The brand's opt-outs, read. */
        LISTED,
        /** A field is missing or wrong: see the message. */
        INVALID,
        /** The server holds no index for the brand. */
        UNKNOWN_BRAND,
        /** Not recorded: the disk is full. */
        DISK_FULL,
        /** Not recorded, or the log not read: another failure. */
        FAILED
    }

    /**
     * An answer.
     *
     * @param outcome   what became of the request.
     * @param brandCode the brand, or -1 when the request named none that parses.
     * @param optOuts   the opt-out recorded (one), or the brand's opt-outs when {@link Outcome#LISTED}; else empty.
     * @param message   why, when the request failed; else null.
     */
    public record Result(Outcome outcome, long brandCode, List<OptOut> optOuts, String message)
    {
        static Result failed(final Outcome outcome, final long brandCode, final String message)
        {
            return new Result(outcome, brandCode, List.of(), message);
        }
    }

    /**
     * @param store    the index, for the brands and their directories.
     * @param pipeline the single writer, which writes each opt-out ahead and applies it.
     */
    public OptOuts(final ConsentStore store, final IngestPipeline pipeline)
    {
        this(store, pipeline, PUBLISH_WAIT_MS);
    }

    /**
     * @param publishWaitMs longest an answer waits for the replication topic's commit (tests shorten it).
     */
    OptOuts(final ConsentStore store, final IngestPipeline pipeline, final long publishWaitMs)
    {
        this.publishWaitMs = publishWaitMs;
        this.store = store;
        this.pipeline = pipeline;
        this.journal = new OptOutJournal(store);
    }

    /**
     * Record an opt-out.
     *
     * @param fields {@code brand, channel, recipient} and optionally {@code recipientType} (default BIREYSEL),
     *               {@code time} (an ISO-8601 instant or {@code YYYY-MM-DD HH:mm:ss} Turkey time, default now) and
     *               {@code source} (default LOCAL).
     * @return completes with {@link Outcome#APPLIED} or {@link Outcome#SUPERSEDED} once recorded and, on a fetcher,
     *         committed to the replication topic ({@link IngestPipeline#published()}); {@link Outcome#UNPUBLISHED}
     *         when recorded here but not committed within the bound; never exceptionally.
     */
    public CompletableFuture<Result> record(final Map<String, String> fields)
    {
        final long brandCode = parseCode(fields.get("brand"));
        final Channel channel = fields.get("channel") == null ? null : Channel.fromName(fields.get("channel"));
        final String typeText = fields.get("recipientType");
        final RecipientType type = typeText == null ? RecipientType.BIREYSEL : RecipientType.fromName(typeText);
        final String source = fields.getOrDefault("source", "LOCAL");
        if (brandCode < 0)
        {
            return invalid(brandCode, "brand: '" + fields.get("brand") + "' (expected: an İYS brand code)");
        }
        if (channel == null)
        {
            return invalid(brandCode, "channel: '" + fields.get("channel") + "' (expected: ARAMA, MESAJ or EPOSTA)");
        }
        if (type == null || type == RecipientType.UNSPECIFIED)
        {
            return invalid(brandCode, "recipientType: '" + typeText + "' (expected: BIREYSEL or TACIR)");
        }
        final String recipientText = fields.get("recipient");
        final ParsedRecipient recipient = new ParsedRecipient();
        if (recipientText == null || new RecipientParser().parse(recipientText, recipient) == ParsedRecipient.INVALID ||
            !recipient.fits(channel))
        {
            return invalid(brandCode, "recipient: '" + recipientText + "' (expected: a phone for ARAMA or MESAJ, " +
                "an e-mail for EPOSTA)");
        }
        if (!source.matches("[A-Za-z0-9_.-]{1,64}"))
        {
            return invalid(brandCode, "source: '" + source + "' (expected: 1..64 letters, digits, _ . -)");
        }
        final long nowMs = System.currentTimeMillis();
        final long timeMs = time(fields.get("time"), nowMs);
        if (timeMs < 0 || timeMs > nowMs + FUTURE_TOLERANCE_MS)
        {
            return invalid(brandCode, "time: '" + fields.get("time") + "' (expected: an ISO-8601 instant or " +
                "YYYY-MM-DD HH:mm:ss Turkey time, not in the future)");
        }
        if (store.brand(brandCode) == null)
        {
            return CompletableFuture.completedFuture(
                Result.failed(Outcome.UNKNOWN_BRAND, brandCode, "no index for brand " + brandCode));
        }
        final OptOut optOut = new OptOut(nowMs, timeMs, brandCode, channel, recipient.toString(), type, source);
        // before the write: an answer waits on the term of office the change was written in, never a later one
        final long term = pipeline.tapTerm();
        return write(optOut).handle((outcome, error) -> error == null ?
            new Result(outcome == ConsentIndexWriter.APPLIED ? Outcome.APPLIED : Outcome.SUPERSEDED, brandCode,
                List.of(optOut), null) :
            notRecorded(brandCode, error))
            .thenCompose((recorded) -> published(recorded, term));
    }

    /**
     * A recorded opt-out's answer waits until the writer's tap has published it (on a fetcher, committed to the
     * replication topic), bounded: the ticket is taken now, after the write completed, so it covers the change.
     */
    private CompletableFuture<Result> published(final Result recorded, final long term)
    {
        if (recorded.outcome() != Outcome.APPLIED && recorded.outcome() != Outcome.SUPERSEDED)
        {
            return CompletableFuture.completedFuture(recorded);
        }
        return pipeline.published(term).orTimeout(publishWaitMs, TimeUnit.MILLISECONDS).handle((ignored, error) ->
        {
            if (error == null)
            {
                return recorded;
            }
            final Throwable cause = error instanceof CompletionException && error.getCause() != null ?
                error.getCause() : error;
            final String why = cause instanceof TimeoutException ? "the replication topic did not commit it " +
                "within " + publishWaitMs + " ms (Kafka unreachable?)" : String.valueOf(cause.getMessage());
            return new Result(Outcome.UNPUBLISHED, recorded.brandCode(), recorded.optOuts(), "the opt-out is " +
                "recorded on this fetcher (its log and index), but not yet on the replication topic: " + why +
                "; the replicas may not have it, send it again (this fetcher publishes it again at its next start)");
        });
    }

    /**
     * Write an opt-out ahead to its brand's log and apply it, on the writer thread.
     *
     * @param optOut a valid opt-out of a brand the store holds.
     * @return completes with {@link ConsentIndexWriter#APPLIED} or {@link ConsentIndexWriter#SUPERSEDED} once logged
     *         to disk and applied; exceptionally when it was not recorded (a
     *         {@link io.iysfilter.server.index.DiskFullException} when the disk is full).
     */
    public CompletableFuture<Integer> write(final OptOut optOut)
    {
        final ConsentChange change = optOut.toChange(new ConsentChange(), new RecipientParser(),
            new ParsedRecipient());
        return pipeline.writeAhead(change, optOut.toJson(), journal);
    }

    /**
     * A brand's recorded opt-outs, from its log's whole, verified records only.
     *
     * @param brandText the brand code as given.
     * @return {@link Outcome#LISTED}, {@link Outcome#INVALID}, {@link Outcome#UNKNOWN_BRAND} or {@link Outcome#FAILED}
     *         when the log cannot be read.
     */
    public Result list(final String brandText)
    {
        final long brandCode = parseCode(brandText);
        final BrandIndex brand = brandCode < 0 ? null : store.brand(brandCode);
        if (brand == null)
        {
            return Result.failed(brandCode < 0 ? Outcome.INVALID : Outcome.UNKNOWN_BRAND, brandCode,
                "brand: '" + brandText + "'");
        }
        final List<OptOut> optOuts = new ArrayList<>();
        try
        {
            final OptOutSeal seal = OptOutSeal.forBrand(store.key(), brandCode);
            for (final String record : OptOutLog.read(brand.directory().resolve(OptOutLog.FILE_NAME), seal).records())
            {
                try
                {
                    optOuts.add(OptOut.parse(record));
                }
                catch (final IOException ex)
                {
                    // a whole record that is no opt-out: the replay at start drops and reports it
                }
            }
        }
        catch (final IOException ex)
        {
            return Result.failed(Outcome.FAILED, brandCode, "cannot read the opt-out log: " + ex.getMessage());
        }
        return new Result(Outcome.LISTED, brandCode, List.copyOf(optOuts), null);
    }

    /**
     * Put every brand's logged opt-outs back into the index, on the writer thread, before anything is served: what a
     * power cut took from the index pages is restored from the forced log. A brand damaged beyond opening is left
     * out: it has no maps to replay into and answers INDEX_DAMAGED; its log is replayed once it is restored or
     * rebuilt.
     *
     * @return what the replay found.
     * @throws IOException when a log cannot be read or a record not applied: a server that cannot replay must not
     *                     start, it could answer ALLOW for a recipient who opted out.
     */
    public OptOutReplay replay() throws IOException
    {
        final long[] brands = store.brands().stream().filter(BrandIndex::holdsMaps).mapToLong(BrandIndex::brandCode)
            .toArray();
        try
        {
            return pipeline.runOnWriter(index -> journal.replay(brands, index)).get();
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("cannot replay the opt-out logs into the index: " + ex.getCause().getMessage(),
                ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while replaying the opt-out logs", ex);
        }
    }

    /**
     * Register {@code iys_optout_log_repairs}: opt-out log records dropped at start (torn tails truncated, corrupt
     * lines).
     *
     * @param registry where.
     */
    public void bindTo(final MeterRegistry registry)
    {
        FunctionCounter.builder("iys_optout_log_repairs", journal, OptOutJournal::repairs)
            .description("Opt-out log records dropped at start: torn tails truncated, corrupt lines")
            .register(registry);
    }

    /**
     * @return opt-out log records dropped at start since this began: torn tails truncated, corrupt lines.
     */
    long logRepairs()
    {
        return journal.repairs();
    }

    /**
     * Close the logs; only once the single writer has stopped.
     */
    @Override
    public void close()
    {
        journal.close();
    }

    /**
     * Not recorded: the log record was not written, or was taken back when the index change failed.
     */
    private static Result notRecorded(final long brandCode, final Throwable error)
    {
        final Throwable cause = error instanceof CompletionException && error.getCause() != null ?
            error.getCause() : error;
        final String message = "the opt-out was not recorded: " +
            (cause.getMessage() == null ? cause.toString() : cause.getMessage());
        return Result.failed(DiskSpaceGuard.isDiskFull(cause) ? Outcome.DISK_FULL : Outcome.FAILED, brandCode,
            message);
    }

    private static CompletableFuture<Result> invalid(final long brandCode, final String message)
    {
        return CompletableFuture.completedFuture(Result.failed(Outcome.INVALID, brandCode, message));
    }

    private static long time(final String text, final long nowMs)
    {
        if (text == null || text.isBlank())
        {
            return nowMs;
        }
        final long iysSec = IysTime.parseSeconds(text);
        if (iysSec != IysTime.INVALID)
        {
            return iysSec * 1000;
        }
        try
        {
            return Instant.parse(text).toEpochMilli();
        }
        catch (final DateTimeParseException ex)
        {
            return -1;
        }
    }

    /**
     * @return the brand code, 1..2^32-1, or -1 when the text is not one.
     */
    private static long parseCode(final String text)
    {
        if (text == null || text.isEmpty() || text.length() > 10)
        {
            return -1;
        }
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) < '0' || text.charAt(i) > '9')
            {
                return -1;
            }
        }
        final long value = Long.parseLong(text);
        return value >= 1 && value <= 0xFFFF_FFFFL ? value : -1;
    }
}
