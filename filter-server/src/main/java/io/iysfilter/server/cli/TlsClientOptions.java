package io.iysfilter.server.cli;

import io.iysfilter.client.ClientTls;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The TLS options of a command that speaks to a running server over the binary protocol ({@code check},
 * {@code scrub}, the load rig), declared once and mixed in ({@code @Mixin}).
 */
public final class TlsClientOptions
{
    @Option(names = "--tls", description = "speak TLS to the server (implied by any --tls-* option); its " +
        "certificate must be trusted (the JDK's CAs unless --tls-ca-file or --tls-trust-store) and name --host " +
        "(or --tls-server-name)")
    private boolean tls;

    @Option(names = "--tls-ca-file", paramLabel = "FILE", description = "PEM certificates of the CA to trust")
    private Path caFile;

    @Option(names = "--tls-trust-store", paramLabel = "FILE", description = "PKCS#12 trust store of the CAs to " +
        "trust")
    private Path trustStore;

    @Option(names = "--tls-trust-store-password-file", paramLabel = "FILE", description = "file whose first line " +
        "is the trust store's password (default: none)")
    private Path trustStorePasswordFile;

    @Option(names = "--tls-cert-file", paramLabel = "FILE", description = "this client's PEM certificate, for a " +
        "server that requires one (mutual TLS)")
    private Path certFile;

    @Option(names = "--tls-key-file", paramLabel = "FILE", description = "its PEM PKCS#8 key")
    private Path keyFile;

    @Option(names = "--tls-server-name", paramLabel = "NAME", description = "the name the server's certificate " +
        "must carry, when --host is another (an IP address, a tunnel)")
    private String serverName;

    /**
     * @return TLS as the options ask, or null for plaintext.
     * @throws UsageException when the options do not fit together or a file cannot be used.
     */
    public ClientTls clientTls()
    {
        if (!tls && caFile == null && trustStore == null && certFile == null && keyFile == null &&
            serverName == null && trustStorePasswordFile == null)
        {
            return null;
        }
        if (certFile == null != (keyFile == null))
        {
            throw new UsageException("give --tls-cert-file and --tls-key-file together");
        }
        if (trustStorePasswordFile != null && trustStore == null)
        {
            throw new UsageException("--tls-trust-store-password-file without --tls-trust-store");
        }
        try
        {
            final ClientTls.Builder builder = ClientTls.builder().trustCaFile(caFile).serverName(serverName);
            if (trustStore != null)
            {
                builder.trustStore(trustStore, trustStorePasswordFile == null ? new char[0] :
                    ClientTls.readPasswordFile(trustStorePasswordFile));
            }
            if (certFile != null)
            {
                builder.clientCertificate(certFile, keyFile);
            }
            return builder.build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException("tls: " + ex.getMessage());
        }
    }
}
