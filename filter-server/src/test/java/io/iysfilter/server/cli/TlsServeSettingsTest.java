package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.net.TlsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code tls-*} settings as {@code serve} reads them: TLS on with {@code tls-cert-file}, its defaults, and
 * what is refused before anything starts.
 */
class TlsServeSettingsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldBePlaintextWithoutACertificateAndTls13WithOne() throws Exception
    {
        assertNull(resolve("--data-dir", dir.toString()).tls());
        final TlsSettings tls = resolve("--data-dir", dir.toString(), "--tls-cert-file", "s.crt",
            "--tls-key-file", "s.key").tls();
        assertEquals(List.of("TLSv1.3"), tls.protocols());
        assertEquals(TlsSettings.ClientAuth.NONE, tls.clientAuth());
        assertEquals(TlsSettings.Provider.AUTO, tls.provider());
        assertEquals(30_000, tls.reloadIntervalMs());
        assertEquals(10_000, tls.handshakeTimeoutMs());
    }

    @Test
    void shouldRequireClientCertificatesWhenAClientCaIsGivenUnlessToldOptional() throws Exception
    {
        assertEquals(TlsSettings.ClientAuth.REQUIRE, resolve("--data-dir", dir.toString(), "--tls-cert-file",
            "s.crt", "--tls-key-file", "s.key", "--tls-client-ca-file", "ca.crt").tls().clientAuth());
        final TlsSettings optional = resolve("--data-dir", dir.toString(), "--tls-cert-file", "s.crt",
            "--tls-key-file", "s.key", "--tls-client-ca-file", "ca.crt", "--tls-client-auth", "optional",
            "--tls-protocols", "TLSv1.3,TLSv1.2", "--tls-provider", "jdk", "--tls-reload-interval", "off").tls();
        assertEquals(TlsSettings.ClientAuth.OPTIONAL, optional.clientAuth());
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), optional.protocols());
        assertEquals(TlsSettings.Provider.JDK, optional.provider());
        assertEquals(0, optional.reloadIntervalMs());
    }

    @Test
    void shouldRefuseOldProtocolsUnknownValuesAndHalfAConfiguration()
    {
        assertRefused("tls-protocols: 'TLSv1.1'", "--tls-cert-file", "s.crt", "--tls-key-file", "s.key",
            "--tls-protocols", "TLSv1.3,TLSv1.1");
        assertRefused("tls-provider: 'boring'", "--tls-cert-file", "s.crt", "--tls-key-file", "s.key",
            "--tls-provider", "boring");
        assertRefused("tls-client-auth: 'want'", "--tls-cert-file", "s.crt", "--tls-key-file", "s.key",
            "--tls-client-auth", "want");
        assertRefused("tls-key-file: missing", "--tls-cert-file", "s.crt");
        assertRefused("tls-cert-file: missing", "--tls-key-file", "s.key");
        assertRefused("tls-client-auth: require needs tls-client-ca-file", "--tls-cert-file", "s.crt",
            "--tls-key-file", "s.key", "--tls-client-auth", "require");
        assertRefused("tls-client-auth: none with tls-client-ca-file", "--tls-cert-file", "s.crt",
            "--tls-key-file", "s.key", "--tls-client-ca-file", "ca.crt", "--tls-client-auth", "none");
        assertRefused("tls-handshake-timeout: 'off'", "--tls-cert-file", "s.crt", "--tls-key-file", "s.key",
            "--tls-handshake-timeout", "off");
    }

    private void assertRefused(final String start, final String... options)
    {
        final String[] argv = new String[options.length + 2];
        argv[0] = "--data-dir";
        argv[1] = dir.toString();
        System.arraycopy(options, 0, argv, 2, options.length);
        final RuntimeException refused = assertThrows(RuntimeException.class, () -> resolve(argv));
        final String message = refused instanceof CommandLine.ParameterException && refused.getCause() != null ?
            refused.getCause().getMessage() : refused.getMessage();
        assertTrue(message.contains(start), message);
    }

    private static FilterServer.Context resolve(final String... argv) throws Exception
    {
        final CommandLine line = ServeCommand.commandLine(System.out);
        line.parseArgs(argv);
        final ServeCommand command = (ServeCommand)line.getCommandSpec().userObject();
        return ServeSettings.toContext(ServeSettings.read(command.configFile(), command.options(), Map.of())
            .values());
    }
}
