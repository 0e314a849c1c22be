package io.iysfilter.server.iys;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a CSV line of ASCII bytes exactly as {@link CsvLine#split} splits its text (for ASCII, UTF-8 bytes and their
 * text are one to one), into fields read as {@link CharSequence} views over the bytes: on commas; a field's leading
 * spaces skipped; a field that then starts with a double quote runs to the closing quote ({@code ""} inside is a
 * quote, anything after the closing quote up to the comma is ignored); any other field trimmed of the bytes up to
 * 0x20 at both ends. Reused from line to line: nothing is allocated unless a line's quoted fields are longer than any
 * line's before. A view is valid until the next split, and has no {@code equals}: compare it with
 * {@link String#contentEquals(CharSequence)}. Not thread-safe.
 */
final class AsciiCsvFields
{
    private final Field[] fields;
    private byte[] unquoted = new byte[256];
    private int unquotedLength;

    /**
     * @param maxFields how many fields are kept; more are counted, not kept.
     */
    AsciiCsvFields(final int maxFields)
    {
        fields = new Field[maxFields];
        for (int i = 0; i < maxFields; i++)
        {
            fields[i] = new Field();
        }
    }

    /**
     * @param line   where the line's bytes are, each below 0x80.
     * @param offset where it starts.
     * @param end    where it ends (exclusive), its terminator excluded.
     * @return the number of fields, or -1 when a quote is not closed.
     */
    int split(final byte[] line, final int offset, final int end)
    {
        unquotedLength = 0;
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
                i = quoted(line, i + 1, end, count);
                if (i < 0)
                {
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
                if (count < fields.length)
                {
                    int to = i;
                    while (from < to && line[from] <= ' ')
                    {
                        from++;
                    }
                    while (to > from && line[to - 1] <= ' ')
                    {
                        to--;
                    }
                    fields[count].wrap(line, from, to - from);
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
     * @return the fields kept, as views valid until the next split; those at or past the count the last split
     * returned are left from earlier lines.
     */
    CharSequence[] fields()
    {
        return fields;
    }

    /**
     * @return after the closing quote, or -1 when there is none.
     */
    private int quoted(final byte[] line, final int from, final int end, final int index)
    {
        final int first = unquotedLength;
        int i = from;
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
                    if (index < fields.length)
                    {
                        fields[index].wrap(unquoted, first, unquotedLength - first);
                    }
                    return i;
                }
            }
            if (unquotedLength == unquoted.length)
            {
                // the views of this line's earlier fields keep the array they were made over
                unquoted = Arrays.copyOf(unquoted, unquoted.length * 2);
            }
            unquoted[unquotedLength++] = b;
        }
        return -1;
    }

    /**
     * A field: ASCII bytes read as chars.
     */
    private static final class Field implements CharSequence
    {
        private byte[] array;
        private int start;
        private int length;

        void wrap(final byte[] array, final int start, final int length)
        {
            if (this.array != array)
            {
                // stored only when it changes: every reference store between heap regions costs G1 a card to refine
                this.array = array;
            }
            this.start = start;
            this.length = length;
        }

        @Override
        public int length()
        {
            return length;
        }

        @Override
        public char charAt(final int index)
        {
            if (index < 0 || index >= length)
            {
                throw new IndexOutOfBoundsException("index " + index + ", length " + length);
            }
            return (char)array[start + index];
        }

        @Override
        public CharSequence subSequence(final int from, final int to)
        {
            return toString().substring(from, to);
        }

        @Override
        public String toString()
        {
            return new String(array, start, length, StandardCharsets.US_ASCII);
        }
    }
}
