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
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.DecisionTally;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.RequestType;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.Client;
import io.iysfilter.server.security.FailureLimiter;
import io.iysfilter.server.security.ClientStats;
import io.iysfilter.server.security.Role;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One binary-protocol connection: frames are parsed in place in Netty's cumulation buffer, decided, and the
 * responses of one read are gathered into one buffer written and flushed when the read completes. Allocates
 * nothing per request beyond pooled output buffers.
 * <p>
 * A frame that breaks the protocol (length out of range, foreign schema, unknown template, a message overrunning
 * its frame) gets an ERROR with correlationId 0, then this connection alone is closed. A CHECK_BATCH over the
 * entry limit gets an ERROR with its correlationId and the connection stays open. When several things are wrong,
 * the first in the order the bytes are read decides the error (docs/PROTOCOL.md §7).
 * <p>
 * Bounded in time: a connection that completes no frame for the idle timeout gets ERROR IDLE_TIMEOUT, one whose
 * frame, once begun, does not complete within the frame timeout gets ERROR FRAME_TIMEOUT; both are then closed.
 * A check runs every quarter of the shorter timeout, so a timeout is acted on at most a quarter late; reading a
 * frame costs two field writes, nothing is rescheduled per frame. While reading is paused for back-pressure the
 * frame timer stands still (the frame is late because the client does not read, which the idle timeout bounds).
 * An ERROR that cannot be written (the client does not read) does not hold the connection: it is closed anyway
 * once the frame timeout (else the idle timeout) has passed after the error.
 * <p>
 * Bounded in memory: reading stops while the channel is not writable (answers above the write-buffer high-water
 * mark wait for the client) and resumes when it is writable again; {@link ReadGate} holds back the reads the
 * decoder would request meanwhile.
 * <p>
 * Half-close: when the client shuts its sending side down (the endpoint allows half-closure), every frame that
 * arrived complete before its FIN has been answered; the handler then flushes those answers and closes once they are
 * written (or, if the client does not read them, as after an ERROR). Bytes of a frame left incomplete are dropped.
 * <p>
 * Authentication (on when the server has a clients file, docs/SECURITY.md): the connection's client is resolved once,
 * from its TLS certificate's CN when the handshake completes, or from the token of a HELLO (protocol version 2);
 * CHECK and CHECK_BATCH before that get ERROR UNAUTHORISED and the connection is closed, as does a HELLO whose token
 * names no client (counted against the source address, which past {@code auth-failure-limit} failures a minute is
 * refused without its token being looked at). A client without the {@code check} role, or asking about a brand not
 * its own, gets ERROR FORBIDDEN for that request alone (a whole CHECK_BATCH when its brand is not the client's).
 */
final class BinaryFrameHandler extends ByteToMessageDecoder
{
    private static final Logger LOG = LoggerFactory.getLogger(BinaryFrameHandler.class);
    private static final LogLimiter UNEXPECTED = LogLimiter.everyTenSeconds();
    private static final ByteOrder ORDER = FrameDescriptor.BYTE_ORDER;
    private static final int FLUSH_THRESHOLD = 64 * 1024;
    /** The least a read's answer buffer is allocated with; it grows past that when a read needs more. */
    private static final int MIN_RESPONSE_BUFFER = 1024;
    private static final int MAX_RESPONSE_LENGTH = FrameDescriptor.MESSAGE_OFFSET +
        CheckBatchResponseEncoder.BLOCK_LENGTH + GroupSizeEncodingDecoder.ENCODED_LENGTH +
        Limits.MAX_BATCH_ENTRIES * CheckBatchResponseEncoder.ResultsEncoder.sbeBlockLength();
    private static final int MAX_ERROR_TEXT = 512;
    /** İYS brand codes run 1..2^32-1: 0 is an invalid request, answered DENY / INVALID_REQUEST (PROTOCOL.md §3). */
    private static final long INVALID_BRAND_CODE = 0;
    /** The first protocol version whose HELLO may carry a token. */
    private static final int TOKEN_VERSION = 2;

    private final Decider decider;
    private final ServerCounters counters;
    private final Authenticator auth;
    private Client client;
    private ClientStats stats;
    private String address = "unknown";
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
    private final long idleTimeoutNs;
    private final long frameTimeoutNs;
    private ByteBufAllocator allocator;
    private ByteBuf pending;
    private boolean closing;
    private long frameStartNs;
    private Ticker ticker;
    private ScheduledFuture<?> timer;
    private long lastFrameNs;
    private boolean partial;
    private long partialSinceNs;
    private boolean paused;
    private long closingSinceNs;
    private int readBytes;
    /** Decisions of the batch being answered, by reason: counted once per batch, not once per entry. */
    private final DecisionTally tally = new DecisionTally();

    BinaryFrameHandler(
        final Decider decider,
        final ServerCounters counters,
        final String serverName,
        final long idleTimeoutMs,
        final long frameTimeoutMs)
    {
        this(decider, counters, null, serverName, idleTimeoutMs, frameTimeoutMs);
    }

    BinaryFrameHandler(
        final Decider decider,
        final ServerCounters counters,
        final Authenticator auth,
        final String serverName,
        final long idleTimeoutMs,
        final long frameTimeoutMs)
    {
        if (idleTimeoutMs < 0 || frameTimeoutMs < 0)
        {
            throw new IllegalArgumentException("idleTimeoutMs: " + idleTimeoutMs + ", frameTimeoutMs: " +
                frameTimeoutMs + " (expected: >= 0, 0 for off)");
        }
        this.decider = decider;
        this.counters = counters;
        this.auth = auth != null && auth.enabled() ? auth : null;
        this.stats = auth != null && !auth.enabled() ? auth.counters().anonymous() : null;
        this.serverName = serverName.getBytes(StandardCharsets.US_ASCII);
        this.idleTimeoutNs = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
        this.frameTimeoutNs = TimeUnit.MILLISECONDS.toNanos(frameTimeoutMs);
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
        final long tickNs = ticker.nanoTime();
        final int readable = in.readableBytes();
        readBytes = readable;
        decodeFrames(ctx, in, nowMs);
        if (closing)
        {
            return;
        }
        if (in.readableBytes() < readable)
        {
            lastFrameNs = tickNs;
            partial = false;
        }
        if (in.isReadable() && !partial)
        {
            partial = true;
            partialSinceNs = tickNs;
        }
    }

    private void decodeFrames(final ChannelHandlerContext ctx, final ByteBuf in, final long nowMs)
    {
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
            if (problem != null || closing)
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
                malformed = onHello(ctx, frameLength);
                timed = null;
            }
            case CheckDecoder.TEMPLATE_ID ->
            {
                malformed = onCheck(ctx, frameLength, nowMs);
                timed = RequestType.CHECK;
            }
            case CheckBatchDecoder.TEMPLATE_ID ->
            {
                malformed = onCheckBatch(ctx, frameLength, nowMs);
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

    private String onHello(final ChannelHandlerContext ctx, final int frameLength)
    {
        final int end = FrameDescriptor.MESSAGE_OFFSET + header.blockLength();
        if (header.blockLength() < HelloDecoder.BLOCK_LENGTH || end > frameLength)
        {
            return "HELLO block does not fit its frame: blockLength=" + header.blockLength();
        }
        // From version 2 a token may follow the block (a length byte, then ASCII); a HELLO ending at its block has
        // none. Before version 2 nothing may follow, from version 2 up to this server's nothing after the token.
        int tokenLength = -1;
        int last = end;
        if (header.version() >= TOKEN_VERSION && end < frameLength)
        {
            tokenLength = frame.getByte(end) & 0xFF;
            last = end + 1 + tokenLength;
            if (last > frameLength)
            {
                return "HELLO token overruns its frame: end=" + last + ", frameLength=" + frameLength;
            }
        }
        if (last < frameLength && header.version() <= FrameDescriptor.SCHEMA_VERSION)
        {
            return "HELLO frame carries bytes after its " + (tokenLength < 0 ? "block" : "token") + ": end=" + last +
                ", frameLength=" + frameLength;
        }
        counters.onRequest(Endpoint.BINARY, RequestType.HELLO);
        hello.wrap(frame, FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final long correlationId = hello.correlationId();
        if (auth != null)
        {
            final long nowNs = System.nanoTime();
            if (auth.blocked(address, nowNs))
            {
                refuse(ctx, correlationId, ErrorCode.UNAUTHORISED, "too many failed attempts from this address: " +
                    "try again later");
                return null;
            }
            if (tokenLength > 0)
            {
                final byte[] sent = new byte[tokenLength];
                frame.getBytes(end + 1, sent, 0, tokenLength);
                final Client found = auth.authenticate(sent, address, nowNs);
                if (found == null)
                {
                    refuse(ctx, correlationId, ErrorCode.UNAUTHORISED, "token not accepted");
                    return null;
                }
                client = found;
                stats = found.stats();
                decider.asker(Door.BINARY, Decider.partyName(found.id(), address));
            }
            else if (client == null)
            {
                auth.onFailure(address, nowNs);
                refuse(ctx, correlationId, ErrorCode.UNAUTHORISED, "authentication required: send HELLO " +
                    "(protocol version 2) with a token, or connect with a client certificate");
                return null;
            }
        }
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

    private String onCheck(final ChannelHandlerContext ctx, final int frameLength, final long nowMs)
    {
        if (header.blockLength() < minimumBlockLength(CheckDecoder.BLOCK_LENGTH,
            CheckDecoder.dealerCodeEncodingOffset(), CheckDecoder.dealerCodeSinceVersion()))
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
        if (end > frameLength)
        {
            return "CHECK recipient overruns its frame: end=" + end + ", frameLength=" + frameLength;
        }
        if (end < frameLength && header.version() <= FrameDescriptor.SCHEMA_VERSION)
        {
            return "CHECK frame carries bytes after its recipient: end=" + end + ", frameLength=" + frameLength;
        }
        counters.onRequest(Endpoint.BINARY, RequestType.CHECK);
        check.wrap(frame, FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final long correlationId = check.correlationId();
        final long brandCode = check.brandCode();
        if (auth != null && !authorised(ctx, correlationId, brandCode, check.dealerCode()))
        {
            return null;
        }
        final BrandState brand = brandCode == INVALID_BRAND_CODE ? null : decider.brand(brandCode);
        final Channel channel = Channel.fromCode(check.channelRaw());
        final RecipientType type = RecipientType.fromCode(check.recipientTypeRaw());
        final MessageKind kind = MessageKind.fromCode(check.messageKindRaw());
        final long dealerCode = check.dealerCode();
        check.wrapRecipient(recipient);
        final Reason reason = brandCode == INVALID_BRAND_CODE ?
            decider.refuse(brandCode, channel, type, kind, dealerCode, Reason.INVALID_REQUEST, nowMs) :
            decider.decide(brandCode, brand, channel, type, kind, recipient, 0, recipient.capacity(),
                dealerCode, nowMs);
        counters.onDecision(Endpoint.BINARY, reason);
        if (stats != null)
        {
            stats.onDecision(reason.allows());
        }

        beginResponse(FrameDescriptor.MESSAGE_OFFSET + CheckResponseEncoder.BLOCK_LENGTH);
        checkResponse.wrapAndApplyHeader(out, FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .asOf(decider.lastAsOfMs())
            .verdict(Verdicts.verdictOf(reason.wire()))
            .reason(reason.wire())
            .decisionId(decider.lastDecisionId());
        endResponse(FrameDescriptor.MESSAGE_OFFSET + CheckResponseEncoder.BLOCK_LENGTH);
        return null;
    }

    private String onCheckBatch(final ChannelHandlerContext ctx, final int frameLength, final long nowMs)
    {
        if (header.blockLength() < minimumBlockLength(CheckBatchDecoder.BLOCK_LENGTH,
            CheckBatchDecoder.dealerCodeEncodingOffset(), CheckBatchDecoder.dealerCodeSinceVersion()))
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
        counters.onRequest(Endpoint.BINARY, RequestType.CHECK_BATCH);
        checkBatch.wrap(frame, FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final long correlationId = checkBatch.correlationId();
        if (auth != null && !authorised(ctx, correlationId, checkBatch.brandCode(), checkBatch.dealerCode()))
        {
            return null;
        }
        if (count > Limits.MAX_BATCH_ENTRIES)
        {
            // The count is read before the entries, so it wins over whatever they hold; the frame's length alone
            // delimits it, so the connection stays open.
            writeError(correlationId, ErrorCode.BATCH_TOO_LARGE, "batch has too many entries: entries=" + count +
                ", maxBatchEntries=" + Limits.MAX_BATCH_ENTRIES);
            return null;
        }
        final int entriesEnd = validateEntries(groupOffset + GroupSizeEncodingDecoder.ENCODED_LENGTH,
            entryBlockLength, count, frameLength);
        if (entriesEnd < 0)
        {
            return "CHECK_BATCH entry " + (-entriesEnd - 1) + " of " + count + " overruns its frame: frameLength=" +
                frameLength;
        }
        if (entriesEnd < frameLength && header.version() <= FrameDescriptor.SCHEMA_VERSION)
        {
            return "CHECK_BATCH frame carries bytes after its last declared entry: entries=" + count + ", end=" +
                entriesEnd + ", frameLength=" + frameLength;
        }
        final long brandCode = checkBatch.brandCode();
        final long dealerCode = checkBatch.dealerCode();
        final BrandState brand = brandCode == INVALID_BRAND_CODE ? null : decider.brand(brandCode);
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
            final Reason reason = brandCode == INVALID_BRAND_CODE ?
                decider.refuse(brandCode, channel, type, kind, dealerCode, Reason.INVALID_REQUEST, nowMs) :
                decider.decide(brandCode, brand, channel, type, kind, recipient, 0, recipient.capacity(), dealerCode,
                    nowMs);
            tally.add(reason);
            results.next()
                .verdict(Verdicts.verdictOf(reason.wire()))
                .reason(reason.wire())
                .decisionId(decider.lastDecisionId());
        }
        tally.countAndClear(counters, Endpoint.BINARY, stats);
        endResponse(FrameDescriptor.MESSAGE_HEADER_OFFSET + MessageHeaderEncoder.ENCODED_LENGTH +
            checkBatchResponse.encodedLength());
        return null;
    }

    /**
     * The shortest root block a request of the header's version may have: a sender before the version that appended
     * the dealer code encodes the block without it (and its decoder reads the dealer as none), a sender of that
     * version or later must include it.
     */
    private int minimumBlockLength(final int blockLength, final int dealerOffset, final int dealerSinceVersion)
    {
        return header.version() < dealerSinceVersion ? dealerOffset : blockLength;
    }

    /**
     * Authentication is on: may this connection's client check this brand, as this dealer (0: the brand itself)?
     * If not, answer the request with ERROR UNAUTHORISED and close (no client yet), or with ERROR FORBIDDEN for this
     * request alone.
     *
     * @return whether the request may be decided.
     */
    private boolean authorised(
        final ChannelHandlerContext ctx,
        final long correlationId,
        final long brandCode,
        final long dealerCode)
    {
        if (client == null)
        {
            auth.onFailure(address, System.nanoTime());
            refuse(ctx, correlationId, ErrorCode.UNAUTHORISED, "authentication required: send HELLO (protocol " +
                "version 2) with a token, or connect with a client certificate");
            return false;
        }
        if (!client.has(Role.CHECK))
        {
            stats.onForbidden();
            writeError(correlationId, ErrorCode.FORBIDDEN, "client " + client.id() + " lacks the check role");
            return false;
        }
        if (brandCode != INVALID_BRAND_CODE && !client.mayAsk(brandCode))
        {
            stats.onForbidden();
            writeError(correlationId, ErrorCode.FORBIDDEN, "client " + client.id() + " may not ask about brand " +
                brandCode);
            return false;
        }
        if (!client.maySendAs(dealerCode))
        {
            stats.onForbidden();
            writeError(correlationId, ErrorCode.FORBIDDEN, dealerCode == ConsentFilter.NO_DEALER ? "client " +
                client.id() + " sends for dealers only: set dealerCode to one of its dealers" : "client " +
                client.id() + " may not ask as dealer " + dealerCode);
            return false;
        }
        return true;
    }

    /**
     * Refuse an unauthenticated request: ERROR with its correlationId after whatever earlier frames produced, then
     * close, as {@link #fail} does for a protocol error.
     */
    private void refuse(final ChannelHandlerContext ctx, final long correlationId, final ErrorCode code,
        final String text)
    {
        LOG.debug("closing unauthenticated connection: remote={}, detail={}", ctx.channel().remoteAddress(), text);
        writeError(correlationId, code, text);
        closing = true;
        closingSinceNs = ticker.nanoTime();
        final ByteBuf toWrite = pending;
        pending = null;
        ctx.writeAndFlush(toWrite).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * @return where the last declared entry ends when every entry and its recipient lie inside the frame, else
     * -(1 + the index of the first that does not).
     */
    private int validateEntries(final int firstOffset, final int blockLength, final int count, final int frameLength)
    {
        int offset = firstOffset;
        for (int i = 0; i < count; i++)
        {
            final int varOffset = offset + blockLength;
            if (varOffset + 1 > frameLength)
            {
                return -(i + 1);
            }
            offset = varOffset + 1 + (frame.getByte(varOffset) & 0xFF);
            if (offset > frameLength)
            {
                return -(i + 1);
            }
        }
        return offset;
    }

    private void beginResponse(final int maxLength)
    {
        if (pending == null)
        {
            // Sized for what this read can answer (a CHECK's answer is about as long as the CHECK; a batch asks for
            // its largest answer), not for the flush threshold: a 64 KiB buffer per read cost the pooled allocator
            // ~4 % of the event loop under pipelined CHECKs (docs/PERFORMANCE.md §10). Grows when a read needs more.
            pending = allocator.directBuffer(Math.max(maxLength,
                Math.min(FLUSH_THRESHOLD, Math.max(MIN_RESPONSE_BUFFER, 2 * readBytes))));
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
        closingSinceNs = ticker.nanoTime();
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
        ticker = ctx.executor().ticker();
        address = FailureLimiter.sourceAddress(ctx.channel().remoteAddress());
        decider.asker(Door.BINARY, Decider.partyName(client == null ? null : client.id(), address));
        if (ctx.channel().isActive())
        {
            startTimer(ctx);
        }
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        startTimer(ctx);
        super.channelActive(ctx);
    }

    private void startTimer(final ChannelHandlerContext ctx)
    {
        final long shortest = Math.min(idleTimeoutNs == 0 ? Long.MAX_VALUE : idleTimeoutNs,
            frameTimeoutNs == 0 ? Long.MAX_VALUE : frameTimeoutNs);
        if (timer != null || shortest == Long.MAX_VALUE)
        {
            return;
        }
        lastFrameNs = ticker.nanoTime();
        final long periodNs = Math.max(TimeUnit.MILLISECONDS.toNanos(1), shortest / 4);
        timer = ctx.executor().scheduleAtFixedRate(() -> onTimer(ctx), periodNs, periodNs, TimeUnit.NANOSECONDS);
    }

    private void onTimer(final ChannelHandlerContext ctx)
    {
        try
        {
            final long nowNs = ticker.nanoTime();
            if (closing)
            {
                final long lingerNs = frameTimeoutNs != 0 ? frameTimeoutNs : idleTimeoutNs;
                if (nowNs - closingSinceNs >= lingerNs && ctx.channel().isOpen())
                {
                    LOG.debug("closing connection whose client does not read its ERROR: remote={}",
                        ctx.channel().remoteAddress());
                    ctx.close();
                }
                return;
            }
            if (frameTimeoutNs != 0 && partial && !paused && nowNs - partialSinceNs >= frameTimeoutNs)
            {
                timeOut(ctx, ErrorCode.FRAME_TIMEOUT, "frame not completed within the frame timeout: " +
                    "frameTimeoutMs=" + TimeUnit.NANOSECONDS.toMillis(frameTimeoutNs));
            }
            else if (auth != null && client == null && frameTimeoutNs != 0 && nowNs - lastFrameNs >= frameTimeoutNs)
            {
                // Authentication on and no client named yet: any complete frame would have named one or closed the
                // connection, so this one has sent nothing. It gets the frame timeout, not the idle timeout, so
                // silent strangers cannot hold places of the connection cap for minutes. Not counted against the
                // address's failure limit: it guessed nothing.
                timeOut(ctx, ErrorCode.UNAUTHORISED, "no client named within the frame timeout: send HELLO " +
                    "(protocol version 2) with a token, or connect with a client certificate; frameTimeoutMs=" +
                    TimeUnit.NANOSECONDS.toMillis(frameTimeoutNs));
            }
            else if (idleTimeoutNs != 0 && nowNs - lastFrameNs >= idleTimeoutNs)
            {
                timeOut(ctx, ErrorCode.IDLE_TIMEOUT, "no complete frame within the idle timeout: idleTimeoutMs=" +
                    TimeUnit.NANOSECONDS.toMillis(idleTimeoutNs));
            }
        }
        catch (final Throwable ex)
        {
            LOG.warn("closing connection after a failed timeout check: remote={}", ctx.channel().remoteAddress(), ex);
            ctx.close();
        }
    }

    private void timeOut(final ChannelHandlerContext ctx, final ErrorCode code, final String text)
    {
        fail(ctx, null, code, text);
    }

    /**
     * The client shut its sending side down: the decoder has decoded what it still held (a partial frame is dropped);
     * answer what was complete, then close once the answers are written.
     */
    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event) throws Exception
    {
        super.userEventTriggered(ctx, event);
        if (event instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess() && auth != null)
        {
            onHandshake(ctx);
        }
        if (event instanceof ChannelInputShutdownEvent && !closing)
        {
            LOG.debug("client half-closed, closing after its answers: remote={}", ctx.channel().remoteAddress());
            closing = true;
            closingSinceNs = ticker.nanoTime();
            final ByteBuf toWrite = pending != null ? pending : Unpooled.EMPTY_BUFFER;
            pending = null;
            ctx.writeAndFlush(toWrite).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Mutual TLS: the handshake completed, so the peer's certificate, if it sent one, was verified against the
     * client CA; its subject CN names the connection's client (null when none matches: a token must then do).
     */
    private void onHandshake(final ChannelHandlerContext ctx)
    {
        final SslHandler tls = ctx.pipeline().get(SslHandler.class);
        final Client found = tls == null ? null : auth.byPeerCertificate(tls.engine().getSession());
        if (found != null)
        {
            client = found;
            stats = found.stats();
            decider.asker(Door.BINARY, Decider.partyName(found.id(), address));
        }
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
        pauseIfUnwritable(ctx);
        super.channelReadComplete(ctx);
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        if (ctx.channel().isWritable())
        {
            if (paused)
            {
                paused = false;
                if (partial)
                {
                    partialSinceNs = ticker.nanoTime();
                }
                ctx.channel().config().setAutoRead(true);
            }
        }
        else
        {
            pauseIfUnwritable(ctx);
        }
        super.channelWritabilityChanged(ctx);
    }

    /**
     * Stop reading while the answers already waiting exceed the high-water mark: the client is not reading them.
     */
    private void pauseIfUnwritable(final ChannelHandlerContext ctx)
    {
        if (!paused && !closing && !ctx.channel().isWritable() && ctx.channel().isActive())
        {
            paused = true;
            ctx.channel().config().setAutoRead(false);
            counters.onReadPaused(Endpoint.BINARY);
        }
    }

    @Override
    protected void handlerRemoved0(final ChannelHandlerContext ctx)
    {
        if (timer != null)
        {
            timer.cancel(false);
            timer = null;
        }
        if (pending != null)
        {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        if (timer != null)
        {
            timer.cancel(false);
            timer = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        if (cause instanceof IOException)
        {
            LOG.debug("closing connection after error: remote={}", ctx.channel().remoteAddress(), cause);
        }
        else
        {
            final long suppressed = UNEXPECTED.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("closing connection after an unexpected error: remote={}, suppressedSinceLast={}",
                    ctx.channel().remoteAddress(), suppressed, cause);
            }
        }
        ctx.close();
    }
}
