package io.iysfilter.server.http;

import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.push.PushReceiver;
import io.iysfilter.server.security.FailureLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The push receiver's one route: {@code POST {push-path}} or {@code POST {push-path}/{brandCode}}, HTTP Basic,
 * a body of İYS consent records (docs/PUSH.md). The work runs on the receiver's thread ({@link PushReceiver#push});
 * the answer is written when it completes: 200 once the records are logged and handed to the writer, 400, 401 (with
 * {@code WWW-Authenticate}), 413, 429 or 503 otherwise. Every other path answers 404, every other method 405.
 */
final class PushHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest>
{
    private static final String JSON = "application/json";

    private final PushReceiver receiver;
    private final String path;
    private final ServerCounters counters;
    private final WriteGate gate;

    /**
     * @param receiver the push receiver.
     * @param counters where refusals are counted.
     * @param gate     the graceful stop's gate for pushes: a push read is answered before its connection is closed,
     *                 or refused (503) once the stop closes them.
     */
    PushHttpHandler(final PushReceiver receiver, final ServerCounters counters, final WriteGate gate)
    {
        this.receiver = receiver;
        this.path = receiver.settings().path();
        this.counters = counters;
        this.gate = gate;
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        final String uri = request.uri();
        final int query = uri.indexOf('?');
        final String requestPath = query < 0 ? uri : uri.substring(0, query);
        final long urlBrand = urlBrand(requestPath);
        if (urlBrand == Long.MIN_VALUE)
        {
            respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, Json.error("not_found", "no such path"), false);
            return;
        }
        if (!HttpMethod.POST.equals(request.method()))
        {
            respond(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED,
                Json.error("method_not_allowed", "POST only"), false);
            return;
        }
        final ByteBuf content = request.content();
        final byte[] body = ByteBufUtil.getBytes(content, content.readerIndex(), content.readableBytes(), false);
        final String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        final String address = FailureLimiter.sourceAddress(ctx.channel().remoteAddress());
        if (!gate.admit())
        {
            respond(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE, Json.error("shutting_down",
                "the server is stopping; send the push again"), false);
            return;
        }
        receiver.push(authorization, address, body, urlBrand).whenComplete((result, error) ->
        {
            try
            {
                answer(ctx, keepAlive, result, error);
            }
            finally
            {
                // after the answer is handed to the event loop: the drain's next look waits for a loop turn
                gate.answered();
            }
        });
    }

    private void answer(final ChannelHandlerContext ctx, final boolean keepAlive, final PushReceiver.Result result,
        final Throwable error)
    {
        if (error != null || result == null)
        {
            respond(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE,
                Json.error("failed", String.valueOf(error)), false);
            return;
        }
        final HttpResponseStatus status = HttpResponseStatus.valueOf(result.outcome().status());
        final String answer = result.outcome() == PushReceiver.Outcome.ACCEPTED ?
            "{\"message\":\"OK\",\"records\":" + result.records() + ",\"taken\":" + result.taken() +
                ",\"rejected\":" + result.rejected() + ",\"test\":" + result.test() + "}" :
            Json.error(result.outcome().name().toLowerCase(Locale.ROOT), result.message());
        respond(ctx, keepAlive, status, answer, result.outcome() == PushReceiver.Outcome.UNAUTHORIZED);
    }

    /**
     * @return -1 for the path itself, the brand code for {@code path/{brandCode}}, {@link Long#MIN_VALUE} for any
     *         other path.
     */
    private long urlBrand(final String requestPath)
    {
        if (requestPath.equals(path))
        {
            return -1;
        }
        if (!requestPath.startsWith(path) || requestPath.length() <= path.length() + 1 ||
            requestPath.charAt(path.length()) != '/')
        {
            return Long.MIN_VALUE;
        }
        final long code = DecisionParameters.parseCode(requestPath.substring(path.length() + 1));
        return code < 0 ? Long.MIN_VALUE : code;
    }

    private void respond(final ChannelHandlerContext ctx, final boolean keepAlive, final HttpResponseStatus status,
        final String body, final boolean challenge)
    {
        if (status.code() >= 400 && status.code() < 500)
        {
            counters.onHttpBadRequest();
        }
        final ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, JSON)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (challenge)
        {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"iys-push\", charset=\"UTF-8\"");
        }
        if (status.code() == 429)
        {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        }
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
