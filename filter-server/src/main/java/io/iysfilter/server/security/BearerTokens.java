package io.iysfilter.server.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Bearer tokens: {@value #PREFIX} and 32 random bytes in unpadded base64url (256 bits of entropy), kept by the
 * server only as {@code sha256:<64 hex digits>} of the token's ASCII bytes.
 * <p>
 * Why one SHA-256 and not a slow password hash: a slow hash (PBKDF2, bcrypt) makes guessing a <em>low-entropy</em>
 * secret from its hash expensive. A token of 256 random bits cannot be guessed from its digest however fast the
 * digest is (2^256 candidates, and SHA-256 is preimage resistant), while a slow hash would cost every binary HELLO and
 * every HTTP request milliseconds of CPU and hand an unauthenticated peer a cheap way to burn the server's CPU.
 * Tokens are made only by {@link #generate(SecureRandom)}, never chosen by a person.
 */
public final class BearerTokens
{
    /** What every token begins with, so that one found in a log or a repository is recognisable. */
    public static final String PREFIX = "iysf_";
    /** Random bytes in a token. */
    public static final int RANDOM_BYTES = 32;
    /** Longest token accepted on the wire; anything longer is no token of ours. */
    public static final int MAX_LENGTH = 254;
    /** How a digest is written in the clients file. */
    public static final String HASH_PREFIX = "sha256:";
    /** Length of a SHA-256 digest. */
    public static final int DIGEST_LENGTH = 32;

    private BearerTokens()
    {
    }

    /**
     * @param random a source of random bytes.
     * @return a new token.
     */
    public static String generate(final SecureRandom random)
    {
        final byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * @param token a token.
     * @return the line that stores it in the clients file's value form: {@code sha256:<hex>}.
     */
    public static String hash(final String token)
    {
        return HASH_PREFIX + HexFormat.of().formatHex(digest(token.getBytes(StandardCharsets.US_ASCII)));
    }

    /**
     * @param token a token's bytes as sent.
     * @return their SHA-256 digest.
     */
    public static byte[] digest(final byte[] token)
    {
        return sha256().digest(token);
    }

    /**
     * @param text the value of a {@code token} key, e.g. {@code sha256:9f86…}.
     * @return the digest it names, or null when it is not {@code sha256:} and 64 hexadecimal digits.
     */
    static byte[] parseHash(final String text)
    {
        if (!text.startsWith(HASH_PREFIX) || text.length() != HASH_PREFIX.length() + 2 * DIGEST_LENGTH)
        {
            return null;
        }
        try
        {
            return HexFormat.of().parseHex(text, HASH_PREFIX.length(), text.length());
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every Java platform has SHA-256", ex);
        }
    }
}
