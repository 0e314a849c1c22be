package io.iysfilter.server.http;

import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.HttpClose;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP connection's guard, in three places of its pipeline:
 * <ul>
 *   <li>{@link #rawReads()}, before the codec, sees every byte arrive: the first byte of a request starts its
 *   clock;</li>
 *   <li>the guard itself, after the codec, refuses what the handlers must never see (a request the codec could not
 *   decode, headers or a line too long, a Content-Length with a Transfer-Encoding, a query that does not decode)
 *   with 4xx and closes the connection, since the rest of its bytes cannot be trusted to frame a next request; it
 *   notes where each request ends and each answer is written;</li>
 *   <li>{@link #errors()}, at the tail, turns any handler's exception into a 500 (or, when an answer has begun, a
 *   close) and one rate-limited log line, never a silent close.</li>
 * </ul>
 * A request pipelined behind one whose answer is still owed (an answer a worker thread makes, e.g.
 * {@code /v1/receipts}, an opt-out, a reconcile) is held here, reads paused, until every answer before it is written:
 * HTTP/1.1 answers in request order, and a quick route answered at once must not overtake a slow one.
 * <p>
 * A timer on the connection's event loop closes it when idle ({@link HttpSettings#idleTimeoutMs()}: no request in
 * progress, no answer owed) or when a request does not arrive in time ({@link HttpSettings#requestTimeoutMs()}: from
 * its first byte to its end, or for a streamed body, between two reads), answering 408 if its headers had not all
 * come.
 */
final class HttpGuard extends ChannelDuplexHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpGuard.class);
    private static final LogLimiter ERROR_LOG = LogLimiter.everyTenSeconds();
    private static final long MIN_TICK_MS = 10;
    /** After a refusal, how long the rest of what the client sends is read and dropped before the close. */
    private static final long LINGER_MS = 1_000;

    private final long idleTimeoutNs;
    private final long requestTimeoutNs;
    private final long tickMs;
    private final ServerCounters counters;
    private ChannelHandlerContext context;
    private ScheduledFuture<?> timer;
    private boolean inRequest;
    private boolean headersDone;
    private boolean streamedBody;
    private boolean answerBegun;
    private boolean refusing;
    private int answersOwed;
    /** Pipelined requests (and their bodies) read while an answer before them was owed. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private boolean readsPaused;
    private boolean releaseScheduled;
    private long requestStartNs;
    private long lastReadNs;
    private long lastActivityNs;

    HttpGuard(final HttpSettings settings, final ServerCounters counters)
    {
        this.idleTimeoutNs = TimeUnit.MILLISECONDS.toNanos(settings.idleTimeoutMs());
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(settings.requestTimeoutMs());
        this.tickMs = Math.max(MIN_TICK_MS, Math.min(settings.idleTimeoutMs(), settings.requestTimeoutMs()) / 4);
        this.counters = counters;
    }

    /**
     * @return the handler that goes before the codec and starts a request's clock at its first byte.
     */
    ChannelInboundHandlerAdapter rawReads()
    {
        return new ChannelInboundHandlerAdapter()
        {
            @Override
            public void channelRead(final ChannelHandlerContext ctx, final Object msg)
            {
                final long nowNs = System.nanoTime();
                if (!inRequest && msg instanceof ByteBuf bytes && bytes.isReadable())
                {
                    inRequest = true;
                    headersDone = false;
                    streamedBody = false;
                    requestStartNs = nowNs;
                }
                lastReadNs = nowNs;
                lastActivityNs = nowNs;
                ctx.fireChannelRead(msg);
            }
        };
    }

    /**
     * @return the handler that goes last and answers any handler's exception.
     */
    ChannelInboundHandlerAdapter errors()
    {
        return new ChannelInboundHandlerAdapter()
        {
            @Override
            public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
            {
                failed(cause);
            }
        };
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        context = ctx;
        lastActivityNs = System.nanoTime();
        if (ctx.channel().isActive())
        {
            arm();
        }
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        arm();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        disarm();
        dropHeld();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx)
    {
        disarm();
        dropHeld();
    }

    private void arm()
    {
        if (timer == null)
        {
            timer = context.executor().scheduleWithFixedDelay(this::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
        }
    }

    private void disarm()
    {
        if (timer != null)
        {
            timer.cancel(false);
            timer = null;
        }
    }

    private void tick()
    {
        if (!context.channel().isActive())
        {
            disarm();
            return;
        }
        final long nowNs = System.nanoTime();
        if (inRequest && held.isEmpty())
        {
            final long waitedNs = headersDone && streamedBody ? nowNs - lastReadNs : nowNs - requestStartNs;
            if (waitedNs > requestTimeoutNs)
            {
                counters.onHttpClose(HttpClose.REQUEST_TIMEOUT);
                disarm();
                if (headersDone || answerBegun)
                {
                    context.close();
                }
                else
                {
                    refuse(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout", "the request did not arrive " +
                        "whole within " + TimeUnit.NANOSECONDS.toMillis(requestTimeoutNs) + " ms");
                }
            }
        }
        else if (answersOwed == 0 && nowNs - lastActivityNs > idleTimeoutNs)
        {
            counters.onHttpClose(HttpClose.IDLE_TIMEOUT);
            disarm();
            context.close();
        }
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (refusing)
        {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!held.isEmpty() || msg instanceof HttpRequest && answersOwed > 0)
        {
            // pipelined behind a request whose answer is still owed (one answered on a worker thread): held, in
            // order, until every answer before it is written, since HTTP/1.1 answers in request order
            held.add(msg);
            if (!readsPaused)
            {
                readsPaused = true;
                ctx.channel().config().setAutoRead(false);
            }
            return;
        }
        accept(ctx, msg);
    }

    /**
     * Hand on the requests held while an answer was owed, in order, up to the next one whose answer is owed in
     * turn; the event loop's task once the answer before them is written.
     */
    private void releaseHeld()
    {
        releaseScheduled = false;
        if (refusing || !context.channel().isActive())
        {
            dropHeld();
            return;
        }
        final long nowNs = System.nanoTime();
        // their clock starts now: until now the wait was for our answers
        requestStartNs = nowNs;
        lastReadNs = nowNs;
        lastActivityNs = nowNs;
        boolean released = false;
        while (!held.isEmpty() && !refusing && !(held.peek() instanceof HttpRequest && answersOwed > 0))
        {
            accept(context, held.poll());
            released = true;
        }
        if (refusing)
        {
            dropHeld();
        }
        if (released)
        {
            context.fireChannelReadComplete();
        }
        if (held.isEmpty() && readsPaused)
        {
            readsPaused = false;
            context.channel().config().setAutoRead(true);
        }
    }

    private void dropHeld()
    {
        Object msg;
        while ((msg = held.poll()) != null)
        {
            ReferenceCountUtil.release(msg);
        }
    }

    private void accept(final ChannelHandlerContext ctx, final Object msg)
    {
        if (msg instanceof HttpRequest request)
        {
            if (!inRequest)
            {
                // a pipelined request whose bytes came with the end of the one before
                inRequest = true;
                requestStartNs = System.nanoTime();
            }
            headersDone = true;
            final String problem = problem(request);
            if (problem != null)
            {
                ReferenceCountUtil.release(msg);
                refuse(status(request.decoderResult()), "bad_request", problem);
                return;
            }
            final String path = new QueryStringDecoder(request.uri()).path();
            streamedBody = ScrubHttpHandler.PATH.equals(path) || ReconcileHttpHandler.PATH.equals(path);
            answersOwed++;
        }
        else if (msg instanceof HttpContent content && content.decoderResult().isFailure())
        {
            ReferenceCountUtil.release(msg);
            if (answerBegun)
            {
                counters.onHttpClose(HttpClose.MALFORMED);
                ctx.close();
            }
            else
            {
                refuse(HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "malformed body: " + content.decoderResult().cause().getMessage());
            }
            return;
        }
        if (msg instanceof LastHttpContent)
        {
            inRequest = false;
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * @return null when the handlers may take the request, else why not.
     */
    private static String problem(final HttpRequest request)
    {
        final DecoderResult result = request.decoderResult();
        if (result.isFailure())
        {
            final Throwable cause = result.cause();
            return cause instanceof TooLongHttpHeaderException ? "headers: too long (" + cause.getMessage() + ")" :
                cause instanceof TooLongHttpLineException ? "request line: too long (" + cause.getMessage() + ")" :
                "malformed HTTP request: " + cause.getMessage();
        }
        if (request.headers().contains(HttpHeaderNames.CONTENT_LENGTH) &&
            request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING))
        {
            return "Content-Length and Transfer-Encoding: both given (expected: one)";
        }
        try
        {
            new QueryStringDecoder(request.uri()).parameters();
        }
        catch (final IllegalArgumentException ex)
        {
            return "query: does not decode (" + ex.getMessage() + ")";
        }
        return null;
    }

    private static HttpResponseStatus status(final DecoderResult result)
    {
        if (result.isFailure())
        {
            if (result.cause() instanceof TooLongHttpHeaderException)
            {
                return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            }
            if (result.cause() instanceof TooLongHttpLineException)
            {
                return HttpResponseStatus.REQUEST_URI_TOO_LONG;
            }
            if (result.cause() instanceof TooLongFrameException)
            {
                return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            }
        }
        return HttpResponseStatus.BAD_REQUEST;
    }

    @Override
    public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise)
        throws Exception
    {
        boolean answered = false;
        if (msg instanceof HttpObject)
        {
            lastActivityNs = System.nanoTime();
            if (msg instanceof HttpResponse response && response.status().code() >= 200)
            {
                answerBegun = true;
            }
            if (msg instanceof LastHttpContent && answerBegun)
            {
                answerBegun = false;
                answersOwed = Math.max(0, answersOwed - 1);
                answered = true;
            }
        }
        super.write(ctx, msg, promise);
        // the held requests go on once this answer is past the encoder, as a task of their own, never inside a write
        if (answered && answersOwed == 0 && !held.isEmpty() && !releaseScheduled)
        {
            releaseScheduled = true;
            ctx.executor().execute(this::releaseHeld);
        }
    }

    /**
     * Refuse the request: answer, close, and read nothing more of the connection.
     */
    private void refuse(final HttpResponseStatus status, final String code, final String message)
    {
        refusing = true;
        counters.onHttpBadRequest();
        if (status != HttpResponseStatus.REQUEST_TIMEOUT)
        {
            counters.onHttpClose(HttpClose.MALFORMED);
        }
        closeWith(status, code, message);
    }

    private void closeWith(final HttpResponseStatus status, final String code, final String message)
    {
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
            Unpooled.copiedBuffer(Json.error(code, message), StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
            .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        // written from here, past the handlers, so nothing behind this guard answers after it
        closeAfter(context.writeAndFlush(response));
    }

    /**
     * Close once an answer is written, so the client reads it: first only our half (the client sees the end of the
     * answer), reading and dropping what it still sends for at most {@value #LINGER_MS} ms, since closing a socket
     * with unread bytes resets it and a reset can destroy an answer the client has not read yet.
     *
     * @param written the answer's write.
     */
    static void closeAfter(final ChannelFuture written)
    {
        written.addListener((ChannelFutureListener)future ->
        {
            final Channel channel = future.channel();
            if (!future.isSuccess() || !(channel instanceof DuplexChannel duplex))
            {
                channel.close();
                return;
            }
            duplex.shutdownOutput();
            channel.eventLoop().schedule(() -> channel.close(), LINGER_MS, TimeUnit.MILLISECONDS);
            channel.config().setAutoRead(true);
        });
    }

    /**
     * @return whether the exception is the socket's (a reset, a broken pipe), not a handler's.
     */
    private static boolean isPeerError(final Throwable cause)
    {
        return cause instanceof SocketException || cause instanceof ClosedChannelException ||
            cause instanceof Errors.NativeIoException;
    }

    private void failed(final Throwable cause)
    {
        if (isPeerError(cause))
        {
            // the client reset or left: nothing to answer, nothing of ours failed
            context.close();
            return;
        }
        counters.onHttpClose(HttpClose.INTERNAL_ERROR);
        final long suppressed = ERROR_LOG.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.error("http request failed: remote={}, suppressedSinceLast={}", context.channel().remoteAddress(),
                suppressed, cause);
        }
        if (refusing || !context.channel().isActive())
        {
            context.close();
            return;
        }
        refusing = true;
        if (answerBegun)
        {
            context.close();
        }
        else
        {
            closeWith(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                "the request failed on the server: " + cause);
        }
    }
}
