package io.iysfilter.server.http;

import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.Client;
import io.iysfilter.server.security.FailureLimiter;
import io.iysfilter.server.security.Clients;
import io.iysfilter.server.security.Role;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Authentication and authorisation of every HTTP request, after the guard and before the handlers. With
 * authentication off it names the {@code anonymous} client, and answers the receipts' routes
 * ({@code /v1/receipts*}, which hold who asked what and when) only to loopback peers: 403 to any other. On (a
 * clients file), a request names its client with {@code Authorization: Bearer <token>}, or through its TLS client
 * certificate's CN; then:
 * <ul>
 *   <li>no client named, or a token that names none: 401 with {@code WWW-Authenticate: Bearer}, and the connection
 *   is closed; the failure counts against the source address, which past {@code auth-failure-limit} failures a
 *   minute is answered 401 without its credential being looked at;</li>
 *   <li>a client without the route's role ({@link #roleOf}), or a {@code brand} parameter naming a brand not the
 *   client's: 403 (the connection stays open for a request without a body, else it is closed, the body unread).</li>
 * </ul>
 * {@code /health} and {@code /health/live} stay open (liveness, no details), and so does the bare
 * {@code /health/ready} of the service listener when an admin listener holds its details. A path no route serves
 * needs a client and no role (it is then 404). The opt-out body's brand is checked by the API handler, which reads
 * the body.
 */
final class HttpAuthHandler extends ChannelInboundHandlerAdapter
{
    private static final String BEARER = "bearer ";

    private final Authenticator auth;
    private final RequestIdentity identity;
    private final ServerCounters counters;
    private final HttpEndpoint.Surface surface;
    private Client certificateClient;
    private String lastToken;
    private Clients lastClients;
    private Client lastClient;
    private boolean discarding;
    private boolean refusing;

    HttpAuthHandler(final Authenticator auth, final RequestIdentity identity, final ServerCounters counters)
    {
        this(auth, identity, counters, HttpEndpoint.Surface.ALL);
    }

    HttpAuthHandler(
        final Authenticator auth,
        final RequestIdentity identity,
        final ServerCounters counters,
        final HttpEndpoint.Surface surface)
    {
        this.auth = auth;
        this.identity = identity;
        this.counters = counters;
        this.surface = surface;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        identity.address(FailureLimiter.sourceAddress(ctx.channel().remoteAddress()));
        if (!auth.enabled())
        {
            identity.set(null, auth.counters().anonymous());
        }
    }

    /**
     * @param path a request's path.
     * @return the role the route needs; null for a route open to everyone ({@code /health}, {@code /health/live})
     *         or one no route serves.
     */
    static Role roleOf(final String path)
    {
        return switch (path)
        {
            case "/v1/check" -> Role.CHECK;
            case ScrubHttpHandler.PATH -> Role.SCRUB;
            case "/v1/optouts" -> Role.OPTOUT;
            case ReconcileHttpHandler.PATH -> Role.RECONCILE;
            case "/v1/brands", "/metrics", "/health/ready" -> Role.ADMIN;
            default -> ReceiptsHttpHandler.serves(path) ? Role.ADMIN : null;
        };
    }

    /**
     * @param path    a request's path.
     * @param surface the routes of the listener it came in on.
     * @return whether anyone may ask it, authenticated or not: liveness everywhere, and the bare readiness of the
     *         service listener beside an admin listener (its details are on the admin listener, behind the role).
     */
    static boolean isOpen(final String path, final HttpEndpoint.Surface surface)
    {
        return "/health".equals(path) || "/health/live".equals(path) ||
            surface == HttpEndpoint.Surface.SERVICE && "/health/ready".equals(path);
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (refusing)
        {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (discarding && msg instanceof HttpContent)
        {
            if (msg instanceof LastHttpContent)
            {
                discarding = false;
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HttpRequest request))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!auth.enabled())
        {
            // the prefix first, so that every other request passes without a decoder; a target with a percent sign
            // is decoded as the router decodes it (/v1/%72eceipts is the receipts' path too)
            final String uri = request.uri();
            if ((uri.startsWith(ReceiptsHttpHandler.PATH) || uri.indexOf('%') >= 0) &&
                ReceiptsHttpHandler.serves(new QueryStringDecoder(uri).path()) &&
                !isLoopback(ctx.channel().remoteAddress()))
            {
                forbidden(ctx, request, null, "the receipts are served only to loopback peers while " +
                    "authentication is off (docs/SECURITY.md): ask from this host, or turn authentication on");
                return;
            }
            ctx.fireChannelRead(msg);
            return;
        }
        final QueryStringDecoder query = new QueryStringDecoder(request.uri());
        final String path = query.path();
        if (isOpen(path, surface))
        {
            identity.set(null, auth.counters().anonymous());
            ctx.fireChannelRead(msg);
            return;
        }
        final long nowNs = System.nanoTime();
        if (auth.blocked(identity.address(), nowNs))
        {
            unauthorised(ctx, msg, "too many failed attempts from this address: try again later");
            return;
        }
        final Client client = client(request, nowNs);
        if (client == null)
        {
            unauthorised(ctx, msg, request.headers().contains(HttpHeaderNames.AUTHORIZATION) ?
                "token not accepted" : "authentication required: Authorization: Bearer <token>");
            return;
        }
        final Role role = roleOf(path);
        if (role != null && !client.has(role))
        {
            forbidden(ctx, request, client, "client " + client.id() + " lacks the " + role.wireName() + " role");
            return;
        }
        final List<String> brands = query.parameters().get("brand");
        if (brands != null && !client.allBrands())
        {
            for (final String brand : brands)
            {
                final long code = DecisionParameters.parseCode(brand);
                if (code < 0 || !client.mayAsk(code))
                {
                    forbidden(ctx, request, client, "client " + client.id() + " may not ask about brand " + brand);
                    return;
                }
            }
        }
        if ((role == Role.CHECK || role == Role.SCRUB) && client.boundToDealers())
        {
            final String refusal = dealerRefusal(client, query.parameters().get("dealer"));
            if (refusal != null)
            {
                forbidden(ctx, request, client, refusal);
                return;
            }
        }
        identity.set(client, client.stats());
        ctx.fireChannelRead(msg);
    }

    /**
     * A client bound to dealers asks only as one of them: every {@code dealer} value the request carries must be one
     * of its dealers, and it must carry one. A value that is no dealer number at all is left to the endpoint, which
     * answers it 400 as for any client.
     *
     * @return why the request is refused, or null when it may go on.
     */
    private static String dealerRefusal(final Client client, final List<String> dealers)
    {
        if (dealers == null || dealers.isEmpty())
        {
            return "client " + client.id() + " sends for dealers only: name one of its dealers with dealer=";
        }
        for (final String dealer : dealers)
        {
            final long code = DecisionParameters.parseCode(dealer);
            if (code > 0 && !client.maySendAs(code))
            {
                return "client " + client.id() + " may not ask as dealer " + dealer;
            }
        }
        return null;
    }

    /**
     * @param peer a connection's remote address.
     * @return whether it is a loopback address of this host.
     */
    static boolean isLoopback(final SocketAddress peer)
    {
        return peer instanceof InetSocketAddress inet && inet.getAddress() != null &&
            inet.getAddress().isLoopbackAddress();
    }

    /**
     * @return the client the request names by its bearer token, else by the connection's certificate; null when
     *         neither names one (a failure, counted).
     */
    private Client client(final HttpRequest request, final long nowNs)
    {
        final String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null)
        {
            if (certificateClient != null)
            {
                return certificateClient;
            }
            auth.onFailure(identity.address(), nowNs);
            return null;
        }
        if (header.length() <= BEARER.length() ||
            !header.regionMatches(true, 0, BEARER, 0, BEARER.length()))
        {
            auth.onFailure(identity.address(), nowNs);
            return null;
        }
        final String token = header.substring(BEARER.length()).strip();
        // The same token again on this connection, with the same clients in force: the client it named before
        // (the digest is computed once per connection and token, not per request).
        final Clients clients = auth.clients();
        if (token.equals(lastToken) && clients == lastClients)
        {
            return lastClient;
        }
        final Client client = auth.authenticate(token.getBytes(StandardCharsets.US_ASCII), identity.address(), nowNs);
        if (client != null)
        {
            lastToken = token;
            lastClients = clients;
            lastClient = client;
        }
        return client;
    }

    private void unauthorised(final ChannelHandlerContext ctx, final Object msg, final String message)
    {
        ReferenceCountUtil.release(msg);
        refusing = true;
        counters.onHttpBadRequest();
        final FullHttpResponse response = response(HttpResponseStatus.UNAUTHORIZED, "unauthorised", message);
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"iys-filter\"")
            .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpGuard.closeAfter(ctx.writeAndFlush(response));
    }

    /**
     * 403, keeping the connection for a request without a body.
     *
     * @param client the client refused, or null when authentication is off.
     */
    private void forbidden(final ChannelHandlerContext ctx, final HttpRequest request, final Client client,
        final String message)
    {
        ReferenceCountUtil.release(request);
        if (client != null)
        {
            client.stats().onForbidden();
        }
        counters.onHttpBadRequest();
        final FullHttpResponse response = response(HttpResponseStatus.FORBIDDEN, "forbidden", message);
        final boolean bodyless = !HttpUtil.isTransferEncodingChunked(request) &&
            HttpUtil.getContentLength(request, 0L) == 0 && !HttpUtil.is100ContinueExpected(request);
        if (bodyless && HttpUtil.isKeepAlive(request))
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            discarding = !(request instanceof LastHttpContent);
            ctx.writeAndFlush(response, ctx.voidPromise());
            return;
        }
        refusing = true;
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpGuard.closeAfter(ctx.writeAndFlush(response));
    }

    private static FullHttpResponse response(final HttpResponseStatus status, final String code, final String message)
    {
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
            Unpooled.copiedBuffer(Json.error(code, message), StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        return response;
    }

    /**
     * Mutual TLS: once the handshake has completed, the verified peer certificate's CN names the connection's client
     * for every request that carries no bearer token.
     */
    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event) throws Exception
    {
        if (event instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess() && auth.enabled())
        {
            final SslHandler tls = ctx.pipeline().get(SslHandler.class);
            certificateClient = tls == null ? null : auth.byPeerCertificate(tls.engine().getSession());
        }
        super.userEventTriggered(ctx, event);
    }
}
