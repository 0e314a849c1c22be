package io.iysfilter.benchmarks;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckDecoder;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.CheckResponseEncoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The SBE work of one CHECK, each side: the client encodes a CHECK frame and decodes its CHECK_RESPONSE; the server
 * decodes the CHECK (header, block, recipient wrapped in place) and encodes the CHECK_RESPONSE. Off-heap buffers as
 * Netty's direct buffers would be; no decision (see {@link DecisionBenchmark}). Run with {@code -prof gc}: 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CodecBenchmark
{
    private static final int FRAME_CAPACITY = 512;
    private final byte[] recipientBytes = "+905321234567".getBytes(StandardCharsets.US_ASCII);
    private final UnsafeBuffer request = frameBuffer();
    private final UnsafeBuffer response = frameBuffer();
    private final UnsafeBuffer recipient = new UnsafeBuffer(0, 0);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final CheckEncoder checkEncoder = new CheckEncoder();
    private final CheckDecoder checkDecoder = new CheckDecoder();
    private final CheckResponseEncoder responseEncoder = new CheckResponseEncoder();
    private final CheckResponseDecoder responseDecoder = new CheckResponseDecoder();
    private long correlationId;

    private static UnsafeBuffer frameBuffer()
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(FRAME_CAPACITY).order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * @return the frame length, so the work is not eliminated.
     */
    @Benchmark
    public int clientEncodeCheck()
    {
        checkEncoder.wrapAndApplyHeader(request, FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(++correlationId)
            .brandCode(600001)
            .channel(Channel.MESAJ)
            .recipientType(RecipientType.BIREYSEL)
            .messageKind(MessageKind.COMMERCIAL)
            .putRecipient(recipientBytes, 0, recipientBytes.length);
        final int length = FrameDescriptor.MESSAGE_OFFSET + checkEncoder.encodedLength();
        request.putInt(0, length);
        return length;
    }

    /**
     * Decode the CHECK {@link #clientEncodeCheck()} wrote and encode its answer.
     *
     * @return a value depending on every decoded field.
     */
    @Benchmark
    public long serverDecodeCheckEncodeResponse()
    {
        headerDecoder.wrap(request, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        checkDecoder.wrap(request, FrameDescriptor.MESSAGE_OFFSET, headerDecoder.blockLength(),
            headerDecoder.version());
        final long id = checkDecoder.correlationId();
        final long brand = checkDecoder.brandCode();
        final int fields = checkDecoder.channelRaw() + checkDecoder.recipientTypeRaw() + checkDecoder.messageKindRaw();
        checkDecoder.wrapRecipient(recipient);
        responseEncoder.wrapAndApplyHeader(response, FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(id)
            .asOf(brand)
            .verdict(Verdict.ALLOW)
            .reason(Reason.CONSENT);
        response.putInt(0, FrameDescriptor.MESSAGE_OFFSET + CheckResponseEncoder.BLOCK_LENGTH);
        return id + fields + recipient.capacity() + recipient.getByte(recipient.capacity() - 1);
    }

    /**
     * Decode the CHECK_RESPONSE {@link #serverDecodeCheckEncodeResponse()} wrote, as the client does.
     *
     * @return a value depending on every decoded field.
     */
    @Benchmark
    public long clientDecodeResponse()
    {
        headerDecoder.wrap(response, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        responseDecoder.wrap(response, FrameDescriptor.MESSAGE_OFFSET, headerDecoder.blockLength(),
            headerDecoder.version());
        return responseDecoder.correlationId() + responseDecoder.asOf() + responseDecoder.verdictRaw() +
            responseDecoder.reasonRaw() + headerDecoder.templateId();
    }

    /**
     * Prepare one request and one response so every benchmark has a valid frame to read.
     */
    public CodecBenchmark()
    {
        clientEncodeCheck();
        serverDecodeCheckEncodeResponse();
    }
}
