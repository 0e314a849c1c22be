package io.iysfilter.server.http;

import io.iysfilter.server.index.DurableFiles;
import io.iysfilter.server.iys.DailyFileImporter;
import io.iysfilter.server.iys.DealerAccessRefresh;
import io.iysfilter.server.iys.ReconcileService;
import io.iysfilter.server.iys.Reconciler;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * {@code POST /v1/reconcile?brand=&date=YYYY-MM-DD}: compares a brand's daily change file with the index, applies
 * what is missing through the single writer and answers a drift report as JSON (see {@link ReconcileService}). The
 * file is the request body (spooled to a temporary file as it arrives, up to {@code http-max-body-mb}), or, with an
 * empty body, fetched from İYS when the server follows İYS. The work runs on a worker thread, never on the event
 * loop. Sits before the HTTP aggregator.
 * <p>
 * The method, brand and day are checked from the request line before a byte of the body is read or spooled: a bad
 * one is answered (405, 400, 404) and the connection closed without reading the rest. A body over the cap (by its
 * Content-Length, or as it arrives) gets 413, and so does a line longer than {@value #MAX_LINE_LENGTH} bytes (no
 * daily file has one; the importer would otherwise have to hold it whole); the spool is deleted and the connection
 * closed.
 * <p>
 * {@code POST /v1/reconcile?brand=&dealers=true[&rate=N]} refreshes dealer access instead: the body names consents,
 * one {@code recipient,recipientType,type} a line, whose access lists are read from İYS's access-list call at most N
 * calls a second (default 5) and stored with their read time ({@link DealerAccessRefresh}).
 */
final class ReconcileHttpHandler extends ChannelInboundHandlerAdapter
{
    static final String PATH = "/v1/reconcile";
    /** Longest line of a daily file taken, newline excluded: the importer's cap, so a spooled body always reads. */
    static final int MAX_LINE_LENGTH = DailyFileImporter.MAX_LINE_BYTES;
    private static final int PAYLOAD_TOO_LARGE = 413;
    /** Calls a second to İYS's access-list call a dealer refresh makes unless told: under İYS's per-second limit. */
    private static final int DEFAULT_RATE = 5;

    private final ReconcileService reconciliations;
    private final Executor workers;
    private final long maxBodyBytes;
    private final ServerCounters counters;
    private String replicaRefusal;
    private Supplier<String> replicationTrouble = () -> null;
    private boolean active;
    private boolean refused;
    private long lineLength;
    private long lineNumber;
    private boolean keepAlive;
    private long brandCode;
    private String date;
    private boolean dealers;
    private int perSecond;
    private Path spool;
    private OutputStream spoolOut;
    private long bodyLength;

    ReconcileHttpHandler(
        final ReconcileService reconciliations,
        final Executor workers,
        final long maxBodyBytes,
        final ServerCounters counters)
    {
        this.reconciliations = reconciliations;
        this.workers = workers;
        this.maxBodyBytes = maxBodyBytes;
        this.counters = counters;
    }

    /**
     * On a replica every reconcile is refused: its index is written from the topic alone.
     *
     * @param refusal why, for the answer; null to take reconciles.
     * @return this.
     */
    ReconcileHttpHandler replica(final String refusal)
    {
        this.replicaRefusal = refusal;
        return this;
    }

    /**
     * On a fetcher, every reconcile is refused (503) while its publisher publishes no more: what it applied would
     * never reach the replicas.
     *
     * @param trouble why the fetcher publishes no more, or null while it publishes (or on a standalone server).
     * @return this.
     */
    ReconcileHttpHandler replication(final Supplier<String> trouble)
    {
        this.replicationTrouble = trouble;
        return this;
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg) throws Exception
    {
        if (msg instanceof HttpRequest request && !active &&
            PATH.equals(new QueryStringDecoder(request.uri()).path()))
        {
            ReferenceCountUtil.release(msg);
            begin(ctx, request);
        }
        else if (msg instanceof HttpContent content && active)
        {
            try
            {
                if (!refused && spoolOut != null && content.content().isReadable())
                {
                    spoolChecked(ctx, content.content());
                }
            }
            finally
            {
                content.release();
            }
            if (msg instanceof LastHttpContent && !refused)
            {
                active = false;
                finish(ctx);
            }
        }
        else if (msg instanceof HttpContent && refused)
        {
            ReferenceCountUtil.release(msg);
        }
        else
        {
            ctx.fireChannelRead(msg);
        }
    }

    private void begin(final ChannelHandlerContext ctx, final HttpRequest request) throws IOException
    {
        active = true;
        refused = false;
        keepAlive = HttpUtil.isKeepAlive(request);
        final Map<String, List<String>> parameters = new QueryStringDecoder(request.uri()).parameters();
        brandCode = DecisionParameters.parseCode(DecisionParameters.first(parameters, "brand"));
        date = DecisionParameters.first(parameters, "date");
        dealers = "true".equals(DecisionParameters.first(parameters, "dealers"));
        perSecond = rate(DecisionParameters.first(parameters, "rate"));
        bodyLength = 0;
        lineLength = 0;
        lineNumber = 1;
        spool = null;
        spoolOut = null;
        if (!HttpMethod.POST.equals(request.method()))
        {
            refuse(ctx, 405, Json.error("method_not_allowed", "reconcile takes POST: method=" + request.method()));
            return;
        }
        if (replicaRefusal != null)
        {
            refuse(ctx, HttpResponseStatus.CONFLICT.code(), Json.error("replica", replicaRefusal));
            return;
        }
        final String replication = replicationTrouble.get();
        if (replication != null)
        {
            refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE.code(),
                Json.error("replication", HttpApiHandler.FETCHER_STOPPED + replication));
            return;
        }
        // whether a body comes is known only at its end; checked again then (an empty one needs a feed)
        final ReconcileService.Result invalid = dealers ? dealersInvalid() :
            reconciliations.check(brandCode, date, true);
        if (invalid != null)
        {
            refuse(ctx, status(invalid.outcome()), error(invalid));
            return;
        }
        final long declared = HttpUtil.getContentLength(request, -1L);
        if (declared > maxBodyBytes)
        {
            refuse(ctx, PAYLOAD_TOO_LARGE, tooLarge(declared));
            return;
        }
        // owner-only whatever the JDK's default: it holds the recipients of the uploaded day
        spool = Files.createTempFile("iys-reconcile", ".csv", DurableFiles.FILE_ATTRIBUTE);
        spoolOut = Files.newOutputStream(spool);
    }

    /**
     * Spool a piece of the body, holding it to the body and line caps.
     */
    private void spoolChecked(final ChannelHandlerContext ctx, final ByteBuf piece) throws IOException
    {
        final int length = piece.readableBytes();
        if (bodyLength + length > maxBodyBytes)
        {
            refuse(ctx, PAYLOAD_TOO_LARGE, tooLarge(bodyLength + length));
            return;
        }
        final int end = piece.writerIndex();
        int from = piece.readerIndex();
        while (from < end)
        {
            final int newline = piece.indexOf(from, end, (byte)'\n');
            lineLength += (newline < 0 ? end : newline) - from;
            if (lineLength > MAX_LINE_LENGTH)
            {
                refuse(ctx, PAYLOAD_TOO_LARGE, Json.error("line_too_long", "body: line " + lineNumber +
                    " is longer than " + MAX_LINE_LENGTH + " bytes (expected: a daily change file, one record " +
                    "per line)"));
                return;
            }
            if (newline < 0)
            {
                break;
            }
            lineLength = 0;
            lineNumber++;
            from = newline + 1;
        }
        bodyLength += length;
        piece.readBytes(spoolOut, length);
    }

    private String tooLarge(final long length)
    {
        return Json.error("body_too_large", "body: " + length + " bytes or more, over http-max-body-mb (" +
            maxBodyBytes / (1024 * 1024) + " MiB)");
    }

    /**
     * Answer before the body is read, drop the spool, and close: the rest of the body is never read.
     */
    private void refuse(final ChannelHandlerContext ctx, final int status, final String body)
    {
        refused = true;
        closeSpool();
        deleteQuietly(spool);
        spool = null;
        if (status == PAYLOAD_TOO_LARGE || status == 400 || status == 404 || status == 405)
        {
            counters.onHttpBadRequest();
        }
        keepAlive = false;
        respond(ctx, status, body);
    }

    private void finish(final ChannelHandlerContext ctx)
    {
        final Path file = spool;
        closeSpool();
        if (dealers)
        {
            finishDealers(ctx, file);
            return;
        }
        final ReconcileService.Result invalid = reconciliations.check(brandCode, date, bodyLength > 0);
        if (invalid != null)
        {
            deleteQuietly(file);
            respond(ctx, status(invalid.outcome()), error(invalid));
            return;
        }
        final long brand = brandCode;
        final String day = date;
        final boolean fetch = bodyLength == 0;
        workers.execute(() ->
        {
            final ReconcileService.Result result;
            try
            {
                result = reconciliations.reconcile(brand, day, fetch ? null : file);
            }
            finally
            {
                deleteQuietly(file);
            }
            final int status = status(result.outcome());
            final String answer = status == 200 ? json(brand, day, result.fetched(), result.report()) : error(result);
            ctx.executor().execute(() -> respond(ctx, status, answer));
        });
    }

    /**
     * {@code dealers=true}: the body names consents whose dealer access is read from İYS's access-list call.
     */
    private ReconcileService.Result dealersInvalid()
    {
        if (perSecond < 1)
        {
            return new ReconcileService.Result(ReconcileService.Outcome.INVALID, false, null, "rate: 1.." +
                DealerAccessRefresh.MAX_PER_SECOND + " calls a second to İYS");
        }
        return reconciliations.check(brandCode, "1970-01-01", true);
    }

    private static int rate(final String text)
    {
        if (text == null)
        {
            return DEFAULT_RATE;
        }
        try
        {
            final int rate = Integer.parseInt(text);
            return rate >= 1 && rate <= DealerAccessRefresh.MAX_PER_SECOND ? rate : 0;
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }

    private void finishDealers(final ChannelHandlerContext ctx, final Path file)
    {
        if (bodyLength == 0)
        {
            deleteQuietly(file);
            respond(ctx, 400, Json.error("bad_request", "body: empty (expected: the consents, one " +
                "recipient,recipientType,type a line)"));
            return;
        }
        final long brand = brandCode;
        final int rate = perSecond;
        workers.execute(() ->
        {
            final ReconcileService.DealerResult result;
            try
            {
                result = reconciliations.refreshDealers(brand, file, rate);
            }
            finally
            {
                deleteQuietly(file);
            }
            final int status = status(result.outcome());
            final String answer = status == 200 ? dealersJson(brand, result.report()) :
                error(new ReconcileService.Result(result.outcome(), false, null, result.message()));
            ctx.executor().execute(() -> respond(ctx, status, answer));
        });
    }

    private static String dealersJson(final long brand, final DealerAccessRefresh.Report report)
    {
        final StringBuilder json = new StringBuilder("{\"brand\":").append(brand)
            .append(",\"dealers\":true,\"lines\":").append(report.lines())
            .append(",\"refreshed\":").append(report.refreshed())
            .append(",\"notOnay\":").append(report.notOnay())
            .append(",\"noRecord\":").append(report.noRecord())
            .append(",\"newer\":").append(report.newer())
            .append(",\"failed\":").append(report.failed())
            .append(",\"rejected\":").append(report.rejected())
            .append(",\"calls\":").append(report.calls())
            .append(",\"examples\":[");
        for (int i = 0; i < report.examples().size(); i++)
        {
            json.append(i == 0 ? "\"" : ",\"").append(Json.escape(report.examples().get(i))).append('"');
        }
        return json.append("]}").toString();
    }

    private static int status(final ReconcileService.Outcome outcome)
    {
        return switch (outcome)
        {
            case RECONCILED -> 200;
            case INVALID -> 400;
            case UNKNOWN_BRAND -> 404;
            case FAILED -> 502;
            case INTERRUPTED, UNPUBLISHED -> 503;
        };
    }

    private static String error(final ReconcileService.Result result)
    {
        final String code = switch (result.outcome())
        {
            case UNKNOWN_BRAND -> "unknown_brand";
            case FAILED -> "reconcile_failed";
            case INTERRUPTED -> "interrupted";
            case UNPUBLISHED -> "replication";
            default -> "bad_request";
        };
        if (result.outcome() == ReconcileService.Outcome.UNPUBLISHED)
        {
            return "{\"error\":\"replication\",\"retry\":true,\"message\":\"" + Json.escape(result.message()) +
                "\"}";
        }
        return Json.error(code, result.message());
    }

    private static String json(final long brand, final String date, final boolean fetched,
        final Reconciler.Report report)
    {
        final StringBuilder json = new StringBuilder("{\"brand\":").append(brand)
            .append(",\"date\":\"").append(date).append("\",\"source\":\"").append(fetched ? "iys" : "body")
            .append("\",\"lines\":").append(report.lines())
            .append(",\"missing\":").append(report.missing())
            .append(",\"older\":").append(report.older())
            .append(",\"conflicting\":").append(report.conflicting())
            .append(",\"matched\":").append(report.matched())
            .append(",\"rejected\":").append(report.rejected())
            .append(",\"examples\":[");
        for (int i = 0; i < report.examples().size(); i++)
        {
            json.append(i == 0 ? "\"" : ",\"").append(Json.escape(report.examples().get(i))).append('"');
        }
        return json.append("]}").toString();
    }

    private void respond(final ChannelHandlerContext ctx, final int status, final String body)
    {
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(status), Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        if (status == 503)
        {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, HttpApiHandler.RETRY_AFTER_SEC);
        }
        if (keepAlive)
        {
            ctx.writeAndFlush(response, ctx.voidPromise());
        }
        else
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            HttpGuard.closeAfter(ctx.writeAndFlush(response));
        }
    }

    private void closeSpool()
    {
        if (spoolOut != null)
        {
            try
            {
                spoolOut.close();
            }
            catch (final IOException ignored)
            {
                // the file is deleted after use anyway
            }
            spoolOut = null;
        }
    }

    private static void deleteQuietly(final Path file)
    {
        if (file != null)
        {
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ignored)
            {
                // a temporary file; the OS cleans it eventually
            }
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        if (active)
        {
            closeSpool();
            deleteQuietly(spool);
            spool = null;
        }
        super.channelInactive(ctx);
    }
}
