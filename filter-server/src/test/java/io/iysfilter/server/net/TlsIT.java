package io.iysfilter.server.net;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.ClientTls;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.netty.handler.ssl.OpenSsl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TLS end to end on the binary and HTTP listeners: handshakes with the Java client and the JDK's HTTP client,
 * refusals (plaintext, untrusted, wrong name, expired, missing or untrusted client certificate, TLS 1.2 unless
 * allowed), the handshake timeout, and certificate rotation while a client keeps checking.
 */
class TlsIT
{
    private static final long DEADLINE_MS = 10_000;
    /** A binary HELLO frame. */
    private static final byte[] HELLO = {0, 0, 0, 20, 8, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    @TempDir
    static Path dataDir;
    @TempDir
    static Path certs;
    private static TestCertificates.Issued ca;
    private static TestCertificates.Issued otherCa;
    private static TestCertificates.Issued server;
    private static TestCertificates.Issued client;
    private static TestCertificates.Issued strangerClient;

    @TempDir
    Path dir;

    @BeforeAll
    static void data() throws Exception
    {
        Fixtures.write(dataDir);
        ca = TestCertificates.ca(certs, "test-ca");
        otherCa = TestCertificates.ca(certs, "other-ca");
        server = TestCertificates.server(certs, "server", ca);
        client = TestCertificates.client(certs, "dispatcher-1", ca);
        strangerClient = TestCertificates.client(certs, "stranger", otherCa);
    }

    @ParameterizedTest
    @EnumSource(value = TlsSettings.Provider.class, names = {"JDK", "OPENSSL"})
    void shouldAnswerABinaryCheckAndAnHttpGetOverTls(final TlsSettings.Provider provider) throws Exception
    {
        assumeTrue(provider != TlsSettings.Provider.OPENSSL || OpenSsl.isAvailable(),
            "netty-tcnative does not load on this platform: " + OpenSsl.unavailabilityCause());
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), null)
            .withProvider(provider)))
        {
            assertEquals(provider.name().toLowerCase(), filter.tls().providerName());
            try (FilterClient checker = connect(filter, trustingCa().build()))
            {
                final CheckResult result = checker.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED);
                assertEquals(Reason.CONSENT, result.reason());
                assertEquals(server.serial(), serial(checker));
            }
            final HttpClient https = HttpClient.newBuilder().sslContext(sslContextTrusting(ca)).build();
            final HttpResponse<String> check = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" +
                filter.httpPort() + "/v1/check?brand=" + Fixtures.BRAND + "&channel=MESAJ&recipient=" +
                Fixtures.CONSENTED.replace("+", "%2B"))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, check.statusCode(), check.body());
            assertTrue(check.body().contains("CONSENT"), check.body());
            final HttpResponse<String> metrics = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" +
                filter.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(metrics.body().contains("iys_tls_enabled{protocols=\"TLSv1.3\",provider=\"" +
                provider.name().toLowerCase() + "\"} 1"), metrics.body());
        }
    }

    @Test
    void shouldCloseAndCountAPlaintextClientOnTheTlsPorts() throws Exception
    {
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), null)))
        {
            // a binary HELLO frame in clear: length 20, then the header and block
            assertClosedAfterSending(filter.binaryPort(), HELLO);
            assertClosedAfterSending(filter.httpPort(),
                "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            await(() -> filter.tls().handshakeFailures(Endpoint.BINARY, ServerTls.Failure.PLAINTEXT) == 1 &&
                filter.tls().handshakeFailures(Endpoint.HTTP, ServerTls.Failure.PLAINTEXT) == 1, "counted");
            try (FilterClient checker = connect(filter, trustingCa().build()))
            {
                assertEquals(Reason.CONSENT, checker.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason(), "still serving");
            }
        }
    }

    @Test
    void shouldCloseAConnectionThatNeverFinishesItsHandshake() throws Exception
    {
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), null)
            .withTimes(0, 300)))
        {
            for (final int port : new int[]{filter.binaryPort(), filter.httpPort()})
            {
                try (Socket silent = new Socket())
                {
                    silent.connect(new InetSocketAddress("127.0.0.1", port));
                    silent.setSoTimeout((int)DEADLINE_MS);
                    final long startNs = System.nanoTime();
                    assertEquals(-1, silent.getInputStream().read(), "closed without a byte");
                    assertTrue(System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS));
                }
            }
            await(() -> filter.tls().handshakeFailures(Endpoint.BINARY, ServerTls.Failure.TIMEOUT) == 1 &&
                filter.tls().handshakeFailures(Endpoint.HTTP, ServerTls.Failure.TIMEOUT) == 1, "counted");
        }
    }

    @Test
    void shouldRefuseAServerTheClientDoesNotTrustOrThatIsNotNamedAsAsked() throws Exception
    {
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), null)))
        {
            final FilterClientException untrusted = assertThrows(FilterClientException.class, () -> connect(filter,
                ClientTls.builder().trustCaFile(otherCa.certFile()).build()).close());
            assertTrue(untrusted.getMessage().contains("TLS handshake"), untrusted.getMessage());
            final FilterClientException defaultTrust = assertThrows(FilterClientException.class, () ->
                connect(filter, ClientTls.builder().build()).close());
            assertTrue(defaultTrust.getMessage().contains("TLS handshake"), defaultTrust.getMessage());
            final FilterClientException wrongName = assertThrows(FilterClientException.class, () -> connect(filter,
                trustingCa().serverName("iys-filter.example.com").build()).close());
            assertTrue(wrongName.getMessage().contains("TLS handshake"), wrongName.getMessage());
            try (FilterClient byName = connect(filter, trustingCa().serverName("localhost").build());
                FilterClient unverified = connect(filter, trustingCa().serverName("iys-filter.example.com")
                    .insecureNoHostnameVerification().build()))
            {
                assertEquals(server.serial(), serial(byName), "the certificate names localhost too");
                assertEquals(server.serial(), serial(unverified), "only when verification is switched off");
            }
            final char[] password = "changeit".toCharArray();
            final Path store = TestCertificates.trustStore(dir.resolve("trust.p12"), password, ca);
            try (FilterClient byStore = connect(filter, ClientTls.builder().trustStore(store, password).build()))
            {
                assertEquals(server.serial(), serial(byStore), "a PKCS#12 trust store");
            }
        }
    }

    @Test
    void shouldRefuseToStartWithAnExpiredCertificateOrAKeyOfAnotherCertificate() throws Exception
    {
        final Instant now = Instant.now();
        final TestCertificates.Issued expired = TestCertificates.leaf(dir, "expired", ca, true,
            now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)));
        final IllegalArgumentException old = assertThrows(IllegalArgumentException.class,
            () -> start(TlsSettings.of(expired.certFile(), expired.keyFile(), null)).close());
        assertTrue(old.getMessage().startsWith("tls-cert-file: " + expired.certFile()) &&
            old.getMessage().contains("expired on"), old.getMessage());
        final IllegalArgumentException mismatched = assertThrows(IllegalArgumentException.class,
            () -> start(TlsSettings.of(server.certFile(), client.keyFile(), null)).close());
        assertTrue(mismatched.getMessage().startsWith("tls-key-file: " + client.keyFile()) &&
            mismatched.getMessage().contains("is not the key of the certificate"), mismatched.getMessage());
        final Path pkcs1 = Files.writeString(dir.resolve("rsa.key"),
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        final IllegalArgumentException wrongFormat = assertThrows(IllegalArgumentException.class,
            () -> start(TlsSettings.of(server.certFile(), pkcs1, null)).close());
        assertTrue(wrongFormat.getMessage().contains("pkcs8"), wrongFormat.getMessage());
        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> start(TlsSettings.of(dir.resolve("none.crt"), server.keyFile(), null)).close());
        assertTrue(missing.getMessage().startsWith("tls-cert-file: cannot read"), missing.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = TlsSettings.Provider.class, names = {"JDK", "OPENSSL"})
    void shouldRequireAClientCertificateTheClientCaSigned(final TlsSettings.Provider provider) throws Exception
    {
        assumeTrue(provider != TlsSettings.Provider.OPENSSL || OpenSsl.isAvailable(),
            "netty-tcnative does not load on this platform: " + OpenSsl.unavailabilityCause());
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), ca.certFile())
            .withProvider(provider)))
        {
            assertEquals(TlsSettings.ClientAuth.REQUIRE, filter.tls().settings().clientAuth(), "the default");
            assertThrows(FilterClientException.class, () -> connect(filter, trustingCa().build()).close(),
                "no client certificate");
            assertThrows(FilterClientException.class, () -> connect(filter, trustingCa()
                .clientCertificate(strangerClient.certFile(), strangerClient.keyFile()).build()).close(),
                "a client certificate of another CA (which the client does not even offer)");
            assertRefusedPresenting(strangerClient, filter.binaryPort(), "one of another CA, offered anyway");
            final Instant now = Instant.now();
            final TestCertificates.Issued expired = TestCertificates.leaf(dir, "expired-client", ca, false,
                now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)));
            assertThrows(FilterClientException.class, () -> connect(filter, trustingCa()
                .clientCertificate(expired.certFile(), expired.keyFile()).build()).close(), "an expired one");
            await(() -> filter.tls().handshakeFailures(Endpoint.BINARY, ServerTls.Failure.CERTIFICATE) == 4,
                "each counted as a certificate failure");
            try (FilterClient good = connect(filter, trustingCa()
                .clientCertificate(client.certFile(), client.keyFile()).build()))
            {
                assertEquals(Reason.CONSENT, good.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason());
            }
        }
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), ca.certFile())
            .withClientAuth(TlsSettings.ClientAuth.OPTIONAL).withProvider(provider)))
        {
            try (FilterClient anonymous = connect(filter, trustingCa().build());
                FilterClient known = connect(filter, trustingCa()
                    .clientCertificate(client.certFile(), client.keyFile()).build()))
            {
                assertEquals(Reason.CONSENT, anonymous.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason(), "optional");
                assertEquals(Reason.CONSENT, known.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason());
            }
            assertRefusedPresenting(strangerClient, filter.binaryPort(),
                "optional still refuses an untrusted certificate");
            await(() -> filter.tls().handshakeFailures(Endpoint.BINARY, ServerTls.Failure.CERTIFICATE) == 1,
                "counted as a certificate failure");
        }
    }

    @Test
    void shouldRefuseTls12UnlessAllowed() throws Exception
    {
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), null)))
        {
            final FilterClientException refused = assertThrows(FilterClientException.class, () -> connect(filter,
                trustingCa().protocols(TlsSettings.TLS_12).build()).close());
            assertTrue(refused.getMessage().contains("TLS handshake"), refused.getMessage());
            await(() -> filter.tls().handshakeFailures(Endpoint.BINARY, ServerTls.Failure.PROTOCOL) == 1,
                "counted as a protocol failure");
        }
        try (FilterServer filter = start(TlsSettings.of(server.certFile(), server.keyFile(), null)
            .withProtocols(List.of(TlsSettings.TLS_13, TlsSettings.TLS_12)));
            FilterClient old = connect(filter, trustingCa().protocols(TlsSettings.TLS_12).build()))
        {
            assertEquals(Reason.CONSENT, old.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason());
        }
    }

    @Test
    void shouldServeARotatedCertificateToNewConnectionsWhileOpenOnesKeepChecking() throws Exception
    {
        final Path certFile = Files.copy(server.certFile(), dir.resolve("live.crt"));
        final Path keyFile = Files.copy(server.keyFile(), dir.resolve("live.key"));
        final TestCertificates.Issued renewed = TestCertificates.server(dir, "renewed", ca);
        try (FilterServer filter = start(TlsSettings.of(certFile, keyFile, null).withTimes(0,
            TlsSettings.HANDSHAKE_TIMEOUT_MS_DEFAULT));
            FilterClient steady = connect(filter, trustingCa().build()))
        {
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong checks = new AtomicLong();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread checking = new Thread(() ->
            {
                try
                {
                    final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS * 3);
                    while (!stop.get() && System.nanoTime() - endNs < 0)
                    {
                        final CheckResult result = steady.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                            RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED);
                        if (result.reason() != Reason.CONSENT)
                        {
                            throw new AssertionError("answer changed: " + result);
                        }
                        checks.incrementAndGet();
                    }
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            }, "tls-steady-checker");
            checking.start();
            await(() -> checks.get() >= 100 || failure.get() != null, "checking before the rotation");

            assertFalse(filter.tls().reloadIfChanged(), "nothing changed yet");
            TestCertificates.install(renewed, certFile, keyFile);
            assertTrue(filter.tls().reloadIfChanged(), "the renewed pair is taken");
            assertEquals(1, filter.tls().reloads("ok"));
            final long atRotation = checks.get();
            try (FilterClient fresh = connect(filter, trustingCa().build()))
            {
                assertEquals(renewed.serial(), serial(fresh), "a new connection gets the renewed certificate");
            }
            await(() -> checks.get() >= atRotation + 100 || failure.get() != null, "checking after the rotation");
            stop.set(true);
            checking.join(DEADLINE_MS);
            assertNull(failure.get(), () -> "a check failed: " + failure.get());
            assertEquals(server.serial(), serial(steady), "the open connection kept its session");

            // a bad pair (the certificate of one, the key of another) is refused; the renewed one keeps serving
            Files.copy(server.certFile(), certFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertFalse(filter.tls().reloadIfChanged());
            assertFalse(filter.tls().reloadIfChanged(), "refused once, not again until the files change");
            assertEquals(1, filter.tls().reloads("failed"));
            try (FilterClient fresh = connect(filter, trustingCa().build()))
            {
                assertEquals(renewed.serial(), serial(fresh), "the old context still serves");
            }
        }
    }

    @Test
    void shouldNoticeChangedFilesOnItsOwnEveryInterval() throws Exception
    {
        final Path certFile = Files.copy(server.certFile(), dir.resolve("live.crt"));
        final Path keyFile = Files.copy(server.keyFile(), dir.resolve("live.key"));
        final TestCertificates.Issued renewed = TestCertificates.server(dir, "renewed", ca);
        try (FilterServer filter = start(TlsSettings.of(certFile, keyFile, null).withTimes(100,
            TlsSettings.HANDSHAKE_TIMEOUT_MS_DEFAULT)))
        {
            TestCertificates.install(renewed, certFile, keyFile);
            await(() -> filter.tls().reloads("ok") == 1, "reloaded by the watcher");
            try (FilterClient fresh = connect(filter, trustingCa().build()))
            {
                assertEquals(renewed.serial(), serial(fresh));
            }
        }
    }

    private FilterServer start(final TlsSettings tls) throws Exception
    {
        return FilterServer.start(Fixtures.context(dataDir).milterPort(-1).tls(tls));
    }

    private static ClientTls.Builder trustingCa()
    {
        return ClientTls.builder().trustCaFile(ca.certFile());
    }

    private static FilterClient connect(final FilterServer filter, final ClientTls tls)
    {
        return FilterClient.connect(new FilterClient.Options("127.0.0.1", filter.binaryPort(), 5_000, 5_000, 0)
            .withTls(tls));
    }

    private static BigInteger serial(final FilterClient client)
    {
        return ((X509Certificate)client.serverCertificates().get(0)).getSerialNumber();
    }

    private static SSLContext sslContextTrusting(final TestCertificates.Issued authority) throws Exception
    {
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers(authority), null);
        return context;
    }

    private static TrustManager[] trustManagers(final TestCertificates.Issued authority) throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", authority.certificate());
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        return trust.getTrustManagers();
    }

    /**
     * Offer a client certificate whatever CAs the server names (a standard client offers none of another CA), then
     * expect the server to end the connection instead of answering.
     */
    private static void assertRefusedPresenting(final TestCertificates.Issued offered, final int port,
        final String what) throws Exception
    {
        final X509ExtendedKeyManager always = new X509ExtendedKeyManager()
        {
            @Override
            public String[] getClientAliases(final String keyType, final Principal[] issuers)
            {
                return new String[]{"c"};
            }

            @Override
            public String chooseClientAlias(final String[] keyType, final Principal[] issuers, final Socket socket)
            {
                return "c";
            }

            @Override
            public String[] getServerAliases(final String keyType, final Principal[] issuers)
            {
                return null;
            }

            @Override
            public String chooseServerAlias(final String keyType, final Principal[] issuers, final Socket socket)
            {
                return null;
            }

            @Override
            public X509Certificate[] getCertificateChain(final String alias)
            {
                return new X509Certificate[]{offered.certificate()};
            }

            @Override
            public PrivateKey getPrivateKey(final String alias)
            {
                return offered.keys().getPrivate();
            }
        };
        final SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(new KeyManager[]{always}, trustManagers(ca), null);
        try (SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket("127.0.0.1", port))
        {
            socket.setSoTimeout((int)DEADLINE_MS);
            boolean refused;
            try
            {
                socket.startHandshake();
                socket.getOutputStream().write(HELLO);
                socket.getOutputStream().flush();
                refused = socket.getInputStream().read() < 0;
            }
            catch (final IOException ex)
            {
                refused = true;
            }
            assertTrue(refused, what);
        }
    }

    private static void assertClosedAfterSending(final int port, final byte[] bytes) throws Exception
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port));
            socket.setSoTimeout((int)DEADLINE_MS);
            final OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            final InputStream in = socket.getInputStream();
            final byte[] buffer = new byte[256];
            int read;
            try
            {
                do
                {
                    read = in.read(buffer);
                    final String answer = read < 0 ? "" : new String(buffer, 0, read, StandardCharsets.ISO_8859_1);
                    assertFalse(answer.contains("HTTP") || answer.contains("WELCOME"), "no plaintext answer");
                }
                while (read >= 0);
            }
            catch (final java.net.SocketException ex)
            {
                // reset by the server: closed too
            }
        }
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("not within " + DEADLINE_MS + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }
}
