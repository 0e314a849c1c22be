package io.iysfilter.server.iys;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
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
 * cap on the body's size, counted as it arrives and refused past the cap (a 600 MB answer must not run the heap out).
 * <p>
 * The body is never held whole: {@link #open} answers once the headers are in, and the caller reads the body as a
 * stream while it arrives. The stream holds at most two of the client's buffer lists (some tens of KiB): the next
 * is asked for only once the caller has begun the last, so a slow reader slows İYS's sending rather than filling the
 * heap. A read fails with {@link HttpTimeoutException} once the deadline passes, and with an {@link IOException} as
 * soon as the body passes the cap (or at once, when its Content-Length says it will).
 */
final class IysHttp
{
    /** Most of an error answer's body that is read: İYS's error bodies are a few hundred bytes. */
    static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

    private IysHttp()
    {
    }

    /**
     * Reads a response body as it arrives.
     *
     * @param <T> what it makes of it.
     */
    @FunctionalInterface
    interface BodyReader<T>
    {
        /**
         * @param body the body, read as it arrives; it fails as {@link IysHttp} says.
         * @return what the body holds.
         * @throws IOException when the body cannot be read or does not hold what is expected.
         */
        T read(InputStream body) throws IOException;
    }

    /**
     * An answer whose headers are in and whose body is still arriving. Close it when done: closing before the body's
     * end stops the transfer.
     */
    static final class Response implements AutoCloseable
    {
        private final HttpResponse<InputStream> response;
        private final BodyStream body;

        private Response(final HttpResponse<InputStream> response, final BodyStream body)
        {
            this.response = response;
            this.body = body;
        }

        int statusCode()
        {
            return response.statusCode();
        }

        HttpHeaders headers()
        {
            return response.headers();
        }

        /**
         * @return the body as it arrives; read it once.
         */
        InputStream body()
        {
            return body;
        }

        /**
         * @param maxBytes how much of the body to read at most.
         * @return the body, or its first {@code maxBytes} bytes (the rest is not received).
         * @throws IOException as the stream does.
         */
        byte[] bodyBytes(final int maxBytes) throws IOException
        {
            return body.readNBytes(maxBytes);
        }

        @Override
        public void close()
        {
            body.close();
        }
    }

    /**
     * Send a request and wait, within the deadline, for the answer's headers.
     *
     * @param http     the client.
     * @param request  the request; its {@code timeout} bounds the wait for the headers.
     * @param settings the deadline ({@link FeedSettings#requestTimeoutMs()}), which covers reading the body too, and
     *                 the cap ({@link FeedSettings#maxResponseBytes()}).
     * @return the answer, its body to be read.
     * @throws HttpTimeoutException when the deadline passes first.
     * @throws IOException          when the body's declared length is over the cap, or the exchange fails.
     * @throws InterruptedException when interrupted; the exchange is cancelled.
     */
    static Response open(final HttpClient http, final HttpRequest request, final FeedSettings settings)
        throws IOException, InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.requestTimeoutMs());
        final BodyStream body = new BodyStream(settings, request, deadlineNs);
        final CompletableFuture<HttpResponse<InputStream>> response = http.sendAsync(request, body);
        try
        {
            final HttpResponse<InputStream> headers =
                response.get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            body.failIfRefused();
            return new Response(headers, body);
        }
        catch (final TimeoutException ex)
        {
            response.cancel(true);
            body.close();
            throw body.timeout();
        }
        catch (final InterruptedException ex)
        {
            response.cancel(true);
            body.close();
            throw ex;
        }
        catch (final ExecutionException ex)
        {
            body.close();
            throw asIOException(ex.getCause());
        }
    }

    /**
     * Send a request, read its body as it arrives, and close it.
     *
     * @param http     the client.
     * @param request  the request.
     * @param settings the deadline and the cap.
     * @param reader   reads the body of a 2xx answer.
     * @param what     the request, for an error answer's message, e.g. {@code changes brand=600001 source=HS}.
     * @param <T>      what the reader makes of the body.
     * @return what the reader returned.
     * @throws IysApiException      when İYS answers with an error status.
     * @throws IOException          as {@link #open} and the reader do.
     * @throws InterruptedException when interrupted.
     */
    static <T> T read(
        final HttpClient http,
        final HttpRequest request,
        final FeedSettings settings,
        final BodyReader<T> reader,
        final String what) throws IOException, InterruptedException
    {
        try (Response response = open(http, request, settings))
        {
            check(response, what);
            return reader.read(response.body());
        }
    }

    /**
     * @param response an answer.
     * @param what     the request, for the message.
     * @throws IysApiException when its status is not 2xx: with its Retry-After and the start of its body.
     * @throws IOException     when the error body cannot be read.
     */
    static void check(final Response response, final String what) throws IOException
    {
        if (response.statusCode() / 100 != 2)
        {
            final long retryAfterMs = response.headers().firstValue("Retry-After")
                .map((value) -> value.matches("\\d{1,6}") ? Long.parseLong(value) * 1000 : 0L).orElse(0L);
            throw IysApiException.of(what, response.statusCode(), retryAfterMs,
                response.bodyBytes(MAX_ERROR_BODY_BYTES));
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

    private static IOException asIOException(final Throwable cause)
    {
        if (cause instanceof IOException io)
        {
            return io;
        }
        if (cause instanceof RuntimeException runtime)
        {
            throw runtime;
        }
        return new IOException(describe(cause), cause);
    }

    /**
     * The body as it arrives: the client's subscriber on one side, an input stream on the other. The client's
     * threads call the subscriber's methods; one reader thread reads. Everything shared is guarded by this object's
     * monitor; the subscription is asked for more outside it (the client may deliver within that call).
     */
    private static final class BodyStream extends InputStream
        implements HttpResponse.BodyHandler<InputStream>, HttpResponse.BodySubscriber<InputStream>
    {
        private final long maxBytes;
        private final long deadlineNs;
        private final long timeoutMs;
        private final HttpRequest request;
        private final ArrayDeque<ByteBuffer> arrived = new ArrayDeque<>();
        private Flow.Subscription subscription;
        private ByteBuffer current;
        private long received;
        private long declared = -1;
        private Throwable failure;
        private boolean complete;
        private boolean closed;

        BodyStream(final FeedSettings settings, final HttpRequest request, final long deadlineNs)
        {
            this.maxBytes = settings.maxResponseBytes();
            this.timeoutMs = settings.requestTimeoutMs();
            this.request = request;
            this.deadlineNs = deadlineNs;
        }

        @Override
        public synchronized HttpResponse.BodySubscriber<InputStream> apply(final HttpResponse.ResponseInfo info)
        {
            declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > maxBytes && failure == null)
            {
                failure = tooLarge();
            }
            return this;
        }

        @Override
        public void onSubscribe(final Flow.Subscription subscription)
        {
            final boolean cancel;
            synchronized (this)
            {
                this.subscription = subscription;
                cancel = closed || failure != null;
                notifyAll();
            }
            if (cancel)
            {
                subscription.cancel();
            }
            else
            {
                subscription.request(1);
            }
        }

        @Override
        public void onNext(final List<ByteBuffer> buffers)
        {
            long length = 0;
            for (final ByteBuffer buffer : buffers)
            {
                length += buffer.remaining();
            }
            final Flow.Subscription cancel;
            synchronized (this)
            {
                if (closed || failure != null)
                {
                    return;
                }
                received += length;
                if (received > maxBytes)
                {
                    // fail now, whatever is still queued: the caller learns it at its next read
                    failure = tooLarge();
                    arrived.clear();
                    cancel = subscription;
                }
                else
                {
                    arrived.addAll(buffers);
                    cancel = null;
                }
                notifyAll();
            }
            if (cancel != null)
            {
                cancel.cancel();
            }
            else if (length == 0)
            {
                // nothing to read in it, so no read will ask for the next
                subscriptionRequest();
            }
        }

        @Override
        public synchronized void onError(final Throwable error)
        {
            if (failure == null)
            {
                failure = error;
            }
            notifyAll();
        }

        @Override
        public synchronized void onComplete()
        {
            complete = true;
            notifyAll();
        }

        @Override
        public CompletableFuture<InputStream> getBody()
        {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public int read() throws IOException
        {
            if (!nextBuffer())
            {
                return -1;
            }
            return current.get() & 0xFF;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int length) throws IOException
        {
            if (length == 0)
            {
                return 0;
            }
            if (!nextBuffer())
            {
                return -1;
            }
            final int count = Math.min(length, current.remaining());
            current.get(bytes, offset, count);
            return count;
        }

        @Override
        public synchronized int available()
        {
            return current == null ? 0 : current.remaining();
        }

        /**
         * Make {@link #current} a buffer with bytes left, waiting for one within the deadline.
         *
         * @return false at the body's end.
         */
        private boolean nextBuffer() throws IOException
        {
            while (current == null || !current.hasRemaining())
            {
                final Flow.Subscription more;
                final IOException stopped;
                synchronized (this)
                {
                    if (failure != null)
                    {
                        throw failure instanceof IOException io ? io : new IOException(describe(failure), failure);
                    }
                    if (closed)
                    {
                        throw new IOException("İYS response body closed");
                    }
                    current = arrived.poll();
                    if (current != null)
                    {
                        // the last list arrived is being read: ask for the next while this one is
                        more = arrived.isEmpty() && !complete ? subscription : null;
                        stopped = null;
                    }
                    else if (complete)
                    {
                        return false;
                    }
                    else
                    {
                        more = null;
                        stopped = await();
                    }
                }
                if (stopped != null)
                {
                    cancel();
                    throw stopped;
                }
                if (more != null)
                {
                    more.request(1);
                }
            }
            return true;
        }

        /**
         * Wait until something arrives, the body ends or fails, or the deadline passes. Holds the monitor.
         *
         * @return why the transfer must stop (the deadline, an interrupt), or null to look again.
         */
        private IOException await()
        {
            final long waitNs = deadlineNs - System.nanoTime();
            if (waitNs <= 0)
            {
                failure = timeout();
                return (IOException)failure;
            }
            try
            {
                TimeUnit.NANOSECONDS.timedWait(this, waitNs);
                return null;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                failure = new InterruptedIOException("interrupted reading İYS's answer to " + request.method() + " " +
                    request.uri().getPath());
                return (IOException)failure;
            }
        }

        @Override
        public void close()
        {
            synchronized (this)
            {
                if (closed)
                {
                    return;
                }
                closed = true;
                arrived.clear();
                current = null;
                if (complete || failure != null)
                {
                    return;
                }
                notifyAll();
            }
            cancel();
        }

        /**
         * Throw when the body was refused before the answer was handed out (its declared length).
         */
        synchronized void failIfRefused() throws IOException
        {
            if (failure instanceof IOException io)
            {
                throw io;
            }
        }

        private void subscriptionRequest()
        {
            final Flow.Subscription subscribed;
            synchronized (this)
            {
                subscribed = subscription;
            }
            subscribed.request(1);
        }

        private void cancel()
        {
            final Flow.Subscription subscribed;
            synchronized (this)
            {
                subscribed = subscription;
            }
            if (subscribed != null)
            {
                subscribed.cancel();
            }
        }

        synchronized HttpTimeoutException timeout()
        {
            return new HttpTimeoutException("İYS request not complete within its deadline (iys-request-timeout=" +
                timeoutMs + " ms): " + request.method() + " " + request.uri().getPath() + ", body bytes read=" +
                received);
        }

        private IOException tooLarge()
        {
            return new IOException(String.format(Locale.ROOT,
                "İYS response too large: %s %s has %s%d bytes (expected: at most iys-max-response-mb, %d bytes)",
                request.method(), request.uri().getPath(), declared > maxBytes ? "" : "more than ",
                declared > maxBytes ? declared : maxBytes, maxBytes));
        }
    }
}
