package io.iysfilter.server.index;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Speck64/128 against the test vector its designers published (Beaulieu et al., "The SIMON and SPECK Families of
 * Lightweight Block Ciphers", 2013, appendix C), and decryption as its inverse.
 */
class Speck64Test
{
    @Test
    void shouldEncryptThePublishedTestVector()
    {
        // Key: 1b1a1918 13121110 0b0a0908 03020100 (l2 l1 l0 k0); plaintext: 3b726574 7475432d (x y)
        final int[] roundKeys = Speck64.expandKey(0x03020100, 0x0b0a0908, 0x13121110, 0x1b1a1918);
        assertEquals(0x8c6fa548_454e028bL, Speck64.encrypt(0x3b726574_7475432dL, roundKeys));
        assertEquals(0x3b726574_7475432dL, Speck64.decrypt(0x8c6fa548_454e028bL, roundKeys));
    }

    @Test
    void shouldBeABijectionUnderAKey()
    {
        final SplittableRandom random = new SplittableRandom(14);
        final int[] roundKeys = Speck64.expandKey(random.nextInt(), random.nextInt(), random.nextInt(),
            random.nextInt());
        for (int i = 0; i < 100_000; i++)
        {
            final long block = random.nextLong();
            final long encrypted = Speck64.encrypt(block, roundKeys);
            assertNotEquals(block, encrypted);
            assertEquals(block, Speck64.decrypt(encrypted, roundKeys));
        }
    }
}
