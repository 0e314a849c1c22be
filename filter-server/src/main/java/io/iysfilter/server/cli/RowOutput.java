package io.iysfilter.server.cli;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Rows out through one reused buffer (1 MiB by default) to a stream: bytes in, the same bytes out, written when the
 * buffer is full, on {@link #flush()} and on {@link #close()}. Not thread-safe.
 */
final class RowOutput implements AutoCloseable
{
    /** Buffer size by default: 1 MiB. */
    static final int DEFAULT_BUFFER_BYTES = 1 << 20;

    private final OutputStream out;
    private final byte[] buffer;
    private int used;

    /**
     * @param out         where the rows go; closed by {@link #close()}.
     * @param bufferBytes the buffer's size, at least 1.
     */
    RowOutput(final OutputStream out, final int bufferBytes)
    {
        if (bufferBytes < 1)
        {
            throw new IllegalArgumentException("bufferBytes: " + bufferBytes + " (expected: at least 1)");
        }
        this.out = out;
        this.buffer = new byte[bufferBytes];
    }

    /**
     * @param bytes  where they are.
     * @param offset where they start.
     * @param length how many.
     * @throws IOException when the stream fails.
     */
    void write(final byte[] bytes, final int offset, final int length) throws IOException
    {
        if (length > buffer.length - used)
        {
            flushBuffer();
            if (length > buffer.length)
            {
                out.write(bytes, offset, length);
                return;
            }
        }
        System.arraycopy(bytes, offset, buffer, used, length);
        used += length;
    }

    /**
     * @param bytes all of them.
     * @throws IOException when the stream fails.
     */
    void write(final byte[] bytes) throws IOException
    {
        write(bytes, 0, bytes.length);
    }

    /**
     * @param b one byte.
     * @throws IOException when the stream fails.
     */
    void writeByte(final int b) throws IOException
    {
        if (used == buffer.length)
        {
            flushBuffer();
        }
        buffer[used++] = (byte)b;
    }

    /**
     * Write what is buffered and flush the stream.
     *
     * @throws IOException when the stream fails.
     */
    void flush() throws IOException
    {
        flushBuffer();
        out.flush();
    }

    /**
     * Write what is buffered and close the stream.
     *
     * @throws IOException when the stream fails.
     */
    @Override
    public void close() throws IOException
    {
        try
        {
            flushBuffer();
        }
        finally
        {
            out.close();
        }
    }

    private void flushBuffer() throws IOException
    {
        if (used > 0)
        {
            out.write(buffer, 0, used);
            used = 0;
        }
    }
}
