package io.iysfilter.client;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.CheckBatchResponseDecoder;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.WelcomeDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.AttributeKey;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the server's frames and completes the matching {@link PendingRequest}s. A frame the client cannot make
 * sense of closes the connection, which fails everything in flight.
 */
final class ClientResponseHandler extends ByteToMessageDecoder
{
    private final Map<Long, PendingRequest> pending;
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final WelcomeDecoder welcome = new WelcomeDecoder();
    private final CheckResponseDecoder checkResponse = new CheckResponseDecoder();
    private final CheckBatchResponseDecoder checkBatchResponse = new CheckBatchResponseDecoder();
    private final ErrorDecoder error = new ErrorDecoder();
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    /** Why the server ended a connection; outlives the pipeline, so a late write failure can report it. */
    static final AttributeKey<FilterClientException> CONNECTION_ERROR = AttributeKey.valueOf("iysConnectionError");
    private String connectionError;

    ClientResponseHandler(final Map<Long, PendingRequest> pending)
    {
        this.pending = pending;
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> unused)
    {
        while (in.readableBytes() >= FrameDescriptor.HEADER_LENGTH)
        {
            final long frameLength = in.getUnsignedIntLE(in.readerIndex());
            if (frameLength < FrameDescriptor.MIN_FRAME_LENGTH || frameLength > Limits.MAX_FRAME_LENGTH)
            {
                connectionError = "server sent a frame of impossible length: frameLength=" + frameLength;
                in.skipBytes(in.readableBytes());
                ctx.close();
                return;
            }
            if (in.readableBytes() < frameLength)
            {
                return;
            }
            if (in.hasMemoryAddress())
            {
                frame.wrap(in.memoryAddress() + in.readerIndex(), (int)frameLength);
            }
            else if (in.hasArray())
            {
                frame.wrap(in.array(), in.arrayOffset() + in.readerIndex(), (int)frameLength);
            }
            else
            {
                final byte[] copy = new byte[(int)frameLength];
                in.getBytes(in.readerIndex(), copy);
                frame.wrap(copy);
            }
            in.skipBytes((int)frameLength);
            try
            {
                onFrame(ctx);
            }
            catch (final IndexOutOfBoundsException ex)
            {
                connectionError = "server sent a malformed frame: " + ex.getMessage();
                ctx.close();
                return;
            }
        }
    }

    private void onFrame(final ChannelHandlerContext ctx)
    {
        header.wrap(frame, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        final int offset = FrameDescriptor.MESSAGE_OFFSET;
        switch (header.templateId())
        {
            case WelcomeDecoder.TEMPLATE_ID ->
            {
                welcome.wrap(frame, offset, header.blockLength(), header.version());
                final PendingRequest request = pending.remove(welcome.correlationId());
                if (request != null && answers(ctx, request, welcome.correlationId(), "WELCOME",
                    PendingRequest.HELLO, PendingRequest.HELLO))
                {
                    request.complete(new ServerInfo(welcome.protocolVersion(), welcome.maxFrameLength(),
                        welcome.maxBatchEntries(), welcome.maxAddressLength(), welcome.serverName()));
                }
            }
            case CheckResponseDecoder.TEMPLATE_ID ->
            {
                checkResponse.wrap(frame, offset, header.blockLength(), header.version());
                final PendingRequest request = pending.remove(checkResponse.correlationId());
                if (request != null && answers(ctx, request, checkResponse.correlationId(), "CHECK_RESPONSE",
                    PendingRequest.CHECK, PendingRequest.CHECK))
                {
                    request.complete(new CheckResult(
                        checkResponse.verdict(), checkResponse.reason(), checkResponse.asOf(),
                        checkResponse.decisionId()));
                }
            }
            case CheckBatchResponseDecoder.TEMPLATE_ID -> onBatchResponse(ctx, offset);
            case ErrorDecoder.TEMPLATE_ID -> onError(ctx, offset);
            default ->
            {
                connectionError = "server sent an unknown templateId=" + header.templateId();
                ctx.close();
            }
        }
    }

    /**
     * Whether an answer is of the kind its request asked for. One that is not is a server that does not speak the
     * protocol: the request fails with a clear error (never a result of another type handed to its caller), and the
     * connection is closed, failing the rest.
     */
    private boolean answers(
        final ChannelHandlerContext ctx,
        final PendingRequest request,
        final long correlationId,
        final String answer,
        final int type,
        final int orType)
    {
        if (request.type == type || request.type == orType)
        {
            return true;
        }
        connectionError = "server answered request correlationId=" + correlationId + " with a " + answer +
            ", which does not answer what it asked";
        request.future.completeExceptionally(new FilterClientException(connectionError, null, null));
        ctx.close();
        return false;
    }

    private void onBatchResponse(final ChannelHandlerContext ctx, final int offset)
    {
        checkBatchResponse.wrap(frame, offset, header.blockLength(), header.version());
        final long correlationId = checkBatchResponse.correlationId();
        // taken out of the map before anything is decoded: a request the sweep timed out meanwhile is not ours to
        // fill, and one taken here cannot be timed out (and its results retried into) while it is being filled
        final PendingRequest request = pending.remove(correlationId);
        if (request == null || !answers(ctx, request, correlationId, "CHECK_BATCH_RESPONSE",
            PendingRequest.CHECK_BATCH, PendingRequest.CHECK_BATCH_INTO))
        {
            return;
        }
        try
        {
            decodeBatch(request, correlationId);
        }
        catch (final IndexOutOfBoundsException ex)
        {
            // no longer in the map, so closing the connection would not fail it: fail it here
            request.future.completeExceptionally(new FilterClientException(
                "server sent a malformed batch answer: " + ex.getMessage(), null, ex));
            throw ex;
        }
    }

    private void decodeBatch(final PendingRequest request, final long correlationId)
    {
        final long asOfMs = checkBatchResponse.asOf();
        final CheckBatchResponseDecoder.ResultsDecoder results = checkBatchResponse.results();
        final int count = results.count();
        if (request.entries >= 0 && count != request.entries)
        {
            request.future.completeExceptionally(new FilterClientException("server answered a batch of " +
                request.entries + " entries with " + count + " results: correlationId=" + correlationId, null,
                null));
            return;
        }
        if (request.results != null)
        {
            final BatchResults into = request.results;
            if (count > into.capacity())
            {
                request.future.completeExceptionally(new FilterClientException("server answered with " + count +
                    " results, more than the results hold: capacity=" + into.capacity(), null, null));
                return;
            }
            into.reset(asOfMs);
            while (results.hasNext())
            {
                results.next();
                into.add(results.verdict(), results.reason(), results.decisionId());
            }
            request.complete(into);
            return;
        }
        final List<CheckResult> list = new ArrayList<>(count);
        while (results.hasNext())
        {
            results.next();
            list.add(new CheckResult(results.verdict(), results.reason(), asOfMs, results.decisionId()));
        }
        request.complete(list);
    }

    private void onError(final ChannelHandlerContext ctx, final int offset)
    {
        error.wrap(frame, offset, header.blockLength(), header.version());
        final long correlationId = error.correlationId();
        final ErrorCode code = error.code();
        final String message = error.message();
        final PendingRequest request = correlationId == 0 ? null : pending.remove(correlationId);
        if (request != null)
        {
            request.future.completeExceptionally(new FilterClientException(
                "server refused the request: code=" + code + ", message=" + message, code, null));
        }
        else
        {
            connectionError = "server closed the connection: code=" + code + ", message=" + message;
            ctx.channel().attr(CONNECTION_ERROR).set(new FilterClientException(connectionError, code, null));
            // closed before the waiting callers are woken, so that a request one of them sends next finds the
            // channel inactive and reconnects, rather than going to this connection and failing with its error
            ctx.close();
            failAll(code);
        }
    }

    /**
     * A failed read (the connection reset, a TLS alert such as the server refusing this client's certificate)
     * closes the connection; what is in flight fails with its message instead of a stack trace in the log.
     */
    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        if (connectionError == null)
        {
            final Throwable root = cause.getCause() != null && cause.getCause().getMessage() != null ?
                cause.getCause() : cause;
            connectionError = "connection failed: " + root.getMessage();
        }
        ctx.close();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        failAll(null);
        super.channelInactive(ctx);
    }

    private void failAll(final ErrorCode code)
    {
        final String reason = connectionError == null ? "connection closed" : connectionError;
        pending.forEach((correlationId, request) ->
        {
            if (pending.remove(correlationId, request))
            {
                request.future.completeExceptionally(new FilterClientException(reason, code, null));
            }
        });
    }
}
