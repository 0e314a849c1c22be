package io.iysfilter.server.index;

/**
 * The Speck64/128 block cipher (Beaulieu, Shors, Smith, Treatman-Clark, Weeks and Wingers, "The SIMON and SPECK
 * Families of Lightweight Block Ciphers", 2013): a 64-bit block of two 32-bit words, a 128-bit key of four words,
 * 27 rounds with rotation amounts 8 and 3. Written from that specification; its published test vector is checked by
 * {@code Speck64Test}. Used as a keyed permutation of the 64-bit phone key (a bijection: no collisions, no growth).
 * <p>
 * The block's high 32 bits are the specification's {@code x}, its low 32 bits {@code y}. Encrypting and decrypting
 * allocate nothing; the expanded key is an {@code int[27]} that is only read after {@link #expandKey}.
 */
final class Speck64
{
    /** Rounds of Speck64/128. */
    static final int ROUNDS = 27;

    private Speck64()
    {
    }

    /**
     * Expand a key. The specification writes the key as the words {@code (l2, l1, l0, k0)}.
     *
     * @param k0 key word k0.
     * @param l0 key word l0.
     * @param l1 key word l1.
     * @param l2 key word l2.
     * @return the 27 round keys.
     */
    static int[] expandKey(final int k0, final int l0, final int l1, final int l2)
    {
        final int[] roundKeys = new int[ROUNDS];
        final int[] l = new int[ROUNDS + 2];
        l[0] = l0;
        l[1] = l1;
        l[2] = l2;
        roundKeys[0] = k0;
        for (int i = 0; i < ROUNDS - 1; i++)
        {
            l[i + 3] = (roundKeys[i] + Integer.rotateRight(l[i], 8)) ^ i;
            roundKeys[i + 1] = Integer.rotateLeft(roundKeys[i], 3) ^ l[i + 3];
        }
        return roundKeys;
    }

    /**
     * @param block     the plain block: x in the high word, y in the low.
     * @param roundKeys from {@link #expandKey}.
     * @return the encrypted block.
     */
    static long encrypt(final long block, final int[] roundKeys)
    {
        int x = (int)(block >>> 32);
        int y = (int)block;
        for (final int roundKey : roundKeys)
        {
            x = (Integer.rotateRight(x, 8) + y) ^ roundKey;
            y = Integer.rotateLeft(y, 3) ^ x;
        }
        return (long)x << 32 | (y & 0xFFFF_FFFFL);
    }

    /**
     * @param block     an encrypted block.
     * @param roundKeys from {@link #expandKey}.
     * @return the plain block.
     */
    static long decrypt(final long block, final int[] roundKeys)
    {
        int x = (int)(block >>> 32);
        int y = (int)block;
        for (int i = ROUNDS - 1; i >= 0; i--)
        {
            y = Integer.rotateRight(y ^ x, 3);
            x = Integer.rotateLeft((x ^ roundKeys[i]) - y, 8);
        }
        return (long)x << 32 | (y & 0xFFFF_FFFFL);
    }
}
