package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RowOutput}: the bytes written come out whole and in order, in writes no larger than its buffer unless a
 * single write is larger, and nothing is held back after close.
 */
class RowOutputTest
{
    @Test
    void shouldWriteEveryByteInOrderThroughABoundedBuffer() throws IOException
    {
        final List<Integer> writes = new ArrayList<>();
        final ByteArrayOutputStream sink = new ByteArrayOutputStream();
        final boolean[] closed = new boolean[1];
        final OutputStream counting = new OutputStream()
        {
            @Override
            public void write(final int b)
            {
                writes.add(1);
                sink.write(b);
            }

            @Override
            public void write(final byte[] b, final int off, final int len)
            {
                writes.add(len);
                sink.write(b, off, len);
            }

            @Override
            public void close()
            {
                closed[0] = true;
            }
        };
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (RowOutput out = new RowOutput(counting, 8))
        {
            out.write(new byte[]{1, 2, 3});
            out.writeByte(4);
            out.write(new byte[]{9, 5, 6, 7, 9}, 1, 3);
            out.writeByte(8);
            expected.write(new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
            assertEquals(0, sink.size(), "held until the buffer is full");
            out.writeByte(10);
            final byte[] large = new byte[20];
            large[19] = 42;
            out.write(large);
            out.write(new byte[]{11, 12});
            expected.write(10);
            expected.write(large);
            expected.write(new byte[]{11, 12});
        }
        assertTrue(closed[0]);
        assertArrayEquals(expected.toByteArray(), sink.toByteArray());
        assertEquals(List.of(8, 1, 20, 2), writes, "full buffers, a write too large for it passed through");
    }

    @Test
    void shouldRefuseAnEmptyBuffer()
    {
        assertThrows(IllegalArgumentException.class, () -> new RowOutput(OutputStream.nullOutputStream(), 0));
    }
}
