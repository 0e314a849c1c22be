package io.iysfilter.server;

import io.iysfilter.client.BatchEntry;
import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.client.Frames;
import io.iysfilter.client.ServerInfo;
import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.protocol.codecs.WelcomeEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java client against a real server on 127.0.0.1.
 */
@Timeout(60)
class FilterServerIT
{
    @TempDir
    static Path dataDir;
    private static FilterServer server;
    private static long asOfMs;

    @BeforeAll
    static void start() throws Exception
    {
        asOfMs = Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    @Test
    void shouldAnswerEveryKindOfCheck()
    {
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            final CheckResult allowed = client.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, "0532 111 11 11");
            assertEquals(Verdict.ALLOW, allowed.verdict());
            assertEquals(Reason.CONSENT, allowed.reason());
            assertEquals(asOfMs, allowed.asOfMs());

            assertReason(client, Fixtures.BRAND, Channel.MESAJ, RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL,
                Fixtures.REJECTED, Reason.REJECTED);
            assertReason(client, Fixtures.BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                "AYSE@example.com.tr", Reason.CONSENT);
            assertReason(client, Fixtures.BRAND, Channel.ARAMA, RecipientType.TACIR, MessageKind.COMMERCIAL,
                Fixtures.TACIR, Reason.CONSENT);
            assertReason(client, Fixtures.BRAND, Channel.ARAMA, RecipientType.TACIR, MessageKind.COMMERCIAL,
                "05329999999", Reason.NO_CONSENT);
            assertReason(client, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.TRANSACTIONAL,
                Fixtures.REJECTED, Reason.EXEMPT);
            assertReason(client, Fixtures.BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.INVALID_RECIPIENT);
            assertReason(client, 999_999, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.UNKNOWN_BRAND);
            assertReason(client, Fixtures.STALE_BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, Fixtures.CONSENTED, Reason.STALE);
        }
    }

    @Test
    void shouldMatchManyPipelinedAnswersToTheirRequests() throws Exception
    {
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            final int requests = 20_000;
            final List<CompletableFuture<CheckResult>> futures = new ArrayList<>(requests);
            for (int i = 0; i < requests; i++)
            {
                final int phone = (i * 7919) % Fixtures.BULK;
                futures.add(client.check(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, Fixtures.bulkPhone(phone)));
            }
            for (int i = 0; i < requests; i++)
            {
                final int phone = (i * 7919) % Fixtures.BULK;
                assertEquals(phone % 2 == 0 ? Reason.CONSENT : Reason.REJECTED, futures.get(i).get().reason(),
                    "request " + i);
            }
        }
    }

    @Test
    void shouldAnswerABatchInOrder() throws Exception
    {
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            final List<BatchEntry> entries = new ArrayList<>();
            for (int i = 0; i < Limits.MAX_BATCH_ENTRIES - 2; i++)
            {
                entries.add(new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                    Fixtures.bulkPhone(i)));
            }
            entries.add(new BatchEntry(Channel.EPOSTA, RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL,
                Fixtures.EMAIL));
            entries.add(new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "nonsense"));
            final List<CheckResult> results = client.checkBatch(Fixtures.BRAND, entries).get();
            assertEquals(entries.size(), results.size());
            for (int i = 0; i < Limits.MAX_BATCH_ENTRIES - 2; i++)
            {
                assertEquals(i % 2 == 0 ? Reason.CONSENT : Reason.REJECTED, results.get(i).reason(), "entry " + i);
            }
            assertEquals(Reason.CONSENT, results.get(entries.size() - 2).reason());
            assertEquals(Reason.INVALID_RECIPIENT, results.get(entries.size() - 1).reason());
            assertEquals(asOfMs, results.get(0).asOfMs());

            entries.add(entries.get(0));
            entries.add(entries.get(0));
            assertThrows(IllegalArgumentException.class, () -> client.checkBatch(Fixtures.BRAND, entries),
                "the client refuses a batch the server would refuse, before sending it");
        }
    }

    @Test
    void shouldReportTheServerLimitsOnHello()
    {
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            final ServerInfo info = client.await(client.hello());
            assertEquals(FrameDescriptor.SCHEMA_VERSION, info.protocolVersion());
            assertEquals(Limits.MAX_BATCH_ENTRIES, info.maxBatchEntries());
            assertTrue(info.serverName().startsWith("iys-filter/"), info.serverName());
        }
    }

    @Test
    void shouldCloseOnlyTheConnectionThatSentAMalformedFrame() throws Exception
    {
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort());
            Socket raw = new Socket(InetAddress.getLoopbackAddress(), server.binaryPort()))
        {
            raw.getOutputStream().write("GET /v1/check HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final byte[] frame = Frames.read(raw.getInputStream());
            final MessageHeaderDecoder header = new MessageHeaderDecoder()
                .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_HEADER_OFFSET);
            final ErrorDecoder error = new ErrorDecoder().wrap(new UnsafeBuffer(frame),
                FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
            assertEquals(ErrorCode.FRAME_TOO_LARGE, error.code());
            final String message = error.message();
            assertTrue(message.contains("maxFrameLength=262144"), message);
            assertEquals(-1, raw.getInputStream().read(), "the server closed the connection");

            assertReason(client, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.CONSENT);
        }
    }

    @Test
    void shouldRefuseConnectionsPastTheLimitWithAReadableError(@TempDir final Path otherDir) throws Exception
    {
        Fixtures.write(otherDir);
        try (FilterServer limited = FilterServer.start(Fixtures.context(otherDir).maxConnections(1));
            FilterClient first = FilterClient.connect("127.0.0.1", limited.binaryPort()))
        {
            final FilterClientException refused = assertThrows(FilterClientException.class,
                () -> FilterClient.connect("127.0.0.1", limited.binaryPort()).close());
            assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, refused.errorCode(), refused.getMessage());
            assertReason(first, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.CONSENT);
        }
    }

    @Test
    void shouldFailInFlightRequestsAndReconnectAfterARestart(@TempDir final Path otherDir) throws Exception
    {
        Fixtures.write(otherDir);
        FilterServer restartable = FilterServer.start(Fixtures.context(otherDir));
        final int port = restartable.binaryPort();
        final FilterClient.Options options = new FilterClient.Options("127.0.0.1", port, 5_000, 3_000, 0);
        try (FilterClient client = FilterClient.connect(options))
        {
            assertReason(client, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.CONSENT);
            restartable.close();
            assertThrows(FilterClientException.class, () -> client.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED));

            restartable = FilterServer.start(Fixtures.context(otherDir).binaryPort(port));
            assertReason(client, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.CONSENT);
        }
        finally
        {
            restartable.close();
        }
    }

    @Test
    void shouldTimeOutARequestThatGetsNoAnswer() throws Exception
    {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final Thread welcomeThenSilence = new Thread(() -> welcomeThenIgnore(silent), "silent-server");
            welcomeThenSilence.setDaemon(true);
            welcomeThenSilence.start();
            final FilterClient.Options options = new FilterClient.Options("127.0.0.1", silent.getLocalPort(), 300,
                3_000, 0);
            try (FilterClient client = FilterClient.connect(options))
            {
                final CompletableFuture<CheckResult> unanswered = client.check(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED);
                final ExecutionException failure = assertThrows(ExecutionException.class, unanswered::get);
                assertInstanceOf(TimeoutException.class, failure.getCause());
            }
        }
    }

    private static void welcomeThenIgnore(final ServerSocket silent)
    {
        try (Socket socket = silent.accept())
        {
            final byte[] hello = Frames.read(socket.getInputStream());
            final long correlationId = new UnsafeBuffer(hello).getLong(FrameDescriptor.MESSAGE_OFFSET,
                FrameDescriptor.BYTE_ORDER);
            final byte[] welcome = new byte[FrameDescriptor.MESSAGE_OFFSET + WelcomeEncoder.BLOCK_LENGTH + 1];
            final UnsafeBuffer buffer = new UnsafeBuffer(welcome);
            new WelcomeEncoder().wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET,
                new MessageHeaderEncoder()).correlationId(correlationId).protocolVersion(1).serverName("");
            FrameDescriptor.frameLength(buffer, 0, welcome.length);
            final OutputStream out = socket.getOutputStream();
            out.write(welcome);
            out.flush();
            final InputStream in = socket.getInputStream();
            while (in.read() >= 0)
            {
                // read and ignore until the client goes away
            }
        }
        catch (final IOException ignored)
        {
            // the test closes the socket
        }
    }

    private static void assertReason(final FilterClient client, final long brand, final Channel channel,
        final RecipientType type, final MessageKind kind, final String recipient, final Reason expected)
    {
        final CheckResult result = client.checkBlocking(brand, channel, type, kind, recipient);
        assertEquals(expected, result.reason(), recipient);
        assertEquals(expected.value() < 16 ? Verdict.ALLOW : Verdict.DENY, result.verdict());
    }
}
