package io.iysfilter.server.push;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.ConsentRecordParser;
import io.iysfilter.server.iys.FlatJson;
import io.iysfilter.server.iys.IysTime;
import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.security.FailureLimiter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * İYS's pushes of citizens' own changes (docs/PUSH.md), below the HTTP edge. A push is checked (HTTP Basic against
 * {@link PushCredentials}, failures limited per address, and failed key derivations from all addresses together;
 * a rate of pushes), read ({@code {"list":[record, …]}}, at
 * most {@link PushSettings#maxRecords()} records), each record validated by the pull feed's own
 * {@link ConsentRecordParser} (a bad one is quarantined to {@code push-quarantine.log} and counted, the rest still
 * taken), the valid ones appended to the {@link PushLog} and forced, and handed to the single writer, which applies
 * them in İYS order as it does the feed's (a pushed record and the same record later in the pull feed are one change,
 * the second superseded; a record from the future never wins). RETs are handed over before the force, so that a
 * withdrawal does not wait for the disk, ONAYs after it. The answer (2xx) follows the force and the hand-off, never
 * the writer's work. İYS's test record (codes 121212,
 * {@code pushtest@iys.org.tr}) is accepted and dropped.
 * <p>
 * The work of a push runs on one thread of its own ({@code iys-push}), never on an event loop: the password
 * derivation, the force, and the ring when it is full may block. Thread-safe.
 */
public final class PushReceiver implements AutoCloseable
{
    /** İYS's test record's provider and brand code. */
    public static final String TEST_CODE = "121212";
    /** İYS's test record's recipient. */
    public static final String TEST_RECIPIENT = "pushtest@iys.org.tr";
    /** The quarantine's file name in the data directory. */
    public static final String QUARANTINE_FILE = "push-quarantine.log";
    /** Records older than this at start are left out of the push log: the pull feed has served them. */
    static final long KEEP_MS = TimeUnit.DAYS.toMillis(8);
    /** How often a running receiver leaves the old records out of the push log, as the start does. */
    static final long PRUNE_EVERY_MS = TimeUnit.DAYS.toMillis(1);
    /**
     * Failed key derivations a minute, from all addresses together, as a multiple of the per-address limit: past it
     * only credentials verified before are checked (a flood from many addresses would otherwise keep the receiver's
     * one thread deriving keys, and İYS's pushes would queue behind it into 503s).
     */
    static final int ALL_ADDRESSES_FACTOR = 10;
    private static final String ALL_ADDRESSES = "*";
    private static final int MAX_RECORD_FIELDS = 64;
    private static final int MAX_PENDING_REFUSALS = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(PushReceiver.class);
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final PushSettings settings;
    private final PushCredentials credentials;
    private final LongSupplier clock;
    private final PushLog log;
    private final Path quarantine;
    private final FailureLimiter failures;
    private final FailureLimiter derivationFailures;
    private final ThreadPoolExecutor worker;
    private final ConsentRecordParser parser = new ConsentRecordParser();
    private final Outcomes outcomes = new Outcomes();
    private final LogLimiter logLimiter = LogLimiter.everyTenSeconds();
    private final ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingRefusals = new AtomicInteger();
    private final Map<Long, BrandPushes> brands = new ConcurrentHashMap<>();
    private final AtomicLong pushes = new AtomicLong();
    private final AtomicLong refusedPushes = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong duplicate = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong testRecords = new AtomicLong();
    private final AtomicLong authFailures = new AtomicLong();
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong logRepairs = new AtomicLong();
    private volatile Timer lag;
    private double tokens;
    private long tokensAtNs;
    private long prunedAtMs;

    /**
     * What became of a push.
     */
    public enum Outcome
    {
        /** Taken (200): its valid records are logged and handed to the writer; invalid ones quarantined. */
        ACCEPTED(200),
        /** No or wrong Basic credentials (401). */
        UNAUTHORIZED(401),
        /** The address failed too often this minute, refused unchecked (429). */
        BLOCKED(429),
        /** Over the rate of pushes (429). */
        RATE_LIMITED(429),
        /** Not a JSON object with a list of records (400). */
        MALFORMED(400),
        /** More records than a push may hold (413). */
        TOO_MANY_RECORDS(413),
        /** The receiver's queue is full (503): İYS may send it again. */
        BUSY(503),
        /** The push log could not be written (503): nothing of it was taken. */
        FAILED(503);

        private final int status;

        Outcome(final int status)
        {
            this.status = status;
        }

        /**
         * @return the HTTP status it is answered with.
         */
        public int status()
        {
            return status;
        }
    }

    /**
     * An answer.
     *
     * @param outcome  what became of the push.
     * @param records  records it listed.
     * @param taken    valid records logged and handed to the writer.
     * @param rejected records quarantined.
     * @param test     İYS test records dropped.
     * @param message  why, when not accepted; else null.
     */
    public record Result(Outcome outcome, int records, int taken, int rejected, int test, String message)
    {
        static Result refused(final Outcome outcome, final String message)
        {
            return new Result(outcome, 0, 0, 0, 0, message);
        }
    }

    /**
     * What a brand has been pushed, for {@code /v1/brands}.
     */
    public static final class BrandPushes
    {
        private final AtomicLong records = new AtomicLong();
        private final AtomicLong rejectedRecords = new AtomicLong();
        private volatile long lastPushMs;

        /**
         * @return records pushed for the brand since start (test records not included).
         */
        public long records()
        {
            return records.get();
        }

        /**
         * @return of those, records quarantined.
         */
        public long rejected()
        {
            return rejectedRecords.get();
        }

        /**
         * @return when the last push with a record of the brand was taken, epoch ms, or 0.
         */
        public long lastPushMs()
        {
            return lastPushMs;
        }
    }

    /**
     * @param store    the index: its brands and data directory.
     * @param pipeline the single writer.
     * @param settings the receiver's settings; on.
     * @param clock    epoch ms.
     * @throws IOException when the credentials file cannot be read.
     */
    public PushReceiver(final ConsentStore store, final IngestPipeline pipeline, final PushSettings settings,
        final LongSupplier clock) throws IOException
    {
        this.store = store;
        this.pipeline = pipeline;
        this.settings = settings;
        this.clock = clock;
        this.credentials = PushCredentials.load(settings.credentialsFile());
        this.log = new PushLog(store.dataDirectory(), store.key());
        this.quarantine = store.dataDirectory().resolve(QUARANTINE_FILE);
        this.failures = new FailureLimiter(settings.authFailureLimit());
        this.derivationFailures = new FailureLimiter((int)Math.min(Integer.MAX_VALUE,
            (long)settings.authFailureLimit() * ALL_ADDRESSES_FACTOR));
        this.tokens = settings.pushesPerSecond();
        this.tokensAtNs = System.nanoTime();
        this.prunedAtMs = clock.getAsLong();
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(settings.maxConnections()), runnable ->
            {
                final Thread thread = new Thread(runnable, "iys-push");
                thread.setDaemon(true);
                return thread;
            });
    }

    /**
     * Take a push, on the receiver's thread.
     *
     * @param authorization the {@code Authorization} header, or null.
     * @param address       the peer's address, without port.
     * @param body          the body.
     * @param urlBrand      the brand code the URL names ({@code path/{brandCode}}), or -1.
     * @return completes with the answer; never exceptionally.
     */
    public CompletableFuture<Result> push(final String authorization, final String address, final byte[] body,
        final long urlBrand)
    {
        try
        {
            return CompletableFuture.supplyAsync(() -> take(authorization, address, body, urlBrand), worker);
        }
        catch (final RejectedExecutionException ex)
        {
            refusedPushes.incrementAndGet();
            return CompletableFuture.completedFuture(Result.refused(Outcome.BUSY, "the push receiver is busy"));
        }
    }

    private Result take(final String authorization, final String address, final byte[] body, final long urlBrand)
    {
        try
        {
            final long nowNs = System.nanoTime();
            if (failures.blocked(address, nowNs))
            {
                authFailures.incrementAndGet();
                return refused(Outcome.BLOCKED, "too many failed authentications from this address");
            }
            final String[] pair = basicPair(authorization);
            if (pair == null || !credentials.remembered(pair[0], pair[1]))
            {
                if (pair != null && derivationFailures.blocked(ALL_ADDRESSES, nowNs))
                {
                    authFailures.incrementAndGet();
                    return refused(Outcome.BLOCKED, "too many failed authentications from all addresses: only " +
                        "credentials verified before are checked this minute");
                }
                if (pair == null || !credentials.check(pair[0], pair[1]))
                {
                    authFailures.incrementAndGet();
                    failures.onFailure(address, nowNs);
                    if (pair != null)
                    {
                        derivationFailures.onFailure(ALL_ADDRESSES, nowNs);
                    }
                    return refused(Outcome.UNAUTHORIZED, "HTTP Basic credentials missing or wrong");
                }
            }
            if (!rateAllows(nowNs))
            {
                rateLimited.incrementAndGet();
                return refused(Outcome.RATE_LIMITED, "more than " + settings.pushesPerSecond() + " pushes a second");
            }
            final Result result = receive(body, urlBrand);
            if (result.outcome() == Outcome.ACCEPTED)
            {
                pushes.incrementAndGet();
            }
            else
            {
                refusedPushes.incrementAndGet();
            }
            return result;
        }
        catch (final Throwable ex)
        {
            refusedPushes.incrementAndGet();
            if (logLimiter.tryAcquire(System.nanoTime()) >= 0)
            {
                LOG.error("İYS push not taken", ex);
            }
            return Result.refused(Outcome.FAILED, "not taken: " + ex);
        }
    }

    private Result refused(final Outcome outcome, final String message)
    {
        refusedPushes.incrementAndGet();
        return Result.refused(outcome, message);
    }

    /**
     * @return the username and password of a Basic authorization, or null when there is none or it is malformed.
     */
    private static String[] basicPair(final String authorization)
    {
        if (authorization == null || authorization.length() < 7 ||
            !authorization.regionMatches(true, 0, "Basic ", 0, 6))
        {
            return null;
        }
        final String decoded;
        try
        {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
                StandardCharsets.UTF_8);
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
        final int colon = decoded.indexOf(':');
        return colon > 0 ? new String[]{decoded.substring(0, colon), decoded.substring(colon + 1)} : null;
    }

    private boolean rateAllows(final long nowNs)
    {
        final double rate = settings.pushesPerSecond();
        tokens = Math.min(rate, tokens + (nowNs - tokensAtNs) * rate / 1e9);
        tokensAtNs = nowNs;
        if (tokens < 1)
        {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /**
     * Read, validate, log and hand over one push's records. Called on the receiver's thread (tests call it directly).
     *
     * @param body     the body.
     * @param urlBrand the brand the URL names, or -1.
     * @return the answer.
     * @throws IOException when the quarantine cannot be written.
     */
    Result receive(final byte[] body, final long urlBrand) throws IOException
    {
        drainRefusals();
        pruneIfDue();
        final List<Map<String, String>> list;
        try
        {
            list = readList(body);
        }
        catch (final TooManyRecordsException ex)
        {
            return Result.refused(Outcome.TOO_MANY_RECORDS, "more than " + settings.maxRecords() + " records");
        }
        catch (final IOException ex)
        {
            return Result.refused(Outcome.MALFORMED, "expected {\"list\":[consent records]}: " + ex.getMessage());
        }
        final List<ConsentChange> changes = new ArrayList<>();
        final List<String> lines = new ArrayList<>();
        final List<Long> tags = new ArrayList<>();
        final long[] brandCodes = new long[list.size()];
        final String[] invalid = new String[list.size()];
        int test = 0;
        for (int i = 0; i < list.size(); i++)
        {
            final Map<String, String> fields = list.get(i);
            if (isTest(fields))
            {
                test++;
                continue;
            }
            final long brandCode = brandOf(fields, urlBrand);
            final ConsentChange change = new ConsentChange();
            brandCodes[i] = brandCode;
            invalid[i] = validate(fields, brandCode, urlBrand, change);
            if (invalid[i] == null)
            {
                fields.put("brandCode", Long.toString(brandCode));
                changes.add(change);
                lines.add(toJson(fields));
                tags.add(IysTime.parseSeconds(fields.get("creationDate")));
            }
        }
        // withdrawals are handed to the writer before the log's force, so that a pushed RET is enforced without
        // waiting for the disk: İYS's own records, authenticated and validated, and only ever making answers stricter.
        // Consents wait for the force: an ALLOW must rest on a record the log keeps. A RET the log then fails to keep
        // is applied (and counted) now, and again as a duplicate when İYS sends the push answered 503 once more.
        publish(changes, tags, true);
        try
        {
            log.append(lines);
        }
        catch (final IOException | UncheckedIOException ex)
        {
            // nothing quarantined or counted here: İYS sends a push answered 503 again, and its records are told then
            return Result.refused(Outcome.FAILED, "the push log could not be written: " + ex.getMessage());
        }
        publish(changes, tags, false);
        final long nowMs = clock.getAsLong();
        int rejectedHere = 0;
        for (int i = 0; i < list.size(); i++)
        {
            if (brandCodes[i] > 0)
            {
                final BrandPushes brand = brands.computeIfAbsent(brandCodes[i], (code) -> new BrandPushes());
                brand.records.incrementAndGet();
                brand.lastPushMs = nowMs;
                if (invalid[i] != null)
                {
                    brand.rejectedRecords.incrementAndGet();
                }
            }
            if (invalid[i] != null)
            {
                rejectedHere++;
            }
        }
        received.addAndGet(list.size() - test);
        rejected.addAndGet(rejectedHere);
        testRecords.addAndGet(test);
        // after the log: a quarantine that cannot be written fails the push (503, İYS sends it again, its valid
        // records then superseded), but a push refused for its log never quarantines what İYS will send again
        for (int i = 0; i < list.size(); i++)
        {
            if (invalid[i] != null)
            {
                quarantine(invalid[i], list.get(i));
            }
        }
        return new Result(Outcome.ACCEPTED, list.size(), changes.size(), rejectedHere, test, null);
    }

    private void publish(final List<ConsentChange> changes, final List<Long> tags, final boolean withdrawals)
    {
        for (int i = 0; i < changes.size(); i++)
        {
            if (withdrawal(changes.get(i)) == withdrawals)
            {
                pipeline.publish(changes.get(i), tags.get(i), outcomes);
            }
        }
    }

    private static boolean withdrawal(final ConsentChange change)
    {
        return ConsentValueDescriptor.status(change.word1()) == ConsentStatus.RET;
    }

    private static boolean isTest(final Map<String, String> fields)
    {
        return TEST_CODE.equals(fields.get("brandCode")) || TEST_CODE.equals(fields.get("iysCode")) ||
            TEST_RECIPIENT.equalsIgnoreCase(fields.get("recipient"));
    }

    private static long brandOf(final Map<String, String> fields, final long urlBrand)
    {
        final String text = fields.get("brandCode");
        return text == null ? urlBrand : code(text);
    }

    private String validate(final Map<String, String> fields, final long brandCode, final long urlBrand,
        final ConsentChange change)
    {
        if (brandCode < 1)
        {
            return "invalid brandCode: '" + fields.get("brandCode") + "' (expected: an İYS brand code in the record " +
                "or the URL)";
        }
        if (urlBrand > 0 && brandCode != urlBrand)
        {
            return "brandCode " + brandCode + " pushed to the URL of brand " + urlBrand;
        }
        if (store.brand(brandCode) == null)
        {
            return "no index for brand " + brandCode;
        }
        final String invalid = parser.parse(brandCode, text(fields, "creationDate"), text(fields, "transactionId"),
            text(fields, "recipient"), text(fields, "recipientType"), text(fields, "type"), text(fields, "status"),
            text(fields, "consentDate"), text(fields, "source"), text(fields, "retailerCode"),
            text(fields, "retailerAccess"), change);
        if (invalid != null)
        {
            return invalid;
        }
        // the writer refuses a record from the future too, but the push log keeps what it was given and replays it at
        // every start: checked here, before the log, so that a future record is never kept until the clock reaches it
        // and it then wins over a real change created before its date
        final long creationMs = IysTime.parseSeconds(fields.get("creationDate")) * 1000;
        if (creationMs > clock.getAsLong() + store.maxFutureSkewMs())
        {
            return "creationDate " + fields.get("creationDate") + " is past this server's clock by more than " +
                "max-future-skew (" + store.maxFutureSkewMs() + " ms): a record from the future never wins";
        }
        return null;
    }

    private static String text(final Map<String, String> fields, final String name)
    {
        final String value = fields.get(name);
        return value == null ? "" : value;
    }

    private List<Map<String, String>> readList(final byte[] body) throws IOException
    {
        final List<Map<String, String>> list = new ArrayList<>();
        try (JsonParser json = JSON.createParser(body))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("not a JSON object");
            }
            boolean listed = false;
            JsonToken token;
            while ((token = json.nextToken()) == JsonToken.FIELD_NAME)
            {
                final String name = json.currentName();
                token = json.nextToken();
                if (!"list".equals(name))
                {
                    json.skipChildren();
                    continue;
                }
                if (token != JsonToken.START_ARRAY)
                {
                    throw new IOException("list is not an array");
                }
                listed = true;
                while ((token = json.nextToken()) == JsonToken.START_OBJECT)
                {
                    if (list.size() == settings.maxRecords())
                    {
                        throw new TooManyRecordsException();
                    }
                    list.add(FlatJson.read(json, MAX_RECORD_FIELDS));
                }
                if (token != JsonToken.END_ARRAY)
                {
                    throw new IOException("a list element is not an object");
                }
            }
            if (token != JsonToken.END_OBJECT || !listed)
            {
                throw new IOException(listed ? "malformed JSON" : "no list");
            }
            if (json.nextToken() != null)
            {
                throw new IOException("text after the object");
            }
        }
        return list;
    }

    private static String toJson(final Map<String, String> fields) throws IOException
    {
        final StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out))
        {
            json.writeStartObject();
            for (final Map.Entry<String, String> field : new TreeMap<>(fields).entrySet())
            {
                json.writeStringField(field.getKey(), field.getValue());
            }
            json.writeEndObject();
        }
        return out.toString();
    }

    private void quarantine(final String reason, final Map<String, String> fields) throws IOException
    {
        final String line = Instant.ofEpochMilli(clock.getAsLong()) + "\t" + Recipients.maskText(reason) + "\t" +
            Recipients.maskText(toJson(new TreeMap<>(fields))) + "\n";
        PushLog.ownerOnly(quarantine);
        // text UTF-8 cannot encode (a lone surrogate from a JSON escape) becomes '?': refusing it would fail the push
        Files.write(quarantine, line.getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    }

    private void drainRefusals() throws IOException
    {
        String refusal;
        while ((refusal = refusals.poll()) != null)
        {
            pendingRefusals.decrementAndGet();
            PushLog.ownerOnly(quarantine);
            Files.write(quarantine, (Instant.ofEpochMilli(clock.getAsLong()) + "\tindex refused: " +
                Recipients.maskText(refusal) + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        }
    }

    /**
     * Put the push log back into the index, through the single writer, before anything is served; then leave out of
     * the log the records older than the pull feed's window.
     *
     * @return records replayed.
     * @throws IOException when the log cannot be read or rewritten: a server that cannot replay must not start, it
     *                     could answer ALLOW for a recipient whose RET was acknowledged to İYS.
     */
    public int replay() throws IOException
    {
        final PushLog.Contents contents = log.read();
        logRepairs.addAndGet(contents.dropped());
        final ConsentChange change = new ConsentChange();
        final List<String> kept = new ArrayList<>();
        final long oldestSec = (clock.getAsLong() - KEEP_MS) / 1000;
        final IngestListener replayed = new IngestListener()
        {
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
                LOG.warn("push log record not replayed (kept for the next start): {}", Recipients.maskText(reason));
            }
        };
        int replayedCount = 0;
        for (final String record : contents.records())
        {
            final Map<String, String> fields = fields(record);
            final long brandCode = code(text(fields, "brandCode"));
            if (validate(fields, brandCode, -1, change) != null)
            {
                // a brand since removed, or damaged beyond opening: kept, replayed once it is back
                kept.add(record);
                continue;
            }
            if (IysTime.parseSeconds(fields.get("creationDate")) >= oldestSec)
            {
                kept.add(record);
            }
            pipeline.publish(change, 0, replayed);
            replayedCount++;
        }
        await(pipeline.barrier());
        if (contents.dropped() > 0 || kept.size() < contents.records().size())
        {
            log.rewrite(kept);
        }
        if (replayedCount > 0 || contents.dropped() > 0)
        {
            LOG.info("push log replayed: records={}, dropped={}, keptInLog={}", replayedCount, contents.dropped(),
                kept.size());
        }
        return replayedCount;
    }

    /**
     * Once a day, on the receiver's thread, leave out of the push log the records older than the pull feed's window,
     * as {@link #replay()} does at start: else the log of a server that runs for months grows without bound, and its
     * next start replays all of it. A failure is logged and tried again the next day; the push goes on.
     */
    private void pruneIfDue()
    {
        final long nowMs = clock.getAsLong();
        if (nowMs - prunedAtMs < PRUNE_EVERY_MS)
        {
            return;
        }
        prunedAtMs = nowMs;
        try
        {
            final PushLog.Contents contents = log.read();
            final long oldestSec = (nowMs - KEEP_MS) / 1000;
            final ConsentChange scratch = new ConsentChange();
            final List<String> kept = new ArrayList<>();
            for (final String record : contents.records())
            {
                final Map<String, String> fields = fields(record);
                // a record of a brand since removed is kept, as at start, to be replayed once it is back
                if (validate(fields, code(text(fields, "brandCode")), -1, scratch) != null ||
                    IysTime.parseSeconds(fields.get("creationDate")) >= oldestSec)
                {
                    kept.add(record);
                }
            }
            if (contents.dropped() > 0 || kept.size() < contents.records().size())
            {
                log.rewrite(kept);
                logRepairs.addAndGet(contents.dropped());
                LOG.info("push log pruned: records={}, dropped={}, keptInLog={}", contents.records().size() -
                    kept.size(), contents.dropped(), kept.size());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("push log not pruned (tried again in a day): {}", ex.toString());
        }
    }

    private static Map<String, String> fields(final String record) throws IOException
    {
        try (JsonParser json = JSON.createParser(record))
        {
            json.nextToken();
            return FlatJson.read(json, MAX_RECORD_FIELDS);
        }
    }

    private static void await(final CompletableFuture<?> future) throws IOException
    {
        try
        {
            future.get();
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("cannot replay the push log: " + ex.getCause(), ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while replaying the push log", ex);
        }
    }

    /**
     * @param brandCode a brand.
     * @return what it has been pushed, or null when nothing since start.
     */
    public BrandPushes brand(final long brandCode)
    {
        return brands.get(brandCode);
    }

    /**
     * @return the settings.
     */
    public PushSettings settings()
    {
        return settings;
    }

    /**
     * @return pushes accepted since start.
     */
    public long pushes()
    {
        return pushes.get();
    }

    /**
     * @return records received (test records not included).
     */
    public long received()
    {
        return received.get();
    }

    /**
     * @return records the writer applied.
     */
    public long applied()
    {
        return applied.get();
    }

    /**
     * @return records the index already held, or held something newer for (a push repeated, or the pull feed first).
     */
    public long duplicates()
    {
        return duplicate.get();
    }

    /**
     * @return records quarantined: invalid, or refused by the writer (from the future, no index).
     */
    public long rejected()
    {
        return rejected.get();
    }

    /**
     * @return İYS test records dropped.
     */
    public long testRecords()
    {
        return testRecords.get();
    }

    /**
     * @return failed and unchecked-refused authentications.
     */
    public long authFailures()
    {
        return authFailures.get();
    }

    /**
     * Register the push meters: {@code iys_push_requests_total} (accepted, refused), {@code iys_push_records_total}
     * per outcome, {@code iys_push_auth_failures_total}, {@code iys_push_rate_limited_total},
     * {@code iys_push_log_repairs_total} and {@code iys_push_lag_seconds} (creationDate to application).
     *
     * @param registry where.
     */
    public void bindTo(final MeterRegistry registry)
    {
        FunctionCounter.builder("iys_push_requests", pushes, AtomicLong::get).tag("outcome", "accepted")
            .description("İYS pushes accepted").register(registry);
        FunctionCounter.builder("iys_push_requests", refusedPushes, AtomicLong::get).tag("outcome", "refused")
            .description("İYS pushes refused (authentication, rate, malformed, too large, busy)").register(registry);
        record(registry, "received", received);
        record(registry, "applied", applied);
        record(registry, "duplicate", duplicate);
        record(registry, "rejected", rejected);
        record(registry, "test", testRecords);
        FunctionCounter.builder("iys_push_auth_failures", authFailures, AtomicLong::get)
            .description("İYS push authentications failed or refused unchecked").register(registry);
        FunctionCounter.builder("iys_push_rate_limited", rateLimited, AtomicLong::get)
            .description("İYS pushes refused over the rate").register(registry);
        FunctionCounter.builder("iys_push_log_repairs", logRepairs, AtomicLong::get)
            .description("Push log lines dropped at start: torn or corrupt").register(registry);
        lag = Timer.builder("iys_push_lag").description("From a pushed record's creationDate to its application")
            .publishPercentiles(0.5, 0.99).register(registry);
    }

    private static void record(final MeterRegistry registry, final String outcome, final AtomicLong counter)
    {
        FunctionCounter.builder("iys_push_records", counter, AtomicLong::get).tag("outcome", outcome)
            .description("Records pushed by İYS, per outcome").register(registry);
    }

    /**
     * Stop taking pushes; what was taken is in the log and the ring. Then close the log.
     */
    @Override
    public void close()
    {
        worker.shutdown();
        try
        {
            if (!worker.awaitTermination(5, TimeUnit.SECONDS))
            {
                worker.shutdownNow();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try
        {
            drainRefusals();
            log.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("push log not closed cleanly: {}", ex.toString());
        }
    }

    private static long code(final String text)
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

    /**
     * More records than a push may hold.
     */
    private static final class TooManyRecordsException extends IOException
    {
        private static final long serialVersionUID = 1L;
    }

    /**
     * What the writer made of each pushed record; on the writer thread, quick.
     */
    private final class Outcomes implements IngestListener
    {
        @Override
        public void onApplied(final long tag)
        {
            applied.incrementAndGet();
            final Timer timer = lag;
            if (timer != null)
            {
                timer.record(Math.max(0, clock.getAsLong() - tag * 1000), TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void onSuperseded(final long tag)
        {
            duplicate.incrementAndGet();
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            rejected.incrementAndGet();
            if (pendingRefusals.incrementAndGet() <= MAX_PENDING_REFUSALS)
            {
                refusals.offer(reason);
            }
            else
            {
                pendingRefusals.decrementAndGet();
            }
        }
    }
}
