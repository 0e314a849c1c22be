package io.iysfilter.server.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;

/**
 * Charges a message waiting to be written by the memory it holds (its buffer's capacity), not by the bytes in it, so
 * that the write-buffer high-water mark bounds memory even for a peer that makes each read answer a few bytes in a
 * buffer sized for more and never reads: counted by bytes, a 64 KiB buffer holding one short answer weighed ~100
 * bytes, and a RESP connection could hold ~160 MB before reading stopped. Used on the binary and RESP connections,
 * whose handlers write pooled buffers.
 */
final class CapacitySizeEstimator implements MessageSizeEstimator, MessageSizeEstimator.Handle
{
    /** Stateless: one for every connection. */
    static final CapacitySizeEstimator INSTANCE = new CapacitySizeEstimator();
    /** What Netty's default estimator charges for a message it cannot size. */
    private static final int UNKNOWN_SIZE = 8;

    private CapacitySizeEstimator()
    {
    }

    @Override
    public Handle newHandle()
    {
        return this;
    }

    @Override
    public int size(final Object message)
    {
        if (message instanceof ByteBuf buffer)
        {
            return buffer.capacity();
        }
        if (message instanceof ByteBufHolder holder)
        {
            return holder.content().capacity();
        }
        return message instanceof FileRegion ? 0 : UNKNOWN_SIZE;
    }
}
