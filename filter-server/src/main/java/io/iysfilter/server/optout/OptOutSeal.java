package io.iysfilter.server.optout;

import io.iysfilter.server.index.IndexKey;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Seals one brand's opt-out log records with AES-256-GCM (docs/SECURITY.md §6), so the log keeps recipients
 * recoverable for the upload to İYS without holding them in plain.
 * <pre>
 *   sealed = base64( version ‖ nonce ‖ ciphertext ‖ tag )
 *   version = 0x01 (1 byte), nonce = 12 random bytes, tag = 16 bytes
 *   key     = HMAC-SHA-256 of the key file's key over "optouts/&lt;brand code&gt;" ({@link IndexKey#derive})
 *   AAD     = "iys-filter optouts v1" ‖ version ‖ brand code (8 bytes, big-endian) ‖ line (8 bytes, big-endian)
 * </pre>
 * The line is the record's 0-based line number in the log, so a record moved to another line (records swapped,
 * reordered, one taken out of the middle) or into another brand's log no longer opens.
 * <p>
 * Threading: not thread-safe; one instance per thread (it reuses one {@link Cipher}).
 */
final class OptOutSeal
{
    /** The sealed format's version, the first byte of each sealed record. */
    static final byte VERSION = 1;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;
    private static final int TAG_LENGTH = TAG_BITS / 8;
    private static final byte[] AAD_LABEL = "iys-filter optouts v1".getBytes(StandardCharsets.US_ASCII);
    private static final int AAD_LENGTH = AAD_LABEL.length + 1 + 2 * Long.BYTES;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final long brandCode;
    private final SecretKeySpec key;
    private final Cipher cipher;
    private final byte[] aad = new byte[AAD_LENGTH];
    private final byte[] nonce = new byte[NONCE_LENGTH];

    private OptOutSeal(final long brandCode, final byte[] keyBytes)
    {
        this.brandCode = brandCode;
        this.key = new SecretKeySpec(keyBytes, "AES");
        Arrays.fill(keyBytes, (byte)0);
        try
        {
            this.cipher = Cipher.getInstance(TRANSFORMATION);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES-GCM unavailable", ex);
        }
        System.arraycopy(AAD_LABEL, 0, aad, 0, AAD_LABEL.length);
        aad[AAD_LABEL.length] = VERSION;
    }

    /**
     * @param indexKey  the key file's key.
     * @param brandCode İYS brand code.
     * @return a seal for the brand's log, for the calling thread.
     */
    static OptOutSeal forBrand(final IndexKey indexKey, final long brandCode)
    {
        return new OptOutSeal(brandCode, indexKey.derive("optouts/" + brandCode));
    }

    /**
     * @return the brand whose log this seals.
     */
    long brandCode()
    {
        return brandCode;
    }

    /**
     * @param line    the record's 0-based line number in the log.
     * @param payload one JSON object.
     * @return the sealed record, base64 (no line break).
     */
    String seal(final long line, final String payload)
    {
        RANDOM.nextBytes(nonce);
        final byte[] plain = payload.getBytes(StandardCharsets.UTF_8);
        final byte[] sealed = new byte[1 + NONCE_LENGTH + plain.length + TAG_LENGTH];
        sealed[0] = VERSION;
        System.arraycopy(nonce, 0, sealed, 1, NONCE_LENGTH);
        try
        {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(line));
            final int written = cipher.doFinal(plain, 0, plain.length, sealed, 1 + NONCE_LENGTH);
            if (written != plain.length + TAG_LENGTH)
            {
                throw new IllegalStateException("AES-GCM wrote " + written + " bytes");
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("cannot seal an opt-out record", ex);
        }
        finally
        {
            Arrays.fill(plain, (byte)0);
        }
        return Base64.getEncoder().encodeToString(sealed);
    }

    /**
     * @param line   the record's 0-based line number in the log.
     * @param sealed what {@link #seal} made.
     * @return the payload.
     * @throws AEADBadTagException when the record does not open: not sealed by this seal's key for this brand and
     *                             line, or altered.
     */
    String open(final long line, final String sealed) throws AEADBadTagException
    {
        final byte[] bytes;
        try
        {
            bytes = Base64.getDecoder().decode(sealed);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new AEADBadTagException("not base64: " + ex.getMessage());
        }
        if (bytes.length < 1 + NONCE_LENGTH + TAG_LENGTH || bytes[0] != VERSION)
        {
            throw new AEADBadTagException("not a sealed record of version " + VERSION + " (" + bytes.length +
                " bytes" + (bytes.length > 0 ? ", version " + bytes[0] : "") + ")");
        }
        try
        {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 1, NONCE_LENGTH));
            cipher.updateAAD(aad(line));
            final byte[] plain = cipher.doFinal(bytes, 1 + NONCE_LENGTH, bytes.length - 1 - NONCE_LENGTH);
            return new String(plain, StandardCharsets.UTF_8);
        }
        catch (final AEADBadTagException ex)
        {
            throw ex;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("cannot open an opt-out record", ex);
        }
    }

    private byte[] aad(final long line)
    {
        ByteBuffer.wrap(aad, AAD_LABEL.length + 1, 2 * Long.BYTES).putLong(brandCode).putLong(line);
        return aad;
    }
}
