package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
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
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.ConsentRecordParser;
import io.iysfilter.server.iys.IysTime;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.iysfilter.server.binary.ResponseFrames.drain;
import static io.iysfilter.server.binary.ResponseFrames.single;
import static io.iysfilter.server.binary.ResponseFrames.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The framer test matrix: one frame, a byte at a time, split anywhere, coalesced, complete plus incomplete,
 * oversized, undersized, truncated, foreign schema, unknown template, overrunning fields, batch limits.
 */
class BinaryFrameHandlerTest
{
    private static final long BRAND = 600_001;
    private static final String CONSENTED = "+905321234567";
    /** A CHECK's root block before version 4 appended the dealer code. */
    private static final int V3_CHECK_BLOCK = CheckEncoder.dealerCodeEncodingOffset();
    /** A CHECK_BATCH's root block before version 4. */
    private static final int V3_BATCH_BLOCK = CheckBatchEncoder.dealerCodeEncodingOffset();
    private static final String REJECTED = "+905329876543";
    private static final long IDLE_TIMEOUT_MS = 60_000;
    private static final long FRAME_TIMEOUT_MS = 2_000;

    @TempDir
    static Path dataDir;
    private static ConsentStore store;

    private final ServerCounters counters = new ServerCounters();
    private EmbeddedChannel channel;

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
        parser.parse(BRAND, now, "b".repeat(64), REJECTED, "BIREYSEL", "MESAJ", "ONAY", now, "HS_WEB", change);
        writer.apply(change);
        parser.parse(BRAND, now, "c".repeat(64), REJECTED, "BIREYSEL", "MESAJ", "RET", now, "IYS_WEB", change);
        writer.apply(change);
    }

    @AfterAll
    static void closeIndex()
    {
        store.close();
    }

    @BeforeEach
    void connect()
    {
        channel = new EmbeddedChannel(new BinaryFrameHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), counters, "iys-filter/test",
            IDLE_TIMEOUT_MS, FRAME_TIMEOUT_MS));
    }

    @AfterEach
    void disconnect()
    {
        assertFalse(channel.finish(), "nothing left unread");
    }

    @Test
    void shouldAnswerOneCheck()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(check(1, CONSENTED)));
        final List<byte[]> frames = drain(channel);
        assertEquals(1, frames.size());
        assertCheckResponse(frames.get(0), 1, Reason.CONSENT);
        assertEquals(1, counters.decisions(ServerCounters.Endpoint.BINARY,
            io.iysfilter.server.decision.Reason.CONSENT));
    }

    @Test
    void shouldAnswerAFrameFedOneByteAtATimeOnlyWhenComplete()
    {
        final byte[] frame = check(2, REJECTED);
        for (int i = 0; i < frame.length - 1; i++)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{frame[i]}));
            assertNull(channel.readOutbound(), "answered before the frame was complete, at byte " + i);
        }
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{frame[frame.length - 1]}));
        assertCheckResponse(single(channel), 2, Reason.REJECTED);
    }

    @Test
    void shouldAnswerAFrameSplitAtAnyPoint()
    {
        final byte[] frame = check(3, CONSENTED);
        for (int split = 1; split < frame.length; split++)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(frame, 0, split)));
            assertNull(channel.readOutbound());
            channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(frame, split, frame.length)));
            assertCheckResponse(single(channel), 3, Reason.CONSENT);
        }
    }

    @Test
    void shouldAnswerCoalescedFramesInOrder()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(concat(check(10, CONSENTED), check(11, REJECTED),
            check(12, "05320000000"))));
        final List<byte[]> frames = drain(channel);
        assertEquals(3, frames.size());
        assertCheckResponse(frames.get(0), 10, Reason.CONSENT);
        assertCheckResponse(frames.get(1), 11, Reason.REJECTED);
        assertCheckResponse(frames.get(2), 12, Reason.NO_CONSENT);
    }

    @Test
    void shouldAnswerEveryFrameOfAReadWhoseAnswersOutgrowTheBufferFirstAllocatedForThem()
    {
        // the answer buffer of a read is first sized from the read (twice its bytes, at least 1 KiB); 300 batches of
        // three answer with ~9 KiB from a read of ~17 KiB, and 700 CHECKs after them push past 25 KiB in all, so the
        // buffer grows while answers are in it
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 300; i++)
        {
            frames.add(batch(1_000 + i, new String[]{CONSENTED, REJECTED, "05320000000"}, 0));
        }
        for (int i = 0; i < 700; i++)
        {
            frames.add(check(2_000 + i, i % 2 == 0 ? CONSENTED : REJECTED));
        }
        channel.writeInbound(Unpooled.wrappedBuffer(concat(frames.toArray(new byte[0][]))));
        final List<byte[]> answers = drain(channel);
        assertEquals(1_000, answers.size());
        for (int i = 0; i < 300; i++)
        {
            assertEquals(List.of(Reason.CONSENT, Reason.REJECTED, Reason.NO_CONSENT),
                batchReasons(answers.get(i), 1_000 + i));
        }
        for (int i = 0; i < 700; i++)
        {
            assertCheckResponse(answers.get(300 + i), 2_000 + i, i % 2 == 0 ? Reason.CONSENT : Reason.REJECTED);
        }
    }

    @Test
    void shouldAnswerTheCompleteFrameAndKeepTheIncompleteOne()
    {
        final byte[] second = check(21, REJECTED);
        channel.writeInbound(Unpooled.wrappedBuffer(concat(check(20, CONSENTED), Arrays.copyOf(second, 5))));
        assertCheckResponse(single(channel), 20, Reason.CONSENT);
        channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(second, 5, second.length)));
        assertCheckResponse(single(channel), 21, Reason.REJECTED);
    }

    @Test
    void shouldRefuseAnOversizedFrameBeforeWaitingForItsBodyAndClose()
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[4]);
        FrameDescriptor.frameLength(header, 0, Limits.MAX_FRAME_LENGTH + 1);
        channel.writeInbound(Unpooled.wrappedBuffer(concat(check(30, CONSENTED), header.byteArray())));
        final List<byte[]> frames = drain(channel);
        assertEquals(2, frames.size(), "the earlier frame is answered before the error");
        assertCheckResponse(frames.get(0), 30, Reason.CONSENT);
        assertError(frames.get(1), 0, ErrorCode.FRAME_TOO_LARGE);
        assertFalse(channel.isActive(), "the connection is closed");
        assertEquals(1, counters.protocolErrors(ErrorCode.FRAME_TOO_LARGE));
    }

    @Test
    void shouldTreatAnHttpRequestAsAnOversizedFrame()
    {
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII));
        assertError(single(channel), 0, ErrorCode.FRAME_TOO_LARGE);
        assertFalse(channel.isActive());
    }

    @Test
    void shouldRefuseAFrameTooShortForItsHeaderAndClose()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{11, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7}));
        assertError(single(channel), 0, ErrorCode.MALFORMED_FRAME);
        assertFalse(channel.isActive());
    }

    @Test
    void shouldDropATruncatedFrameWhenTheConnectionCloses()
    {
        final byte[] frame = check(40, CONSENTED);
        channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOf(frame, frame.length - 3)));
        channel.close();
        assertNull(channel.readOutbound(), "nothing is decided from part of a frame");
    }

    @Test
    void shouldRefuseAForeignSchemaAndClose()
    {
        final byte[] frame = check(50, CONSENTED);
        frame[8] = 1;
        frame[9] = 0;
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        assertError(single(channel), 0, ErrorCode.UNSUPPORTED_SCHEMA);
        assertFalse(channel.isActive());
    }

    @Test
    void shouldRefuseAnUnknownTemplateAndClose()
    {
        final byte[] frame = check(60, CONSENTED);
        frame[6] = 4;
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        assertError(single(channel), 0, ErrorCode.UNKNOWN_TEMPLATE);
        assertFalse(channel.isActive());
    }

    @Test
    void shouldRefuseARecipientOverrunningItsFrameAndClose()
    {
        final byte[] frame = check(70, CONSENTED);
        frame[FrameDescriptor.MESSAGE_OFFSET + CheckEncoder.BLOCK_LENGTH] = (byte)200;
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        assertError(single(channel), 0, ErrorCode.MALFORMED_FRAME);
        assertFalse(channel.isActive());
    }

    @Test
    void shouldRefuseTrailingBytesAndClose()
    {
        final byte[] frame = Arrays.copyOf(check(80, CONSENTED), check(80, CONSENTED).length + 2);
        FrameDescriptor.frameLength(new UnsafeBuffer(frame), 0, frame.length);
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        assertError(single(channel), 0, ErrorCode.MALFORMED_FRAME);
        assertFalse(channel.isActive());
    }

    @Test
    void shouldAnswerABatchInRequestOrder()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(batch(90, new String[]{CONSENTED, REJECTED, "05320000000",
            "not-a-phone"}, 9)));
        final CheckBatchResponseDecoder decoder = new CheckBatchResponseDecoder();
        final byte[] frame = single(channel);
        final MessageHeaderDecoder header = header(frame);
        assertEquals(CheckBatchResponseDecoder.TEMPLATE_ID, header.templateId());
        decoder.wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(90, decoder.correlationId());
        assertTrue(decoder.asOf() > 0);
        final List<Reason> reasons = new ArrayList<>();
        for (final CheckBatchResponseDecoder.ResultsDecoder result : decoder.results())
        {
            reasons.add(result.reason());
        }
        assertEquals(List.of(Reason.CONSENT, Reason.REJECTED, Reason.NO_CONSENT, Reason.INVALID_RECIPIENT,
            Reason.INVALID_REQUEST), reasons, "the last entry names channel code 9");
    }

    @Test
    void shouldCountEveryDecisionOfABatchByItsReasonOnceEach()
    {
        // a batch's decisions are tallied and counted once per batch: the counts must still be per reason, and a
        // second batch must not count the first one's again
        final String[] recipients = {CONSENTED, REJECTED, CONSENTED, "05320000000", "not-a-phone", CONSENTED};
        channel.writeInbound(Unpooled.wrappedBuffer(concat(batch(120, recipients, 0), batch(121, recipients, 0))));
        assertEquals(2, drain(channel).size());
        final ServerCounters.Endpoint binary = ServerCounters.Endpoint.BINARY;
        assertEquals(6, counters.decisions(binary, io.iysfilter.server.decision.Reason.CONSENT));
        assertEquals(2, counters.decisions(binary, io.iysfilter.server.decision.Reason.REJECTED));
        assertEquals(2, counters.decisions(binary, io.iysfilter.server.decision.Reason.NO_CONSENT));
        assertEquals(2, counters.decisions(binary, io.iysfilter.server.decision.Reason.INVALID_RECIPIENT));
        channel.writeInbound(Unpooled.wrappedBuffer(check(122, REJECTED)));
        assertCheckResponse(single(channel), 122, Reason.REJECTED);
        assertEquals(3, counters.decisions(binary, io.iysfilter.server.decision.Reason.REJECTED));
        assertEquals(6, counters.decisions(binary, io.iysfilter.server.decision.Reason.CONSENT));
    }

    @Test
    void shouldRefuseABatchOverTheLimitButKeepTheConnection()
    {
        final String[] recipients = new String[Limits.MAX_BATCH_ENTRIES + 1];
        Arrays.fill(recipients, CONSENTED);
        channel.writeInbound(Unpooled.wrappedBuffer(batch(100, recipients, 0)));
        assertError(single(channel), 100, ErrorCode.BATCH_TOO_LARGE);
        assertTrue(channel.isActive(), "a well-formed frame over a limit does not cost the connection");
        channel.writeInbound(Unpooled.wrappedBuffer(check(101, CONSENTED)));
        assertCheckResponse(single(channel), 101, Reason.CONSENT);
    }

    @Test
    void shouldAnswerAnEmptyBatch()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(batch(110, new String[0], 0)));
        final byte[] frame = single(channel);
        final MessageHeaderDecoder header = header(frame);
        final CheckBatchResponseDecoder decoder = new CheckBatchResponseDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(110, decoder.correlationId());
        assertEquals(0, decoder.results().count());
    }

    @Test
    void shouldWelcomeAHelloWithTheLimits()
    {
        final byte[] hello = new byte[FrameDescriptor.MESSAGE_OFFSET + HelloEncoder.BLOCK_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(hello);
        new HelloEncoder().wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(120).protocolVersion(1);
        FrameDescriptor.frameLength(buffer, 0, hello.length);
        channel.writeInbound(Unpooled.wrappedBuffer(hello));
        final byte[] frame = single(channel);
        final MessageHeaderDecoder header = header(frame);
        final WelcomeDecoder welcome = new WelcomeDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(120, welcome.correlationId());
        assertEquals(Limits.MAX_FRAME_LENGTH, welcome.maxFrameLength());
        assertEquals(Limits.MAX_BATCH_ENTRIES, welcome.maxBatchEntries());
        assertEquals(Limits.MAX_ADDRESS_LENGTH, welcome.maxAddressLength());
        assertEquals("iys-filter/test", welcome.serverName());
    }

    @Test
    void shouldRefuseAHelloWithBytesLeftOverAndClose()
    {
        final byte[] hello = Arrays.copyOf(hello(130), FrameDescriptor.MESSAGE_OFFSET + HelloEncoder.BLOCK_LENGTH + 3);
        FrameDescriptor.frameLength(new UnsafeBuffer(hello), 0, hello.length);
        channel.writeInbound(Unpooled.wrappedBuffer(hello));
        assertError(single(channel), 0, ErrorCode.MALFORMED_FRAME);
        assertFalse(channel.isActive(), "a version-1 frame with bytes left over closes the connection");
    }

    @Test
    void shouldAnswerBrandZeroAsAnInvalidRequest()
    {
        final byte[] commercial = check(140, CONSENTED);
        final byte[] transactional = check(141, CONSENTED);
        transactional[FrameDescriptor.MESSAGE_OFFSET + 14] = (byte)MessageKind.TRANSACTIONAL.value();
        for (final byte[] frame : new byte[][]{commercial, transactional})
        {
            new UnsafeBuffer(frame).putInt(FrameDescriptor.MESSAGE_OFFSET + 8, 0, FrameDescriptor.BYTE_ORDER);
        }
        channel.writeInbound(Unpooled.wrappedBuffer(concat(commercial, transactional)));
        final List<byte[]> frames = drain(channel);
        assertEquals(2, frames.size());
        for (int i = 0; i < 2; i++)
        {
            final CheckResponseDecoder response = checkResponse(frames.get(i));
            assertEquals(140 + i, response.correlationId());
            assertEquals(Reason.INVALID_REQUEST, response.reason(), "brand 0 is no İYS brand code, whatever the kind");
            assertEquals(io.iysfilter.protocol.codecs.Verdict.DENY, response.verdict());
            assertEquals(0, response.asOf());
        }

        final byte[] batch = batch(142, new String[]{CONSENTED, REJECTED}, 0);
        new UnsafeBuffer(batch).putInt(FrameDescriptor.MESSAGE_OFFSET + 8, 0, FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(batch));
        final byte[] frame = single(channel);
        final MessageHeaderDecoder header = header(frame);
        final CheckBatchResponseDecoder decoder = new CheckBatchResponseDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(142, decoder.correlationId());
        final List<Reason> reasons = new ArrayList<>();
        for (final CheckBatchResponseDecoder.ResultsDecoder result : decoder.results())
        {
            reasons.add(result.reason());
        }
        assertEquals(List.of(Reason.INVALID_REQUEST, Reason.INVALID_REQUEST), reasons);
        assertTrue(channel.isActive());
    }

    @Test
    void shouldRefuseABatchDeclaringTooManyEntriesByItsCountBeforeItsEntries()
    {
        final byte[] frame = batch(150, new String[]{CONSENTED, REJECTED, CONSENTED}, 0);
        final int countOffset = FrameDescriptor.MESSAGE_OFFSET + CheckBatchEncoder.BLOCK_LENGTH + 2;
        new UnsafeBuffer(frame).putShort(countOffset, (short)0xFFFF, FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        final byte[] error = single(channel);
        assertError(error, 150, ErrorCode.BATCH_TOO_LARGE);
        assertTrue(errorMessage(error).contains("entries=65535"), errorMessage(error));
        assertTrue(channel.isActive(), "the frame's length still delimits it: the connection stays open");
        channel.writeInbound(Unpooled.wrappedBuffer(check(151, CONSENTED)));
        assertCheckResponse(single(channel), 151, Reason.CONSENT);
    }

    @Test
    void shouldSayABatchCarriesBytesAfterItsLastDeclaredEntry()
    {
        final byte[] frame = batch(160, new String[]{CONSENTED, REJECTED}, 0);
        final int countOffset = FrameDescriptor.MESSAGE_OFFSET + CheckBatchEncoder.BLOCK_LENGTH + 2;
        new UnsafeBuffer(frame).putShort(countOffset, (short)1, FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        final byte[] error = single(channel);
        assertError(error, 0, ErrorCode.MALFORMED_FRAME);
        assertEquals("CHECK_BATCH frame carries bytes after its last declared entry: entries=1, end=49, " +
            "frameLength=66", errorMessage(error), "as in the golden vector error-batch-trailing-bytes.hex, written " +
            "for a version-1 batch: a version-4 root block is four bytes longer (the dealer code)");
        assertFalse(channel.isActive());
    }

    @Test
    void shouldCloseAFrameBegunButNotCompletedWithinTheFrameTimeout()
    {
        final byte[] frame = check(170, CONSENTED);
        channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOf(frame, 7)));
        channel.advanceTimeBy(FRAME_TIMEOUT_MS / 2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isActive(), "half the frame timeout is not yet a timeout");
        channel.advanceTimeBy(FRAME_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        final byte[] error = single(channel);
        assertError(error, 0, ErrorCode.FRAME_TIMEOUT);
        assertFalse(channel.isActive(), "closed after the frame timeout");
        assertEquals(1, counters.protocolErrors(ErrorCode.FRAME_TIMEOUT));
    }

    @Test
    void shouldTimeTheFrameFromItsFirstByteNotFromTheConnection()
    {
        channel.advanceTimeBy(FRAME_TIMEOUT_MS * 3 / 4, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.writeInbound(Unpooled.wrappedBuffer(check(180, CONSENTED)));
        assertCheckResponse(single(channel), 180, Reason.CONSENT);
        final byte[] frame = check(181, REJECTED);
        channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOf(frame, 20)));
        channel.advanceTimeBy(FRAME_TIMEOUT_MS * 3 / 4, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(frame, 20, frame.length)));
        assertCheckResponse(single(channel), 181, Reason.REJECTED);
        assertTrue(channel.isActive());
        assertEquals(0, counters.protocolErrors(ErrorCode.FRAME_TIMEOUT));
    }

    @Test
    void shouldCloseAConnectionIdleForTheIdleTimeoutButNotOneThatCompletesFrames()
    {
        for (int i = 0; i < 4; i++)
        {
            channel.advanceTimeBy(IDLE_TIMEOUT_MS / 2, TimeUnit.MILLISECONDS);
            channel.runScheduledPendingTasks();
            channel.writeInbound(Unpooled.wrappedBuffer(hello(190 + i)));
            assertEquals(1, drain(channel).size(), "a frame every half idle timeout keeps the connection");
        }
        channel.advanceTimeBy(IDLE_TIMEOUT_MS * 3 / 4, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isActive());
        channel.advanceTimeBy(IDLE_TIMEOUT_MS / 2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        final byte[] error = single(channel);
        assertError(error, 0, ErrorCode.IDLE_TIMEOUT);
        assertTrue(errorMessage(error).contains("idleTimeoutMs=" + IDLE_TIMEOUT_MS), errorMessage(error));
        assertFalse(channel.isActive());
        assertEquals(1, counters.protocolErrors(ErrorCode.IDLE_TIMEOUT));
    }

    @Test
    void shouldAnswerARecipientLengthOf255AsAnInvalidRecipientAndKeepTheConnection()
    {
        // 255 bytes that would be a consented number once trimmed: the length alone refuses it (PROTOCOL.md §6).
        final byte[] padded = ascii(CONSENTED + " ".repeat(255 - CONSENTED.length()));
        channel.writeInbound(Unpooled.wrappedBuffer(rawCheck(200, 1, CheckEncoder.BLOCK_LENGTH,
            MessageKind.COMMERCIAL, padded, new byte[0])));
        final CheckResponseDecoder response = checkResponse(single(channel));
        assertEquals(200, response.correlationId());
        assertEquals(Reason.INVALID_RECIPIENT, response.reason());
        assertEquals(io.iysfilter.protocol.codecs.Verdict.DENY, response.verdict());
        assertTrue(channel.isActive(), "well-formed framing: the connection stays open");

        channel.writeInbound(Unpooled.wrappedBuffer(rawBatch(201, 1, CheckBatchEncoder.BLOCK_LENGTH, 3,
            new byte[][]{ascii(CONSENTED), padded, ascii(REJECTED)}, 0, new byte[0])));
        assertEquals(List.of(Reason.CONSENT, Reason.INVALID_RECIPIENT, Reason.REJECTED),
            batchReasons(single(channel), 201));
        assertTrue(channel.isActive());
    }

    @Test
    void shouldSkipTheUnknownTailOfALongerEntryBlockAtAnyVersion()
    {
        for (final int version : new int[]{1, 2, 3})
        {
            channel.writeInbound(Unpooled.wrappedBuffer(rawBatch(210 + version, version,
                CheckBatchEncoder.BLOCK_LENGTH, 5, new byte[][]{ascii(CONSENTED), ascii(REJECTED)}, 0, new byte[0])));
            assertEquals(List.of(Reason.CONSENT, Reason.REJECTED), batchReasons(single(channel), 210 + version),
                "entry blockLength 5 at version " + version + ": two bytes skipped after the three known");
        }
        assertTrue(channel.isActive());
    }

    @Test
    void shouldRefuseAnEntryBlockShorterThanItsKnownFields()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(rawBatch(220, 1, CheckBatchEncoder.BLOCK_LENGTH, 2,
            new byte[][]{ascii(CONSENTED)}, 0, new byte[0])));
        final byte[] error = single(channel);
        assertError(error, 0, ErrorCode.MALFORMED_FRAME);
        assertEquals("CHECK_BATCH entry block too short: blockLength=2", errorMessage(error));
        assertFalse(channel.isActive());
    }

    @Test
    void shouldRefuseAFrameEndingInsideAnEntryAndSayWhich()
    {
        // Entry 0 complete (45 bytes so far), then entry 1 cut inside its block, before its length byte, inside its
        // recipient: each is the frame ending inside entry 1.
        final byte[] whole = rawBatch(230, 1, V3_BATCH_BLOCK, 3,
            new byte[][]{ascii(CONSENTED), ascii(REJECTED)}, 0, new byte[0]);
        for (final int frameLength : new int[]{47, 48, 49, whole.length - 1})
        {
            connect();
            final byte[] cut = Arrays.copyOf(whole, frameLength);
            FrameDescriptor.frameLength(new UnsafeBuffer(cut), 0, frameLength);
            channel.writeInbound(Unpooled.wrappedBuffer(cut));
            final byte[] error = single(channel);
            assertError(error, 0, ErrorCode.MALFORMED_FRAME);
            assertEquals("CHECK_BATCH entry 1 of 2 overruns its frame: frameLength=" + frameLength,
                errorMessage(error), "as in the golden vector error-batch-entry-overruns.hex (frameLength 47)");
            assertFalse(channel.isActive());
        }
    }

    @Test
    void shouldSkipALongerRootBlockAtVersionOne()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(rawCheck(240, 1, CheckEncoder.BLOCK_LENGTH + 1,
            MessageKind.COMMERCIAL, ascii(CONSENTED), new byte[0])));
        assertCheckResponse(single(channel), 240, Reason.CONSENT);
        channel.writeInbound(Unpooled.wrappedBuffer(rawBatch(241, 1, CheckBatchEncoder.BLOCK_LENGTH + 4, 3,
            new byte[][]{ascii(REJECTED)}, 0, new byte[0])));
        assertEquals(List.of(Reason.REJECTED), batchReasons(single(channel), 241));
        final byte[] hello = Arrays.copyOf(hello(242), hello(242).length + 2);
        FrameDescriptor.frameLength(new UnsafeBuffer(hello), 0, hello.length);
        new UnsafeBuffer(hello).putShort(FrameDescriptor.MESSAGE_HEADER_OFFSET,
            (short)(HelloEncoder.BLOCK_LENGTH + 2), FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(hello));
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(single(channel)).templateId());
        assertTrue(channel.isActive(), "blockLength delimits a block at every version");
    }

    @Test
    void shouldAnswerAVersionThreeCheckAndBatchWithoutTheDealerCodeAsTheBrands()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(rawCheck(280, 3, V3_CHECK_BLOCK, MessageKind.COMMERCIAL,
            ascii(CONSENTED), new byte[0])));
        assertCheckResponse(single(channel), 280, Reason.CONSENT);
        channel.writeInbound(Unpooled.wrappedBuffer(rawBatch(281, 3, V3_BATCH_BLOCK, 3,
            new byte[][]{ascii(CONSENTED), ascii(REJECTED)}, 0, new byte[0])));
        assertEquals(List.of(Reason.CONSENT, Reason.REJECTED), batchReasons(single(channel), 281));
        assertTrue(channel.isActive(), "a client before version 4 keeps working");
    }

    @Test
    void shouldRefuseAVersionFourCheckWhoseBlockLacksTheDealerCode()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(rawCheck(282, 4, V3_CHECK_BLOCK, MessageKind.COMMERCIAL,
            ascii(CONSENTED), new byte[0])));
        final byte[] error = single(channel);
        assertError(error, 0, ErrorCode.MALFORMED_FRAME);
        assertEquals("CHECK block too short: blockLength=" + V3_CHECK_BLOCK, errorMessage(error));
    }

    @Test
    void shouldDecideACheckAndABatchThatNameADealerAsTheDealers()
    {
        // this brand's dealer lists are not trusted (dealer-access-trust-feed names none): every ONAY a dealer asks
        // about is DEALER_ACCESS_UNKNOWN, while a RET stays REJECTED and the brand's own check is unchanged
        channel.writeInbound(Unpooled.wrappedBuffer(dealerCheck(283, CONSENTED, 22_233_344L)));
        assertCheckResponse(single(channel), 283, Reason.DEALER_ACCESS_UNKNOWN);
        channel.writeInbound(Unpooled.wrappedBuffer(dealerCheck(284, CONSENTED, 0)));
        assertCheckResponse(single(channel), 284, Reason.CONSENT);

        final byte[] batch = batch(285, new String[]{CONSENTED, REJECTED}, 0);
        new UnsafeBuffer(batch).putInt(FrameDescriptor.MESSAGE_OFFSET + CheckBatchEncoder.dealerCodeEncodingOffset(),
            22_233_344, FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(batch));
        assertEquals(List.of(Reason.DEALER_ACCESS_UNKNOWN, Reason.REJECTED), batchReasons(single(channel), 285));
    }

    private static byte[] dealerCheck(final long correlationId, final String recipient, final long dealer)
    {
        final byte[] bytes = check(correlationId, recipient);
        new UnsafeBuffer(bytes).putInt(FrameDescriptor.MESSAGE_OFFSET + CheckEncoder.dealerCodeEncodingOffset(),
            (int)dealer, FrameDescriptor.BYTE_ORDER);
        return bytes;
    }

    @Test
    void shouldSkipBytesAfterTheLastFieldOnlyAboveThisServersVersion()
    {
        // this server speaks version 2: a version-3 frame may carry what it does not know after its last field
        final int newer = FrameDescriptor.SCHEMA_VERSION + 1;
        final byte[] trailing = {1, 2, 3};
        channel.writeInbound(Unpooled.wrappedBuffer(rawCheck(250, newer, CheckEncoder.BLOCK_LENGTH + 2,
            MessageKind.COMMERCIAL, ascii(CONSENTED), trailing)));
        assertCheckResponse(single(channel), 250, Reason.CONSENT);
        channel.writeInbound(Unpooled.wrappedBuffer(rawBatch(251, newer, CheckBatchEncoder.BLOCK_LENGTH, 4,
            new byte[][]{ascii(CONSENTED), ascii(REJECTED)}, 0, trailing)));
        assertEquals(List.of(Reason.CONSENT, Reason.REJECTED), batchReasons(single(channel), 251));
        final byte[] hello = Arrays.copyOf(hello(252), hello(252).length + trailing.length);
        FrameDescriptor.frameLength(new UnsafeBuffer(hello), 0, hello.length);
        new UnsafeBuffer(hello).putShort(FrameDescriptor.MESSAGE_HEADER_OFFSET + 6, (short)newer,
            FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(hello));
        assertEquals(WelcomeDecoder.TEMPLATE_ID, header(single(channel)).templateId());
        assertTrue(channel.isActive(), "a newer version may carry what this server does not know");

        channel.writeInbound(Unpooled.wrappedBuffer(rawCheck(253, 1, V3_CHECK_BLOCK + 2,
            MessageKind.COMMERCIAL, ascii(CONSENTED), trailing)));
        final byte[] error = single(channel);
        assertError(error, 0, ErrorCode.MALFORMED_FRAME);
        assertEquals("CHECK frame carries bytes after its recipient: end=43, frameLength=46", errorMessage(error),
            "at version 1 the longer block is fine, the bytes after the recipient are not");
        assertFalse(channel.isActive());
    }

    @Test
    void shouldRefuseBytesAfterTheLastDeclaredEntryAtVersionOneEvenWithLongerBlocks()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(rawBatch(260, 1, CheckBatchEncoder.BLOCK_LENGTH + 1, 4,
            new byte[][]{ascii(CONSENTED)}, 0, new byte[]{9})));
        final byte[] error = single(channel);
        assertError(error, 0, ErrorCode.MALFORMED_FRAME);
        assertTrue(errorMessage(error).startsWith("CHECK_BATCH frame carries bytes after its last declared entry"),
            errorMessage(error));
        assertFalse(channel.isActive());
    }

    @Test
    void shouldAnswerEveryCompleteFrameBeforeTheClientsFinThenClose()
    {
        final byte[] last = check(272, CONSENTED);
        channel.writeInbound(Unpooled.wrappedBuffer(concat(check(270, CONSENTED), check(271, REJECTED),
            Arrays.copyOf(last, last.length - 4))));
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        final List<byte[]> frames = drain(channel);
        assertEquals(2, frames.size(), "the two complete CHECKs are answered, the partial third is dropped");
        assertCheckResponse(frames.get(0), 270, Reason.CONSENT);
        assertCheckResponse(frames.get(1), 271, Reason.REJECTED);
        assertFalse(channel.isActive(), "closed once the answers are written");
    }

    @Test
    void shouldCloseAtTheClientsFinWhenNothingIsOwed()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(check(280, CONSENTED)));
        assertCheckResponse(single(channel), 280, Reason.CONSENT);
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertTrue(drain(channel).isEmpty());
        assertFalse(channel.isActive());
    }

    private List<Reason> batchReasons(final byte[] frame, final long correlationId)
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

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A CHECK laid out by hand from PROTOCOL.md, so that it can break what the generated encoder refuses: any
     * version, a root block padded with zeros to {@code blockLength}, a recipient of any length (its length byte is
     * {@code recipient.length}, 255 included) and bytes after it.
     */
    private static byte[] rawCheck(final long correlationId, final int version, final int blockLength,
        final MessageKind kind, final byte[] recipient, final byte[] trailing)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final UnsafeBuffer block = new UnsafeBuffer(new byte[blockLength]);
        block.putLong(0, correlationId, FrameDescriptor.BYTE_ORDER);
        block.putInt(8, (int)BRAND, FrameDescriptor.BYTE_ORDER);
        block.putByte(12, (byte)Channel.MESAJ.value());
        block.putByte(13, (byte)RecipientType.BIREYSEL.value());
        block.putByte(14, (byte)kind.value());
        body.writeBytes(block.byteArray());
        body.write(recipient.length);
        body.writeBytes(recipient);
        body.writeBytes(trailing);
        return rawFrame(CheckEncoder.TEMPLATE_ID, version, blockLength, body.toByteArray());
    }

    /**
     * A CHECK_BATCH laid out by hand: MESAJ, UNSPECIFIED, COMMERCIAL entries of {@code entryBlockLength} bytes
     * (padded with 0xEE past the three known), {@code count} declared (0 for as many as given), bytes after the last.
     */
    private static byte[] rawBatch(final long correlationId, final int version, final int blockLength,
        final int entryBlockLength, final byte[][] recipients, final int count, final byte[] trailing)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final UnsafeBuffer block = new UnsafeBuffer(new byte[blockLength]);
        block.putLong(0, correlationId, FrameDescriptor.BYTE_ORDER);
        block.putInt(8, (int)BRAND, FrameDescriptor.BYTE_ORDER);
        body.writeBytes(block.byteArray());
        final UnsafeBuffer group = new UnsafeBuffer(new byte[4]);
        group.putShort(0, (short)entryBlockLength, FrameDescriptor.BYTE_ORDER);
        group.putShort(2, (short)(count == 0 ? recipients.length : count), FrameDescriptor.BYTE_ORDER);
        body.writeBytes(group.byteArray());
        for (final byte[] recipient : recipients)
        {
            final byte[] entry = new byte[entryBlockLength];
            Arrays.fill(entry, (byte)0xEE);
            final byte[] known = {(byte)Channel.MESAJ.value(), (byte)RecipientType.UNSPECIFIED.value(),
                (byte)MessageKind.COMMERCIAL.value()};
            System.arraycopy(known, 0, entry, 0, Math.min(known.length, entryBlockLength));
            body.writeBytes(entry);
            body.write(recipient.length);
            body.writeBytes(recipient);
        }
        body.writeBytes(trailing);
        return rawFrame(CheckBatchEncoder.TEMPLATE_ID, version, blockLength, body.toByteArray());
    }

    private static byte[] rawFrame(final int templateId, final int version, final int blockLength, final byte[] body)
    {
        final byte[] frame = new byte[FrameDescriptor.MESSAGE_OFFSET + body.length];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        FrameDescriptor.frameLength(buffer, 0, frame.length);
        buffer.putShort(4, (short)blockLength, FrameDescriptor.BYTE_ORDER);
        buffer.putShort(6, (short)templateId, FrameDescriptor.BYTE_ORDER);
        buffer.putShort(8, (short)FrameDescriptor.SCHEMA_ID, FrameDescriptor.BYTE_ORDER);
        buffer.putShort(10, (short)version, FrameDescriptor.BYTE_ORDER);
        buffer.putBytes(FrameDescriptor.MESSAGE_OFFSET, body);
        return frame;
    }

    private static byte[] hello(final long correlationId)
    {
        final byte[] hello = new byte[FrameDescriptor.MESSAGE_OFFSET + HelloEncoder.BLOCK_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(hello);
        new HelloEncoder().wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId).protocolVersion(1);
        FrameDescriptor.frameLength(buffer, 0, hello.length);
        return hello;
    }

    private static CheckResponseDecoder checkResponse(final byte[] frame)
    {
        final MessageHeaderDecoder header = header(frame);
        assertEquals(CheckResponseDecoder.TEMPLATE_ID, header.templateId());
        return new CheckResponseDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
    }

    private static String errorMessage(final byte[] frame)
    {
        final MessageHeaderDecoder header = header(frame);
        return new ErrorDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version())
            .message();
    }

    static byte[] check(final long correlationId, final String recipient)
    {
        final byte[] bytes = new byte[FrameDescriptor.MESSAGE_OFFSET + CheckEncoder.BLOCK_LENGTH + 1 +
            recipient.length()];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        new CheckEncoder().wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .brandCode(BRAND)
            .channel(Channel.MESAJ)
            .recipientType(RecipientType.BIREYSEL)
            .messageKind(MessageKind.COMMERCIAL)
            .recipient(recipient);
        FrameDescriptor.frameLength(buffer, 0, bytes.length);
        return bytes;
    }

    private static byte[] batch(final long correlationId, final String[] recipients, final int extraChannelCode)
    {
        final byte[] bytes = new byte[Limits.MAX_FRAME_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final CheckBatchEncoder encoder = new CheckBatchEncoder();
        final CheckBatchEncoder.EntriesEncoder entries = encoder
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .brandCode(BRAND)
            .entriesCount(recipients.length + (extraChannelCode == 0 ? 0 : 1));
        for (final String recipient : recipients)
        {
            entries.next().channel(Channel.MESAJ).recipientType(RecipientType.UNSPECIFIED)
                .messageKind(MessageKind.COMMERCIAL).recipient(recipient);
        }
        if (extraChannelCode != 0)
        {
            final int at = encoder.limit();
            entries.next().channel(Channel.MESAJ).recipientType(RecipientType.BIREYSEL)
                .messageKind(MessageKind.COMMERCIAL).recipient(CONSENTED);
            buffer.putByte(at, (byte)extraChannelCode);
        }
        final int length = FrameDescriptor.MESSAGE_OFFSET + encoder.encodedLength();
        FrameDescriptor.frameLength(buffer, 0, length);
        return Arrays.copyOf(bytes, length);
    }

    private static void assertCheckResponse(final byte[] frame, final long correlationId, final Reason reason)
    {
        final MessageHeaderDecoder header = header(frame);
        assertEquals(CheckResponseDecoder.TEMPLATE_ID, header.templateId());
        final CheckResponseDecoder response = new CheckResponseDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(correlationId, response.correlationId());
        assertEquals(reason, response.reason());
        assertEquals(reason.value() < 16 ? io.iysfilter.protocol.codecs.Verdict.ALLOW :
            io.iysfilter.protocol.codecs.Verdict.DENY, response.verdict());
        assertTrue(response.asOf() > 0, "a known brand has an as-of time");
    }

    private static void assertError(final byte[] frame, final long correlationId, final ErrorCode code)
    {
        final MessageHeaderDecoder header = header(frame);
        assertEquals(ErrorDecoder.TEMPLATE_ID, header.templateId());
        final ErrorDecoder error = new ErrorDecoder()
            .wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(correlationId, error.correlationId());
        assertEquals(code, error.code());
        assertFalse(error.message().isEmpty(), "errors carry a readable message");
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
