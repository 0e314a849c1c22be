package io.iysfilter.server.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultMessageSizeEstimator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unread answers weigh the memory they hold: a big buffer with a short answer in it counts as big.
 */
class CapacitySizeEstimatorTest
{
    @Test
    void shouldChargeABufferByItsCapacityNotItsBytes()
    {
        final ByteBuf buffer = Unpooled.directBuffer(64 * 1024).writeBytes(new byte[]{'+', 'O', 'K', '\r', '\n'});
        try
        {
            final int bytes = DefaultMessageSizeEstimator.DEFAULT.newHandle().size(buffer);
            final int charged = CapacitySizeEstimator.INSTANCE.newHandle().size(buffer);
            assertEquals(5, bytes);
            assertEquals(64 * 1024, charged);
            assertEquals(64 * 1024, CapacitySizeEstimator.INSTANCE.newHandle().size(new DefaultByteBufHolder(buffer)));
            assertTrue(CapacitySizeEstimator.INSTANCE.newHandle().size("not a buffer") > 0);
        }
        finally
        {
            buffer.release();
        }
    }
}
