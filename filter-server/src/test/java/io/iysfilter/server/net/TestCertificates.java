package io.iysfilter.server.net;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates for the TLS tests, made per run in a temporary directory (never committed): CAs, server certificates
 * for 127.0.0.1 and localhost, client certificates, expired ones. EC P-256 keys, PEM files (the key PKCS#8).
 */
public final class TestCertificates
{
    private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime() & 0xFFFF_FFFFL);

    private TestCertificates()
    {
    }

    /**
     * A certificate, its key and where they were written.
     *
     * @param certificate the certificate.
     * @param keys        its key pair.
     * @param certFile    PEM certificate.
     * @param keyFile     PEM PKCS#8 key.
     */
    public record Issued(X509Certificate certificate, KeyPair keys, Path certFile, Path keyFile)
    {
        /**
         * @return the serial number.
         */
        public BigInteger serial()
        {
            return certificate.getSerialNumber();
        }
    }

    /**
     * @param dir  where to write {@code NAME.crt} and {@code NAME.key}.
     * @param name file name and common name.
     * @return a self-signed CA valid from an hour ago for a year.
     */
    public static Issued ca(final Path dir, final String name)
    {
        final KeyPair keys = keyPair();
        final X500Name subject = new X500Name("CN=" + name);
        final Instant now = Instant.now();
        try
        {
            final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, nextSerial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(365))), subject,
                keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return write(dir, name, sign(builder, keys), keys);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @param dir  where to write.
     * @param name file name and common name.
     * @param ca   the issuer.
     * @return a server certificate for 127.0.0.1 and localhost, valid from an hour ago for 90 days.
     */
    public static Issued server(final Path dir, final String name, final Issued ca)
    {
        final Instant now = Instant.now();
        return leaf(dir, name, ca, true, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(90)));
    }

    /**
     * @param dir  where to write.
     * @param name file name and common name (the client's id under mutual TLS).
     * @param ca   the issuer.
     * @return a client certificate valid from an hour ago for 90 days.
     */
    public static Issued client(final Path dir, final String name, final Issued ca)
    {
        final Instant now = Instant.now();
        return leaf(dir, name, ca, false, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(90)));
    }

    /**
     * @param dir       where to write.
     * @param name      file name and common name.
     * @param ca        the issuer.
     * @param server    true for a server certificate (127.0.0.1, localhost), false for a client's.
     * @param notBefore start of validity.
     * @param notAfter  end of validity.
     * @return the certificate.
     */
    public static Issued leaf(final Path dir, final String name, final Issued ca, final boolean server,
        final Instant notBefore, final Instant notAfter)
    {
        final KeyPair keys = keyPair();
        try
        {
            final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(),
                nextSerial(), Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + name),
                keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
            if (server)
            {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, "localhost")}));
            }
            return write(dir, name, sign(builder, ca.keys()), keys);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @param file     the PKCS#12 trust store to write.
     * @param password its password.
     * @param ca       the one CA it trusts.
     * @return the file.
     */
    public static Path trustStore(final Path file, final char[] password, final Issued ca)
    {
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, password);
            store.setCertificateEntry("ca", ca.certificate());
            try (var out = Files.newOutputStream(file))
            {
                store.store(out, password);
            }
            return file;
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Copy a certificate and key over the given files (a rotation), each replaced by a rename.
     *
     * @param from     the new pair.
     * @param certFile where the server reads its certificate.
     * @param keyFile  where it reads its key.
     */
    public static void install(final Issued from, final Path certFile, final Path keyFile)
    {
        try
        {
            replace(from.certFile(), certFile);
            replace(from.keyFile(), keyFile);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void replace(final Path from, final Path to) throws IOException
    {
        final Path temp = to.resolveSibling(to.getFileName() + ".new");
        Files.copy(from, temp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static X509Certificate sign(final X509v3CertificateBuilder builder, final KeyPair issuer)
    {
        try
        {
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static Issued write(final Path dir, final String name, final X509Certificate certificate,
        final KeyPair keys) throws IOException
    {
        final Path certFile = dir.resolve(name + ".crt");
        final Path keyFile = dir.resolve(name + ".key");
        try
        {
            Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        return new Issued(certificate, keys, certFile, keyFile);
    }

    private static String pem(final String type, final byte[] der)
    {
        return "-----BEGIN " + type + "-----\n" +
            Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static KeyPair keyPair()
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static BigInteger nextSerial()
    {
        return BigInteger.valueOf(SERIALS.incrementAndGet());
    }
}
