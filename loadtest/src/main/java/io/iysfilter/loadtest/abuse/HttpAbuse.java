package io.iysfilter.loadtest.abuse;

import io.iysfilter.loadtest.Workload;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hostile clients of the HTTP port (docs/OPERATIONS.md, "HTTP guards", says how the server answers each).
 */
public final class HttpAbuse
{
    private static final String CHECK = "/v1/check?brand=" + Workload.BRAND + "&channel=MESAJ&recipient=";
    private static final int HEADER_BYTES = 100 * 1024;

    private HttpAbuse()
    {
    }

    /**
     * @param targets the server.
     * @param threads connections at a time.
     * @param rate    attempts per second per thread, at most.
     * @return the kind: {@code recipient=%zz} and a query ending in a bare {@code %}, in turn; each must get 400 and
     * a close.
     */
    public static HostileClient undecodableQuery(final Targets targets, final int threads, final double rate)
    {
        final byte[][] requests = {request("GET", CHECK + "%zz", ""), request("GET", CHECK + "05320000001%", "")};
        final AtomicLong turn = new AtomicLong();
        return new HostileClient("http-undecodable-query", "http", Set.of("400, closed"), threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                return exchange(this, targets, requests[(int)(turn.getAndIncrement() % requests.length)],
                    HostileClient.ANSWER_SLACK_MS);
            }
        };
    }

    /**
     * @param targets the server.
     * @param threads connections at a time.
     * @param rate    attempts per second per thread, at most.
     * @return the kind: a request with a 100 KB header, which must get 431 and a close.
     */
    public static HostileClient hugeHeader(final Targets targets, final int threads, final double rate)
    {
        final byte[] request = request("GET", CHECK + "05320000001", "X-Padding: " + "a".repeat(HEADER_BYTES) +
            "\r\n");
        return new HostileClient("http-100kb-header", "http", Set.of("431, closed"), threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                return exchange(this, targets, request, HostileClient.ANSWER_SLACK_MS);
            }
        };
    }

    /**
     * @param targets the server.
     * @param threads connections at a time.
     * @param rate    attempts per second per thread, at most.
     * @return the kind: a {@code /v1/scrub} with both Content-Length and Transfer-Encoding, which must get 400 and a
     * close.
     */
    public static HostileClient lengthAndChunked(final Targets targets, final int threads, final double rate)
    {
        final String body = "5\r\n05320\r\n0\r\n\r\n";
        final byte[] request = ("POST /v1/scrub?brand=" + Workload.BRAND + "&channel=MESAJ HTTP/1.1\r\n" +
            "Host: 127.0.0.1\r\nContent-Length: " + body.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
            .getBytes(StandardCharsets.US_ASCII);
        return new HostileClient("http-length-and-chunked", "http", Set.of("400, closed"), threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                return exchange(this, targets, request, HostileClient.ANSWER_SLACK_MS);
            }
        };
    }

    /**
     * @param targets the server.
     * @param threads connections at a time.
     * @param rate    attempts per second per thread, at most.
     * @return the kind: a request line and one header, then nothing: must get 408 and a close after the request
     * timeout.
     */
    public static HostileClient slowHeaders(final Targets targets, final int threads, final double rate)
    {
        final byte[] partial = ("GET " + CHECK + "05320000001 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        final long waitMs = targets.httpRequestMs() + targets.httpRequestMs() / 4 + HostileClient.ANSWER_SLACK_MS;
        return new HostileClient("http-slow-headers", "http", Set.of("408, closed"), threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                return exchange(this, targets, partial, waitMs);
            }
        };
    }

    /**
     * @param targets     the server.
     * @param connections keep-alive connections held at once, each after one answered request (opened again as the
     *                    server closes them).
     * @return the kind: each must be closed after the idle timeout.
     */
    public static HostileClient idleKeepAlive(final Targets targets, final int connections)
    {
        return new IdleKeepAlive(targets, connections);
    }

    private static byte[] request(final String method, final String target, final String extraHeaders)
    {
        return (method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Send the bytes, read the status line and wait for the close.
     *
     * @return e.g. {@code 400, closed}.
     */
    static String exchange(final HostileClient kind, final Targets targets, final byte[] request, final long waitMs)
        throws IOException
    {
        try (Socket socket = Wire.connect(targets.httpPort(), waitMs))
        {
            try
            {
                socket.getOutputStream().write(request);
                kind.sent(request.length);
            }
            catch (final SocketException ex)
            {
                // the server may refuse before the whole request is in; its answer is still there to read
            }
            return status(socket.getInputStream()) + ", " + Wire.awaitClose(socket);
        }
        catch (final SocketTimeoutException ex)
        {
            return "no answer within " + waitMs + " ms";
        }
        catch (final SocketException ex)
        {
            return "reset";
        }
    }

    /**
     * @return the status code of the response's first line, or a description of what came instead.
     */
    private static String status(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0 && b != '\n' && line.size() < 200; b = in.read())
        {
            line.write(b);
        }
        final String text = line.toString(StandardCharsets.US_ASCII).trim();
        if (text.isEmpty())
        {
            return "no answer";
        }
        final String[] parts = text.split(" ");
        return parts.length >= 2 && parts[0].startsWith("HTTP/1.") ? parts[1] : "not HTTP: " + text;
    }

    /**
     * Keep-alive connections that ask once, read the answer, then stay silent: each must be closed by the server
     * once its idle timeout passes.
     */
    private static final class IdleKeepAlive extends HeldConnections
    {
        static final String ANSWERED = "200, then closed when idle";
        private static final byte[] REQUEST = request("GET", "/health/live", "");

        private final Targets targets;

        IdleKeepAlive(final Targets targets, final int connections)
        {
            super("http-idle-keep-alive", "http", Set.of(ANSWERED), connections);
            this.targets = targets;
        }

        @Override
        protected int port()
        {
            return targets.httpPort();
        }

        @Override
        protected ByteBuffer newBuffer()
        {
            return ByteBuffer.allocate(4096);
        }

        @Override
        protected boolean onReady(final SelectionKey key) throws IOException
        {
            final SocketChannel channel = (SocketChannel)key.channel();
            final ByteBuffer in = (ByteBuffer)key.attachment();
            String outcome = null;
            try
            {
                if (key.isConnectable())
                {
                    channel.finishConnect();
                    channel.write(ByteBuffer.wrap(REQUEST));
                    sent(REQUEST.length);
                    key.interestOps(SelectionKey.OP_READ);
                    return false;
                }
                if (!in.hasRemaining())
                {
                    in.clear().position(16);
                }
                if (channel.read(in) < 0)
                {
                    outcome = describe(in) + "closed when idle";
                }
            }
            catch (final IOException ex)
            {
                outcome = describe(in) + "reset";
            }
            if (outcome == null)
            {
                return false;
            }
            record(outcome);
            key.cancel();
            channel.close();
            return true;
        }

        private static String describe(final ByteBuffer in)
        {
            final String head = new String(in.array(), 0, Math.min(in.position(), 16), StandardCharsets.US_ASCII);
            final String[] parts = head.split(" ");
            return parts.length >= 2 && parts[0].startsWith("HTTP/1.") ? parts[1] + ", then " : "no answer, ";
        }
    }
}
