package io.iysfilter.server.binary;

import io.netty.buffer.ByteBuf;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Wraps a region of a Netty {@link ByteBuf} in an Agrona {@link UnsafeBuffer} without copying, so SBE flyweights
 * can read and write it. A view is valid only until the ByteBuf is released or reallocated.
 */
final class ByteBufViews
{
    private ByteBufViews()
    {
    }

    /**
     * Wrap {@code length} readable bytes starting at {@code index}.
     */
    static void wrapReadable(final UnsafeBuffer view, final ByteBuf buf, final int index, final int length)
    {
        wrap(view, buf, index, length);
    }

    /**
     * Make room for {@code length} bytes after the writer index and wrap them.
     */
    static void wrapWritable(final UnsafeBuffer view, final ByteBuf buf, final int length)
    {
        buf.ensureWritable(length);
        wrap(view, buf, buf.writerIndex(), length);
    }

    private static void wrap(final UnsafeBuffer view, final ByteBuf buf, final int index, final int length)
    {
        if (buf.hasMemoryAddress())
        {
            view.wrap(buf.memoryAddress() + index, length);
        }
        else if (buf.hasArray())
        {
            view.wrap(buf.array(), buf.arrayOffset() + index, length);
        }
        else
        {
            view.wrap(buf.nioBuffer(index, length));
        }
    }
}
