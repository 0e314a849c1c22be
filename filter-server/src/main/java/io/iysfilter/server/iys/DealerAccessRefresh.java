package io.iysfilter.server.iys;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Refreshing the dealer access of listed consents from İYS's per-recipient access-list call
 * ({@code consents/retailers/access/list}; docs/INDEX.md §11): İYS's change feed shows no event when access is
 * granted or removed through its access calls, so a brand that uses them can have its dealer checks decided only on a
 * list read from that call, and only for {@code dealer-access-fresh-for} after it was read.
 * <p>
 * Each line of the input names one consent as İYS does: {@code recipient,recipientType,type} (BIREYSEL when the
 * middle field is left out: {@code recipient,type}); blank lines and lines starting with {@code #} are skipped. For a
 * consent whose newest record here is an ONAY, the list is read from İYS (paced at most {@code perSecond} calls a
 * second, retried after a rate limit or a retry-list error) and applied through the single writer as the same record
 * flagged {@link ConsentValueDescriptor#FLAG_DEALERS} with the list and the time the call was sent
 * ({@link ConsentChange#dealerAccess}); a newer record that arrived meanwhile wins, in İYS order, as always. A RET, or
 * no record, is not asked about: a dealer's check of it does not read a list. Blocks: run it off the event loops.
 */
public final class DealerAccessRefresh
{
    /** Most lines one refresh takes. */
    public static final int MAX_LINES = 1_000_000;
    /** Most calls a second to İYS's access-list call one refresh makes, whatever is asked. */
    public static final int MAX_PER_SECOND = 50;
    private static final int LISTED = 20;
    private static final int ATTEMPTS = 5;
    private static final long MAX_BACKOFF_MS = 30_000;
    /** Lists written between two checks of what became of them: bounds what a long refresh holds. */
    private static final int SETTLE_EVERY = 1_000;

    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final AccessLists lists;
    private final LongSupplier clockMs;

    /**
     * Reads one consent's access list from İYS.
     */
    @FunctionalInterface
    public interface AccessLists
    {
        /**
         * @param brandCode     the brand.
         * @param recipient     E.164 phone or e-mail, as İYS writes it.
         * @param recipientType BIREYSEL or TACIR.
         * @param type          ARAMA, MESAJ or EPOSTA.
         * @return the dealers that may use the consent now.
         * @throws IOException when İYS refuses ({@link IysApiException}) or the call fails.
         * @throws InterruptedException when interrupted.
         */
        List<Long> accessList(long brandCode, String recipient, String recipientType, String type)
            throws IOException, InterruptedException;
    }

    /**
     * What a refresh did.
     *
     * @param lines     consents named.
     * @param refreshed consents whose access list was read and stored with its time.
     * @param notOnay   consents whose newest record here is a RET: not asked about.
     * @param noRecord  consents this index holds no record of: not asked about.
     * @param newer     consents whose record changed while the list was read: the newer record stands, list unread.
     * @param failed    consents İYS did not answer for (after retries), or refused.
     * @param rejected  lines that name no consent.
     * @param calls     calls made to İYS's access-list call, retries included.
     * @param examples  the first failed or rejected lines, described.
     */
    public record Report(long lines, long refreshed, long notOnay, long noRecord, long newer, long failed,
        long rejected, long calls, List<String> examples)
    {
    }

    /**
     * @param store    the index, read for each consent's newest record.
     * @param pipeline the single writer.
     * @param lists    İYS's access-list call ({@link FeedService#accessList}).
     * @param clockMs  the clock the lists' read times are taken from.
     */
    public DealerAccessRefresh(
        final ConsentStore store, final IngestPipeline pipeline, final AccessLists lists, final LongSupplier clockMs)
    {
        this.store = store;
        this.pipeline = pipeline;
        this.lists = lists;
        this.clockMs = clockMs;
    }

    /**
     * Refresh the access of the consents named; blocks until each list read is applied and, on a fetcher, published
     * (bounded by {@link ChangeTap#PUBLISH_WAIT_MS}).
     *
     * @param brandCode  the brand, which this index holds.
     * @param consents   the lines, as described above.
     * @param perSecond  calls a second at most, 1..{@link #MAX_PER_SECOND}.
     * @return the report.
     * @throws IOException          when the input cannot be read, is longer than {@link #MAX_LINES}, or the lists read
     *                              were not published (a fetcher's topic did not commit them).
     * @throws InterruptedException when interrupted; what was applied stays.
     */
    public Report refresh(final long brandCode, final InputStream consents, final int perSecond)
        throws IOException, InterruptedException
    {
        if (store.brand(brandCode) == null)
        {
            throw new IllegalArgumentException("no index for brand " + brandCode);
        }
        final long intervalNs = TimeUnit.SECONDS.toNanos(1) / Math.max(1, Math.min(MAX_PER_SECOND, perSecond));
        final long term = pipeline.tapTerm();
        final IndexLookup lookup = store.newLookup();
        final RecipientParser parser = new RecipientParser();
        final ParsedRecipient recipient = new ParsedRecipient();
        final ConsentChange change = new ConsentChange();
        final long[] stored = new long[2];
        final long[] counts = new long[8];
        final List<String> examples = new ArrayList<>();
        final List<long[]> applied = new ArrayList<>();
        final List<ConsentChange> written = new ArrayList<>();
        final Failures outcomes = new Failures();
        long nextCallNs = System.nanoTime();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(consents, StandardCharsets.UTF_8)))
        {
            String line;
            long lineNumber = 0;
            while ((line = reader.readLine()) != null)
            {
                lineNumber++;
                final String text = line.strip();
                if (text.isEmpty() || text.startsWith("#"))
                {
                    continue;
                }
                if (++counts[LINES] > MAX_LINES)
                {
                    throw new IOException("more than " + MAX_LINES + " consents in one refresh: split the file");
                }
                final String[] fields = text.split(",", -1);
                final String address = fields[0].strip();
                final String typeName = (fields.length == 3 ? fields[2] : fields.length == 2 ? fields[1] : "").strip();
                final String recipientTypeName = fields.length == 3 ? fields[1].strip() : "BIREYSEL";
                final Channel channel = fields.length < 2 || fields.length > 3 ? null : Channel.fromName(typeName);
                final RecipientType type = RecipientType.fromName(recipientTypeName);
                if (channel == null || type == null || type == RecipientType.UNSPECIFIED ||
                    parser.parse(address, recipient) == ParsedRecipient.INVALID || !recipient.fits(channel))
                {
                    counts[REJECTED]++;
                    example(examples, "line " + lineNumber + ": not recipient,recipientType,type");
                    continue;
                }
                change.set(brandCode, channel, type, recipient, 1, 0, 0, 0, 0, 0);
                if (!lookup.storedValue(change, stored))
                {
                    counts[NO_RECORD]++;
                    continue;
                }
                if (ConsentValueDescriptor.status(stored[1]) != ConsentStatus.ONAY)
                {
                    counts[NOT_ONAY]++;
                    continue;
                }
                final long waitNs = nextCallNs - System.nanoTime();
                if (waitNs > 0)
                {
                    TimeUnit.NANOSECONDS.sleep(waitNs);
                }
                nextCallNs = Math.max(nextCallNs, System.nanoTime()) + intervalNs;
                // the time the call is sent: the list may be older than its answer, never newer than this
                final long fetchedMs = clockMs.getAsLong();
                final List<Long> dealers = read(brandCode, address, type.name(), channel.name(), counts, examples,
                    lineNumber, intervalNs);
                if (dealers == null)
                {
                    continue;
                }
                final int[] codes = codes(dealers);
                // the stored record's own words plus the flag (dealerAccess sets it): a rebuild from its fields that
                // were not bit-exact would be another record, silently newer or older in İYS order
                change.storedWords(stored[0], stored[1]).dealerAccess(codes, codes.length, fetchedMs);
                pipeline.publish(change, lineNumber, outcomes);
                final ConsentChange copy = new ConsentChange();
                copy.copyFrom(change);
                written.add(copy);
                applied.add(new long[] {change.word0(), change.word1(), lineNumber});
                if (written.size() >= SETTLE_EVERY)
                {
                    settle(lookup, written, applied, counts, outcomes, examples);
                }
            }
        }
        finally
        {
            settle(lookup, written, applied, counts, outcomes, examples);
        }
        published(term);
        return new Report(counts[LINES], counts[REFRESHED], counts[NOT_ONAY], counts[NO_RECORD], counts[NEWER],
            counts[FAILED], counts[REJECTED], counts[CALLS], examples);
    }

    private static final int LINES = 0;
    private static final int REFRESHED = 1;
    private static final int NOT_ONAY = 2;
    private static final int NO_RECORD = 3;
    private static final int NEWER = 4;
    private static final int FAILED = 5;
    private static final int REJECTED = 6;
    private static final int CALLS = 7;

    /**
     * The writes the single writer failed (their lists are not stored); the others are judged from the index after
     * the barrier, since an equal record writes its list but is told as superseded.
     */
    private static final class Failures implements IngestListener
    {
        private final Map<Long, String> failed = new ConcurrentHashMap<>();

        @Override
        public void onApplied(final long tag)
        {
        }

        @Override
        public void onSuperseded(final long tag)
        {
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            failed.put(tag, reason);
        }
    }

    /**
     * One consent's list from İYS: retried after a rate limit (honouring Retry-After), a server error or a
     * retry-list code, with a doubling back-off; anything else, or the last attempt, counts as failed.
     */
    private List<Long> read(final long brandCode, final String address, final String recipientType,
        final String type, final long[] counts, final List<String> examples, final long lineNumber,
        final long intervalNs) throws InterruptedException
    {
        long backoffMs = Math.max(1_000, TimeUnit.NANOSECONDS.toMillis(intervalNs));
        for (int attempt = 1; ; attempt++)
        {
            counts[CALLS]++;
            try
            {
                return lists.accessList(brandCode, address, recipientType, type);
            }
            catch (final IysApiException ex)
            {
                final boolean retry = ex.status() == 429 || ex.status() >= 500 || retryCode(ex);
                if (!retry || attempt == ATTEMPTS)
                {
                    counts[FAILED]++;
                    example(examples, "line " + lineNumber + ": İYS answered " + ex.status() + " " + ex.codes());
                    return null;
                }
                TimeUnit.MILLISECONDS.sleep(Math.max(ex.retryAfterMs(), backoffMs));
            }
            catch (final IOException | RuntimeException ex)
            {
                if (attempt == ATTEMPTS)
                {
                    counts[FAILED]++;
                    example(examples, "line " + lineNumber + ": " + IysHttp.describe(ex));
                    return null;
                }
                TimeUnit.MILLISECONDS.sleep(backoffMs);
            }
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
    }

    private static boolean retryCode(final IysApiException ex)
    {
        for (final IysApiException.Error error : ex.errors())
        {
            if (BrandFeed.RETRY_CODES.contains(error.code()))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * After a barrier, each list written is the key's when the key still holds that very record: else a newer one
     * arrived while its list was read, and stands.
     */
    private void settle(final IndexLookup lookup, final List<ConsentChange> written, final List<long[]> applied,
        final long[] counts, final Failures outcomes, final List<String> examples)
        throws IOException, InterruptedException
    {
        if (written.isEmpty())
        {
            return;
        }
        try
        {
            pipeline.barrier().get();
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("the single writer failed: " + ex.getCause(), ex.getCause());
        }
        final long[] stored = new long[2];
        for (int i = 0; i < written.size(); i++)
        {
            final long[] words = applied.get(i);
            final String failure = outcomes.failed.remove(words[2]);
            if (failure != null)
            {
                counts[FAILED]++;
                example(examples, "line " + words[2] + ": not stored: " + failure);
            }
            else if (lookup.storedValue(written.get(i), stored) && stored[0] == words[0] && stored[1] == words[1])
            {
                counts[REFRESHED]++;
            }
            else
            {
                counts[NEWER]++;
            }
        }
        written.clear();
        applied.clear();
    }

    private void published(final long term) throws IOException, InterruptedException
    {
        try
        {
            pipeline.published(term).get(ChangeTap.PUBLISH_WAIT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new IOException("the access lists are applied on this fetcher, but not yet on the replication " +
                "topic: " + (ex instanceof TimeoutException ? "no commit within " + ChangeTap.PUBLISH_WAIT_MS +
                " ms" : String.valueOf(ex.getCause().getMessage())) + "; the replicas may lack them, refresh again");
        }
    }

    private static int[] codes(final List<Long> dealers)
    {
        final int[] codes = new int[dealers.size()];
        for (int i = 0; i < codes.length; i++)
        {
            codes[i] = (int)(long)dealers.get(i);
        }
        return codes;
    }

    private static void example(final List<String> examples, final String example)
    {
        if (examples.size() < LISTED)
        {
            examples.add(example);
        }
    }
}
