package io.iysfilter.server.net;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The certificate chain, key and client CA read from their PEM files and checked together: each file readable and
 * well formed, the key the first certificate's, that certificate valid now. Read once from bytes, so what is
 * checked is what is served even while a rotation rewrites the files.
 *
 * @param chain     the server's certificate first.
 * @param key       its private key.
 * @param clientCas the client CA's certificates, empty for none.
 * @param stamp     size, modification time and SHA-256 of each file, to notice a change.
 */
record TlsMaterial(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> clientCas, String stamp)
{
    private static final Pattern PRIVATE_KEY = Pattern.compile(
        "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    /**
     * @param settings where the files are.
     * @param nowMs    the time the certificate must be valid at.
     * @return the material.
     * @throws IllegalArgumentException naming the setting and the file when something is unreadable or wrong.
     */
    static TlsMaterial read(final TlsSettings settings, final long nowMs)
    {
        final byte[] certBytes = bytes("tls-cert-file", settings.certFile());
        final byte[] keyBytes = bytes("tls-key-file", settings.keyFile());
        final byte[] caBytes = settings.clientCaFile() == null ? null :
            bytes("tls-client-ca-file", settings.clientCaFile());
        final List<X509Certificate> chain = certificates("tls-cert-file", settings.certFile(), certBytes);
        final X509Certificate leaf = chain.get(0);
        try
        {
            leaf.checkValidity(new Date(nowMs));
        }
        catch (final CertificateExpiredException ex)
        {
            throw new IllegalArgumentException("tls-cert-file: " + settings.certFile() + ": the certificate " +
                describe(leaf) + " expired on " + leaf.getNotAfter().toInstant() + " (renew it)");
        }
        catch (final CertificateNotYetValidException ex)
        {
            throw new IllegalArgumentException("tls-cert-file: " + settings.certFile() + ": the certificate " +
                describe(leaf) + " is not valid before " + leaf.getNotBefore().toInstant() + " (check the clock)");
        }
        final PrivateKey key = privateKey(settings.keyFile(), keyBytes, leaf.getPublicKey());
        if (!matches(key, leaf.getPublicKey()))
        {
            throw new IllegalArgumentException("tls-key-file: " + settings.keyFile() + " is not the key of the " +
                "certificate " + describe(leaf) + " in " + settings.certFile() + " (a rotation must replace both)");
        }
        final List<X509Certificate> cas = caBytes == null ? List.of() :
            certificates("tls-client-ca-file", settings.clientCaFile(), caBytes);
        final StringBuilder stamp = new StringBuilder();
        stamp(stamp, settings.certFile(), certBytes);
        stamp(stamp, settings.keyFile(), keyBytes);
        if (caBytes != null)
        {
            stamp(stamp, settings.clientCaFile(), caBytes);
        }
        return new TlsMaterial(List.copyOf(chain), key, cas, stamp.toString());
    }

    /**
     * @param settings where the files are.
     * @return their stamp now (size, modification time and digest of each), or a text naming what cannot be read.
     */
    static String stamp(final TlsSettings settings)
    {
        final StringBuilder stamp = new StringBuilder();
        for (final Path file : new Path[]{settings.certFile(), settings.keyFile(), settings.clientCaFile()})
        {
            if (file != null)
            {
                try
                {
                    stamp(stamp, file, Files.readAllBytes(file));
                }
                catch (final IOException ex)
                {
                    stamp.append(file).append(" unreadable: ").append(ex).append(';');
                }
            }
        }
        return stamp.toString();
    }

    /**
     * @param certificate a certificate.
     * @return its subject and serial, for a log line.
     */
    static String describe(final X509Certificate certificate)
    {
        return "'" + certificate.getSubjectX500Principal().getName() + "' (serial " +
            certificate.getSerialNumber().toString(16) + ")";
    }

    private static void stamp(final StringBuilder stamp, final Path file, final byte[] bytes)
    {
        long modifiedMs = -1;
        try
        {
            modifiedMs = Files.getLastModifiedTime(file).toMillis();
        }
        catch (final IOException ex)
        {
            // the digest still tells a change
        }
        try
        {
            stamp.append(file).append(' ').append(bytes.length).append(' ').append(modifiedMs).append(' ')
                .append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).append(';');
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("SHA-256 is missing from this JDK", ex);
        }
    }

    private static byte[] bytes(final String setting, final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(setting + ": cannot read " + file + ": " + ex);
        }
    }

    private static List<X509Certificate> certificates(final String setting, final Path file, final byte[] pem)
    {
        final List<X509Certificate> certificates = new ArrayList<>();
        try
        {
            for (final Certificate certificate : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem)))
            {
                certificates.add((X509Certificate)certificate);
            }
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            throw new IllegalArgumentException(setting + ": " + file + " is no PEM certificate chain: " + ex);
        }
        if (certificates.isEmpty())
        {
            throw new IllegalArgumentException(setting + ": " + file + " holds no certificate (expected: PEM " +
                "-----BEGIN CERTIFICATE----- blocks)");
        }
        return certificates;
    }

    private static PrivateKey privateKey(final Path file, final byte[] pem, final PublicKey certified)
    {
        final String text = new String(pem, StandardCharsets.US_ASCII);
        final Matcher block = PRIVATE_KEY.matcher(text);
        if (!block.find())
        {
            final String hint = text.contains("ENCRYPTED PRIVATE KEY") ? "an encrypted key: the server reads an " +
                "unencrypted one, readable by its user only" : text.contains("RSA PRIVATE KEY") ||
                text.contains("EC PRIVATE KEY") ? "a PKCS#1/SEC1 key: convert it with openssl pkcs8 -topk8 -nocrypt" :
                "no PEM key";
            throw new IllegalArgumentException("tls-key-file: " + file + " is " + hint + " (expected: PKCS#8 PEM, " +
                "-----BEGIN PRIVATE KEY-----)");
        }
        final byte[] der;
        try
        {
            der = Base64.getMimeDecoder().decode(block.group(1));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("tls-key-file: " + file + " is no valid PEM: " + ex.getMessage());
        }
        final String algorithm = certified.getAlgorithm();
        try
        {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("tls-key-file: " + file + " is no " + algorithm + " PKCS#8 key, " +
                "the certificate's algorithm (" + ex.getMessage() + ")");
        }
    }

    /**
     * Whether a signature made with the key verifies with the certificate's public key.
     */
    private static boolean matches(final PrivateKey key, final PublicKey certified)
    {
        final String algorithm = switch (certified.getAlgorithm())
        {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> certified.getAlgorithm();
        };
        try
        {
            final byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certified);
            verifier.update(challenge);
            return verifier.verify(signature);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("tls-key-file: cannot check the key against the certificate (" +
                algorithm + "): " + ex);
        }
    }
}
