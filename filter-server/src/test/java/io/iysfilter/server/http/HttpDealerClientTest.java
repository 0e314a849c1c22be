package io.iysfilter.server.http;

import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.BearerTokens;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client of the clients file bound to dealers ({@code dealers = ...}) may ask {@code /v1/check} and
 * {@code /v1/scrub} only as one of its dealers: without {@code dealer=}, or as another dealer, it is refused 403
 * before the request reaches the endpoint; a client without dealers is as before. The authorisation handler as
 * {@link HttpEndpoint} mounts it, in front of a handler that names the client it let through.
 */
class HttpDealerClientTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private final String dealerApp = BearerTokens.generate(RANDOM);
    private final String brandApp = BearerTokens.generate(RANDOM);
    private final ClientCounters clientCounters = new ClientCounters();

    @Test
    void shouldLetAClientBoundToDealersAskOnlyAsOneOfThem() throws Exception
    {
        final Path clients = dir.resolve("clients.conf");
        Files.writeString(clients, "[dealer-app]\nroles = check, scrub\nbrands = 600001\ndealers = 22233344, 55555555" +
            "\ntoken = " + BearerTokens.hash(dealerApp) + "\n\n[brand-app]\nroles = check\nbrands = 600001\ntoken = " +
            BearerTokens.hash(brandApp) + "\n");
        try (Authenticator auth = Authenticator.load(clients, 10, clientCounters))
        {
            final EmbeddedChannel server = server(auth);
            final String check = "/v1/check?brand=600001&channel=MESAJ&recipient=05321111111";
            assertEquals("200 dealer-app", get(server, check + "&dealer=22233344", dealerApp));
            assertEquals("200 dealer-app", get(server, check + "&dealer=55555555", dealerApp));
            assertEquals("403", get(server, check, dealerApp), "as the brand: refused");
            assertEquals("403", get(server, check + "&dealer=44222419", dealerApp), "as another dealer: refused");
            assertEquals("403", get(server, check + "&dealer=22233344&dealer=44222419", dealerApp),
                "every dealer value must be its own, whichever one the endpoint reads");
            assertEquals("403", get(server, "/v1/scrub?brand=600001&channel=MESAJ", dealerApp), "scrub alike");
            assertEquals("200 dealer-app", get(server, "/v1/scrub?brand=600001&channel=MESAJ&dealer=22233344",
                dealerApp));
            assertEquals("200 dealer-app", get(server, check + "&dealer=abc", dealerApp),
                "no dealer number at all: the endpoint's own 400 (bad_request), as for any client");
            assertEquals(4, clientCounters.forId("dealer-app").forbidden());

            assertEquals("200 brand-app", get(server, check, brandApp), "a client without dealers as before");
            assertEquals("200 brand-app", get(server, check + "&dealer=44222419", brandApp));
        }
    }

    private static EmbeddedChannel server(final Authenticator auth)
    {
        final RequestIdentity identity = new RequestIdentity();
        final EmbeddedChannel server = new EmbeddedChannel();
        server.pipeline().addLast("http", new HttpServerCodec());
        server.pipeline().addLast("auth", new HttpAuthHandler(auth, identity, new ServerCounters()));
        server.pipeline().addLast("aggregator", new HttpObjectAggregator(1024));
        server.pipeline().addLast("who", new SimpleChannelInboundHandler<FullHttpRequest>()
        {
            @Override
            protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
            {
                final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.OK, Unpooled.copiedBuffer(identity.client().id(), StandardCharsets.UTF_8));
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                ctx.writeAndFlush(response);
            }
        });
        return server;
    }

    private static String get(final EmbeddedChannel server, final String uri, final String token)
    {
        server.writeInbound(Unpooled.copiedBuffer("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " +
            "Bearer " + token + "\r\nContent-Length: 0\r\n\r\n", StandardCharsets.US_ASCII));
        final StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = server.readOutbound()) != null)
        {
            text.append(out.toString(StandardCharsets.UTF_8));
            out.release();
        }
        final String response = text.toString();
        assertTrue(response.startsWith("HTTP/1.1 "), response);
        final String status = response.substring(9, 12);
        return "200".equals(status) ? status + " " + response.substring(response.indexOf("\r\n\r\n") + 4) : status;
    }
}
