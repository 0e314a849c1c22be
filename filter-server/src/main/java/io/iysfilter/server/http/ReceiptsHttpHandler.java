package io.iysfilter.server.http;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.receipts.FoundReceipt;
import io.iysfilter.server.receipts.ReceiptQuery;
import io.iysfilter.server.receipts.ReceiptResults;
import io.iysfilter.server.receipts.ReceiptSearch;
import io.iysfilter.server.receipts.ScrubProofs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The receipts' admin routes (docs/RECEIPTS.md), on the admin surface (the HTTP port without an admin listener):
 * <ul>
 *   <li>{@code GET /v1/receipts?brand=&recipient=[&from=&to=][&format=json|csv][&limit=]}: the brand's receipts of
 *   the recipient, JSON by default, with each day's digest; at most {@code limit} (default
 *   {@value #DEFAULT_LIMIT}, at most {@value #MAX_LIMIT}), and 422 {@code too_many_results} past it;</li>
 *   <li>{@code GET /v1/receipts/scrubs/<run id>}: a {@code /v1/scrub} run's proof-of-scrub summary.</li>
 * </ul>
 * The journal is read on a worker thread, never on the event loop. Every bad parameter is a 400 naming it; 404 when
 * the receipts are off; 500 {@code journal_unreadable} (never a partial answer) when a day searched cannot be read
 * or attributed (a search refuses a day whose {@code PARTIES} say two things).
 */
final class ReceiptsHttpHandler extends ChannelInboundHandlerAdapter
{
    /** The search route. */
    static final String PATH = "/v1/receipts";
    /** The proof-of-scrub route's prefix, followed by the run id. */
    static final String SCRUBS_PATH = "/v1/receipts/scrubs/";
    /** Receipts answered when {@code limit} is not given. */
    static final int DEFAULT_LIMIT = 1_000;
    /** The largest {@code limit}. */
    static final int MAX_LIMIT = 10_000;
    /** Unprocessable Content: more receipts match than the limit. */
    static final int TOO_MANY = 422;
    /** The UTC days a search reads when {@code from} is not given: these, up to the day of {@code to} or today. */
    static final int DEFAULT_DAYS = 31;
    /** The most UTC days one search over HTTP may read. */
    static final int MAX_DAYS = 92;
    /** The most searches that read the journal at once, over every connection. */
    static final int MAX_SEARCHES = 2;
    /** Seconds a search refused for {@link #MAX_SEARCHES} is told to wait. */
    static final int RETRY_AFTER_SECONDS = 2;
    private static final long DAY_MS = 86_400_000L;
    private static final String JSON = "application/json; charset=utf-8";
    private static final String CSV = "text/csv; charset=utf-8";
    private static final Set<String> PARAMETERS = Set.of("brand", "recipient", "from", "to", "format", "limit");

    private final ReceiptSearch search;
    private final ScrubProofs proofs;
    private final Executor workers;
    private final ServerCounters counters;
    private final AtomicInteger searching;
    private final LongSupplier clock;

    /**
     * @param search   the search, or null when the receipts are off.
     * @param proofs   the proof-of-scrub files, or null.
     * @param workers  where the journal is read.
     * @param counters counts bad requests.
     */
    ReceiptsHttpHandler(final ReceiptSearch search, final ScrubProofs proofs, final Executor workers,
        final ServerCounters counters)
    {
        this(search, proofs, workers, counters, new AtomicInteger(), System::currentTimeMillis);
    }

    /**
     * @param search    the search, or null when the receipts are off.
     * @param proofs    the proof-of-scrub files, or null.
     * @param workers   where the journal is read.
     * @param counters  counts bad requests.
     * @param searching the searches running, shared by every connection (at most {@link #MAX_SEARCHES}).
     * @param clock     now, epoch milliseconds: where the default range ends.
     */
    ReceiptsHttpHandler(final ReceiptSearch search, final ScrubProofs proofs, final Executor workers,
        final ServerCounters counters, final AtomicInteger searching, final LongSupplier clock)
    {
        this.search = search;
        this.proofs = proofs;
        this.workers = workers;
        this.counters = counters;
        this.searching = searching;
        this.clock = clock;
    }

    /**
     * @param path a request's path.
     * @return whether it is one of these routes.
     */
    static boolean serves(final String path)
    {
        return PATH.equals(path) || path.startsWith(PATH + "/");
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (!(msg instanceof FullHttpRequest request) || !request.decoderResult().isSuccess())
        {
            ctx.fireChannelRead(msg);
            return;
        }
        final QueryStringDecoder query = new QueryStringDecoder(request.uri());
        final String path = query.path();
        if (!serves(path))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        final HttpMethod method = request.method();
        ReferenceCountUtil.release(msg);
        if (!HttpMethod.GET.equals(method))
        {
            respond(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, JSON,
                Json.error("method_not_allowed", "receipts take GET: method=" + method));
            return;
        }
        if (search == null || proofs == null)
        {
            respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, JSON,
                Json.error("not_found", "the receipts are off on this server (setting receipts)"));
            return;
        }
        if (path.startsWith(SCRUBS_PATH))
        {
            scrub(ctx, keepAlive, path.substring(SCRUBS_PATH.length()));
        }
        else if (PATH.equals(path))
        {
            find(ctx, keepAlive, query.parameters());
        }
        else
        {
            respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, JSON, Json.error("not_found", "no such path: " +
                path + " (expected: " + PATH + " or " + SCRUBS_PATH + "<run id>)"));
        }
    }

    private void scrub(final ChannelHandlerContext ctx, final boolean keepAlive, final String idText)
    {
        final long runId;
        try
        {
            runId = DecisionIds.parse(idText);
        }
        catch (final IllegalArgumentException ex)
        {
            respond(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, JSON, Json.error("bad_request",
                "run id: " + ex.getMessage()));
            return;
        }
        offload(ctx, keepAlive, () ->
        {
            final String json = proofs.read(runId);
            return json == null ? new Answer(HttpResponseStatus.NOT_FOUND, JSON, Json.error("not_found",
                "no proof-of-scrub for run " + idText + " in the days kept")) :
                new Answer(HttpResponseStatus.OK, JSON, json);
        });
    }

    private void find(final ChannelHandlerContext ctx, final boolean keepAlive,
        final Map<String, List<String>> parameters)
    {
        final ReceiptQuery query;
        final boolean csv;
        final int limit;
        try
        {
            for (final Map.Entry<String, List<String>> parameter : parameters.entrySet())
            {
                if (!PARAMETERS.contains(parameter.getKey()))
                {
                    throw new IllegalArgumentException(parameter.getKey() + ": not a parameter of " + PATH +
                        " (expected: brand, recipient, from, to, format, limit)");
                }
                if (parameter.getValue().size() > 1)
                {
                    throw new IllegalArgumentException(parameter.getKey() + ": given more than once");
                }
            }
            final String brandText = DecisionParameters.first(parameters, "brand");
            final long brand = brandText == null ? -1 : DecisionParameters.parseCode(brandText);
            if (brand <= 0 || brand > 0xFFFF_FFFFL)
            {
                throw new IllegalArgumentException("brand: " + (brandText == null ? "missing" : "'" + brandText +
                    "'") + " (expected: an İYS brand code)");
            }
            final String format = DecisionParameters.first(parameters, "format");
            if (format != null && !"json".equals(format) && !"csv".equals(format))
            {
                throw new IllegalArgumentException("format: '" + format + "' (expected: json or csv)");
            }
            csv = "csv".equals(format);
            final String limitText = DecisionParameters.first(parameters, "limit");
            final long parsedLimit = limitText == null ? DEFAULT_LIMIT : DecisionParameters.parseCode(limitText);
            if (parsedLimit < 1 || parsedLimit > MAX_LIMIT)
            {
                throw new IllegalArgumentException("limit: '" + limitText + "' (expected: 1.." + MAX_LIMIT + ")");
            }
            limit = (int)parsedLimit;
            final long toMs = ReceiptQuery.parseBound("to", DecisionParameters.first(parameters, "to"), true);
            final long endMs = toMs == Long.MAX_VALUE ? clock.getAsLong() : toMs;
            final String fromText = DecisionParameters.first(parameters, "from");
            final long fromMs = fromText == null ? (Math.floorDiv(endMs - 1, DAY_MS) - (DEFAULT_DAYS - 1)) * DAY_MS :
                ReceiptQuery.parseBound("from", fromText, false);
            final long days = Math.floorDiv(endMs - 1, DAY_MS) - Math.floorDiv(fromMs, DAY_MS) + 1;
            if (fromMs < endMs && days > MAX_DAYS)
            {
                throw new IllegalArgumentException("from, to: the range spans " + days + " UTC days, more than " +
                    "the " + MAX_DAYS + " one search over HTTP may read (narrow it; without from a search reads " +
                    "the last " + DEFAULT_DAYS + "; receipts find on the server's host reads any range)");
            }
            query = new ReceiptQuery(brand, DecisionParameters.first(parameters, "recipient"), fromMs, toMs);
            final String problem = query.problem();
            if (problem != null)
            {
                throw new IllegalArgumentException(problem);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            respond(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, JSON, Json.error("bad_request", ex.getMessage()));
            return;
        }
        if (searching.incrementAndGet() > MAX_SEARCHES)
        {
            searching.decrementAndGet();
            respondBusy(ctx, keepAlive);
            return;
        }
        final boolean offloaded = offload(ctx, keepAlive, () ->
        {
            try
            {
                return answer(query, csv, limit);
            }
            finally
            {
                searching.decrementAndGet();
            }
        });
        if (!offloaded)
        {
            searching.decrementAndGet();
        }
    }

    /**
     * Search, on a worker: the receipts found, or the error that stands for the whole answer.
     */
    private Answer answer(final ReceiptQuery query, final boolean csv, final int limit)
    {
        final List<FoundReceipt> found = new ArrayList<>();
        final List<ReceiptSearch.DaySearched> days;
        try
        {
            days = search.search(query, receipt -> found.add(receipt) && found.size() <= limit);
        }
        catch (final IllegalArgumentException ex)
        {
            return new Answer(HttpResponseStatus.BAD_REQUEST, JSON, Json.error("bad_request", ex.getMessage()));
        }
        catch (final IOException ex)
        {
            // a day in range unreadable, malformed, or whose parties could be read two ways: no partial answer,
            // since what was found may be attributed wrongly or the day's other receipts be missing
            return new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, JSON, Json.error("journal_unreadable",
                "the journal could not be read, nothing is answered: " + ex.getMessage()));
        }
        if (found.size() > limit)
        {
            return new Answer(HttpResponseStatus.valueOf(TOO_MANY), JSON, Json.error("too_many_results",
                "more than " + limit + " receipts match: narrow the range with from and to, or raise limit (at " +
                "most " + MAX_LIMIT + ")"));
        }
        final ReceiptResults results = new ReceiptResults(query, found, days);
        return csv ? new Answer(HttpResponseStatus.OK, CSV, results.csv()) :
            new Answer(HttpResponseStatus.OK, JSON, results.json());
    }

    /**
     * Work that reads the journal, and its answer.
     */
    @FunctionalInterface
    private interface Work
    {
        Answer run() throws Exception;
    }

    /**
     * An answer.
     */
    private record Answer(HttpResponseStatus status, String contentType, String body)
    {
    }

    /**
     * @return false when the workers refused it (the server stopping): then it has been answered 503.
     */
    private boolean offload(final ChannelHandlerContext ctx, final boolean keepAlive, final Work work)
    {
        try
        {
            workers.execute(() ->
            {
                Answer answer;
                try
                {
                    answer = work.run();
                }
                catch (final Throwable ex)
                {
                    answer = new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, JSON, Json.error("internal_error",
                        "the journal could not be read: " + ex));
                }
                final Answer sent = answer;
                ctx.executor().execute(() -> respond(ctx, keepAlive, sent.status(), sent.contentType(), sent.body()));
            });
        }
        catch (final RejectedExecutionException ex)
        {
            respond(ctx, false, HttpResponseStatus.SERVICE_UNAVAILABLE, JSON, Json.error("shutting_down",
                "the server is stopping"));
            return false;
        }
        return true;
    }

    private void respondBusy(final ChannelHandlerContext ctx, final boolean keepAlive)
    {
        final ByteBuf content = Unpooled.copiedBuffer(Json.error("busy", MAX_SEARCHES + " searches of the " +
            "receipts are running, the most at once: ask again in " + RETRY_AFTER_SECONDS + " s"),
            StandardCharsets.UTF_8);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.SERVICE_UNAVAILABLE, content);
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, JSON)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
            .setInt(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        write(ctx, keepAlive, response);
    }

    private void respond(
        final ChannelHandlerContext ctx,
        final boolean keepAlive,
        final HttpResponseStatus status,
        final String contentType,
        final String body)
    {
        if (status.code() >= 400 && status.code() < 500)
        {
            counters.onHttpBadRequest();
        }
        final ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, contentType)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        write(ctx, keepAlive, response);
    }

    private static void write(final ChannelHandlerContext ctx, final boolean keepAlive, final FullHttpResponse response)
    {
        if (keepAlive)
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response, ctx.voidPromise());
        }
        else
        {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
