package io.iysfilter.server.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Authentication and the clients file behind it, for every endpoint: on when a clients file is set
 * ({@link #load(Path, int, ClientCounters)}), off otherwise ({@link #off(ClientCounters)}: every request is the
 * {@code anonymous} client's and nothing is refused).
 * <p>
 * The file is validated whole at start (a bad file refuses the start). Afterwards it is read again every
 * {@link #RELOAD_INTERVAL_MS} ms and, when its bytes changed, parsed anew: a good new file replaces the clients for
 * every connection authenticated from then on (one already authenticated keeps the client it resolved), a bad one is
 * logged, counted ({@link #reloadFailures()}) and ignored, the old clients staying in force.
 */
public final class Authenticator implements AutoCloseable
{
    /** How often the clients file is read for changes. */
    public static final long RELOAD_INTERVAL_MS = 2_000;

    private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);

    private final Path file;
    private final FailureLimiter failures;
    private final ClientCounters counters;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();
    private volatile Clients clients;
    private byte[] loadedBytes;
    private ScheduledExecutorService reloader;

    private Authenticator(final Path file, final Clients clients, final byte[] loadedBytes,
        final FailureLimiter failures, final ClientCounters counters)
    {
        this.file = file;
        this.clients = clients;
        this.loadedBytes = loadedBytes;
        this.failures = failures;
        this.counters = counters;
    }

    /**
     * @param counters the per-client counters.
     * @return authentication off: every request is {@code anonymous}.
     */
    public static Authenticator off(final ClientCounters counters)
    {
        return new Authenticator(null, null, null, null, counters);
    }

    /**
     * Read and validate a clients file: authentication on.
     *
     * @param file         the clients file.
     * @param failureLimit failed attempts allowed per source address and minute.
     * @param counters     the per-client counters.
     * @return the authenticator.
     * @throws IOException          when the file cannot be read.
     * @throws ClientsFileException when it is not valid, naming the line.
     */
    public static Authenticator load(final Path file, final int failureLimit, final ClientCounters counters)
        throws IOException, ClientsFileException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final Clients clients = parse(file, bytes, counters);
        LOG.info("clients file {}: {} client(s), failure limit {} a minute per address", file,
            clients.clients().size(), failureLimit);
        return new Authenticator(file, clients, bytes, new FailureLimiter(failureLimit), counters);
    }

    private static Clients parse(final Path file, final byte[] bytes, final ClientCounters counters)
        throws ClientsFileException
    {
        final List<String> lines = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n", -1));
        return Clients.parse(file.toString(), lines, counters);
    }

    /**
     * @return whether authentication is on (a clients file is set); the safe-bind check's "auth on".
     */
    public boolean enabled()
    {
        return file != null;
    }

    /**
     * @return the clients in force, or null when authentication is off.
     */
    public Clients clients()
    {
        return clients;
    }

    /**
     * @return the per-client counters.
     */
    public ClientCounters counters()
    {
        return counters;
    }

    /**
     * @return the per-address failure limit, or null when authentication is off.
     */
    public FailureLimiter failures()
    {
        return failures;
    }

    /**
     * @param address a source address.
     * @param nowNs   monotonic time.
     * @return whether the address is over its failure limit: refuse it without checking anything, and close.
     */
    public boolean blocked(final String address, final long nowNs)
    {
        return failures != null && failures.blocked(address, nowNs);
    }

    /**
     * Authenticate a bearer token. A failure (no token, an unknown one) is counted for the address and for the
     * {@code unknown} client.
     *
     * @param token   the token's bytes, or null when none was sent.
     * @param address the source address.
     * @param nowNs   monotonic time.
     * @return the client, or null when the token names none.
     */
    public Client authenticate(final byte[] token, final String address, final long nowNs)
    {
        final Clients current = clients;
        final Client client = current == null || token == null ? null : current.byToken(token);
        if (client == null)
        {
            onFailure(address, nowNs);
        }
        return client;
    }

    /**
     * Mutual TLS: the client named by a verified peer certificate's subject CN. Call it once the TLS handshake has
     * completed (the session's peer certificates were then verified against the client CA).
     *
     * @param session the connection's TLS session.
     * @return the client whose {@code cn} the certificate's subject CN is; null when authentication is off, the peer
     *         sent no certificate, or its CN names no client.
     */
    public Client byPeerCertificate(final SSLSession session)
    {
        final Clients current = clients;
        if (current == null || session == null)
        {
            return null;
        }
        try
        {
            final Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf))
            {
                return null;
            }
            return current.byCertificateName(commonName(leaf.getSubjectX500Principal()));
        }
        catch (final SSLPeerUnverifiedException ex)
        {
            return null;
        }
    }

    /**
     * @param subject a certificate's subject.
     * @return its CN (the most specific one when it has several), or null when it has none.
     */
    public static String commonName(final X500Principal subject)
    {
        try
        {
            final List<Rdn> rdns = new LdapName(subject.getName(X500Principal.RFC2253)).getRdns();
            // LdapName lists the RDNs from the least specific (the last in RFC 2253's text) to the most specific
            for (int i = rdns.size() - 1; i >= 0; i--)
            {
                if ("CN".equalsIgnoreCase(rdns.get(i).getType()) && rdns.get(i).getValue() instanceof String cn)
                {
                    return cn;
                }
            }
            return null;
        }
        catch (final InvalidNameException ex)
        {
            return null;
        }
    }

    /**
     * Count a failed authentication that did not go through {@link #authenticate}, e.g. a certificate whose CN names
     * no client.
     *
     * @param address the source address.
     * @param nowNs   monotonic time.
     */
    public void onFailure(final String address, final long nowNs)
    {
        counters.unknown().onUnauthorised();
        if (failures != null)
        {
            failures.onFailure(address, nowNs);
        }
    }

    /**
     * Read the file again and, when its bytes changed, put a good new reading in force; keep the old one, log and
     * count a bad one.
     *
     * @return whether a new reading was put in force.
     */
    public synchronized boolean reloadIfChanged()
    {
        if (file == null)
        {
            return false;
        }
        try
        {
            final byte[] bytes = Files.readAllBytes(file);
            if (Arrays.equals(bytes, loadedBytes))
            {
                return false;
            }
            final Clients fresh = parse(file, bytes, counters);
            loadedBytes = bytes;
            clients = fresh;
            reloads.increment();
            LOG.info("clients file {} reloaded: {} client(s)", file, fresh.clients().size());
            return true;
        }
        catch (final IOException | ClientsFileException | RuntimeException ex)
        {
            reloadFailures.increment();
            LOG.error("clients file {} not reloaded, the clients read before stay in force: {}", file,
                ex.getMessage());
            return false;
        }
    }

    /**
     * Start reading the file for changes every {@link #RELOAD_INTERVAL_MS} ms, on a daemon thread.
     */
    public synchronized void startReloading()
    {
        if (file == null || reloader != null)
        {
            return;
        }
        reloader = Executors.newSingleThreadScheduledExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "iys-clients-reload");
            thread.setDaemon(true);
            return thread;
        });
        reloader.scheduleWithFixedDelay(() ->
        {
            try
            {
                reloadIfChanged();
            }
            catch (final Throwable ex)
            {
                reloadFailures.increment();
                LOG.error("clients file reload failed", ex);
            }
        }, RELOAD_INTERVAL_MS, RELOAD_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * @return good readings put in force since start (the first excluded).
     */
    public long reloads()
    {
        return reloads.sum();
    }

    /**
     * @return readings refused since start (the old clients kept).
     */
    public long reloadFailures()
    {
        return reloadFailures.sum();
    }

    @Override
    public synchronized void close()
    {
        if (reloader != null)
        {
            reloader.shutdownNow();
            reloader = null;
        }
    }
}
