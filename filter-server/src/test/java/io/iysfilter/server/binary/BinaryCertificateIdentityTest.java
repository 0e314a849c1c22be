package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.TestTls;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;

import static io.iysfilter.server.binary.ResponseFrames.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS names the connection's client by its certificate's CN: a TLS handshake between two embedded channels
 * (JDK engines, keys made by {@code keytool}), the server's pipeline an {@link SslHandler} named "tls" first and the
 * frame handler after it, as the TLS listener will mount them.
 */
class BinaryCertificateIdentityTest
{
    @TempDir
    Path dir;

    @Test
    void shouldNameTheClientByItsCertificatesCommonNameAndRefuseAnUnknownOne() throws Exception
    {
        final Path serverStore = TestTls.keyPair(dir, "server", "CN=localhost");
        final Path knownStore = TestTls.keyPair(dir, "known", "CN=Beta Gateway 1, O=Beta, C=TR");
        final Path unknownStore = TestTls.keyPair(dir, "unknown", "CN=Somebody Else");
        final Path clients = dir.resolve("clients.conf");
        Files.writeString(clients, "[beta]\nroles = check\nbrands = 600001\ncn = Beta Gateway 1\n");
        try (ConsentStore store = ConsentStore.open(dir.resolve("data"), TestKeys.options(1_000));
            Authenticator auth = Authenticator.load(clients, 10, new ClientCounters()))
        {
            store.writer().createBrand(600_001);
            final EmbeddedChannel known = handshake(store, auth, serverStore, knownStore);
            final EmbeddedChannel knownClient = clientOf(known);
            knownClient.writeOutbound(Unpooled.wrappedBuffer(BinaryAuthTest.check(1, 600_001)));
            TestTls.pump(knownClient, known);
            final byte[] answer = read(knownClient);
            assertEquals(CheckResponseDecoder.TEMPLATE_ID, header(answer).templateId(),
                "the certificate named the client: no HELLO, no token, and the CHECK is answered");
            knownClient.writeOutbound(Unpooled.wrappedBuffer(BinaryAuthTest.check(2, 600_002)));
            TestTls.pump(knownClient, known);
            assertEquals(ErrorCode.FORBIDDEN, error(read(knownClient)), "and limited to its brands");

            final EmbeddedChannel stranger = handshake(store, auth, serverStore, unknownStore);
            final EmbeddedChannel strangerClient = clientOf(stranger);
            strangerClient.writeOutbound(Unpooled.wrappedBuffer(BinaryAuthTest.check(3, 600_001)));
            TestTls.pump(strangerClient, stranger);
            assertEquals(ErrorCode.UNAUTHORISED, error(read(strangerClient)),
                "a verified certificate whose CN names no client names nobody");
            assertFalse(stranger.isActive());
        }
    }

    private final java.util.Map<EmbeddedChannel, EmbeddedChannel> clientOf = new java.util.HashMap<>();

    private EmbeddedChannel clientOf(final EmbeddedChannel server)
    {
        return clientOf.get(server);
    }

    private EmbeddedChannel handshake(final ConsentStore store, final Authenticator auth, final Path serverStore,
        final Path clientStore) throws Exception
    {
        final SSLEngine serverEngine = TestTls.context(serverStore, clientStore).createSSLEngine();
        serverEngine.setUseClientMode(false);
        serverEngine.setNeedClientAuth(true);
        final SSLEngine clientEngine = TestTls.context(clientStore, serverStore).createSSLEngine("localhost", 7700);
        clientEngine.setUseClientMode(true);
        final EmbeddedChannel server = new EmbeddedChannel();
        server.pipeline().addLast("tls", new SslHandler(serverEngine));
        server.pipeline().addLast("frames", BinaryEndpoint.newConnection(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), new ServerCounters(), auth,
            "iys-filter/test"));
        final EmbeddedChannel client = new EmbeddedChannel(new SslHandler(clientEngine));
        final SslHandler clientTls = client.pipeline().get(SslHandler.class);
        final SslHandler serverTls = server.pipeline().get(SslHandler.class);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(clientTls.handshakeFuture().isDone() && serverTls.handshakeFuture().isDone()) &&
            System.nanoTime() < deadline)
        {
            TestTls.pump(client, server);
        }
        assertTrue(clientTls.handshakeFuture().isSuccess(), String.valueOf(clientTls.handshakeFuture().cause()));
        assertTrue(serverTls.handshakeFuture().isSuccess(), String.valueOf(serverTls.handshakeFuture().cause()));
        clientOf.put(server, client);
        return server;
    }

    private static byte[] read(final EmbeddedChannel client)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteBuf buf;
        while ((buf = client.readInbound()) != null)
        {
            final byte[] chunk = new byte[buf.readableBytes()];
            buf.readBytes(chunk);
            buf.release();
            bytes.writeBytes(chunk);
        }
        final byte[] all = bytes.toByteArray();
        assertTrue(all.length >= FrameDescriptor.MESSAGE_OFFSET, "an answer came");
        assertEquals(all.length, FrameDescriptor.frameLength(new UnsafeBuffer(all), 0), "one whole frame");
        return all;
    }

    private static ErrorCode error(final byte[] frame)
    {
        final MessageHeaderDecoder header = header(frame);
        assertEquals(ErrorDecoder.TEMPLATE_ID, header.templateId(), "expected an ERROR");
        return new ErrorDecoder().wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(),
            header.version()).code();
    }
}
