package io.iysfilter.server.net;

import io.iysfilter.server.logging.LogLimiter;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.security.cert.CertificateException;
import java.util.Locale;

/**
 * Behind the {@link io.netty.handler.ssl.SslHandler}: a handshake that fails (a plaintext client, a timeout, a
 * missing or untrusted certificate, no common protocol) closes its connection, is counted by why, and is logged at
 * most once per ten seconds, in one line; TLS errors never reach the endpoint's handlers as stack traces. Reads and
 * writes pass it by (it handles neither).
 */
final class TlsHandshakeWatch extends ChannelInboundHandlerAdapter
{
    private static final Logger LOG = LoggerFactory.getLogger(TlsHandshakeWatch.class);
    private static final LogLimiter FAILED = LogLimiter.everyTenSeconds();

    private final ServerTls tls;
    private final Endpoint endpoint;

    TlsHandshakeWatch(final ServerTls tls, final Endpoint endpoint)
    {
        this.tls = tls;
        this.endpoint = endpoint;
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event) throws Exception
    {
        if (event instanceof SslHandshakeCompletionEvent completion && !completion.isSuccess())
        {
            final ServerTls.Failure failure = classify(completion.cause());
            tls.onHandshakeFailure(endpoint, failure);
            final long suppressed = FAILED.tryAcquire(System.nanoTime());
            if (suppressed >= 0)
            {
                LOG.warn("TLS handshake failed, connection closed: endpoint={}, remote={}, reason={}, cause={}, " +
                    "suppressedSinceLast={}", endpoint.name().toLowerCase(Locale.ROOT), ctx.channel().remoteAddress(),
                    failure.name().toLowerCase(Locale.ROOT), causeText(failure, completion.cause()), suppressed);
            }
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause) throws Exception
    {
        if (isTls(cause))
        {
            // the handshake's failure is counted and logged above; a TLS error after it ends the connection quietly
            ctx.close();
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    static ServerTls.Failure classify(final Throwable cause)
    {
        for (Throwable t = cause; t != null; t = t.getCause())
        {
            if (t instanceof NotSslRecordException)
            {
                return ServerTls.Failure.PLAINTEXT;
            }
            if (t instanceof SslHandshakeTimeoutException)
            {
                return ServerTls.Failure.TIMEOUT;
            }
            if (t instanceof CertificateException)
            {
                return ServerTls.Failure.CERTIFICATE;
            }
        }
        final String message = rootMessage(cause).toLowerCase(Locale.ROOT);
        if (message.contains("certificate") || message.contains("cert_") || message.contains("pkix"))
        {
            return ServerTls.Failure.CERTIFICATE;
        }
        if (message.contains("protocol") || message.contains("version") || message.contains("cipher"))
        {
            return ServerTls.Failure.PROTOCOL;
        }
        return ServerTls.Failure.OTHER;
    }

    /**
     * What the log says of a failed handshake's cause. A plaintext peer's exception carries a hex dump of the bytes it
     * sent (Netty's message), which may hold a bearer token or a recipient: it is never logged.
     */
    static String causeText(final ServerTls.Failure failure, final Throwable cause)
    {
        return failure == ServerTls.Failure.PLAINTEXT ? "not a TLS record (the peer spoke plaintext; its bytes are " +
            "not logged)" : rootMessage(cause);
    }

    private static boolean isTls(final Throwable cause)
    {
        for (Throwable t = cause; t != null; t = t.getCause())
        {
            if (t instanceof SSLException)
            {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(final Throwable cause)
    {
        final StringBuilder text = new StringBuilder();
        for (Throwable t = cause; t != null; t = t.getCause())
        {
            if (t.getMessage() != null && text.indexOf(t.getMessage()) < 0)
            {
                if (text.length() > 0)
                {
                    text.append(": ");
                }
                text.append(t.getMessage());
            }
        }
        return text.length() == 0 ? String.valueOf(cause) : text.toString();
    }
}
