package io.iysfilter.server.cli;

/**
 * Finds one field of a CSV line held as bytes, splitting it exactly as {@link io.iysfilter.server.iys.CsvLine} does:
 * on commas; a field's leading spaces skipped; a field that then starts with a double quote runs to the closing
 * quote ({@code ""} inside is a quote, anything after the closing quote up to the comma is ignored); any other field
 * trimmed of the bytes up to 0x20 at both ends. A quote left open anywhere in the line makes the line unparsable.
 * Bytes of 0x80 and above are never a delimiter, so a line in UTF-8 (or not) splits as its text would. Reused from
 * line to line: nothing is allocated unless a quoted field is longer than any before. Not thread-safe.
 */
final class CsvField
{
    /** The field can be sent. */
    static final int SENDABLE = 0;
    /** The line has no such field, or a quote left open. */
    static final int NO_FIELD = 1;
    /** The field is empty or white space. */
    static final int EMPTY = 2;
    /** The field is longer than the server takes. */
    static final int TOO_LONG = 3;
    /** The field has a byte above 0x7F. */
    static final int NOT_ASCII = 4;

    private byte[] unquoted = new byte[256];
    private byte[] array;
    private int start;
    private int length;

    /**
     * Parse a line, keeping the field at {@code column}.
     *
     * @param line   where the line's bytes are.
     * @param offset where it starts.
     * @param end    where it ends (exclusive), its terminator excluded.
     * @param column the field wanted, from 0.
     * @return how many fields the line has (the field is there when more than {@code column}), or -1 when a quote
     * is not closed.
     */
    int parse(final byte[] line, final int offset, final int end, final int column)
    {
        array = null;
        start = 0;
        length = 0;
        int count = 0;
        int i = offset;
        while (true)
        {
            while (i < end && line[i] == ' ')
            {
                i++;
            }
            if (i < end && line[i] == '"')
            {
                i = quoted(line, i + 1, end, count == column);
                if (i < 0)
                {
                    array = null;
                    length = 0;
                    return -1;
                }
                while (i < end && line[i] != ',')
                {
                    i++;
                }
            }
            else
            {
                int from = i;
                while (i < end && line[i] != ',')
                {
                    i++;
                }
                if (count == column)
                {
                    int to = i;
                    while (from < to && (line[from] & 0xFF) <= ' ')
                    {
                        from++;
                    }
                    while (to > from && (line[to - 1] & 0xFF) <= ' ')
                    {
                        to--;
                    }
                    array = line;
                    start = from;
                    length = to - from;
                }
            }
            count++;
            if (i >= end)
            {
                return count;
            }
            i++;
        }
    }

    /**
     * @return after the closing quote, or -1 when there is none.
     */
    private int quoted(final byte[] line, final int from, final int end, final boolean keep)
    {
        int i = from;
        int kept = 0;
        while (i < end)
        {
            final byte b = line[i++];
            if (b == '"')
            {
                if (i < end && line[i] == '"')
                {
                    i++;
                }
                else
                {
                    if (keep)
                    {
                        array = unquoted;
                        start = 0;
                        length = kept;
                    }
                    return i;
                }
            }
            if (keep)
            {
                if (kept == unquoted.length)
                {
                    unquoted = java.util.Arrays.copyOf(unquoted, unquoted.length * 2);
                }
                unquoted[kept++] = b;
            }
        }
        return -1;
    }

    /**
     * @return the array holding the field found by the last {@link #parse}, or null when the line had none.
     */
    byte[] array()
    {
        return array;
    }

    /**
     * @return where the field starts in {@link #array()}.
     */
    int start()
    {
        return start;
    }

    /**
     * @return the field's length in bytes.
     */
    int length()
    {
        return length;
    }

    /**
     * @return whether the field found can be sent as a recipient: 1 to {@code maxLength} bytes, all ASCII, not all
     * white space.
     */
    boolean sendable(final int maxLength)
    {
        return problem(maxLength) == SENDABLE;
    }

    /**
     * @param maxLength the longest recipient the server takes.
     * @return {@link #SENDABLE}, or why the field found cannot be sent: {@link #NO_FIELD} (the line has none, or is
     * unparsable), {@link #EMPTY} (nothing but white space), {@link #TOO_LONG} (over {@code maxLength} bytes) or
     * {@link #NOT_ASCII}.
     */
    int problem(final int maxLength)
    {
        if (array == null)
        {
            return NO_FIELD;
        }
        if (length == 0)
        {
            return EMPTY;
        }
        if (length > maxLength)
        {
            return TOO_LONG;
        }
        boolean blank = true;
        for (int i = start, to = start + length; i < to; i++)
        {
            final byte b = array[i];
            if (b < 0)
            {
                return NOT_ASCII;
            }
            blank &= b == ' ' || (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x1F);
        }
        return blank ? EMPTY : SENDABLE;
    }
}
