package io.iysfilter.server.index;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * SipHash-2-4 with its 128-bit output (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012, and the
 * 128-bit variant of the reference implementation), over a buffer region, without allocating. Written from the
 * specification; the published test vectors are checked by {@code SipHashTest}. A keyed PRF: without the 128-bit
 * key its output says nothing about the input. An instance holds the two halves of its last output, so it belongs to
 * one thread. Changing this function changes every e-mail key on disk: it is part of the index format.
 */
final class SipHash
{
    private static final long IV0 = 0x736f6d6570736575L;
    private static final long IV1 = 0x646f72616e646f6dL;
    private static final long IV2 = 0x6c7967656e657261L;
    private static final long IV3 = 0x7465646279746573L;
    private static final int COMPRESSION_ROUNDS = 2;
    private static final int FINALIZATION_ROUNDS = 4;

    private long lastH1;
    private long lastH2;

    /**
     * @return the first 64 bits of the last output (its bytes 0..7, little-endian).
     */
    long h1()
    {
        return lastH1;
    }

    /**
     * @return the second 64 bits of the last output (its bytes 8..15, little-endian).
     */
    long h2()
    {
        return lastH2;
    }

    /**
     * Hash a region to 128 bits, read back with {@link #h1()} and {@link #h2()}.
     *
     * @param k0     the key's bytes 0..7, little-endian.
     * @param k1     the key's bytes 8..15, little-endian.
     * @param buffer the message.
     * @param offset of the message.
     * @param length of the message.
     */
    void hash128(final long k0, final long k1, final DirectBuffer buffer, final int offset, final int length)
    {
        // the state lives in locals: fields would be stored and reloaded at every round
        long v0 = IV0 ^ k0;
        long v1 = IV1 ^ k1 ^ 0xee;
        long v2 = IV2 ^ k0;
        long v3 = IV3 ^ k1;
        final int end = offset + (length & ~7);
        long m;
        for (int at = offset; at <= end; at += 8)
        {
            if (at < end)
            {
                m = buffer.getLong(at, ByteOrder.LITTLE_ENDIAN);
            }
            else
            {
                m = (long)length << 56;
                for (int i = (length & 7) - 1; i >= 0; i--)
                {
                    m |= (buffer.getByte(end + i) & 0xFFL) << (8 * i);
                }
            }
            v3 ^= m;
            for (int round = 0; round < COMPRESSION_ROUNDS; round++)
            {
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13) ^ v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16) ^ v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21) ^ v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17) ^ v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= m;
        }
        for (int output = 0; output < 2; output++)
        {
            if (output == 0)
            {
                v2 ^= 0xee;
            }
            else
            {
                v1 ^= 0xdd;
            }
            for (int round = 0; round < FINALIZATION_ROUNDS; round++)
            {
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13) ^ v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16) ^ v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21) ^ v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17) ^ v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            if (output == 0)
            {
                lastH1 = v0 ^ v1 ^ v2 ^ v3;
            }
            else
            {
                lastH2 = v0 ^ v1 ^ v2 ^ v3;
            }
        }
    }
}
