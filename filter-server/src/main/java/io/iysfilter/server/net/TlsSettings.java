package io.iysfilter.server.net;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * TLS on the binary and HTTP listeners ({@code tls-*} settings; docs/OPERATIONS.md "TLS"). The milter stays
 * plaintext: an MTA speaks the milter protocol in clear on loopback or a Unix socket.
 *
 * @param certFile           PEM certificate chain, the server's own certificate first.
 * @param keyFile            PEM PKCS#8 private key ({@code BEGIN PRIVATE KEY}) of the first certificate.
 * @param clientCaFile       PEM certificates that sign the clients' certificates (mutual TLS), or null for none.
 * @param clientAuth         whether a client certificate is asked for and required.
 * @param protocols          {@code TLSv1.3}, and {@code TLSv1.2} when allowed.
 * @param provider           which TLS engine.
 * @param reloadIntervalMs   how often the files are compared with those loaded; 0 for never.
 * @param handshakeTimeoutMs a connection whose handshake is not done within this long is closed.
 */
public record TlsSettings(
    Path certFile,
    Path keyFile,
    Path clientCaFile,
    ClientAuth clientAuth,
    List<String> protocols,
    Provider provider,
    long reloadIntervalMs,
    long handshakeTimeoutMs)
{
    /** TLS 1.3. */
    public static final String TLS_13 = "TLSv1.3";
    /** TLS 1.2, allowed only when named. */
    public static final String TLS_12 = "TLSv1.2";
    /** Default protocols: TLS 1.3 only. */
    public static final List<String> PROTOCOLS_DEFAULT = List.of(TLS_13);
    /** Default time between two comparisons of the certificate and key files. */
    public static final long RELOAD_INTERVAL_MS_DEFAULT = 30_000;
    /** Default bound of a handshake, the binary frame timeout's default. */
    public static final long HANDSHAKE_TIMEOUT_MS_DEFAULT = 10_000;

    /** Whether a client certificate is asked for (mutual TLS). */
    public enum ClientAuth
    {
        /** None asked for. */
        NONE,
        /** Asked for; a client without one is accepted, one with a bad one refused. */
        OPTIONAL,
        /** Required: a client without a certificate the client CA signed is refused. */
        REQUIRE
    }

    /** Which TLS engine. */
    public enum Provider
    {
        /** OpenSSL (BoringSSL, through netty-tcnative) when it loads, else the JDK's. */
        AUTO,
        /** OpenSSL, or refuse to start. */
        OPENSSL,
        /** The JDK's. */
        JDK
    }

    /**
     * @throws IllegalArgumentException naming what is missing or wrong.
     */
    public TlsSettings
    {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(clientAuth, "clientAuth");
        Objects.requireNonNull(provider, "provider");
        protocols = List.copyOf(protocols);
        if (protocols.isEmpty() || !protocols.contains(TLS_13) && !protocols.contains(TLS_12))
        {
            throw new IllegalArgumentException("tls-protocols: " + protocols + " (expected: TLSv1.3 or " +
                "TLSv1.3,TLSv1.2)");
        }
        for (final String protocol : protocols)
        {
            if (!TLS_13.equals(protocol) && !TLS_12.equals(protocol))
            {
                throw new IllegalArgumentException("tls-protocols: '" + protocol + "' (expected: TLSv1.3 or " +
                    "TLSv1.3,TLSv1.2; older protocols are refused)");
            }
        }
        if (clientAuth != ClientAuth.NONE && clientCaFile == null)
        {
            throw new IllegalArgumentException("tls-client-auth: " + clientAuth.name().toLowerCase(Locale.ROOT) +
                " needs tls-client-ca-file (the CA that signs the clients' certificates)");
        }
        if (clientAuth == ClientAuth.NONE && clientCaFile != null)
        {
            throw new IllegalArgumentException("tls-client-auth: none with tls-client-ca-file " + clientCaFile +
                " (expected: optional or require, or no client CA file)");
        }
        if (reloadIntervalMs < 0 || handshakeTimeoutMs <= 0)
        {
            throw new IllegalArgumentException("reloadIntervalMs: " + reloadIntervalMs + ", handshakeTimeoutMs: " +
                handshakeTimeoutMs + " (expected: >= 0 and > 0)");
        }
    }

    /**
     * @param certFile     PEM certificate chain.
     * @param keyFile      PEM PKCS#8 key.
     * @param clientCaFile PEM client CA, or null.
     * @return settings with the defaults: client certificates required when a client CA is given, TLS 1.3, the
     * provider chosen automatically, the default reload interval and handshake timeout.
     */
    public static TlsSettings of(final Path certFile, final Path keyFile, final Path clientCaFile)
    {
        return new TlsSettings(certFile, keyFile, clientCaFile, clientCaFile == null ? ClientAuth.NONE :
            ClientAuth.REQUIRE, PROTOCOLS_DEFAULT, Provider.AUTO, RELOAD_INTERVAL_MS_DEFAULT,
            HANDSHAKE_TIMEOUT_MS_DEFAULT);
    }

    /**
     * @param text comma-separated protocol names, e.g. {@code TLSv1.3,TLSv1.2}.
     * @return them, in order, without duplicates.
     * @throws IllegalArgumentException for anything but TLS 1.3 and 1.2.
     */
    public static List<String> parseProtocols(final String text)
    {
        final List<String> protocols = new ArrayList<>();
        for (final String part : text.split(","))
        {
            final String name = part.trim();
            if (!name.isEmpty() && !protocols.contains(name))
            {
                protocols.add(name);
            }
        }
        if (protocols.isEmpty())
        {
            throw new IllegalArgumentException("tls-protocols: empty (expected: TLSv1.3 or TLSv1.3,TLSv1.2)");
        }
        for (final String protocol : protocols)
        {
            if (!TLS_13.equals(protocol) && !TLS_12.equals(protocol))
            {
                throw new IllegalArgumentException("tls-protocols: '" + protocol + "' (expected: TLSv1.3 or " +
                    "TLSv1.3,TLSv1.2; older protocols are refused)");
            }
        }
        return List.copyOf(protocols);
    }

    /**
     * @param protocols the protocols to allow.
     * @return a copy with them.
     */
    public TlsSettings withProtocols(final List<String> protocols)
    {
        return new TlsSettings(certFile, keyFile, clientCaFile, clientAuth, protocols, provider, reloadIntervalMs,
            handshakeTimeoutMs);
    }

    /**
     * @param clientAuth whether client certificates are asked for.
     * @return a copy with it.
     */
    public TlsSettings withClientAuth(final ClientAuth clientAuth)
    {
        return new TlsSettings(certFile, keyFile, clientCaFile, clientAuth, protocols, provider, reloadIntervalMs,
            handshakeTimeoutMs);
    }

    /**
     * @param provider which TLS engine.
     * @return a copy with it.
     */
    public TlsSettings withProvider(final Provider provider)
    {
        return new TlsSettings(certFile, keyFile, clientCaFile, clientAuth, protocols, provider, reloadIntervalMs,
            handshakeTimeoutMs);
    }

    /**
     * @param reloadIntervalMs how often the files are compared; 0 for never.
     * @param handshakeTimeoutMs the bound of a handshake.
     * @return a copy with them.
     */
    public TlsSettings withTimes(final long reloadIntervalMs, final long handshakeTimeoutMs)
    {
        return new TlsSettings(certFile, keyFile, clientCaFile, clientAuth, protocols, provider, reloadIntervalMs,
            handshakeTimeoutMs);
    }
}
