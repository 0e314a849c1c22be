package io.iysfilter.server.binary;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.CheckBatchDecoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseDecoder;
import io.iysfilter.protocol.codecs.CheckDecoder;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorDecoder;
import io.iysfilter.protocol.codecs.HelloDecoder;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.protocol.codecs.WelcomeDecoder;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes the binary frame decoder on an embedded connection. Structure-aware: each input is a few frames, each
 * either a well-formed HELLO, CHECK or CHECK_BATCH with fuzzed fields, one with a fuzzed header or lengths, or raw
 * bytes, delivered in fuzzed pieces. The contract checked, from PROTOCOL.md:
 * <ul>
 *   <li>nothing is thrown out of the pipeline;</li>
 *   <li>every complete frame gets exactly one well-formed answer of the kind its request calls for (WELCOME, a
 *   CHECK response, a CHECK_BATCH response with one result per entry, or ERROR BATCH_TOO_LARGE) echoing its
 *   correlationId, until a protocol violation: then one ERROR with correlationId 0 and the connection is closed,
 *   and nothing after it is answered;</li>
 *   <li>a connection is closed only after such an ERROR, and a frame length out of range always closes it;</li>
 *   <li>fail closed: an ALLOW only for a request whose channel, recipient type and kind are all known codes, and
 *   every verdict is the one its reason implies.</li>
 * </ul>
 * {@code ./mvnw verify} replays the corpus under {@code src/test/resources/.../BinaryFrameFuzzTestInputs} and runs a
 * few seconds of fuzzing; docs/CONTRIBUTING.md has the command for a long run.
 */
class BinaryFrameFuzzTest
{
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final String[] RECIPIENTS = {
        Fixtures.CONSENTED, Fixtures.REJECTED, Fixtures.EMAIL, Fixtures.TACIR, Fixtures.bulkPhone(2), "05321111111",
        " +90 532 111 11 11 ", "", "a@b", "@", "+", "ALICE@TEST.LOCAL"};
    private static final long[] BRANDS = {Fixtures.BRAND, Fixtures.STALE_BRAND, 0, 1, 0xFFFF_FFFFL};

    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static final ServerCounters COUNTERS = new ServerCounters();

    @BeforeAll
    static void openIndex() throws IOException
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
    }

    @AfterAll
    static void closeIndex()
    {
        store.close();
    }

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void frames(final FuzzedDataProvider data)
    {
        final ByteArrayOutputStream input = new ByteArrayOutputStream();
        final int frames = data.consumeInt(1, 6);
        for (int i = 0; i < frames; i++)
        {
            input.writeBytes(frame(data));
        }
        final byte[] bytes = input.toByteArray();
        final EmbeddedChannel channel = new EmbeddedChannel(BinaryEndpoint.newConnection(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), COUNTERS, "iys-filter/fuzz"));
        try
        {
            int at = 0;
            while (at < bytes.length && channel.isOpen())
            {
                final int piece = data.remainingBytes() > 0 ? data.consumeInt(1, bytes.length - at) : bytes.length - at;
                channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, piece));
                at += piece;
            }
            channel.checkException();
            check(bytes, answers(channel), channel.isOpen());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    /**
     * One request frame: mostly well-formed with fuzzed fields, sometimes with a broken header or lengths, sometimes
     * raw bytes.
     */
    private static byte[] frame(final FuzzedDataProvider data)
    {
        final int shape = data.consumeInt(0, 9);
        if (shape == 9)
        {
            return data.consumeBytes(data.consumeInt(0, 40));
        }
        final boolean broken = shape >= 7;
        final ByteBuffer body = ByteBuffer.allocate(64 * 1024).order(LE);
        final int templateId;
        final int blockLength;
        switch (data.consumeInt(0, 2))
        {
            case 0 ->
            {
                templateId = HelloDecoder.TEMPLATE_ID;
                blockLength = HelloDecoder.BLOCK_LENGTH;
                body.putLong(data.consumeLong()).putShort(data.consumeShort());
            }
            case 1 ->
            {
                templateId = CheckDecoder.TEMPLATE_ID;
                blockLength = CheckDecoder.BLOCK_LENGTH;
                body.putLong(data.consumeLong()).putInt((int)brand(data));
                body.put(code(data, 3)).put(code(data, 2)).put(code(data, 1));
                recipient(data, body, broken);
            }
            default ->
            {
                templateId = CheckBatchDecoder.TEMPLATE_ID;
                blockLength = CheckBatchDecoder.BLOCK_LENGTH;
                body.putLong(data.consumeLong()).putInt((int)brand(data));
                final int entries = data.consumeInt(0, 6);
                final int entryBlock = CheckBatchDecoder.EntriesDecoder.sbeBlockLength();
                body.putShort((short)(broken && data.consumeBoolean() ? data.consumeInt(0, 8) : entryBlock));
                body.putShort((short)(broken && data.consumeBoolean() ? data.consumeInt(0, 0xFFFF) : entries));
                for (int i = 0; i < entries; i++)
                {
                    body.put(code(data, 3)).put(code(data, 2)).put(code(data, 1));
                    recipient(data, body, broken);
                }
            }
        }
        if (broken && data.consumeBoolean())
        {
            body.put(data.consumeBytes(data.consumeInt(1, 8)));
        }
        body.flip();
        final int bodyLength = broken && data.consumeBoolean() ? data.consumeInt(0, body.remaining()) :
            body.remaining();
        final byte[] frame = new byte[FrameDescriptor.MESSAGE_OFFSET + bodyLength];
        final ByteBuffer out = ByteBuffer.wrap(frame).order(LE);
        out.putInt(frame.length);
        out.putShort((short)(broken && data.consumeBoolean() ? data.consumeInt(0, 40) : blockLength));
        out.putShort((short)(broken && data.consumeBoolean() ? data.consumeInt(0, 9) : templateId));
        out.putShort((short)(broken && data.consumeBoolean() ? data.consumeInt(7699, 7701) :
            FrameDescriptor.SCHEMA_ID));
        out.putShort((short)(broken && data.consumeBoolean() ? data.consumeInt(0, 3) : FrameDescriptor.SCHEMA_VERSION));
        out.put(body.array(), 0, bodyLength);
        if (broken && data.consumeBoolean())
        {
            out.putInt(0, data.consumeInt());
        }
        return frame;
    }

    private static long brand(final FuzzedDataProvider data)
    {
        return data.consumeBoolean() ? data.pickValue(BRANDS) : data.consumeInt() & 0xFFFF_FFFFL;
    }

    /** A code that is mostly valid (0..max), sometimes anything. */
    private static byte code(final FuzzedDataProvider data, final int max)
    {
        return data.consumeInt(0, 7) == 0 ? data.consumeByte() : (byte)data.consumeInt(0, max);
    }

    private static void recipient(final FuzzedDataProvider data, final ByteBuffer body, final boolean broken)
    {
        final byte[] text = data.consumeBoolean() ? data.pickValue(RECIPIENTS).getBytes(StandardCharsets.US_ASCII) :
            data.consumeBytes(data.consumeInt(0, 255));
        body.put((byte)(broken && data.consumeBoolean() ? data.consumeInt(0, 255) : text.length));
        body.put(text);
    }

    /** One answer frame as read back. */
    private record Answer(int templateId, long correlationId, byte[] frame)
    {
    }

    private static List<Answer> answers(final EmbeddedChannel channel)
    {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null)
        {
            final byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            all.writeBytes(bytes);
        }
        final ByteBuffer out = ByteBuffer.wrap(all.toByteArray()).order(LE);
        final List<Answer> answers = new ArrayList<>();
        while (out.hasRemaining())
        {
            assertTrue(out.remaining() >= FrameDescriptor.MESSAGE_OFFSET, "answer shorter than a header");
            final int start = out.position();
            final int length = out.getInt(start);
            assertTrue(length >= FrameDescriptor.MESSAGE_OFFSET && length <= out.remaining(),
                "answer frame length " + length + " with " + out.remaining() + " bytes left");
            assertEquals(FrameDescriptor.SCHEMA_ID, out.getShort(start + 8) & 0xFFFF, "answer schemaId");
            final byte[] frame = new byte[length];
            out.get(frame);
            answers.add(new Answer(out.getShort(start + 6) & 0xFFFF,
                length >= FrameDescriptor.MESSAGE_OFFSET + 8 ? out.getLong(start + FrameDescriptor.MESSAGE_OFFSET) :
                    -1, frame));
        }
        return answers;
    }

    /**
     * Walk the input the way PROTOCOL.md frames it and hold each answer to its request.
     */
    private static void check(final byte[] input, final List<Answer> answers, final boolean open)
    {
        final ByteBuffer in = ByteBuffer.wrap(input).order(LE);
        int at = 0;
        int answered = 0;
        boolean mustClose = false;
        while (input.length - at >= FrameDescriptor.HEADER_LENGTH)
        {
            final long length = in.getInt(at) & 0xFFFF_FFFFL;
            if (length < FrameDescriptor.MIN_FRAME_LENGTH || length > Limits.MAX_FRAME_LENGTH)
            {
                mustClose = true;
                break;
            }
            if (input.length - at < length)
            {
                break;
            }
            if (answered == answers.size())
            {
                fail("complete frame " + answered + " (at byte " + at + ") has no answer; connection open=" + open);
            }
            final Answer answer = answers.get(answered++);
            if (answer.templateId() == ErrorDecoder.TEMPLATE_ID && isClosing(answer))
            {
                assertEquals(0, answer.correlationId(), "a closing ERROR carries correlationId 0");
                assertEquals(answers.size(), answered, "answers after the closing ERROR");
                assertFalse(open, "connection still open after a closing ERROR");
                return;
            }
            checkAnswer(in, at, (int)length, answer);
            at += (int)length;
        }
        if (mustClose)
        {
            assertEquals(answered + 1, answers.size(), "a frame length out of range gets one ERROR");
            final Answer last = answers.get(answered);
            assertEquals(ErrorDecoder.TEMPLATE_ID, last.templateId(), "a frame length out of range gets ERROR");
            assertTrue(isClosing(last), "a frame length out of range closes");
            assertFalse(open, "connection still open after a frame length out of range");
            return;
        }
        assertEquals(answered, answers.size(), "answers without a request");
        assertTrue(open, "connection closed without a closing ERROR");
    }

    private static boolean isClosing(final Answer answer)
    {
        return errorCode(answer) != ErrorCode.BATCH_TOO_LARGE;
    }

    private static ErrorCode errorCode(final Answer answer)
    {
        return ErrorCode.get(ByteBuffer.wrap(answer.frame()).order(LE)
            .getShort(FrameDescriptor.MESSAGE_OFFSET + 8) & 0xFFFF);
    }

    private static void checkAnswer(final ByteBuffer in, final int at, final int length, final Answer answer)
    {
        final int templateId = in.getShort(at + 6) & 0xFFFF;
        final long correlationId = in.getLong(at + FrameDescriptor.MESSAGE_OFFSET);
        assertEquals(correlationId, answer.correlationId(), "answer echoes the request's correlationId");
        final ByteBuffer out = ByteBuffer.wrap(answer.frame()).order(LE);
        switch (templateId)
        {
            case HelloDecoder.TEMPLATE_ID -> assertEquals(WelcomeDecoder.TEMPLATE_ID, answer.templateId(), "HELLO");
            case CheckDecoder.TEMPLATE_ID ->
            {
                assertEquals(CheckResponseDecoder.TEMPLATE_ID, answer.templateId(), "CHECK answered by");
                final int block = at + FrameDescriptor.MESSAGE_OFFSET;
                checkVerdict(out, FrameDescriptor.MESSAGE_OFFSET + 16, in.get(block + 12), in.get(block + 13),
                    in.get(block + 14));
            }
            case CheckBatchDecoder.TEMPLATE_ID ->
            {
                final int group = at + FrameDescriptor.MESSAGE_OFFSET + (in.getShort(at + 4) & 0xFFFF);
                final int entryBlock = in.getShort(group) & 0xFFFF;
                final int count = in.getShort(group + 2) & 0xFFFF;
                if (answer.templateId() == ErrorDecoder.TEMPLATE_ID)
                {
                    assertTrue(count > Limits.MAX_BATCH_ENTRIES, "BATCH_TOO_LARGE for a batch of " + count);
                    return;
                }
                assertEquals(CheckBatchResponseDecoder.TEMPLATE_ID, answer.templateId(), "CHECK_BATCH answered by");
                final int results = FrameDescriptor.MESSAGE_OFFSET + CheckBatchResponseDecoder.BLOCK_LENGTH;
                assertEquals(count, out.getShort(results + 2) & 0xFFFF, "one result per entry");
                int entry = group + 4;
                final int resultBlock = out.getShort(results) & 0xFFFF;
                for (int i = 0; i < count; i++)
                {
                    checkVerdict(out, results + 4 + i * resultBlock, in.get(entry), in.get(entry + 1),
                        in.get(entry + 2));
                    entry += entryBlock + 1 + (in.get(entry + entryBlock) & 0xFF);
                }
            }
            default -> fail("template " + templateId + " was answered " + answer.templateId() + " and not refused");
        }
    }

    private static void checkVerdict(
        final ByteBuffer out, final int offset, final byte channel, final byte type, final byte kind)
    {
        final Verdict verdict = Verdict.get((short)(out.get(offset) & 0xFF));
        assertTrue(verdict == Verdict.ALLOW || verdict == Verdict.DENY, "verdict " + verdict);
        final Reason reason = Reason.get((short)(out.get(offset + 1) & 0xFF));
        assertTrue(reason != Reason.NULL_VAL && reason != Reason.SBE_UNKNOWN,
            "unknown reason code " + (out.get(offset + 1) & 0xFF));
        assertEquals(Verdicts.verdictOf(reason), verdict, "verdict for reason " + reason);
        if (verdict == Verdict.ALLOW)
        {
            assertTrue(channel >= 1 && channel <= 3 && type >= 0 && type <= 2 && kind >= 0 && kind <= 1,
                "ALLOW (" + reason + ") for channel=" + channel + ", recipientType=" + type + ", kind=" + kind);
        }
    }
}
