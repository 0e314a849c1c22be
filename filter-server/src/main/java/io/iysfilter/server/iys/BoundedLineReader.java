package io.iysfilter.server.iys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads UTF-8 lines from a stream, refusing a line longer than a cap rather than holding it: a file whose "line" is
 * 300 MB must fail with the line's number, not run the heap out as {@code BufferedReader.readLine} would. A line ends
 * at {@code \n}, {@code \r\n} or a lone {@code \r}; the terminator is not part of it, nor of its length. The one
 * line reader of daily change files, whichever door they come in by (the CLI's {@code import}, a reconcile's file
 * or İYS's answer); the HTTP reconcile handler holds its body to the same cap before spooling it.
 * Not thread-safe.
 */
public final class BoundedLineReader
{
    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private byte[] line = new byte[256];
    private int position;
    private int limit;
    private long lineNumber;
    private long bytesRead;
    private boolean skipNewline;

    /**
     * A line longer than the cap.
     */
    public static final class LineTooLongException extends IOException
    {
        private static final long serialVersionUID = 1L;
        private final long lineNumber;

        LineTooLongException(final long lineNumber, final int maxLineBytes)
        {
            super("line " + lineNumber + " is longer than " + maxLineBytes + " bytes (expected: a daily change " +
                "file, one record per line)");
            this.lineNumber = lineNumber;
        }

        /**
         * @return the line's number, from 1.
         */
        public long lineNumber()
        {
            return lineNumber;
        }
    }

    /**
     * @param in           the bytes; not closed here.
     * @param maxLineBytes the longest line taken, in bytes, terminator excluded.
     */
    public BoundedLineReader(final InputStream in, final int maxLineBytes)
    {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * @return the next line without its terminator, or null at the end of the stream.
     * @throws LineTooLongException when the line is longer than the cap; no more of it is read.
     * @throws IOException          when the stream fails.
     */
    public String readLine() throws IOException
    {
        int length = 0;
        boolean any = false;
        while (true)
        {
            if (position == limit && !fill())
            {
                if (!any)
                {
                    return null;
                }
                lineNumber++;
                return new String(line, 0, length, StandardCharsets.UTF_8);
            }
            final byte next = buffer[position++];
            bytesRead++;
            if (skipNewline)
            {
                skipNewline = false;
                if (next == '\n')
                {
                    continue;
                }
            }
            any = true;
            if (next == '\n' || next == '\r')
            {
                skipNewline = next == '\r';
                lineNumber++;
                return new String(line, 0, length, StandardCharsets.UTF_8);
            }
            if (length == maxLineBytes)
            {
                throw new LineTooLongException(lineNumber + 1, maxLineBytes);
            }
            if (length == line.length)
            {
                line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
            }
            line[length++] = next;
        }
    }

    /**
     * @return the number of the line last returned, from 1; 0 before the first.
     */
    public long lineNumber()
    {
        return lineNumber;
    }

    /**
     * @return bytes consumed from the stream so far, terminators included.
     */
    public long bytesRead()
    {
        return bytesRead;
    }

    private boolean fill() throws IOException
    {
        final int read = in.read(buffer, 0, buffer.length);
        if (read <= 0)
        {
            return false;
        }
        position = 0;
        limit = read;
        return true;
    }
}
