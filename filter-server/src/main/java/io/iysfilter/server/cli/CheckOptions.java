package io.iysfilter.server.cli;

import io.iysfilter.client.ClientTls;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * What a client command asks a running server, and which server: the options {@code check} and {@code scrub}
 * share, declared once and mixed into both ({@code @Mixin}).
 */
final class CheckOptions
{
    @Option(names = "--brand", required = true, paramLabel = "CODE", converter = Converters.Code.class,
        description = "the brand's İYS code")
    long brand;

    @Option(names = "--channel", required = true, paramLabel = "ARAMA|MESAJ|EPOSTA",
        converter = Converters.ChannelName.class, description = "the channel")
    Channel channel;

    @Option(names = "--recipient-type", paramLabel = "BIREYSEL|TACIR", converter = Converters.RecipientTypeName.class,
        description = "the recipient's type (default: none given, decided as BIREYSEL)")
    RecipientType type = RecipientType.UNSPECIFIED;

    @Option(names = "--kind", paramLabel = "COMMERCIAL|TRANSACTIONAL", converter = Converters.KindName.class,
        description = "the message's kind (default COMMERCIAL)")
    MessageKind kind = MessageKind.COMMERCIAL;

    @Option(names = "--host", paramLabel = "H", description = "the server (default 127.0.0.1)")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "P", converter = Converters.Port.class,
        description = "its binary protocol port (default 7700)")
    int port = 7700;

    @Option(names = "--tls", description = "speak TLS to the server (implied by any --tls-* option); its " +
        "certificate must be trusted (the JDK's CAs unless --tls-ca-file or --tls-trust-store) and name --host " +
        "(or --tls-server-name)")
    boolean tls;

    @Option(names = "--tls-ca-file", paramLabel = "FILE", description = "PEM certificates of the CA to trust")
    Path caFile;

    @Option(names = "--tls-trust-store", paramLabel = "FILE", description = "PKCS#12 trust store of the CAs to " +
        "trust")
    Path trustStore;

    @Option(names = "--tls-trust-store-password-file", paramLabel = "FILE", description = "file whose first line " +
        "is the trust store's password (default: none)")
    Path trustStorePasswordFile;

    @Option(names = "--tls-cert-file", paramLabel = "FILE", description = "this client's PEM certificate, for a " +
        "server that requires one (mutual TLS)")
    Path certFile;

    @Option(names = "--tls-key-file", paramLabel = "FILE", description = "its PEM PKCS#8 key")
    Path keyFile;

    @Option(names = "--tls-server-name", paramLabel = "NAME", description = "the name the server's certificate " +
        "must carry, when --host is another (an IP address, a tunnel)")
    String serverName;

    /**
     * @return TLS as the options ask, or null for plaintext.
     * @throws UsageException when the options do not fit together or a file cannot be used.
     */
    ClientTls clientTls()
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
