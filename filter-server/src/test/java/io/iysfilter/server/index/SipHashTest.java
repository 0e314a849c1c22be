package io.iysfilter.server.index;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SipHash-2-4-128 against the reference implementation's published vectors (vectors.h, {@code vectors_sip128}): key
 * 00 01 .. 0f, message i = the bytes 00 .. i-1, output as 16 bytes.
 */
class SipHashTest
{
    private static final String[][] VECTORS = {
        {"0", "a3817f04ba25a8e66df67214c7550293"},
        {"7", "a1f1ebbed8dbc153c0b84aa61ff08239"},
        {"8", "3b62a9ba6258f5610f83e264f31497b4"},
        {"15", "5493e99933b0a8117e08ec0f97cfc3d9"},
        {"16", "6ee2a4ca67b054bbfd3315bf85230577"},
        {"63", "5150d1772f50834a503e069a973fbd7c"},
    };

    @Test
    void shouldMatchThePublishedVectors()
    {
        final long k0 = 0x0706050403020100L;
        final long k1 = 0x0f0e0d0c0b0a0908L;
        final byte[] message = new byte[64];
        for (int i = 0; i < message.length; i++)
        {
            message[i] = (byte)i;
        }
        // an offset, so that the region's start is honoured
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[message.length + 3]);
        buffer.putBytes(3, message);
        final SipHash hash = new SipHash();
        for (final String[] vector : VECTORS)
        {
            hash.hash128(k0, k1, buffer, 3, Integer.parseInt(vector[0]));
            final ByteBuffer out = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(hash.h1()).putLong(hash.h2());
            assertEquals(vector[1], HexFormat.of().formatHex(out.array()), "message of " + vector[0] + " bytes");
        }
    }
}
