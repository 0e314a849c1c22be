package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.CheckBatchDecoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseEncoder;
import io.iysfilter.protocol.codecs.CheckDecoder;
import io.iysfilter.protocol.codecs.CheckResponseEncoder;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorEncoder;
import io.iysfilter.protocol.codecs.GroupSizeEncodingDecoder;
import io.iysfilter.protocol.codecs.HelloDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.WelcomeEncoder;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.RequestType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One binary-protocol connection: frames are parsed in place in Netty's cumulation buffer, decided, and the
 * responses of one read are gathered into one buffer written and flushed when the read completes. Allocates
 * nothing per request beyond pooled output buffers.
 * <p>
 * A frame that breaks the protocol (length out of range, foreign schema, unknown template, a message overrunning
 * its frame) gets an ERROR with correlationId 0, then this connection alone is closed. A CHECK_BATCH over the
 * entry limit gets an ERROR with its correlationId and the connection stays open.
 */
final class BinaryFrameHandler extends ByteToMessageDecoder
{
    private static final Logger LOG = LoggerFactory.getLogger(BinaryFrameHandler.class);
    private static final ByteOrder ORDER = FrameDescriptor.BYTE_ORDER;
    private static final int FLUSH_THRESHOLD = 64 * 1024;
    private static final int MAX_RESPONSE_LENGTH = FrameDescriptor.MESSAGE_OFFSET +
        CheckBatchResponseEncoder.BLOCK_LENGTH + GroupSizeEncodingDecoder.ENCODED_LENGTH +
        Limits.MAX_BATCH_ENTRIES * CheckBatchResponseEncoder.ResultsEncoder.sbeBlockLength();
    private static final int MAX_ERROR_TEXT = 512;

    private final Decider decider;
    private final ServerCounters counters;
    private final byte[] serverName;
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer out = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer recipient = new UnsafeBuffer(0, 0);
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final HelloDecoder hello = new HelloDecoder();
    private final CheckDecoder check = new CheckDecoder();
    private final CheckBatchDecoder checkBatch = new CheckBatchDecoder();
    private final WelcomeEncoder welcome = new WelcomeEncoder();
    private final CheckResponseEncoder checkResponse = new CheckResponseEncoder();
    private final CheckBatchResponseEncoder checkBatchResponse = new CheckBatchResponseEncoder();
    private final ErrorEncoder error = new ErrorEncoder();
    private ByteBufAllocator allocator;
    private ByteBuf pending;
    private boolean closing;
    private long frameStartNs;

    BinaryFrameHandler(final Decider decider, final ServerCounters counters, final String serverName)
    {
        this.decider = decider;
        this.counters = counters;
        this.serverName = serverName.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> unused)
    {
        if (closing)
        {
            in.skipBytes(in.readableBytes());
            return;
        }
        // One wall-clock read per read, not per frame (freshness is judged in milliseconds); each frame's latency
        // runs from the previous frame's end, so one monotonic read per frame.
        final long nowMs = System.currentTimeMillis();
        frameStartNs = System.nanoTime();
        while (in.readableBytes() >= FrameDescriptor.HEADER_LENGTH)
        {
            final int start = in.readerIndex();
            final long frameLength = in.getUnsignedIntLE(start);
            if (frameLength < FrameDescriptor.MIN_FRAME_LENGTH)
            {
                fail(ctx, in, ErrorCode.MALFORMED_FRAME, "frame length below minimum: frameLength=" + frameLength +
                    ", minFrameLength=" + FrameDescriptor.MIN_FRAME_LENGTH);
                return;
            }
            if (frameLength > Limits.MAX_FRAME_LENGTH)
            {
                fail(ctx, in, ErrorCode.FRAME_TOO_LARGE, "frame length exceeds maximum: frameLength=" + frameLength +
                    ", maxFrameLength=" + Limits.MAX_FRAME_LENGTH);
                return;
            }
            if (in.readableBytes() < frameLength)
            {
                return;
            }
            ByteBufViews.wrapReadable(frame, in, start, (int)frameLength);
            final String problem = onFrame(ctx, (int)frameLength, nowMs);
            if (problem != null)
            {
                in.skipBytes(in.readableBytes());
                return;
            }
            in.skipBytes((int)frameLength);
            if (pending != null && pending.readableBytes() >= FLUSH_THRESHOLD)
            {
                ctx.write(pending, ctx.voidPromise());
                pending = null;
            }
        }
    }

    /**
     * @return null when the frame was answered, else the reason the connection is closing.
     */
    private String onFrame(final ChannelHandlerContext ctx, final int frameLength, final long nowMs)
    {
        header.wrap(frame, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        if (header.schemaId() != FrameDescriptor.SCHEMA_ID)
        {
            return fail(ctx, null, ErrorCode.UNSUPPORTED_SCHEMA, "expected schemaId=" + FrameDescriptor.SCHEMA_ID +
                ", actual=" + header.schemaId());
        }
        if (header.version() == 0)
        {
            return fail(ctx, null, ErrorCode.UNSUPPORTED_VERSION, "version 0 is not a schema version");
        }
        final String malformed;
        final RequestType timed;
        switch (header.templateId())
        {
            case HelloDecoder.TEMPLATE_ID ->
            {
                malformed = onHello(frameLength);
                timed = null;
            }
            case CheckDecoder.TEMPLATE_ID ->
            {
                malformed = onCheck(frameLength, nowMs);
                timed = RequestType.CHECK;
            }
            case CheckBatchDecoder.TEMPLATE_ID ->
            {
                malformed = onCheckBatch(frameLength, nowMs);
                timed = RequestType.CHECK_BATCH;
            }
            default ->
            {
                return fail(ctx, null, ErrorCode.UNKNOWN_TEMPLATE, "unknown templateId=" + header.templateId() +
                    " (expected: 1 HELLO, 3 CHECK or 5 CHECK_BATCH)");
            }
        }
        if (malformed != null)
        {
            return fail(ctx, null, ErrorCode.MALFORMED_FRAME, malformed);
        }
        final long endNs = System.nanoTime();
        if (timed != null)
        {
            counters.onLatency(Endpoint.BINARY, timed, endNs - frameStartNs);
        }
        frameStartNs = endNs;
        return null;
    }

    private String onHello(final int frameLength)
    {
        if (header.blockLength() < HelloDecoder.BLOCK_LENGTH ||
            FrameDescriptor.MESSAGE_OFFSET + header.blockLength() > frameLength)
        {
            return "HELLO block does not fit its frame: blockLength=" + header.blockLength();
        }
        counters.onRequest(Endpoint.BINARY, RequestType.HELLO);
        hello.wrap(frame, FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final long correlationId = hello.correlationId();
        final int length = FrameDescriptor.MESSAGE_OFFSET + WelcomeEncoder.BLOCK_LENGTH + 1 + serverName.length;
        beginResponse(length);
        welcome.wrapAndApplyHeader(out, FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .protocolVersion(FrameDescriptor.SCHEMA_VERSION)
            .maxFrameLength(Limits.MAX_FRAME_LENGTH)
            .maxBatchEntries(Limits.MAX_BATCH_ENTRIES)
            .maxAddressLength(Limits.MAX_ADDRESS_LENGTH)
            .putServerName(serverName, 0, serverName.length);
        endResponse(FrameDescriptor.MESSAGE_HEADER_OFFSET + MessageHeaderEncoder.ENCODED_LENGTH +
            welcome.encodedLength());
        return null;
    }

    private String onCheck(final int frameLength, final long nowMs)
    {
        if (header.blockLength() < CheckDecoder.BLOCK_LENGTH)
        {
            return "CHECK block too short: blockLength=" + header.blockLength();
        }
        final int varOffset = FrameDescriptor.MESSAGE_OFFSET + header.blockLength();
        if (varOffset + 1 > frameLength)
        {
            return "CHECK recipient overruns its frame";
        }
        final int addressLength = frame.getByte(varOffset) & 0xFF;
        final int end = varOffset + 1 + addressLength;
        if (end > frameLength || end < frameLength && header.version() <= FrameDescriptor.SCHEMA_VERSION)
        {
            return "CHECK recipient does not end the frame: end=" + end + ", frameLength=" + frameLength;
        }
        counters.onRequest(Endpoint.BINARY, RequestType.CHECK);
        check.wrap(frame, FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final long correlationId = check.correlationId();
        final BrandState brand = decider.brand(check.brandCode());
        final Channel channel = Channel.fromCode(check.channelRaw());
        final RecipientType type = RecipientType.fromCode(check.recipientTypeRaw());
        final MessageKind kind = MessageKind.fromCode(check.messageKindRaw());
        check.wrapRecipient(recipient);
        final Reason reason = decider.decide(brand, channel, type, kind, recipient, 0, recipient.capacity(), nowMs);
        counters.onDecision(Endpoint.BINARY, reason);

        beginResponse(FrameDescriptor.MESSAGE_OFFSET + CheckResponseEncoder.BLOCK_LENGTH);
        checkResponse.wrapAndApplyHeader(out, FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .asOf(brand == null ? 0 : brand.asOfMs())
            .verdict(Verdicts.verdictOf(reason.wire()))
            .reason(reason.wire());
        endResponse(FrameDescriptor.MESSAGE_OFFSET + CheckResponseEncoder.BLOCK_LENGTH);
        return null;
    }

    private String onCheckBatch(final int frameLength, final long nowMs)
    {
        if (header.blockLength() < CheckBatchDecoder.BLOCK_LENGTH)
        {
            return "CHECK_BATCH block too short: blockLength=" + header.blockLength();
        }
        final int groupOffset = FrameDescriptor.MESSAGE_OFFSET + header.blockLength();
        if (groupOffset + GroupSizeEncodingDecoder.ENCODED_LENGTH > frameLength)
        {
            return "CHECK_BATCH group header overruns its frame";
        }
        final int entryBlockLength = frame.getShort(groupOffset, ORDER) & 0xFFFF;
        final int count = frame.getShort(groupOffset + 2, ORDER) & 0xFFFF;
        if (entryBlockLength < CheckBatchDecoder.EntriesDecoder.sbeBlockLength())
        {
            return "CHECK_BATCH entry block too short: blockLength=" + entryBlockLength;
        }
        final int problem = validateEntries(groupOffset + GroupSizeEncodingDecoder.ENCODED_LENGTH, entryBlockLength,
            count, frameLength);
        if (problem != 0)
        {
            return "CHECK_BATCH entry " + (problem - 1) + " overruns its frame";
        }

        counters.onRequest(Endpoint.BINARY, RequestType.CHECK_BATCH);
        checkBatch.wrap(frame, FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final long correlationId = checkBatch.correlationId();
        if (count > Limits.MAX_BATCH_ENTRIES)
        {
            writeError(correlationId, ErrorCode.BATCH_TOO_LARGE, "batch has too many entries: entries=" + count +
                ", maxBatchEntries=" + Limits.MAX_BATCH_ENTRIES);
            return null;
        }
        final BrandState brand = decider.brand(checkBatch.brandCode());
        beginResponse(MAX_RESPONSE_LENGTH);
        final CheckBatchResponseEncoder.ResultsEncoder results = checkBatchResponse
            .wrapAndApplyHeader(out, FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .asOf(brand == null ? 0 : brand.asOfMs())
            .resultsCount(count);
        final CheckBatchDecoder.EntriesDecoder entries = checkBatch.entries();
        while (entries.hasNext())
        {
            entries.next();
            final Channel channel = Channel.fromCode(entries.channelRaw());
            final RecipientType type = RecipientType.fromCode(entries.recipientTypeRaw());
            final MessageKind kind = MessageKind.fromCode(entries.messageKindRaw());
            entries.wrapRecipient(recipient);
            final Reason reason = decider.decide(brand, channel, type, kind, recipient, 0, recipient.capacity(),
                nowMs);
            counters.onDecision(Endpoint.BINARY, reason);
            results.next()
                .verdict(Verdicts.verdictOf(reason.wire()))
                .reason(reason.wire());
        }
        endResponse(FrameDescriptor.MESSAGE_HEADER_OFFSET + MessageHeaderEncoder.ENCODED_LENGTH +
            checkBatchResponse.encodedLength());
        return null;
    }

    /**
     * @return 0 when every entry and its recipient lie inside the frame, else 1 + the index of the first that
     * does not.
     */
    private int validateEntries(final int firstOffset, final int blockLength, final int count, final int frameLength)
    {
        int offset = firstOffset;
        for (int i = 0; i < count; i++)
        {
            final int varOffset = offset + blockLength;
            if (varOffset + 1 > frameLength)
            {
                return i + 1;
            }
            offset = varOffset + 1 + (frame.getByte(varOffset) & 0xFF);
            if (offset > frameLength)
            {
                return i + 1;
            }
        }
        if (offset < frameLength && header.version() <= FrameDescriptor.SCHEMA_VERSION)
        {
            return count + 1;
        }
        return 0;
    }

    private void beginResponse(final int maxLength)
    {
        if (pending == null)
        {
            pending = allocator.directBuffer(Math.max(FLUSH_THRESHOLD, maxLength));
        }
        ByteBufViews.wrapWritable(out, pending, maxLength);
    }

    private void endResponse(final int frameLength)
    {
        FrameDescriptor.frameLength(out, 0, frameLength);
        pending.writerIndex(pending.writerIndex() + frameLength);
    }

    private void writeError(final long correlationId, final ErrorCode code, final String text)
    {
        counters.onProtocolError(code);
        final byte[] message = text.getBytes(StandardCharsets.UTF_8);
        final int messageLength = Math.min(message.length, MAX_ERROR_TEXT);
        beginResponse(FrameDescriptor.MESSAGE_OFFSET + ErrorEncoder.BLOCK_LENGTH + 2 + messageLength);
        error.wrapAndApplyHeader(out, FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .code(code)
            .putMessage(message, 0, messageLength);
        endResponse(FrameDescriptor.MESSAGE_HEADER_OFFSET + MessageHeaderEncoder.ENCODED_LENGTH +
            error.encodedLength());
    }

    /**
     * Answer a protocol violation: ERROR with correlationId 0 after whatever earlier frames produced, then close.
     */
    private String fail(final ChannelHandlerContext ctx, final ByteBuf in, final ErrorCode code, final String text)
    {
        LOG.debug("closing connection on protocol error: remote={}, code={}, detail={}",
            ctx.channel().remoteAddress(), code, text);
        writeError(0, code, text);
        closing = true;
        final ByteBuf toWrite = pending;
        pending = null;
        ctx.writeAndFlush(toWrite).addListener(ChannelFutureListener.CLOSE);
        final ByteBuf cumulation = in;
        if (cumulation != null)
        {
            cumulation.skipBytes(cumulation.readableBytes());
        }
        return text;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        allocator = ctx.alloc();
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx) throws Exception
    {
        if (pending != null)
        {
            ctx.writeAndFlush(pending, ctx.voidPromise());
            pending = null;
        }
        else
        {
            ctx.flush();
        }
        if (!ctx.channel().isWritable())
        {
            ctx.channel().config().setAutoRead(false);
        }
        super.channelReadComplete(ctx);
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        if (ctx.channel().isWritable())
        {
            ctx.channel().config().setAutoRead(true);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    protected void handlerRemoved0(final ChannelHandlerContext ctx)
    {
        if (pending != null)
        {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        LOG.debug("closing connection after error: remote={}", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
