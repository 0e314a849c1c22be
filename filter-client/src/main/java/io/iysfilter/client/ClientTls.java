package io.iysfilter.client;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Objects;

/**
 * TLS for a {@link FilterClient}: whom to trust (a PEM CA file, a PKCS#12 trust store, or the JDK's default CAs),
 * an optional client certificate for mutual TLS, and the server name. The server's certificate must name the host
 * connected to (or {@link Builder#serverName}) unless host name verification is switched off, which must be asked
 * for by {@link Builder#insecureNoHostnameVerification()}.
 */
public final class ClientTls
{
    private final SslContext context;
    private final String serverName;
    private final boolean verifyHostname;

    private ClientTls(final SslContext context, final String serverName, final boolean verifyHostname)
    {
        this.context = context;
        this.serverName = serverName;
        this.verifyHostname = verifyHostname;
    }

    /**
     * @return a builder: trust the JDK's default CAs, no client certificate, TLS 1.3 and 1.2, host name verified.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return the name the server's certificate must carry, or null for the host connected to.
     */
    public String serverName()
    {
        return serverName;
    }

    /**
     * @return whether the server's certificate must name the server.
     */
    public boolean verifiesHostname()
    {
        return verifyHostname;
    }

    /**
     * @param alloc the connection's allocator.
     * @param host  the host connected to.
     * @param port  its port.
     * @return a handler for a new connection, with SNI and host name verification for the server's name.
     */
    SslHandler newHandler(final ByteBufAllocator alloc, final String host, final int port)
    {
        return context.newHandler(alloc, serverName != null ? serverName : host, port);
    }

    /**
     * What to trust and who to be.
     */
    public static final class Builder
    {
        private Path caFile;
        private Path trustStore;
        private char[] trustStorePassword;
        private Path certFile;
        private Path keyFile;
        private String serverName;
        private boolean verifyHostname = true;
        private List<String> protocols = List.of("TLSv1.3", "TLSv1.2");

        private Builder()
        {
        }

        /**
         * @param caFile PEM certificates of the CAs to trust (instead of the JDK's default ones).
         * @return this.
         */
        public Builder trustCaFile(final Path caFile)
        {
            this.caFile = caFile;
            return this;
        }

        /**
         * @param trustStore a PKCS#12 trust store (instead of the JDK's default CAs).
         * @param password   its password; may be empty.
         * @return this.
         */
        public Builder trustStore(final Path trustStore, final char[] password)
        {
            this.trustStore = trustStore;
            this.trustStorePassword = password.clone();
            return this;
        }

        /**
         * @param certFile the client's PEM certificate chain, for mutual TLS.
         * @param keyFile  its PEM PKCS#8 key.
         * @return this.
         */
        public Builder clientCertificate(final Path certFile, final Path keyFile)
        {
            this.certFile = Objects.requireNonNull(certFile, "certFile");
            this.keyFile = Objects.requireNonNull(keyFile, "keyFile");
            return this;
        }

        /**
         * @param serverName the name the server's certificate must carry and that SNI sends, when the host
         *                   connected to is another (an IP address, a tunnel).
         * @return this.
         */
        public Builder serverName(final String serverName)
        {
            this.serverName = serverName;
            return this;
        }

        /**
         * Accept a trusted certificate whatever name it carries: anyone holding a certificate from the same CA can
         * then pose as the server. For tests and one-off diagnosis only.
         *
         * @return this.
         */
        public Builder insecureNoHostnameVerification()
        {
            this.verifyHostname = false;
            return this;
        }

        /**
         * @param protocols the protocols to offer, e.g. {@code TLSv1.3}.
         * @return this.
         */
        public Builder protocols(final String... protocols)
        {
            this.protocols = List.of(protocols);
            return this;
        }

        /**
         * @return TLS settings, with the files read now.
         * @throws IllegalArgumentException naming a file that cannot be read or used.
         */
        public ClientTls build()
        {
            if (caFile != null && trustStore != null)
            {
                throw new IllegalArgumentException("give a CA file or a trust store, not both");
            }
            final SslContextBuilder builder = SslContextBuilder.forClient()
                .protocols(protocols)
                .endpointIdentificationAlgorithm(verifyHostname ? "HTTPS" : null);
            if (caFile != null)
            {
                builder.trustManager(readable("CA file", caFile).toFile());
            }
            if (trustStore != null)
            {
                builder.trustManager(trustStoreFactory(trustStore, trustStorePassword));
            }
            if (certFile != null)
            {
                builder.keyManager(readable("client certificate", certFile).toFile(),
                    readable("client key", keyFile).toFile());
            }
            try
            {
                return new ClientTls(builder.build(), serverName, verifyHostname);
            }
            catch (final SSLException | RuntimeException ex)
            {
                throw new IllegalArgumentException("cannot set up TLS: " + ex.getMessage(), ex);
            }
        }

        private static Path readable(final String what, final Path file)
        {
            if (!Files.isReadable(file))
            {
                throw new IllegalArgumentException(what + " " + file + " cannot be read");
            }
            return file;
        }

        private static TrustManagerFactory trustStoreFactory(final Path file, final char[] password)
        {
            try (InputStream in = Files.newInputStream(readable("trust store", file)))
            {
                final KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(in, password);
                final TrustManagerFactory factory =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(store);
                return factory;
            }
            catch (final IOException | GeneralSecurityException ex)
            {
                throw new IllegalArgumentException("trust store " + file + " cannot be read as PKCS#12: " + ex, ex);
            }
        }
    }

    /**
     * @param file a file whose first line is a password.
     * @return that line.
     * @throws IllegalArgumentException when it cannot be read.
     */
    public static char[] readPasswordFile(final Path file)
    {
        try
        {
            final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() ? new char[0] : lines.get(0).toCharArray();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("password file " + file + " cannot be read: " + ex, ex);
        }
    }
}
