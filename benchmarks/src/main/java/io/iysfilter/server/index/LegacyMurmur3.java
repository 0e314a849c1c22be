package io.iysfilter.server.index;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The e-mail key hash of index format 1, kept here only to measure the keyed derivation against it
 * ({@link KeyDerivationBenchmark}): MurmurHash3 x64 128-bit (Austin Appleby's public-domain algorithm), over a buffer
 * region, without allocating. An instance holds the two halves of its last hash, so it belongs to one thread.
 */
final class LegacyMurmur3
{
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private long lastH1;
    private long lastH2;

    long h1()
    {
        return lastH1;
    }

    long h2()
    {
        return lastH2;
    }

    void hash128(final DirectBuffer buffer, final int offset, final int length, final long seed)
    {
        long h1 = seed;
        long h2 = seed;
        final int blocks = length >>> 4;
        for (int i = 0; i < blocks; i++)
        {
            final int at = offset + (i << 4);
            long k1 = buffer.getLong(at, ByteOrder.LITTLE_ENDIAN);
            long k2 = buffer.getLong(at + 8, ByteOrder.LITTLE_ENDIAN);

            k1 *= C1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= C2;
            h1 ^= k1;
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;

            k2 *= C2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= C1;
            h2 ^= k2;
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }

        final int tail = offset + (blocks << 4);
        final int remaining = length & 15;
        long k1 = 0;
        long k2 = 0;
        for (int i = remaining - 1; i >= 8; i--)
        {
            k2 ^= (buffer.getByte(tail + i) & 0xFFL) << ((i - 8) << 3);
        }
        for (int i = Math.min(remaining, 8) - 1; i >= 0; i--)
        {
            k1 ^= (buffer.getByte(tail + i) & 0xFFL) << (i << 3);
        }
        if (remaining > 8)
        {
            k2 *= C2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= C1;
            h2 ^= k2;
        }
        if (remaining > 0)
        {
            k1 *= C1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= C2;
            h1 ^= k1;
        }

        h1 ^= length;
        h2 ^= length;
        h1 += h2;
        h2 += h1;
        h1 = fmix64(h1);
        h2 = fmix64(h2);
        h1 += h2;
        h2 += h1;
        lastH1 = h1;
        lastH2 = h2;
    }

    private static long fmix64(final long value)
    {
        long k = value;
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
