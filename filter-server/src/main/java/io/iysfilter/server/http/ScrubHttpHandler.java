package io.iysfilter.server.http;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.iys.CsvLine;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.RequestType;
import io.iysfilter.server.receipts.ScrubProofs;
import io.iysfilter.server.receipts.ScrubRun;
import io.iysfilter.server.security.ClientStats;
import io.iysfilter.server.security.RowRate;
import io.iysfilter.server.security.ScrubRates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/scrub?brand=&channel=&kind=&recipientType=&column=&header=}: the body is a list, one row per line
 * (a bare recipient, or CSV whose {@code column}, 1-based, default 1, holds it); the response streams back, chunked
 * and in order, each row followed by {@code ,VERDICT,REASON}. Rows are decided as their bytes arrive, so neither side
 * ever holds the list: the server keeps at most one partial line of up to {@value #MAX_LINE_LENGTH} bytes, and
 * stops reading while the client is not reading its answers. A longer line is cut there and answered
 * DENY,INVALID_RECIPIENT. With {@code header=true} the first line is echoed with {@code ,verdict,reason}.
 * <p>
 * Sits before the HTTP aggregator and passes every other request through to it.
 * <p>
 * {@code scrub-rows-per-second}: each read's rows are charged to the client's {@link RowRate} (the source address's
 * with authentication off), shared by all its connections; when they run ahead of the rate the connection stops
 * reading for as long as they are ahead, so the rows beyond the rate wait in the client's socket and TCP slows its
 * upload. Nothing is refused. One pause lasts at most half the request timeout (the guard closes a streamed body
 * that pauses longer); the debt it leaves is charged to the next read.
 * <p>
 * Proof-of-scrub, with the receipts on ({@link #proofs}): the response's headers wait for the first read's rows, so
 * that they carry the run id in {@value #RUN_HEADER} (the run's first decision id; {@code 0000000000000000} when none
 * of those rows was recorded, and then the run is not filed); the body is digested (SHA-256) as received, the rows
 * counted by reason, and at the end the summary is filed by {@link ScrubProofs} (docs/RECEIPTS.md).
 */
final class ScrubHttpHandler extends ChannelInboundHandlerAdapter
{
    static final String PATH = "/v1/scrub";
    static final int MAX_LINE_LENGTH = 4096;
    private static final String CSV = "text/csv; charset=utf-8";
    /** The response header naming the run id. */
    static final String RUN_HEADER = "X-Iys-Scrub-Run";

    private final Decider decider;
    private final ServerCounters counters;
    private final RequestIdentity identity;
    private final ScrubRates rates;
    private final long maxPauseNs;
    private ClientStats stats;
    private RowRate rate;
    private boolean throttled;
    private long rows;
    private final byte[] partial = new byte[MAX_LINE_LENGTH];
    private final String[] fields = new String[64];
    private boolean active;
    private boolean discarding;
    private boolean keepAlive;
    private boolean headerPending;
    private int partialLength;
    private boolean overlong;
    private long brandCode;
    private long dealerCode;
    private BrandState brand;
    private Channel channel;
    private RecipientType type;
    private MessageKind kind;
    private int column;
    private ScrubProofs proofs;
    private Executor workers;
    private ScrubRun run;
    private HttpResponse head;
    private ByteBuf held;
    private long runId;

    ScrubHttpHandler(final Decider decider, final ServerCounters counters)
    {
        this(decider, counters, RequestIdentity.anonymous(), ScrubRates.OFF, HttpSettings.REQUEST_TIMEOUT_MS_DEFAULT);
    }

    ScrubHttpHandler(final Decider decider, final ServerCounters counters, final RequestIdentity identity,
        final ScrubRates rates, final long requestTimeoutMs)
    {
        this.decider = decider;
        this.counters = counters;
        this.identity = identity;
        this.rates = rates;
        this.maxPauseNs = TimeUnit.MILLISECONDS.toNanos(Math.max(1, requestTimeoutMs / 2));
    }

    /**
     * File a proof-of-scrub for every run.
     *
     * @param proofs  the files, or null (receipts off).
     * @param workers where they are written.
     * @return this.
     */
    ScrubHttpHandler proofs(final ScrubProofs proofs, final Executor workers)
    {
        this.proofs = proofs;
        this.workers = workers;
        return this;
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
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
                onContent(ctx, content);
            }
            finally
            {
                content.release();
            }
        }
        else
        {
            ctx.fireChannelRead(msg);
        }
    }

    private void begin(final ChannelHandlerContext ctx, final HttpRequest request)
    {
        active = true;
        keepAlive = HttpUtil.isKeepAlive(request);
        final String problem = HttpMethod.POST.equals(request.method()) ?
            parameters(new QueryStringDecoder(request.uri()).parameters()) : "method";
        if (problem != null)
        {
            discarding = true;
            counters.onHttpBadRequest();
            final boolean wrongMethod = "method".equals(problem);
            final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                wrongMethod ? HttpResponseStatus.METHOD_NOT_ALLOWED : HttpResponseStatus.BAD_REQUEST,
                Unpooled.copiedBuffer("{\"error\":\"" + (wrongMethod ? "method_not_allowed" : "bad_request") +
                    "\",\"message\":\"" + Json.escape(wrongMethod ? "scrub takes POST: method=" + request.method() :
                    problem) + "\"}", StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            keepAlive = false;
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        discarding = false;
        partialLength = 0;
        overlong = false;
        stats = identity.stats();
        identity.nameAsker(decider, Door.SCRUB);
        final long nowNs = System.nanoTime();
        rate = identity.client() != null ? rates.forClient(identity.client().id(), nowNs) :
            rates.forAddress(identity.address(), nowNs);
        counters.onRequest(Endpoint.HTTP, RequestType.SCRUB);
        if (HttpUtil.is100ContinueExpected(request))
        {
            ctx.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        final HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, CSV)
            .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        if (keepAlive)
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        if (proofs == null)
        {
            run = null;
            ctx.write(response);
            return;
        }
        run = new ScrubRun(Decider.partyName(identity.client() != null ? identity.client().id() : null,
            identity.address()), System.currentTimeMillis());
        head = response;
    }

    /**
     * Send the response's headers, held back for the run id, once the first rows are decided.
     */
    private void sendHead(final ChannelHandlerContext ctx)
    {
        if (head != null)
        {
            runId = run.runId();
            head.headers().set(RUN_HEADER, DecisionIds.text(runId));
            ctx.write(head);
            head = null;
            if (held != null)
            {
                ctx.write(new DefaultHttpContent(held));
                held = null;
            }
        }
    }

    private void hold(final ByteBuf out)
    {
        if (!out.isReadable())
        {
            out.release();
        }
        else if (held == null)
        {
            held = out;
        }
        else
        {
            held.writeBytes(out);
            out.release();
        }
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx)
    {
        if (held != null)
        {
            held.release();
            held = null;
        }
    }

    /**
     * @return null when the parameters are good, else what is wrong with which.
     */
    private String parameters(final Map<String, List<String>> parameters)
    {
        final DecisionParameters request = DecisionParameters.parse(parameters);
        if (request.problem() != null)
        {
            return request.problem();
        }
        final String columnText = DecisionParameters.first(parameters, "column");
        column = columnText == null ? 1 : (int)DecisionParameters.parseCode(columnText);
        if (column < 1 || column > fields.length)
        {
            return "column: '" + columnText + "' (expected: 1.." + fields.length + ")";
        }
        headerPending = "true".equals(DecisionParameters.first(parameters, "header"));
        brandCode = request.brandCode();
        dealerCode = request.dealerCode();
        brand = decider.brand(brandCode);
        channel = request.channel();
        type = request.type();
        kind = request.kind();
        return null;
    }

    private void onContent(final ChannelHandlerContext ctx, final HttpContent content)
    {
        if (!discarding)
        {
            final ByteBuf in = content.content();
            if (run != null && in.isReadable())
            {
                run.onBody(in.nioBuffer());
            }
            final ByteBuf out = ctx.alloc().buffer(Math.max(256, in.readableBytes() * 2));
            final long nowMs = System.currentTimeMillis();
            while (in.isReadable())
            {
                final byte b = in.readByte();
                if (b == '\n')
                {
                    endLine(out, nowMs);
                }
                else if (partialLength < MAX_LINE_LENGTH)
                {
                    partial[partialLength++] = b;
                }
                else
                {
                    overlong = true;
                }
            }
            if (content instanceof LastHttpContent && (partialLength > 0 || overlong))
            {
                endLine(out, nowMs);
            }
            if (run != null && head != null && run.rows() == 0 && !(content instanceof LastHttpContent))
            {
                // no row yet to name the run (a read of part of a line, or of the header line alone): hold the
                // answer, at most the echoed header line, until one is
                hold(out);
            }
            else
            {
                if (run != null)
                {
                    sendHead(ctx);
                }
                if (out.isReadable())
                {
                    ctx.write(new DefaultHttpContent(out));
                }
                else
                {
                    out.release();
                }
            }
            throttle(ctx);
        }
        if (content instanceof LastHttpContent)
        {
            active = false;
            if (!discarding && run != null)
            {
                sendHead(ctx);
                if (runId != 0)
                {
                    proofs.complete(run.finish(System.currentTimeMillis()), workers);
                }
                run = null;
            }
            if (!discarding)
            {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                    .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
            }
        }
    }

    private void endLine(final ByteBuf out, final long nowMs)
    {
        int length = partialLength;
        if (length > 0 && partial[length - 1] == '\r')
        {
            length--;
        }
        final String line = new String(partial, 0, length, StandardCharsets.UTF_8);
        partialLength = 0;
        out.writeCharSequence(line, StandardCharsets.UTF_8);
        if (headerPending)
        {
            // an overlong header is echoed cut like any row; the flag belongs to this line, not the next
            headerPending = false;
            overlong = false;
            out.writeCharSequence(",verdict,reason\n", StandardCharsets.US_ASCII);
            return;
        }
        final Reason reason;
        // every row is a decision with its receipt, a row without its recipient column too
        if (overlong)
        {
            overlong = false;
            reason = decider.refuse(brandCode, channel, type, kind, dealerCode, Reason.INVALID_RECIPIENT, nowMs);
        }
        else
        {
            final int count = CsvLine.split(line, fields);
            reason = count < column ?
                decider.refuse(brandCode, channel, type, kind, dealerCode, Reason.INVALID_RECIPIENT, nowMs) :
                decider.decide(brandCode, brand, channel, type, kind, fields[column - 1], dealerCode, nowMs);
        }
        counters.onDecision(Endpoint.HTTP, reason);
        if (run != null)
        {
            run.onRow(decider.lastDecisionId(), reason);
        }
        if (stats != null)
        {
            stats.onDecision(reason.allows());
        }
        rows++;
        out.writeByte(',');
        out.writeCharSequence(reason.verdict(), StandardCharsets.US_ASCII);
        out.writeByte(',');
        out.writeCharSequence(reason.name(), StandardCharsets.US_ASCII);
        out.writeByte('\n');
    }

    /**
     * Charge the rows just read to the rate; when they run ahead of it, stop reading until they no longer do.
     */
    private void throttle(final ChannelHandlerContext ctx)
    {
        if (rate == null || rows == 0)
        {
            return;
        }
        final long waitNs = Math.min(rate.take(rows, System.nanoTime()), maxPauseNs);
        rows = 0;
        if (waitNs > 0 && !throttled)
        {
            throttled = true;
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() ->
            {
                throttled = false;
                if (ctx.channel().isWritable())
                {
                    ctx.channel().config().setAutoRead(true);
                }
            }, waitNs, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        ctx.flush();
        if (!ctx.channel().isWritable())
        {
            ctx.channel().config().setAutoRead(false);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx)
    {
        if (ctx.channel().isWritable() && !throttled)
        {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }
}
