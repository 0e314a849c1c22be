package io.iysfilter.server.net;

import io.iysfilter.client.ClientTls;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.security.BearerTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployment docs/OPERATIONS.md describes, all at once: TLS and a clients file on the service listeners, which
 * makes a bind beyond loopback acceptable, and an admin listener of its own. The admin listener speaks TLS too and
 * wants the {@code admin} role; the service listener keeps a bare readiness open for load balancers and answers a
 * client by its token.
 */
@Timeout(60)
class SecureDeploymentIT
{
    private static final String DISPATCHER = "iysf_secure-deployment-dispatcher-token-0123456789";
    private static final String MONITOR = "iysf_secure-deployment-monitor-token-0123456789ab";

    @TempDir
    Path dataDir;
    @TempDir
    Path certs;

    @Test
    void shouldServeTlsAndClientsOnEveryListenerWithTheAdminRoutesApart() throws Exception
    {
        Fixtures.write(dataDir);
        final TestCertificates.Issued ca = TestCertificates.ca(certs, "deployment-ca");
        final TestCertificates.Issued server = TestCertificates.server(certs, "server", ca);
        final Path clients = certs.resolve("clients.conf");
        Files.writeString(clients, "[dispatcher]\nroles = check\nbrands = " + Fixtures.BRAND + "\ntoken = " +
            BearerTokens.hash(DISPATCHER) + "\n[monitor]\nroles = admin\nbrands = *\ntoken = " +
            BearerTokens.hash(MONITOR) + "\n");
        final FilterServer.Context context = Fixtures.context(dataDir).milterPort(-1).adminPort(0)
            .clientsFile(clients).tls(TlsSettings.of(server.certFile(), server.keyFile(), null));
        // every listener beyond loopback would be refused without both: with both, the rule lets it through
        context.bindAddress("0.0.0.0");
        context.conclude();
        try (FilterServer filter = FilterServer.start(context.bindAddress("127.0.0.1")))
        {
            final HttpClient https = HttpClient.newBuilder().sslContext(trusting(ca)).build();
            final int admin = filter.adminPort();

            assertEquals(401, get(https, admin, "/metrics", null).statusCode(), "the admin listener wants a client");
            assertEquals(403, get(https, admin, "/metrics", DISPATCHER).statusCode(), "and the admin role");
            final HttpResponse<String> metrics = get(https, admin, "/metrics", MONITOR);
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("iys_client_decisions_total"), metrics.body());
            assertPlaintextRefused(admin);

            final HttpResponse<String> ready = get(https, filter.httpPort(), "/health/ready", null);
            assertTrue(ready.body().matches("\\{\"status\":\"(NOT_)?READY\"}"), "bare and open: " + ready.body());
            assertEquals(401, get(https, filter.httpPort(), "/v1/check?brand=" + Fixtures.BRAND +
                "&channel=MESAJ&recipient=%2B905321111111", null).statusCode());
            assertEquals(200, get(https, filter.httpPort(), "/v1/check?brand=" + Fixtures.BRAND +
                "&channel=MESAJ&recipient=%2B905321111111", DISPATCHER).statusCode());

            try (FilterClient checker = FilterClient.connect(new FilterClient.Options("127.0.0.1",
                filter.binaryPort(), 5_000, 5_000, 0).withTls(ClientTls.builder().trustCaFile(ca.certFile()).build())
                .withToken(DISPATCHER)))
            {
                assertEquals(Reason.CONSENT, checker.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason());
            }
        }
    }

    @Test
    void shouldRefuseAWideBindWithTlsButNoClientsFile() throws Exception
    {
        final TestCertificates.Issued ca = TestCertificates.ca(certs, "deployment-ca");
        final TestCertificates.Issued server = TestCertificates.server(certs, "server", ca);
        final FilterServer.Context context = Fixtures.context(dataDir).milterPort(-1)
            .tls(TlsSettings.of(server.certFile(), server.keyFile(), null)).bindAddress("0.0.0.0");
        final Exception refused = assertThrows(Exception.class, context::conclude);
        assertTrue(refused.getMessage().contains("insecure-plaintext"), refused.getMessage());
    }

    private static void assertPlaintextRefused(final int port) throws IOException
    {
        try (Socket socket = new Socket("127.0.0.1", port))
        {
            socket.setSoTimeout(10_000);
            final OutputStream out = socket.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            final String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            // any HTTP answer at all (a 401 included) would mean the admin listener speaks plaintext
            assertFalse(answer.startsWith("HTTP/"), "the admin listener answered in plaintext: " + answer);
        }
    }

    private static HttpResponse<String> get(final HttpClient https, final int port, final String pathAndQuery,
        final String token) throws Exception
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port +
            pathAndQuery));
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        return https.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static SSLContext trusting(final TestCertificates.Issued ca) throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", ca.certificate());
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
