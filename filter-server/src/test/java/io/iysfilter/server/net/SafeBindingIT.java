package io.iysfilter.server.net;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.Scrape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The safe-binding rule at start, in process. Every server here listens on 127.0.0.1 only: a bind "beyond loopback"
 * is either refused before anything is bound, or made so by a resolver that tells the rule 127.0.0.1 is an interface
 * address (10.9.8.7), so that the insecure start is seen without listening anywhere but loopback.
 */
@Timeout(120)
class SafeBindingIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final BindSafety.Resolver LOOPBACK_SEEN_AS_INTERFACE = host ->
        new InetAddress[]{InetAddress.getByAddress(host, new byte[]{10, 9, 8, 7})};

    @TempDir
    static Path dataDir;

    @BeforeAll
    static void writeIndex() throws Exception
    {
        Fixtures.write(dataDir);
    }

    @Test
    void shouldRefuseAnAddressBeyondLoopbackBeforeOpeningAnything() throws Exception
    {
        final Path untouched = dataDir.resolveSibling(dataDir.getFileName() + "-untouched");
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            FilterServer.start(Fixtures.context(untouched).bindAddress("127.0.0.1")
                .resolver(LOOPBACK_SEEN_AS_INTERFACE)));
        assertTrue(refused.getMessage().contains("without protection on bind=127.0.0.1"), refused.getMessage());
        assertTrue(refused.getMessage().contains("tls-cert-file and clients-file"), refused.getMessage());
        assertTrue(refused.getMessage().contains("milter-allow"), refused.getMessage());
        assertTrue(refused.getMessage().contains("insecure-plaintext=true"), refused.getMessage());
        assertFalse(Files.exists(untouched), "refused before the data directory is opened");
    }

    @Test
    void shouldRefuseAWildcardAdminListener()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            FilterServer.start(Fixtures.context(dataDir).milterPort(-1).adminPort(0).adminBindAddress("::")));
        assertTrue(refused.getMessage().contains("admin-bind-address=::"), refused.getMessage());
        assertFalse(refused.getMessage().contains("bind=127.0.0.1"), refused.getMessage());
    }

    @Test
    void shouldRefuseAMilterBeyondLoopbackWithoutAnAllowList()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            FilterServer.start(Fixtures.context(dataDir).resolver(LOOPBACK_SEEN_AS_INTERFACE).milterPort(0)));
        assertTrue(refused.getMessage().contains("bind (milter-port)=127.0.0.1"), refused.getMessage());
        assertTrue(refused.getMessage().contains("milter-allow, or milter-socket instead"), refused.getMessage());
    }

    @Test
    void shouldRefuseTheRespPortBeyondLoopbackWithoutTlsAndAClientsFile()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () ->
            FilterServer.start(Fixtures.context(dataDir).resolver(LOOPBACK_SEEN_AS_INTERFACE).milterPort(-1)
                .respPort(0)));
        assertTrue(refused.getMessage().contains("bind (resp-port)=127.0.0.1"), refused.getMessage());
        assertTrue(refused.getMessage().contains("the binary, HTTP, RESP and admin ports need TLS and " +
            "authentication there"), refused.getMessage());
    }

    @Test
    void shouldStartBeyondLoopbackWithInsecurePlaintextAndSaySoInTheGaugeAndReadiness() throws Exception
    {
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).resolver(LOOPBACK_SEEN_AS_INTERFACE)
            .milterPort(-1).insecurePlaintext(true)))
        {
            assertEquals(1.0, Scrape.series(server.httpPort()).get("iys_insecure_plaintext"));
            final String ready = get(server.httpPort(), "/health/ready");
            assertTrue(ready.contains("\"insecurePlaintext\":true"), ready);
        }
    }

    @Test
    void shouldReadZeroAndSayNothingOnLoopback() throws Exception
    {
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).milterPort(-1)
            .insecurePlaintext(true)))
        {
            assertEquals(0.0, Scrape.series(server.httpPort()).get("iys_insecure_plaintext"));
            final String ready = get(server.httpPort(), "/health/ready");
            assertFalse(ready.contains("insecurePlaintext"), ready);
        }
    }

    private static String get(final int port, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }
}
