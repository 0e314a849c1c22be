package io.iysfilter.server.http;

import io.iysfilter.server.TestTls;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over HTTPS with a client certificate, a request without {@code Authorization} is its certificate's client's: a real
 * TLS handshake between two embedded channels, the server's "tls" handler first, then the codec and the
 * authorisation handler as {@link HttpEndpoint} mounts them.
 */
class HttpCertificateIdentityTest
{
    @TempDir
    Path dir;

    @Test
    void shouldTakeTheClientOfARequestWithoutATokenFromTheCertificate() throws Exception
    {
        final Path serverStore = TestTls.keyPair(dir, "server", "CN=localhost");
        final Path clientStore = TestTls.keyPair(dir, "ops", "CN=ops-console.example.com.tr");
        final Path clients = dir.resolve("clients.conf");
        Files.writeString(clients, "[ops]\nroles = admin\nbrands = 600001\ncn = ops-console.example.com.tr\n");
        try (Authenticator auth = Authenticator.load(clients, 10, new ClientCounters()))
        {
            final SSLEngine serverEngine = TestTls.context(serverStore, clientStore).createSSLEngine();
            serverEngine.setUseClientMode(false);
            serverEngine.setNeedClientAuth(true);
            final SSLEngine clientEngine = TestTls.context(clientStore, serverStore).createSSLEngine("localhost", 443);
            clientEngine.setUseClientMode(true);
            final RequestIdentity identity = new RequestIdentity();
            final EmbeddedChannel server = new EmbeddedChannel();
            server.pipeline().addLast("tls", new SslHandler(serverEngine));
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
            final EmbeddedChannel client = new EmbeddedChannel(new SslHandler(clientEngine), new HttpClientCodec(),
                new HttpObjectAggregator(4096));
            final SslHandler clientTls = client.pipeline().get(SslHandler.class);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!clientTls.handshakeFuture().isDone() && System.nanoTime() < deadline)
            {
                TestTls.pump(client, server);
            }
            assertTrue(clientTls.handshakeFuture().isSuccess(), String.valueOf(clientTls.handshakeFuture().cause()));

            assertEquals("200 ops", exchange(client, server, "/metrics"), "no token: the certificate's client");
            assertEquals("403", exchange(client, server, "/v1/check?brand=600001&channel=MESAJ&recipient=1")
                .substring(0, 3), "with that client's roles");
            assertEquals("403", exchange(client, server, "/v1/brands?brand=600002").substring(0, 3),
                "and its brands");
        }
    }

    private static String exchange(final EmbeddedChannel client, final EmbeddedChannel server, final String uri)
    {
        final DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        client.writeOutbound(request);
        TestTls.pump(client, server);
        final FullHttpResponse response = client.readInbound();
        try
        {
            final String body = response.content().toString(StandardCharsets.UTF_8);
            return response.status().code() + (response.status().code() == 200 ? " " + body : "");
        }
        finally
        {
            response.release();
        }
    }
}
