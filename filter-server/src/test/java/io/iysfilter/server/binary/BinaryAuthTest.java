package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckBatchEncoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseDecoder;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorDecoder;
import io.iysfilter.protocol.codecs.HelloEncoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.WelcomeDecoder;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.ConsentRecordParser;
import io.iysfilter.server.iys.IysTime;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.BearerTokens;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.iysfilter.server.binary.ResponseFrames.drain;
import static io.iysfilter.server.binary.ResponseFrames.single;
import static io.iysfilter.server.binary.ResponseFrames.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binary protocol with authentication on (a clients file) and off: UNAUTHORISED before an accepted HELLO and
 * for a bad token (then closed, counted per source), FORBIDDEN for a brand or role the client lacks (that request
 * only), the per-source limit, reloads, per-client counters, and old clients with authentication off.
 */
class BinaryAuthTest
{
    private static final long BRAND = 600_001;
    private static final long OTHER_BRAND = 600_002;
    private static final String CONSENTED = "+905321234567";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long DEALER = 22_233_344L;

    @TempDir
    static Path dataDir;
    private static ConsentStore store;

    @TempDir
    Path dir;

    private final ServerCounters counters = new ServerCounters();
    private final ClientCounters clientCounters = new ClientCounters();
    private final String acme = BearerTokens.generate(RANDOM);
    private final String auditor = BearerTokens.generate(RANDOM);
    private final String late = BearerTokens.generate(RANDOM);
    private final String dealerApp = BearerTokens.generate(RANDOM);
    private Path clientsFile;

    @BeforeAll
    static void createIndex() throws IOException
    {
        store = ConsentStore.open(dataDir, TestKeys.options(1_000));
        final ConsentIndexWriter writer = store.writer();
        writer.createBrand(BRAND);
        final ConsentRecordParser parser = new ConsentRecordParser();
        final ConsentChange change = new ConsentChange();
        final String now = IysTime.format(System.currentTimeMillis() / 1000 - 60);
        parser.parse(BRAND, now, "a".repeat(64), CONSENTED, "BIREYSEL", "MESAJ", "ONAY", now, "HS_WEB", change);
        writer.apply(change);
    }

    @AfterAll
    static void closeIndex()
    {
        store.close();
    }

    @BeforeEach
    void writeClients() throws IOException
    {
        clientsFile = dir.resolve("clients.conf");
        Files.writeString(clientsFile, "[acme]\nroles = check\nbrands = " + BRAND + "\ntoken = " +
            BearerTokens.hash(acme) + "\n\n[auditor]\nroles = admin, scrub\nbrands = *\ntoken = " +
            BearerTokens.hash(auditor) + "\n\n[dealer-app]\nroles = check\nbrands = " + BRAND + "\ndealers = " +
            DEALER + "\ntoken = " + BearerTokens.hash(dealerApp) + "\n");
    }

    private Authenticator auth(final int failureLimit) throws Exception
    {
        return Authenticator.load(clientsFile, failureLimit, clientCounters);
    }

    private EmbeddedChannel connect(final Authenticator auth)
    {
        return new EmbeddedChannel(BinaryEndpoint.newConnection(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), counters, auth,
            "iys-filter/test"));
    }

    @Test
    void shouldRefuseACheckBeforeAnAcceptedHelloAndClose() throws Exception
    {
        final EmbeddedChannel channel = connect(auth(10));
        channel.writeInbound(Unpooled.wrappedBuffer(check(5, BRAND)));
        assertError(single(channel), 5, ErrorCode.UNAUTHORISED);
        assertFalse(channel.isActive(), "an unauthenticated connection is closed");
        assertEquals(1, clientCounters.unknown().unauthorised());
        assertEquals(1, counters.protocolErrors(ErrorCode.UNAUTHORISED));

        final EmbeddedChannel batchFirst = connect(auth(10));
        batchFirst.writeInbound(Unpooled.wrappedBuffer(batch(6, BRAND)));
        assertError(single(batchFirst), 6, ErrorCode.UNAUTHORISED);
        assertFalse(batchFirst.isActive());
    }

    @Test
    void shouldCloseAConnectionThatNamesNoClientWithinTheFrameTimeout() throws Exception
    {
        final long frameTimeoutMs = 10_000;
        final long idleTimeoutMs = 300_000;
        final EmbeddedChannel silent = new EmbeddedChannel(new BinaryFrameHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), counters, auth(10),
            "iys-filter/test", idleTimeoutMs, frameTimeoutMs));
        silent.advanceTimeBy(frameTimeoutMs / 2, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        assertTrue(silent.isActive(), "within the frame timeout");
        silent.advanceTimeBy(frameTimeoutMs, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        final byte[] error = single(silent);
        assertError(error, 0, ErrorCode.UNAUTHORISED);
        assertTrue(message(error).contains("frameTimeoutMs=" + frameTimeoutMs), message(error));
        assertFalse(silent.isActive(), "closed long before the idle timeout");

        // a named client keeps the idle timeout
        final EmbeddedChannel named = new EmbeddedChannel(new BinaryFrameHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), counters, auth(10),
            "iys-filter/test", idleTimeoutMs, frameTimeoutMs));
        named.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, acme)));
        drain(named);
        named.advanceTimeBy(frameTimeoutMs * 2, TimeUnit.MILLISECONDS);
        named.runScheduledPendingTasks();
        assertTrue(named.isActive(), "a client named by its token waits for the idle timeout");
    }

    @Test
    void shouldRefuseAWrongTokenOrNoneAndClose() throws Exception
    {
        final Authenticator auth = auth(10);
        final EmbeddedChannel wrong = connect(auth);
        wrong.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, BearerTokens.generate(RANDOM)), check(2, BRAND)));
        final List<byte[]> answers = drain(wrong);
        assertEquals(1, answers.size(), "the CHECK after a refused HELLO is not answered");
        assertError(answers.get(0), 1, ErrorCode.UNAUTHORISED);
        assertFalse(wrong.isActive());

        final EmbeddedChannel oldClient = connect(auth);
        oldClient.writeInbound(Unpooled.wrappedBuffer(hello(3, 1, null)));
        assertError(single(oldClient), 3, ErrorCode.UNAUTHORISED);
        assertFalse(oldClient.isActive(), "a version-1 HELLO has no token: refused with authentication on");

        final EmbeddedChannel empty = connect(auth);
        empty.writeInbound(Unpooled.wrappedBuffer(hello(4, 2, "")));
        assertError(single(empty), 4, ErrorCode.UNAUTHORISED);
        assertEquals(3, clientCounters.unknown().unauthorised());
        assertEquals(3, auth.failures().failures());
    }

    @Test
    void shouldAnswerTheClientsOwnBrandsAndForbidOthersRequestByRequest() throws Exception
    {
        final EmbeddedChannel channel = connect(auth(10));
        channel.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, acme)));
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(single(channel)).templateId());

        channel.writeInbound(Unpooled.wrappedBuffer(check(2, BRAND)));
        assertCheckResponse(single(channel), 2, Reason.CONSENT);
        channel.writeInbound(Unpooled.wrappedBuffer(check(3, OTHER_BRAND)));
        assertError(single(channel), 3, ErrorCode.FORBIDDEN);
        assertTrue(channel.isActive(), "FORBIDDEN refuses that request only");
        channel.writeInbound(Unpooled.wrappedBuffer(batch(4, OTHER_BRAND)));
        assertError(single(channel), 4, ErrorCode.FORBIDDEN);
        channel.writeInbound(Unpooled.wrappedBuffer(batch(5, BRAND)));
        assertEquals(List.of(Reason.CONSENT), batchReasons(single(channel), 5));
        channel.writeInbound(Unpooled.wrappedBuffer(hello(6, 1, null)));
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(single(channel)).templateId(),
            "once authenticated, a HELLO without a token is a ping");
        assertTrue(channel.isActive());

        final var stats = clientCounters.forId("acme");
        assertEquals(2, stats.allowed(), "the CHECK and the batch's entry");
        assertEquals(2, stats.forbidden());
        assertEquals(0, clientCounters.anonymous().allowed());
    }

    @Test
    void shouldLetAClientBoundToDealersAskOnlyAsOneOfThem() throws Exception
    {
        final EmbeddedChannel channel = connect(auth(10));
        channel.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, dealerApp)));
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(single(channel)).templateId());

        // the brand's dealer lists are not trusted here: its own dealer gets a dealer's decision, not the brand's
        channel.writeInbound(Unpooled.wrappedBuffer(check(2, BRAND, DEALER)));
        assertCheckResponse(single(channel), 2, Reason.DEALER_ACCESS_UNKNOWN);
        channel.writeInbound(Unpooled.wrappedBuffer(check(3, BRAND)));
        final byte[] asBrand = single(channel);
        assertError(asBrand, 3, ErrorCode.FORBIDDEN);
        assertTrue(message(asBrand).contains("sends for dealers only"), message(asBrand));
        channel.writeInbound(Unpooled.wrappedBuffer(check(4, BRAND, DEALER + 1)));
        final byte[] asOther = single(channel);
        assertError(asOther, 4, ErrorCode.FORBIDDEN);
        assertTrue(message(asOther).contains("may not ask as dealer " + (DEALER + 1)), message(asOther));
        channel.writeInbound(Unpooled.wrappedBuffer(batch(5, BRAND)));
        assertError(single(channel), 5, ErrorCode.FORBIDDEN);
        channel.writeInbound(Unpooled.wrappedBuffer(batch(6, BRAND, DEALER)));
        assertEquals(List.of(Reason.DEALER_ACCESS_UNKNOWN), batchReasons(single(channel), 6));
        assertTrue(channel.isActive(), "FORBIDDEN refuses that request only");
        assertEquals(3, clientCounters.forId("dealer-app").forbidden());
        assertEquals(0, clientCounters.forId("dealer-app").allowed());

        // a client without dealers still asks as the brand
        final EmbeddedChannel brandApp = connect(auth(10));
        brandApp.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, acme)));
        single(brandApp);
        brandApp.writeInbound(Unpooled.wrappedBuffer(check(2, BRAND)));
        assertCheckResponse(single(brandApp), 2, Reason.CONSENT);
    }

    @Test
    void shouldForbidChecksToAClientWithoutTheCheckRole() throws Exception
    {
        final EmbeddedChannel channel = connect(auth(10));
        channel.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, auditor), check(2, BRAND), batch(3, BRAND)));
        final List<byte[]> answers = drain(channel);
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(answers.get(0)).templateId());
        assertError(answers.get(1), 2, ErrorCode.FORBIDDEN);
        assertError(answers.get(2), 3, ErrorCode.FORBIDDEN);
        assertTrue(message(answers.get(1)).contains("lacks the check role"), message(answers.get(1)));
        assertTrue(channel.isActive());
    }

    @Test
    void shouldRefuseAnAddressPastItsFailureLimitWithoutCheckingItsToken() throws Exception
    {
        final Authenticator auth = auth(2);
        for (int i = 0; i < 2; i++)
        {
            final EmbeddedChannel bad = connect(auth);
            bad.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, "guess" + i)));
            assertError(single(bad), 1, ErrorCode.UNAUTHORISED);
        }
        final EmbeddedChannel good = connect(auth);
        good.writeInbound(Unpooled.wrappedBuffer(hello(7, 2, acme)));
        final byte[] refused = single(good);
        assertError(refused, 7, ErrorCode.UNAUTHORISED);
        assertTrue(message(refused).contains("too many failed attempts"), message(refused));
        assertFalse(good.isActive(), "refused unchecked and closed");
        assertEquals(1, auth.failures().refusedUnchecked());
    }

    @Test
    void shouldUseTheReloadedClientsForNewConnectionsOnly() throws Exception
    {
        final Authenticator auth = auth(10);
        final EmbeddedChannel before = connect(auth);
        before.writeInbound(Unpooled.wrappedBuffer(hello(1, 2, acme)));
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(single(before)).templateId());

        Files.writeString(clientsFile, "[late]\nroles = check\nbrands = " + BRAND + "\ntoken = " +
            BearerTokens.hash(late) + "\n");
        assertTrue(auth.reloadIfChanged());

        before.writeInbound(Unpooled.wrappedBuffer(check(2, BRAND)));
        assertCheckResponse(single(before), 2, Reason.CONSENT);
        final EmbeddedChannel removed = connect(auth);
        removed.writeInbound(Unpooled.wrappedBuffer(hello(3, 2, acme)));
        assertError(single(removed), 3, ErrorCode.UNAUTHORISED);
        final EmbeddedChannel added = connect(auth);
        added.writeInbound(Unpooled.wrappedBuffer(hello(4, 2, late), check(5, BRAND)));
        final List<byte[]> answers = drain(added);
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(answers.get(0)).templateId());
        assertCheckResponse(answers.get(1), 5, Reason.CONSENT);
    }

    @Test
    void shouldAnswerOldAndNewClientsAlikeWithAuthenticationOff()
    {
        final EmbeddedChannel channel = connect(Authenticator.off(clientCounters));
        channel.writeInbound(Unpooled.wrappedBuffer(hello(1, 1, null), check(2, BRAND), hello(3, 2, "anything"),
            check(4, OTHER_BRAND)));
        final List<byte[]> answers = drain(channel);
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(answers.get(0)).templateId(), "a version-1 HELLO");
        assertCheckResponse(answers.get(1), 2, Reason.CONSENT);
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(answers.get(2)).templateId(), "a token is ignored");
        assertEquals(CheckResponseDecoder.TEMPLATE_ID, header(answers.get(3)).templateId());
        assertTrue(channel.isActive());
        assertEquals(1, clientCounters.anonymous().allowed());
        assertEquals(1, clientCounters.anonymous().denied());
    }

    @Test
    void shouldRefuseATokenThatOverrunsOrIsFollowedByBytes() throws Exception
    {
        final byte[] overrun = hello(1, 2, acme);
        overrun[FrameDescriptor.MESSAGE_OFFSET + HelloEncoder.BLOCK_LENGTH] = (byte)(acme.length() + 1);
        final EmbeddedChannel first = connect(auth(10));
        first.writeInbound(Unpooled.wrappedBuffer(overrun));
        assertError(single(first), 0, ErrorCode.MALFORMED_FRAME);

        final byte[] hello = hello(2, 2, acme);
        final byte[] trailing = Arrays.copyOf(hello, hello.length + 1);
        FrameDescriptor.frameLength(new UnsafeBuffer(trailing), 0, trailing.length);
        final EmbeddedChannel second = connect(auth(10));
        second.writeInbound(Unpooled.wrappedBuffer(trailing));
        final byte[] error = single(second);
        assertError(error, 0, ErrorCode.MALFORMED_FRAME);
        assertTrue(message(error).startsWith("HELLO frame carries bytes after its token"), message(error));
    }

    static byte[] hello(final long correlationId, final int version, final String token)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final HelloEncoder encoder = new HelloEncoder()
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .protocolVersion(version);
        if (token != null)
        {
            encoder.token(token);
        }
        new MessageHeaderEncoder().wrap(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET).version(version);
        final int length = FrameDescriptor.MESSAGE_OFFSET + encoder.encodedLength();
        FrameDescriptor.frameLength(buffer, 0, length);
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    static byte[] check(final long correlationId, final long brand)
    {
        return check(correlationId, brand, 0);
    }

    static byte[] check(final long correlationId, final long brand, final long dealer)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final CheckEncoder encoder = new CheckEncoder()
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .brandCode(brand)
            .channel(Channel.MESAJ)
            .recipientType(RecipientType.BIREYSEL)
            .messageKind(MessageKind.COMMERCIAL)
            .dealerCode(dealer)
            .recipient(CONSENTED);
        final int length = FrameDescriptor.MESSAGE_OFFSET + encoder.encodedLength();
        FrameDescriptor.frameLength(buffer, 0, length);
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    private static byte[] batch(final long correlationId, final long brand)
    {
        return batch(correlationId, brand, 0);
    }

    private static byte[] batch(final long correlationId, final long brand, final long dealer)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final CheckBatchEncoder encoder = new CheckBatchEncoder();
        encoder.wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .brandCode(brand)
            .dealerCode(dealer)
            .entriesCount(1)
            .next().channel(Channel.MESAJ).recipientType(RecipientType.BIREYSEL)
            .messageKind(MessageKind.COMMERCIAL).recipient(CONSENTED);
        final int length = FrameDescriptor.MESSAGE_OFFSET + encoder.encodedLength();
        FrameDescriptor.frameLength(buffer, 0, length);
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    private static void assertCheckResponse(final byte[] frame, final long correlationId, final Reason reason)
    {
        final MessageHeaderDecoder header = header(frame);
        assertEquals(CheckResponseDecoder.TEMPLATE_ID, header.templateId(), "expected a CHECK_RESPONSE");
        final CheckResponseDecoder response = new CheckResponseDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(correlationId, response.correlationId());
        assertEquals(reason, response.reason());
    }

    private static List<Reason> batchReasons(final byte[] frame, final long correlationId)
    {
        final MessageHeaderDecoder header = header(frame);
        assertEquals(CheckBatchResponseDecoder.TEMPLATE_ID, header.templateId());
        final CheckBatchResponseDecoder decoder = new CheckBatchResponseDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(correlationId, decoder.correlationId());
        final List<Reason> reasons = new ArrayList<>();
        for (final CheckBatchResponseDecoder.ResultsDecoder result : decoder.results())
        {
            reasons.add(result.reason());
        }
        return reasons;
    }

    private static void assertError(final byte[] frame, final long correlationId, final ErrorCode code)
    {
        final MessageHeaderDecoder header = header(frame);
        assertEquals(ErrorDecoder.TEMPLATE_ID, header.templateId(), "expected an ERROR");
        final ErrorDecoder error = new ErrorDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(code, error.code(), error.message());
        assertEquals(correlationId, error.correlationId());
    }

    private static String message(final byte[] frame)
    {
        final MessageHeaderDecoder header = header(frame);
        return new ErrorDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version())
            .message();
    }

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
