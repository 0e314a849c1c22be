package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.net.TestCertificates;
import io.iysfilter.server.net.TlsSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code check} and {@code scrub} against a server that requires TLS with client certificates.
 */
@Timeout(120)
class TlsClientCommandsIT
{
    @TempDir
    static Path dataDir;
    @TempDir
    static Path certs;
    private static FilterServer server;
    private static TestCertificates.Issued ca;
    private static TestCertificates.Issued client;

    @TempDir
    Path work;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        ca = TestCertificates.ca(certs, "ca");
        final TestCertificates.Issued serverCertificate = TestCertificates.server(certs, "server", ca);
        client = TestCertificates.client(certs, "dispatcher-1", ca);
        server = FilterServer.start(Fixtures.context(dataDir).milterPort(-1).tls(TlsSettings.of(
            serverCertificate.certFile(), serverCertificate.keyFile(), ca.certFile())));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    @Test
    void shouldCheckOverTlsWithAClientCertificate()
    {
        final String[] ask = {"check", "--brand", Long.toString(Fixtures.BRAND), "--channel", "MESAJ",
            "--recipient", Fixtures.CONSENTED, "--port", Integer.toString(server.binaryPort())};
        final Result allowed = run(ask, "--tls-ca-file", ca.certFile().toString(), "--tls-cert-file",
            client.certFile().toString(), "--tls-key-file", client.keyFile().toString());
        assertEquals(Main.EXIT_OK, allowed.exit, allowed.err);
        assertTrue(allowed.out.startsWith("ALLOW CONSENT"), allowed.out);

        final Result plaintext = run(ask);
        assertEquals(Main.EXIT_ERROR, plaintext.exit);
        final Result noCertificate = run(ask, "--tls-ca-file", ca.certFile().toString());
        assertEquals(Main.EXIT_ERROR, noCertificate.exit, "the server requires a client certificate");
        final Result wrongName = run(ask, "--tls-ca-file", ca.certFile().toString(), "--tls-cert-file",
            client.certFile().toString(), "--tls-key-file", client.keyFile().toString(), "--tls-server-name",
            "elsewhere.example");
        assertEquals(Main.EXIT_ERROR, wrongName.exit);
        assertTrue(wrongName.err.contains("TLS handshake"), wrongName.err);
        final Result half = run(ask, "--tls-cert-file", client.certFile().toString());
        assertEquals(Main.EXIT_ERROR, half.exit);
        assertTrue(half.err.contains("give --tls-cert-file and --tls-key-file together"), half.err);
    }

    @Test
    void shouldScrubOverTlsTrustingAPkcs12Store() throws Exception
    {
        final char[] password = "s3cret".toCharArray();
        final Path store = TestCertificates.trustStore(work.resolve("trust.p12"), password, ca);
        final Path passwordFile = Files.writeString(work.resolve("trust.password"), "s3cret\n");
        final Path list = Files.writeString(work.resolve("list.csv"),
            Fixtures.CONSENTED + "\n" + Fixtures.REJECTED + "\n");
        final Result scrubbed = run(new String[]{"scrub", "--brand", Long.toString(Fixtures.BRAND), "--channel",
            "MESAJ", "--in", list.toString(), "--allowed", work.resolve("allowed.csv").toString(), "--denied",
            work.resolve("denied.csv").toString(), "--port", Integer.toString(server.binaryPort()),
            "--tls-trust-store", store.toString(), "--tls-trust-store-password-file", passwordFile.toString(),
            "--tls-cert-file", client.certFile().toString(), "--tls-key-file", client.keyFile().toString()});
        assertEquals(Main.EXIT_OK, scrubbed.exit, scrubbed.err);
        assertEquals(List.of(Fixtures.CONSENTED), Files.readAllLines(work.resolve("allowed.csv")));
        assertEquals(1, Files.readAllLines(work.resolve("denied.csv")).size());
    }

    private record Result(int exit, String out, String err)
    {
    }

    private static Result run(final String[] command, final String... more)
    {
        final List<String> argv = new ArrayList<>(Arrays.asList(command));
        argv.addAll(Arrays.asList(more));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
