package io.iysfilter.server.iys;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One request to İYS, bounded: an overall deadline from sending to the body's last byte (the request's own timeout
 * covers the response headers only, so a body that drips one byte a second would hold the caller for hours), and a
 * cap on the body's size, read as it arrives and refused past the cap (a 600 MB answer must not run the heap out).
 */
final class IysHttp
{
    private IysHttp()
    {
    }

    /**
     * @param http     the client.
     * @param request  the request; its {@code timeout} bounds the wait for the headers.
     * @param settings the deadline ({@link FeedSettings#requestTimeoutMs()}) and the cap
     *                 ({@link FeedSettings#maxResponseBytes()}).
     * @return the response, its body whole.
     * @throws HttpTimeoutException when the deadline passes first.
     * @throws IOException          when the body is larger than the cap, or the exchange fails.
     * @throws InterruptedException when interrupted; the exchange is cancelled.
     */
    static HttpResponse<byte[]> send(final HttpClient http, final HttpRequest request, final FeedSettings settings)
        throws IOException, InterruptedException
    {
        final BoundedBody body = new BoundedBody(settings.maxResponseBytes(), request);
        final CompletableFuture<HttpResponse<byte[]>> response = http.sendAsync(request, body);
        try
        {
            return response.get(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            response.cancel(true);
            body.cancel();
            throw new HttpTimeoutException("İYS request not complete within its deadline (iys-request-timeout=" +
                settings.requestTimeoutMs() + " ms): " + request.method() + " " + request.uri().getPath() +
                ", body bytes read=" + body.received());
        }
        catch (final InterruptedException ex)
        {
            response.cancel(true);
            body.cancel();
            throw ex;
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof IOException io)
            {
                throw io;
            }
            if (cause instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new IOException(describe(cause), cause);
        }
    }

    /**
     * @param error a failure.
     * @return its class and message, then each cause's (İYS's own error answers: their message), e.g.
     * {@code java.net.ConnectException (caused by java.nio.channels.ClosedChannelException)}: a refused connection's
     * own message is null.
     */
    static String describe(final Throwable error)
    {
        if (error instanceof IysApiException && error.getMessage() != null)
        {
            return error.getMessage(); // İYS's own answer, status and code already in words
        }
        final StringBuilder text = new StringBuilder();
        Throwable next = error;
        for (int depth = 0; next != null && depth < 5; depth++)
        {
            text.append(depth == 0 ? "" : " (caused by ").append(next.getClass().getName());
            if (next.getMessage() != null)
            {
                text.append(": ").append(next.getMessage());
            }
            next = next.getCause() == next ? null : next.getCause();
        }
        for (int i = text.indexOf(" (caused by "); i >= 0; i = text.indexOf(" (caused by ", i + 1))
        {
            text.append(')');
        }
        return text.toString();
    }

    /**
     * Collects a body up to a cap, failing the response past it (or at once when its Content-Length says so).
     */
    private static final class BoundedBody
        implements HttpResponse.BodyHandler<byte[]>, HttpResponse.BodySubscriber<byte[]>
    {
        private final long maxBytes;
        private final HttpRequest request;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final List<byte[]> chunks = new ArrayList<>();
        private volatile Flow.Subscription subscription;
        private volatile long received;
        private long declared = -1;

        BoundedBody(final long maxBytes, final HttpRequest request)
        {
            this.maxBytes = maxBytes;
            this.request = request;
        }

        @Override
        public HttpResponse.BodySubscriber<byte[]> apply(final HttpResponse.ResponseInfo info)
        {
            declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            return this;
        }

        @Override
        public void onSubscribe(final Flow.Subscription subscription)
        {
            this.subscription = subscription;
            if (declared > maxBytes)
            {
                tooLarge();
                return;
            }
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(final List<ByteBuffer> buffers)
        {
            if (result.isDone())
            {
                return;
            }
            for (final ByteBuffer buffer : buffers)
            {
                if (received + buffer.remaining() > maxBytes)
                {
                    tooLarge();
                    return;
                }
                final byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                chunks.add(chunk);
                received += chunk.length;
            }
        }

        @Override
        public void onError(final Throwable error)
        {
            chunks.clear();
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete()
        {
            final byte[] body = new byte[(int)received];
            int offset = 0;
            for (final byte[] chunk : chunks)
            {
                System.arraycopy(chunk, 0, body, offset, chunk.length);
                offset += chunk.length;
            }
            chunks.clear();
            result.complete(body);
        }

        @Override
        public CompletableFuture<byte[]> getBody()
        {
            return result;
        }

        long received()
        {
            return received;
        }

        void cancel()
        {
            final Flow.Subscription current = subscription;
            if (current != null)
            {
                current.cancel();
            }
            result.completeExceptionally(new HttpTimeoutException("cancelled"));
        }

        private void tooLarge()
        {
            subscription.cancel();
            chunks.clear();
            result.completeExceptionally(new IOException(String.format(Locale.ROOT,
                "İYS response too large: %s %s has %s%d bytes (expected: at most iys-max-response-mb, %d bytes)",
                request.method(), request.uri().getPath(), declared > maxBytes ? "" : "more than ",
                declared > maxBytes ? declared : maxBytes, maxBytes)));
        }
    }
}
