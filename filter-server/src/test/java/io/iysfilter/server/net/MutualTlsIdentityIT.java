package io.iysfilter.server.net;

import io.iysfilter.client.ClientTls;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.security.BearerTokens;
import io.netty.handler.ssl.OpenSsl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Mutual TLS names the client over real listeners: a certificate whose subject CN is a client's {@code cn} is that
 * client, on the binary protocol (even without a token) and over HTTP (without {@code Authorization}), with its roles
 * and brands; a CN no client has is refused as unauthorised unless a good token names the client; a {@code cn} added
 * to the clients file serves the next connection. Run with the JDK engine and with OpenSSL, whose sessions hand over
 * the peer's certificates their own way.
 */
class MutualTlsIdentityIT
{
    private static final long DEADLINE_MS = 10_000;
    private static final String TOKEN = "iysf_mutual-tls-identity-test-token-0123456789";

    @TempDir
    static Path dataDir;
    @TempDir
    static Path certs;
    private static TestCertificates.Issued ca;
    private static TestCertificates.Issued server;
    private static TestCertificates.Issued dispatcher;
    private static TestCertificates.Issued stranger;

    @TempDir
    Path dir;

    @BeforeAll
    static void data() throws Exception
    {
        Fixtures.write(dataDir);
        ca = TestCertificates.ca(certs, "test-ca");
        server = TestCertificates.server(certs, "server", ca);
        dispatcher = TestCertificates.client(certs, "dispatcher-1", ca);
        stranger = TestCertificates.client(certs, "stranger-1", ca);
    }

    @ParameterizedTest
    @EnumSource(value = TlsSettings.Provider.class, names = {"JDK", "OPENSSL"})
    void shouldNameTheClientByItsCertificateOnBothPorts(final TlsSettings.Provider provider) throws Exception
    {
        assumeOpenSslWhenAsked(provider);
        final Path clients = dir.resolve("clients.conf");
        Files.writeString(clients, "[dispatcher]\nroles = check\nbrands = " + Fixtures.BRAND + "\ncn = dispatcher-1\n" +
            "[ops]\nroles = admin\nbrands = *\ntoken = " + BearerTokens.hash(TOKEN) + "\n");
        try (FilterServer filter = start(provider, clients))
        {
            try (FilterClient checker = connect(filter, dispatcher, null))
            {
                assertEquals(Reason.CONSENT, checker.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason(),
                    "the certificate named the client: no token needed");
                final FilterClientException forbidden = assertThrows(FilterClientException.class,
                    () -> checker.checkBlocking(Fixtures.STALE_BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                        MessageKind.COMMERCIAL, Fixtures.CONSENTED));
                assertEquals(ErrorCode.FORBIDDEN, forbidden.errorCode(), forbidden.getMessage());
            }

            final HttpClient https = HttpClient.newBuilder().sslContext(sslContext(dispatcher)).build();
            assertEquals(200, get(https, filter, "/v1/check?brand=" + Fixtures.BRAND +
                "&channel=MESAJ&recipient=%2B905321111111").statusCode());
            assertEquals(403, get(https, filter, "/v1/check?brand=" + Fixtures.STALE_BRAND +
                "&channel=MESAJ&recipient=%2B905321111111").statusCode(), "not its brand");
            assertEquals(403, get(https, filter, "/metrics").statusCode(), "no admin role");

            final HttpClient strangerHttps = HttpClient.newBuilder().sslContext(sslContext(stranger)).build();
            final HttpResponse<String> unknown = get(strangerHttps, filter, "/v1/check?brand=" + Fixtures.BRAND +
                "&channel=MESAJ&recipient=%2B905321111111");
            assertEquals(401, unknown.statusCode(), "a trusted certificate whose CN no client has names no one");
            final HttpResponse<String> withToken = strangerHttps.send(HttpRequest.newBuilder(uri(filter, "/metrics"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, withToken.statusCode(), "the token names the client instead");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsSettings.Provider.class, names = {"JDK", "OPENSSL"})
    void shouldRefuseAnUnknownCertificateUnlessATokenNamesTheClient(final TlsSettings.Provider provider)
        throws Exception
    {
        assumeOpenSslWhenAsked(provider);
        final Path clients = dir.resolve("clients.conf");
        Files.writeString(clients, "[dispatcher]\nroles = check\nbrands = " + Fixtures.BRAND + "\ncn = dispatcher-1\n" +
            "[tokened]\nroles = check\nbrands = *\ntoken = " + BearerTokens.hash(TOKEN) + "\n");
        try (FilterServer filter = start(provider, clients))
        {
            final FilterClientException refused = assertThrows(FilterClientException.class, () ->
            {
                try (FilterClient checker = connect(filter, stranger, null))
                {
                    checker.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                        MessageKind.COMMERCIAL, Fixtures.CONSENTED);
                }
            });
            assertEquals(ErrorCode.UNAUTHORISED, refused.errorCode(), refused.getMessage());

            try (FilterClient checker = connect(filter, stranger, TOKEN))
            {
                assertEquals(Reason.CONSENT, checker.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason(),
                    "the token names the client");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsSettings.Provider.class, names = {"JDK"})
    void shouldServeACnAddedByAReloadOnTheNextConnection(final TlsSettings.Provider provider) throws Exception
    {
        final Path clients = dir.resolve("clients.conf");
        Files.writeString(clients, "[dispatcher]\nroles = check\nbrands = " + Fixtures.BRAND + "\ncn = dispatcher-1\n");
        try (FilterServer filter = start(provider, clients))
        {
            assertEquals(ErrorCode.UNAUTHORISED, refusal(filter, stranger), "not a client yet");
            Files.writeString(clients, "[dispatcher]\nroles = check\nbrands = " + Fixtures.BRAND +
                "\ncn = dispatcher-1\n[stranger]\nroles = check\nbrands = " + Fixtures.BRAND + "\ncn = stranger-1\n");
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
            while (filter.authenticator().reloads() == 0 && System.nanoTime() - deadlineNs < 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            assertEquals(1, filter.authenticator().reloads(), "the clients file is re-read every 2 s");
            final ErrorCode last = refusal(filter, stranger);
            assertEquals(null, last, "the reloaded cn names the client on a new connection");
        }
    }

    private static ErrorCode refusal(final FilterServer filter, final TestCertificates.Issued identity)
    {
        try (FilterClient checker = connect(filter, identity, null))
        {
            checker.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED);
            return null;
        }
        catch (final FilterClientException ex)
        {
            assertTrue(ex.errorCode() != null, ex.getMessage());
            return ex.errorCode();
        }
    }

    private static void assumeOpenSslWhenAsked(final TlsSettings.Provider provider)
    {
        assumeTrue(provider != TlsSettings.Provider.OPENSSL || OpenSsl.isAvailable(),
            "netty-tcnative does not load on this platform: " + OpenSsl.unavailabilityCause());
    }

    private static FilterServer start(final TlsSettings.Provider provider, final Path clients) throws Exception
    {
        return FilterServer.start(Fixtures.context(dataDir).milterPort(-1).clientsFile(clients)
            .tls(TlsSettings.of(server.certFile(), server.keyFile(), ca.certFile())
                .withClientAuth(TlsSettings.ClientAuth.OPTIONAL).withProvider(provider)));
    }

    private static FilterClient connect(
        final FilterServer filter, final TestCertificates.Issued identity, final String token)
    {
        final FilterClient.Options options = new FilterClient.Options("127.0.0.1", filter.binaryPort(), 5_000, 5_000,
            0).withTls(ClientTls.builder().trustCaFile(ca.certFile())
            .clientCertificate(identity.certFile(), identity.keyFile()).build());
        return FilterClient.connect(token == null ? options : options.withToken(token));
    }

    private static URI uri(final FilterServer filter, final String pathAndQuery)
    {
        return URI.create("https://127.0.0.1:" + filter.httpPort() + pathAndQuery);
    }

    private static HttpResponse<String> get(final HttpClient https, final FilterServer filter,
        final String pathAndQuery) throws Exception
    {
        return https.send(HttpRequest.newBuilder(uri(filter, pathAndQuery)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static SSLContext sslContext(final TestCertificates.Issued identity) throws Exception
    {
        final KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("me", identity.keys().getPrivate(), new char[0],
            new Certificate[]{identity.certificate(), ca.certificate()});
        final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, new char[0]);
        final KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", ca.certificate());
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }
}
