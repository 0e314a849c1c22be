package io.iysfilter.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.optout.OptOutLog;
import io.iysfilter.server.iys.FlatJson;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.IysTime;
import io.iysfilter.server.optout.OptOut;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Local opt-outs: a RET the provider received outside İYS (a STOP reply, a call centre).
 * <ul>
 *   <li>{@code POST /v1/optouts} with {@code {"brand","channel","recipient","recipientType","time","source"}}
 *   applies a RET marked local through the single writer: it wins over what the key holds only if newer in İYS
 *   order, and is superseded only by a newer İYS record. Its record is written ahead to the brand's opt-out log
 *   ({@link OptOutLog}) and forced to disk before the index is touched; 201 once both are done, so it holds from the
 *   next request on. 507 when the disk is full, 500 on another failure: then it is in neither. There is no local
 *   opt-in: only an ONAY in İYS makes a recipient sendable.</li>
 *   <li>{@code GET /v1/optouts?brand=} lists them, each with the date by which it must be uploaded to İYS (three
 *   business days; public holidays are not known here), from the log's verified records only.</li>
 * </ul>
 */
final class OptOutRequests
{
    /** HTTP 507 Insufficient Storage: the disk is full, the opt-out was not recorded. */
    static final int INSUFFICIENT_STORAGE = 507;
    private static final JsonFactory JSON = new JsonFactory();
    private static final long FUTURE_TOLERANCE_MS = 60_000;

    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient recipient = new ParsedRecipient();
    private final ConsentChange change = new ConsentChange();

    /**
     * An HTTP answer.
     *
     * @param status HTTP status.
     * @param body   JSON.
     */
    record Answer(int status, String body)
    {
    }

    OptOutRequests(final ConsentStore store, final IngestPipeline pipeline)
    {
        this.store = store;
        this.pipeline = pipeline;
    }

    CompletableFuture<Answer> record(final byte[] body)
    {
        final Map<String, String> fields;
        try
        {
            fields = flatObject(body);
        }
        catch (final IOException ex)
        {
            return done(400, "bad_request", "body: not a JSON object (" + ex.getMessage() + ")");
        }
        final long brandCode = DecisionParameters.parseCode(fields.get("brand"));
        final Channel channel = fields.get("channel") == null ? null : Channel.fromName(fields.get("channel"));
        final String typeText = fields.get("recipientType");
        final RecipientType type = typeText == null ? RecipientType.BIREYSEL : RecipientType.fromName(typeText);
        final String source = fields.getOrDefault("source", "LOCAL");
        if (brandCode < 0)
        {
            return done(400, "bad_request", "brand: '" + fields.get("brand") + "' (expected: an İYS brand code)");
        }
        if (channel == null)
        {
            return done(400, "bad_request", "channel: '" + fields.get("channel") +
                "' (expected: ARAMA, MESAJ or EPOSTA)");
        }
        if (type == null || type == RecipientType.UNSPECIFIED)
        {
            return done(400, "bad_request", "recipientType: '" + typeText + "' (expected: BIREYSEL or TACIR)");
        }
        final String recipientText = fields.get("recipient");
        if (recipientText == null || parser.parse(recipientText, recipient) == ParsedRecipient.INVALID ||
            !recipient.fits(channel))
        {
            return done(400, "bad_request", "recipient: '" + recipientText + "' (expected: a phone for ARAMA or " +
                "MESAJ, an e-mail for EPOSTA)");
        }
        if (!source.matches("[A-Za-z0-9_.-]{1,64}"))
        {
            return done(400, "bad_request", "source: '" + source + "' (expected: 1..64 letters, digits, _ . -)");
        }
        final long nowMs = System.currentTimeMillis();
        final long timeMs = time(fields.get("time"), nowMs);
        if (timeMs < 0 || timeMs > nowMs + FUTURE_TOLERANCE_MS)
        {
            return done(400, "bad_request", "time: '" + fields.get("time") + "' (expected: an ISO-8601 instant or " +
                "YYYY-MM-DD HH:mm:ss Turkey time, not in the future)");
        }
        if (store.brand(brandCode) == null)
        {
            return done(404, "unknown_brand", "no index for brand " + brandCode);
        }

        final OptOut optOut = new OptOut(nowMs, timeMs, brandCode, channel, recipient.toString(), type, source);
        optOut.toChange(change, parser, recipient);
        return pipeline.recordOptOut(change, optOut.toJson()).handle((outcome, error) -> error == null ?
            new Answer(201, optOut.toJson(outcome == ConsentIndexWriter.APPLIED ? "APPLIED" : "SUPERSEDED")) :
            failure(error));
    }

    /**
     * Not recorded: the log record was not written, or was taken back when the index change failed. 507 when the
     * disk is full, 500 otherwise; the client should retry later either way.
     */
    private static Answer failure(final Throwable error)
    {
        final Throwable cause = error instanceof CompletionException && error.getCause() != null ?
            error.getCause() : error;
        final String message = "the opt-out was not recorded: " +
            (cause.getMessage() == null ? cause.toString() : cause.getMessage());
        return DiskSpaceGuard.isDiskFull(cause) ? new Answer(INSUFFICIENT_STORAGE, error("disk_full", message)) :
            new Answer(500, error("internal_error", message));
    }

    /**
     * The brand's recorded opt-outs, built from the log's whole, verified records only (re-encoded, so the answer is
     * valid JSON whatever the file holds).
     */
    Answer list(final String brandText)
    {
        final long brandCode = DecisionParameters.parseCode(brandText);
        if (brandCode < 0 || store.brand(brandCode) == null)
        {
            return new Answer(brandCode < 0 ? 400 : 404, error(brandCode < 0 ? "bad_request" : "unknown_brand",
                "brand: '" + brandText + "'"));
        }
        final Path log = store.brand(brandCode).directory().resolve(ConsentStore.OPT_OUT_LOG);
        final StringBuilder json = new StringBuilder("{\"brand\":").append(brandCode).append(",\"optouts\":[");
        try
        {
            boolean first = true;
            for (final String record : OptOutLog.read(log).records())
            {
                final OptOut optOut;
                try
                {
                    optOut = OptOut.parse(record);
                }
                catch (final IOException ex)
                {
                    continue;
                }
                json.append(first ? "" : ",").append(optOut.toJson());
                first = false;
            }
        }
        catch (final IOException ex)
        {
            return new Answer(500, error("internal_error", "cannot read the opt-out log: " + ex.getMessage()));
        }
        return new Answer(200, json.append("]}").toString());
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

    private static Map<String, String> flatObject(final byte[] body) throws IOException
    {
        try (JsonParser json = JSON.createParser(body))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("expected an object");
            }
            return FlatJson.read(json);
        }
    }

    private static CompletableFuture<Answer> done(final int status, final String code, final String message)
    {
        return CompletableFuture.completedFuture(new Answer(status, error(code, message)));
    }

    static String error(final String code, final String message)
    {
        return "{\"error\":\"" + code + "\",\"message\":\"" + Json.escape(message) + "\"}";
    }
}
