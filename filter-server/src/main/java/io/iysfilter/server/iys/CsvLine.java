package io.iysfilter.server.iys;

/**
 * Splits one CSV line on commas: fields are trimmed, double quotes may enclose a field and {@code ""} inside quotes
 * is a quote. Fields beyond the array's length are dropped, and the count says how many there were.
 */
public final class CsvLine
{
    private CsvLine()
    {
    }

    /**
     * @param line   the line, without its line end.
     * @param fields receives the fields.
     * @return the number of fields, or -1 when a quote is not closed.
     */
    public static int split(final String line, final String[] fields)
    {
        int count = 0;
        int i = 0;
        final int length = line.length();
        final StringBuilder quoted = new StringBuilder();
        while (true)
        {
            while (i < length && line.charAt(i) == ' ')
            {
                i++;
            }
            String field;
            if (i < length && line.charAt(i) == '"')
            {
                quoted.setLength(0);
                i++;
                boolean closed = false;
                while (i < length)
                {
                    final char c = line.charAt(i++);
                    if (c == '"')
                    {
                        if (i < length && line.charAt(i) == '"')
                        {
                            quoted.append('"');
                            i++;
                        }
                        else
                        {
                            closed = true;
                            break;
                        }
                    }
                    else
                    {
                        quoted.append(c);
                    }
                }
                if (!closed)
                {
                    return -1;
                }
                field = quoted.toString();
                while (i < length && line.charAt(i) != ',')
                {
                    i++;
                }
            }
            else
            {
                final int start = i;
                while (i < length && line.charAt(i) != ',')
                {
                    i++;
                }
                field = line.substring(start, i).trim();
            }
            if (count < fields.length)
            {
                fields[count] = field;
            }
            count++;
            if (i >= length)
            {
                return count;
            }
            i++;
        }
    }
}
