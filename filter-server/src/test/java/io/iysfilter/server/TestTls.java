package io.iysfilter.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS for tests without a certificate library: self-signed EC key pairs made by the JDK's {@code keytool}, contexts
 * that trust exactly one peer, and byte pumping between two embedded channels.
 */
public final class TestTls
{
    private static final char[] PASSWORD = "changeit".toCharArray();

    private TestTls()
    {
    }

    /**
     * @param dir     where the store goes.
     * @param name    its name and alias.
     * @param subject the certificate's subject, e.g. {@code CN=Beta Gateway 1, O=Beta, C=TR}.
     * @return a PKCS#12 store holding a new self-signed EC key pair for {@code subject}.
     * @throws Exception when keytool fails.
     */
    public static Path keyPair(final Path dir, final String name, final String subject) throws Exception
    {
        final Path store = dir.resolve(name + ".p12");
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", name,
            "-keyalg", "EC", "-groupname", "secp256r1", "-dname", subject, "-validity", "2", "-storetype", "PKCS12",
            "-keystore", store.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)))
            .redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "keytool: " + output);
        return store;
    }

    /**
     * @param own     the store of this side's key pair.
     * @param trusted the store of the one peer this side trusts.
     * @return a TLS 1.3 context.
     * @throws Exception when the stores cannot be read.
     */
    public static SSLContext context(final Path own, final Path trusted) throws Exception
    {
        final KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(own), PASSWORD);
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        final KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        final KeyStore other = load(trusted);
        final String alias = other.aliases().nextElement();
        trustStore.setCertificateEntry(alias, other.getCertificate(alias));
        trust.init(trustStore);
        final SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    private static KeyStore load(final Path file) throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file))
        {
            store.load(in, PASSWORD);
        }
        return store;
    }

    /**
     * Move every message each side has written to the other, both ways, until neither has anything left.
     *
     * @param client one side.
     * @param server the other.
     */
    public static void pump(final EmbeddedChannel client, final EmbeddedChannel server)
    {
        boolean moved = true;
        while (moved)
        {
            client.runPendingTasks();
            server.runPendingTasks();
            moved = move(client, server) | move(server, client);
        }
    }

    private static boolean move(final EmbeddedChannel from, final EmbeddedChannel to)
    {
        boolean moved = false;
        Object message;
        while ((message = from.readOutbound()) != null)
        {
            if (to.isActive())
            {
                to.writeInbound(message);
            }
            else
            {
                ((ByteBuf)message).release();
            }
            moved = true;
        }
        return moved;
    }
}
