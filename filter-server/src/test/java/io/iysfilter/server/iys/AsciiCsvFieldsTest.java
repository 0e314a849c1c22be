package io.iysfilter.server.iys;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AsciiCsvFieldsTest
{
    private final AsciiCsvFields fields = new AsciiCsvFields(8);

    @Test
    void shouldSplitEveryAsciiLineAsTheTextSplitterDoes()
    {
        final char[] alphabet = {'a', '1', ',', ',', '"', '"', ' ', ' ', '\t', '\u0001', '\u001f', '+', '-', ':'};
        final Random random = new Random(20261202L);
        final String[] expected = new String[8];
        for (int n = 0; n < 50_000; n++)
        {
            final StringBuilder text = new StringBuilder();
            final int length = random.nextInt(40);
            for (int i = 0; i < length; i++)
            {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            final String line = text.toString();
            final int count = CsvLine.split(line, expected);
            final byte[] bytes = ("##" + line + "##").getBytes(StandardCharsets.US_ASCII);
            assertEquals(count, fields.split(bytes, 2, bytes.length - 2), "'" + line + "'");
            for (int i = 0; i < Math.min(count, 8); i++)
            {
                assertEquals(expected[i], fields.fields()[i].toString(), "field " + i + " of '" + line + "'");
                assertEquals(expected[i].length(), fields.fields()[i].length());
                assertEquals(expected[i], text(fields.fields()[i]), "charAt of field " + i + " of '" + line + "'");
            }
        }
    }

    @Test
    void shouldKeepEveryQuotedFieldWhenTheirTextOutgrowsTheScratchArea()
    {
        final String first = "x".repeat(200) + "\"\"" + "y".repeat(100);
        final String second = "z".repeat(700);
        final String line = " \"" + first + "\" ,plain , \"" + second + "\",\"\"";
        final byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);

        assertEquals(4, fields.split(bytes, 0, bytes.length));

        assertEquals("x".repeat(200) + "\"" + "y".repeat(100), fields.fields()[0].toString());
        assertEquals("plain", fields.fields()[1].toString());
        assertEquals(second, fields.fields()[2].toString());
        assertEquals("", fields.fields()[3].toString());
    }

    @Test
    void shouldCountFieldsPastThoseKeptAndRefuseAnOpenQuote()
    {
        final byte[] many = "a,b,c,d,e,f,g,h,i,j".getBytes(StandardCharsets.US_ASCII);
        assertEquals(10, fields.split(many, 0, many.length));
        assertEquals("h", fields.fields()[7].toString());

        final byte[] open = "a,\"b,c".getBytes(StandardCharsets.US_ASCII);
        assertEquals(-1, fields.split(open, 0, open.length));
    }

    private static String text(final CharSequence field)
    {
        final StringBuilder copy = new StringBuilder();
        for (int i = 0; i < field.length(); i++)
        {
            copy.append(field.charAt(i));
        }
        return copy.toString();
    }
}
