package io.iysfilter.server.resp;

import io.iysfilter.client.ClientTls;
import io.iysfilter.client.FilterClient;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.net.TestCertificates;
import io.iysfilter.server.net.TlsSettings;
import io.iysfilter.server.security.BearerTokens;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * The two servers the client-program tests ask: one open on loopback, one with TLS and a clients file, each on the
 * {@link Fixtures} data set and ephemeral ports, the milter off.
 */
final class RespTestServers
{
    /** The one client of the secure server's clients file: role check, brand {@link Fixtures#BRAND} only. */
    static final String CLIENT = "acme-sms";

    private RespTestServers()
    {
    }

    /**
     * @param server the server.
     * @param ca     the CA that signed its certificate.
     * @param token  the token of {@link #CLIENT}.
     */
    record Secure(FilterServer server, TestCertificates.Issued ca, String token)
    {
        /**
         * @return a binary client of the server, over TLS with the token, to compare answers with.
         */
        FilterClient binaryClient()
        {
            return FilterClient.connect(FilterClient.Options.of("127.0.0.1", server.binaryPort()).withToken(token)
                .withTls(ClientTls.builder().trustCaFile(ca.certFile()).build()));
        }
    }

    /**
     * @param dir an empty directory for the data.
     * @return a server without TLS or authentication.
     */
    static FilterServer open(final Path dir) throws IOException, InterruptedException
    {
        Fixtures.write(dir);
        return FilterServer.start(Fixtures.context(dir).milterPort(-1).respPort(0));
    }

    /**
     * @param dir an empty directory for the data, the certificates and the clients file.
     * @return a server that speaks TLS only and answers only {@link #CLIENT}.
     */
    static Secure secure(final Path dir) throws IOException, InterruptedException
    {
        final Path data = Files.createDirectories(dir).resolve("data");
        Fixtures.write(data);
        final TestCertificates.Issued ca = TestCertificates.ca(dir, "ca");
        final TestCertificates.Issued certificate = TestCertificates.server(dir, "server", ca);
        final String token = BearerTokens.generate(new SecureRandom());
        final Path clients = Files.writeString(dir.resolve("clients.conf"), "[" + CLIENT + "]\nroles = check\n" +
            "brands = " + Fixtures.BRAND + "\ntoken = " + BearerTokens.hash(token) + "\n");
        final FilterServer server = FilterServer.start(Fixtures.context(data).milterPort(-1).respPort(0)
            .clientsFile(clients).tls(TlsSettings.of(certificate.certFile(), certificate.keyFile(), null)));
        return new Secure(server, ca, token);
    }
}
