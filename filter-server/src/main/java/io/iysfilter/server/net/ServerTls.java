package io.iysfilter.server.net;

import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * TLS for the binary and HTTP listeners: the {@link SslContext} made from the PEM files of {@link TlsSettings},
 * checked at start (a server whose certificate is unreadable, expired or not its key's does not start), and
 * reloaded without a restart when the files change: every {@link TlsSettings#reloadIntervalMs()} the files' size,
 * modification time and SHA-256 are compared with those loaded; a new pair that checks out replaces the context for
 * new connections (open ones keep theirs), one that does not leaves the old one serving, logged and counted.
 * <p>
 * Each connection gets an {@link SslHandler} named {@value #HANDLER_NAME} first in its pipeline: behind it the
 * endpoint reads plaintext as before, and under mutual TLS it finds the client's verified certificate with
 * {@code ((SslHandler)pipeline.get("tls")).engine().getSession().getPeerCertificates()} once the handshake is done.
 */
public final class ServerTls implements AutoCloseable
{
    /** The name of the {@link SslHandler} in each connection's pipeline. */
    public static final String HANDLER_NAME = "tls";
    /** A certificate that expires within this long gets a warning at start and at each reload. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(30);
    /**
     * Cipher suites offered, in order: TLS 1.3's, then for TLS 1.2 (when allowed) only ECDHE key exchange with an
     * AEAD cipher (forward secrecy, no CBC); those the engine lacks are left out.
     */
    static final List<String> CIPHERS = List.of(
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    /** Why a handshake failed, as {@code iys_tls_handshake_failures_total{reason}} says. */
    enum Failure
    {
        /** The peer spoke something other than TLS: a plaintext client. */
        PLAINTEXT,
        /** The handshake did not finish within the timeout. */
        TIMEOUT,
        /** A certificate was missing, untrusted or expired. */
        CERTIFICATE,
        /** No protocol version or cipher suite in common. */
        PROTOCOL,
        /** Anything else, e.g. the peer closed during the handshake. */
        OTHER
    }

    private final TlsSettings settings;
    private final SslProvider provider;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final LongAdder reloadsOk = new LongAdder();
    private final LongAdder reloadsFailed = new LongAdder();
    private final LongAdder[][] handshakeFailures = new LongAdder[Endpoint.values().length][Failure.values().length];
    private final ScheduledExecutorService reloader;
    private volatile String refusedStamp;

    private record Loaded(SslContext context, TlsMaterial material)
    {
    }

    private ServerTls(final TlsSettings settings)
    {
        this.settings = settings;
        this.provider = provider(settings.provider());
        for (final LongAdder[] byEndpoint : handshakeFailures)
        {
            for (int i = 0; i < byEndpoint.length; i++)
            {
                byEndpoint[i] = new LongAdder();
            }
        }
        final TlsMaterial material = TlsMaterial.read(settings, System.currentTimeMillis());
        current.set(new Loaded(context(material), material));
        warnIfExpiringSoon(material);
        if (settings.reloadIntervalMs() > 0)
        {
            reloader = Executors.newSingleThreadScheduledExecutor(runnable ->
            {
                final Thread thread = new Thread(runnable, "iys-tls-reload");
                thread.setDaemon(true);
                return thread;
            });
            reloader.scheduleWithFixedDelay(this::reloadQuietly, settings.reloadIntervalMs(),
                settings.reloadIntervalMs(), TimeUnit.MILLISECONDS);
        }
        else
        {
            reloader = null;
        }
    }

    /**
     * Load and check the files, and start watching them.
     *
     * @param settings the files and the policy.
     * @return TLS, ready for connections.
     * @throws IllegalArgumentException naming the setting and file that is wrong, or the provider that is missing.
     */
    public static ServerTls start(final TlsSettings settings)
    {
        return new ServerTls(settings);
    }

    /**
     * @return the settings.
     */
    public TlsSettings settings()
    {
        return settings;
    }

    /**
     * @return the engine in use: {@code openssl} or {@code jdk}.
     */
    public String providerName()
    {
        return provider == SslProvider.JDK ? "jdk" : "openssl";
    }

    /**
     * @return the certificate served to new connections.
     */
    public X509Certificate certificate()
    {
        return current.get().material().chain().get(0);
    }

    /**
     * @return the provider, protocols, cipher suites, client authentication and certificate, for the log line that
     * says where the server listens.
     */
    public String describe()
    {
        final Loaded loaded = current.get();
        return "tls=on, provider=" + providerName() + ", protocols=" + String.join(",", settings.protocols()) +
            ", ciphers=" + String.join(",", loaded.context().cipherSuites()) + ", clientAuth=" +
            settings.clientAuth().name().toLowerCase(Locale.ROOT) + ", certificate=" +
            TlsMaterial.describe(certificate()) + " until " + certificate().getNotAfter().toInstant();
    }

    /**
     * Put TLS first in a new connection's pipeline: the {@link SslHandler} named {@value #HANDLER_NAME}, on the
     * context in force now, then the handler that counts failed handshakes and closes their connections.
     *
     * @param pipeline the connection's pipeline, before the endpoint mounts its handlers.
     * @param endpoint which endpoint, for the counters.
     */
    void mount(final ChannelPipeline pipeline, final Endpoint endpoint)
    {
        final SslHandler handler = current.get().context().newHandler(pipeline.channel().alloc());
        handler.setHandshakeTimeoutMillis(settings.handshakeTimeoutMs());
        pipeline.addLast(HANDLER_NAME, handler);
        pipeline.addLast("tls-handshake", new TlsHandshakeWatch(this, endpoint));
    }

    /**
     * Compare the files with those loaded; when they changed and the new ones check out, serve them to new
     * connections. Runs every {@link TlsSettings#reloadIntervalMs()}; tests call it directly (one check at a time).
     *
     * @return true when the context was replaced.
     */
    synchronized boolean reloadIfChanged()
    {
        final String stamp = TlsMaterial.stamp(settings);
        final Loaded loaded = current.get();
        if (stamp.equals(loaded.material().stamp()) || stamp.equals(refusedStamp))
        {
            return false;
        }
        try
        {
            final TlsMaterial material = TlsMaterial.read(settings, System.currentTimeMillis());
            if (material.stamp().equals(loaded.material().stamp()))
            {
                return false;
            }
            current.set(new Loaded(context(material), material));
            refusedStamp = null;
            reloadsOk.increment();
            LOG.info("TLS certificate reloaded: {} until {} (was {}); new connections use it",
                TlsMaterial.describe(material.chain().get(0)), material.chain().get(0).getNotAfter().toInstant(),
                TlsMaterial.describe(loaded.material().chain().get(0)));
            warnIfExpiringSoon(material);
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            refusedStamp = stamp;
            reloadsFailed.increment();
            LOG.error("TLS files changed but cannot be used; still serving {}: {}",
                TlsMaterial.describe(loaded.material().chain().get(0)), ex.getMessage());
            return false;
        }
    }

    private void reloadQuietly()
    {
        try
        {
            reloadIfChanged();
        }
        catch (final Throwable ex)
        {
            reloadsFailed.increment();
            LOG.error("TLS reload check failed; still serving the loaded certificate", ex);
        }
    }

    /**
     * @param outcome {@code ok} or {@code failed}.
     * @return reloads with that outcome so far.
     */
    long reloads(final String outcome)
    {
        return "ok".equals(outcome) ? reloadsOk.sum() : reloadsFailed.sum();
    }

    void onHandshakeFailure(final Endpoint endpoint, final Failure failure)
    {
        handshakeFailures[endpoint.ordinal()][failure.ordinal()].increment();
    }

    /**
     * @param endpoint an endpoint.
     * @param failure  why.
     * @return handshakes that failed so.
     */
    long handshakeFailures(final Endpoint endpoint, final Failure failure)
    {
        return handshakeFailures[endpoint.ordinal()][failure.ordinal()].sum();
    }

    /**
     * Register {@code iys_tls_enabled{provider,protocols}} (always 1), {@code iys_tls_certificate_expiry_seconds} (the
     * served certificate's notAfter, seconds since the epoch), {@code iys_tls_reloads_total{outcome}} and
     * {@code iys_tls_handshake_failures_total{endpoint,reason}}.
     *
     * @param registry the registry.
     */
    public void bindTo(final MeterRegistry registry)
    {
        Gauge.builder("iys_tls_enabled", () -> 1)
            .description("TLS on the binary and HTTP listeners: the engine and the protocols allowed")
            .tag("provider", providerName())
            .tag("protocols", String.join(",", settings.protocols()))
            .register(registry);
        Gauge.builder("iys_tls_certificate_expiry_seconds", this, (tls) ->
                tls.certificate().getNotAfter().getTime() / 1000.0)
            .description("when the served certificate expires, in seconds since the epoch")
            .register(registry);
        FunctionCounter.builder("iys_tls_reloads", reloadsOk, LongAdder::sum)
            .description("changes of the certificate or key files, by whether they were taken")
            .tag("outcome", "ok")
            .register(registry);
        FunctionCounter.builder("iys_tls_reloads", reloadsFailed, LongAdder::sum)
            .description("changes of the certificate or key files, by whether they were taken")
            .tag("outcome", "failed")
            .register(registry);
        for (final Endpoint endpoint : List.of(Endpoint.BINARY, Endpoint.HTTP, Endpoint.RESP))
        {
            for (final Failure failure : Failure.values())
            {
                FunctionCounter.builder("iys_tls_handshake_failures",
                    handshakeFailures[endpoint.ordinal()][failure.ordinal()], LongAdder::sum)
                    .description("TLS handshakes that failed, by endpoint and why; the connection is closed")
                    .tag("endpoint", endpoint.name().toLowerCase(Locale.ROOT))
                    .tag("reason", failure.name().toLowerCase(Locale.ROOT))
                    .register(registry);
            }
        }
    }

    /**
     * Stop watching the files.
     */
    @Override
    public void close()
    {
        if (reloader != null)
        {
            reloader.shutdownNow();
        }
    }

    private SslContext context(final TlsMaterial material)
    {
        final SslContextBuilder builder = SslContextBuilder.forServer(material.key(), material.chain())
            .sslProvider(provider)
            .protocols(settings.protocols())
            .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
        if (!material.clientCas().isEmpty())
        {
            builder.trustManager(material.clientCas())
                .clientAuth(settings.clientAuth() == TlsSettings.ClientAuth.REQUIRE ? ClientAuth.REQUIRE :
                    ClientAuth.OPTIONAL);
        }
        try
        {
            return builder.build();
        }
        catch (final SSLException | RuntimeException ex)
        {
            throw new IllegalArgumentException("tls-cert-file: " + settings.certFile() + " with tls-key-file " +
                settings.keyFile() + ": the " + providerName() + " engine refuses them: " + ex.getMessage());
        }
    }

    private static SslProvider provider(final TlsSettings.Provider wanted)
    {
        switch (wanted)
        {
            case JDK:
                return SslProvider.JDK;
            case OPENSSL:
                if (!OpenSsl.isAvailable())
                {
                    throw new IllegalArgumentException("tls-provider: openssl is not available here (" +
                        OpenSsl.unavailabilityCause() + "); use auto or jdk");
                }
                return SslProvider.OPENSSL;
            default:
                if (OpenSsl.isAvailable())
                {
                    return SslProvider.OPENSSL;
                }
                LOG.info("tls-provider=auto: OpenSSL is not available ({}); using the JDK's TLS engine",
                    String.valueOf(OpenSsl.unavailabilityCause()));
                return SslProvider.JDK;
        }
    }

    private static void warnIfExpiringSoon(final TlsMaterial material)
    {
        final X509Certificate leaf = material.chain().get(0);
        final long leftMs = leaf.getNotAfter().getTime() - System.currentTimeMillis();
        if (leftMs < EXPIRY_WARNING.toMillis())
        {
            LOG.warn("TLS certificate {} expires in {} day(s), on {}: renew it (the server reloads the files " +
                "when they change)", TlsMaterial.describe(leaf), TimeUnit.MILLISECONDS.toDays(leftMs),
                leaf.getNotAfter().toInstant());
        }
    }
}
