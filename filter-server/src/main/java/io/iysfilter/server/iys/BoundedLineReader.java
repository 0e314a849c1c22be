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
    private boolean ascii;

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
     * @throws LineTooLongException when the line is longer than the cap; of it, no more than the cap is read.
     * @throws IOException          when the stream fails.
     */
    public String readLine() throws IOException
    {
        final int length = readLineBytes();
        return length < 0 ? null : new String(line, 0, length, StandardCharsets.UTF_8);
    }

    /**
     * Read the next line as bytes, into {@link #lineBytes()}: the same line {@link #readLine()} would return, not yet
     * decoded (nothing is allocated unless the line is longer than any before).
     *
     * @return the line's length in bytes, its terminator excluded, or -1 at the end of the stream.
     * @throws LineTooLongException when the line is longer than the cap; of it, no more than the cap is read.
     * @throws IOException          when the stream fails.
     */
    public int readLineBytes() throws IOException
    {
        int length = 0;
        boolean any = false;
        int high = 0;
        while (true)
        {
            if (position == limit && !fill())
            {
                if (!any)
                {
                    return -1;
                }
                return endLine(length, high);
            }
            if (skipNewline)
            {
                skipNewline = false;
                if (buffer[position] == '\n')
                {
                    position++;
                    bytesRead++;
                    continue;
                }
            }
            any = true;
            int end = position;
            while (end < limit && buffer[end] != '\n' && buffer[end] != '\r')
            {
                high |= buffer[end];
                end++;
            }
            final int taken = end - position;
            if (length + taken > maxLineBytes)
            {
                bytesRead += maxLineBytes - length;
                position += maxLineBytes - length;
                throw new LineTooLongException(lineNumber + 1, maxLineBytes);
            }
            if (length + taken > line.length)
            {
                line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(length + taken, line.length * 2)));
            }
            System.arraycopy(buffer, position, line, length, taken);
            length += taken;
            bytesRead += taken;
            position = end;
            if (end < limit)
            {
                skipNewline = buffer[end] == '\r';
                position++;
                bytesRead++;
                return endLine(length, high);
            }
        }
    }

    private int endLine(final int length, final int high)
    {
        lineNumber++;
        ascii = high >= 0;
        return length;
    }

    /**
     * @return the bytes of the line last read by {@link #readLineBytes()}, valid up to its length until the next read.
     */
    public byte[] lineBytes()
    {
        return line;
    }

    /**
     * @return whether the line last read holds only bytes below 0x80 (its text is then its bytes, one char each);
     * after the end of the stream or a failure, still what it was of the line before.
     */
    public boolean lineAscii()
    {
        return ascii;
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
