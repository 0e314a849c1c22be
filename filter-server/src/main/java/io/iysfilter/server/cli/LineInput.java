package io.iysfilter.server.cli;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads lines as bytes from a stream through one large reused buffer: no String, no copy of a line that lies in the
 * buffer. A line ends at {@code \n}, {@code \r\n} or a lone {@code \r}, the terminator excluded, as
 * {@link io.iysfilter.server.iys.BoundedLineReader} splits them; a line longer than the cap fails with its number
 * before more of it is read. The bytes are taken as they are: whatever their encoding, they are handed on unchanged.
 * Not thread-safe.
 */
final class LineInput
{
    /** Buffer size by default: 1 MiB. */
    static final int DEFAULT_BUFFER_BYTES = 1 << 20;

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer;
    private int position;
    private int limit;
    private int lineOffset;
    private long lineNumber;
    private long filled;
    private boolean skipNewline;
    private boolean ended;

    /**
     * A line longer than the cap.
     */
    static final class LineTooLongException extends IOException
    {
        private static final long serialVersionUID = 1L;
        private final long lineNumber;

        LineTooLongException(final long lineNumber, final int maxLineBytes)
        {
            super("line " + lineNumber + " is longer than " + maxLineBytes + " bytes");
            this.lineNumber = lineNumber;
        }

        /**
         * @return the line's number, from 1.
         */
        long lineNumber()
        {
            return lineNumber;
        }
    }

    /**
     * @param in           the bytes; not closed here.
     * @param bufferBytes  the buffer's size; more than {@code maxLineBytes}.
     * @param maxLineBytes the longest line taken, in bytes, terminator excluded.
     */
    LineInput(final InputStream in, final int bufferBytes, final int maxLineBytes)
    {
        if (maxLineBytes < 1 || bufferBytes <= maxLineBytes)
        {
            throw new IllegalArgumentException("bufferBytes: " + bufferBytes + ", maxLineBytes: " + maxLineBytes +
                " (expected: 0 < maxLineBytes < bufferBytes)");
        }
        this.in = in;
        this.maxLineBytes = maxLineBytes;
        this.buffer = new byte[bufferBytes];
    }

    /**
     * Read the next line; its bytes are {@link #array()} from {@link #offset()}, valid until the next call.
     *
     * @return the line's length in bytes, or -1 at the end of the stream.
     * @throws LineTooLongException when the line is longer than the cap; no more of it is read.
     * @throws IOException          when the stream fails.
     */
    int readLineBytes() throws IOException
    {
        if (skipNewline)
        {
            if (position == limit && !fill())
            {
                return -1;
            }
            skipNewline = false;
            if (buffer[position] == '\n')
            {
                position++;
            }
        }
        int scan = position;
        while (true)
        {
            final byte[] bytes = buffer;
            final int end = Math.min(limit, position + maxLineBytes + 1);
            while (scan < end)
            {
                final byte b = bytes[scan];
                if (b == '\n' || b == '\r')
                {
                    final int length = scan - position;
                    lineOffset = position;
                    lineNumber++;
                    position = scan + 1;
                    if (b == '\r')
                    {
                        if (position < limit)
                        {
                            position += bytes[position] == '\n' ? 1 : 0;
                        }
                        else
                        {
                            skipNewline = true;
                        }
                    }
                    return length;
                }
                scan++;
            }
            if (scan - position > maxLineBytes)
            {
                throw new LineTooLongException(lineNumber + 1, maxLineBytes);
            }
            final int kept = scan - position;
            if (!fill())
            {
                if (kept == 0)
                {
                    return -1;
                }
                lineOffset = position;
                lineNumber++;
                position = limit;
                return kept;
            }
            scan = position + kept;
        }
    }

    /**
     * @return the array holding the last line.
     */
    byte[] array()
    {
        return buffer;
    }

    /**
     * @return where the last line starts in {@link #array()}.
     */
    int offset()
    {
        return lineOffset;
    }

    /**
     * @return the number of the line last returned, from 1; 0 before the first.
     */
    long lineNumber()
    {
        return lineNumber;
    }

    /**
     * @return bytes taken from the stream and handed out as lines so far, terminators included (within a buffer).
     */
    long bytesRead()
    {
        return filled - (limit - position);
    }

    /**
     * Moves the unread bytes to the front and reads more after them.
     *
     * @return false at the end of the stream (nothing more was read).
     */
    private boolean fill() throws IOException
    {
        if (ended)
        {
            return false;
        }
        if (position > 0)
        {
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= position;
            position = 0;
        }
        while (limit < buffer.length)
        {
            final int read = in.read(buffer, limit, buffer.length - limit);
            if (read < 0)
            {
                ended = true;
                return false;
            }
            if (read > 0)
            {
                limit += read;
                filled += read;
                return true;
            }
        }
        return true;
    }
}
