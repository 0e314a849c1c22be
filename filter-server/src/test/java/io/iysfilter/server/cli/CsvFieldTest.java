package io.iysfilter.server.cli;

import io.iysfilter.server.iys.CsvLine;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CsvField} finds on bytes the field {@link CsvLine} finds on text, and says which recipients can be sent.
 */
class CsvFieldTest
{
    private final CsvField field = new CsvField();

    @Test
    void shouldTakeAQuotedFieldWithEmbeddedCommasAndQuotes()
    {
        assertEquals("a, \"b\"", field("1,\"a, \"\"b\"\"\",x", 1));
        final byte[] line = bytes("1,\"a, \"\"b\"\"\",x");
        assertEquals(3, field.parse(line, 0, line.length, 1));
        assertEquals("+905321111111", field("  \"+905321111111\"junk , y", 0), "after the closing quote, ignored");
        assertEquals("", field("\"\",x", 0));
        assertEquals(" a ", field("\" a \"", 0), "a quoted field is not trimmed");
    }

    @Test
    void shouldTrimAnUnquotedFieldAndKeepEmptyOnes()
    {
        assertEquals("+905321111111", field("1, +905321111111 \t,x", 1));
        assertEquals("", field("1,,x", 1));
        assertEquals("", field("1,x,", 2), "a trailing comma ends in an empty field");
        assertEquals("", field("", 0), "an empty line is one empty field");
        assertEquals("\"a\"", field("\t\"a\"", 0), "only spaces are skipped before a quote: a tab makes it plain");
    }

    @Test
    void shouldFindNoFieldWhenTheLineHasTooFewOrAQuoteLeftOpen()
    {
        // the Javadoc: a field is "there when more than column"; none is kept for a line that cannot be parsed
        final byte[] line = bytes("1,2");
        assertEquals(2, field.parse(line, 0, line.length, 2));
        assertNull(field.array());
        final byte[] open = bytes("+905321111111,\"unclosed");
        assertEquals(-1, field.parse(open, 0, open.length, 0), "an open quote anywhere spoils the line");
        assertFalse(field.sendable(254));
    }

    @Test
    void shouldStopAtTheLineEndItIsGivenSoACarriageReturnIsNotPartOfIt()
    {
        final byte[] line = bytes("x,+905321111111\r\n");
        assertEquals(2, field.parse(line, 0, line.length - 2, 1));
        assertEquals("+905321111111", text());
        assertEquals(2, field.parse(line, 0, line.length - 1, 1), "a CR given as part of the line is trimmed");
        assertEquals("+905321111111", text());
    }

    @Test
    void shouldTakeAnOverLongQuotedFieldAndRefuseToSendIt()
    {
        final String recipient = "a".repeat(70_000);
        assertEquals(recipient, field("\"" + recipient + "\"", 0), "the buffer grows");
        assertFalse(field.sendable(254));
        assertEquals("a".repeat(254), field("\"" + "a".repeat(254) + "\"", 0));
        assertTrue(field.sendable(254));
    }

    @Test
    void shouldSendOnlyAsciiThatIsNotBlank()
    {
        field("x,+905321111111", 1);
        assertTrue(field.sendable(254));
        field("\" \t\",x", 0);
        assertFalse(field.sendable(254), "blank");
        field("\"\",x", 0);
        assertFalse(field.sendable(254), "empty");
        field("x,ayşe@example.com", 1);
        assertFalse(field.sendable(254), "not ASCII");
        final byte[] invalid = {'x', ',', (byte)0xFF, 'a'};
        field.parse(invalid, 0, invalid.length, 1);
        assertFalse(field.sendable(254), "not UTF-8 either");
    }

    @Test
    void shouldSayWhyAFieldCannotBeSentWithinTheServersLength()
    {
        field("x,+905321111111", 1);
        assertEquals(CsvField.SENDABLE, field.problem(13), "13 bytes, as long as the server takes");
        assertEquals(CsvField.TOO_LONG, field.problem(12), "a server announcing 12 bytes does not take it");
        final byte[] oneField = bytes("x");
        assertEquals(1, field.parse(oneField, 0, oneField.length, 1));
        assertEquals(CsvField.NO_FIELD, field.problem(254));
        field("x, \t ", 1);
        assertEquals(CsvField.EMPTY, field.problem(254));
        field("\" \t\",x", 0);
        assertEquals(CsvField.EMPTY, field.problem(254), "blank inside quotes");
        field("x,ayşe@example.com", 1);
        assertEquals(CsvField.NOT_ASCII, field.problem(254));
    }

    @Test
    void shouldSplitEveryLineAsTheTextSplitterDoes()
    {
        final char[] alphabet = {'a', '1', ',', ',', '"', '"', ' ', ' ', '\t', 'ş', '\u0001', '+'};
        final Random random = new Random(20261202L);
        final String[] fields = new String[64];
        for (int n = 0; n < 20_000; n++)
        {
            final StringBuilder text = new StringBuilder();
            final int length = random.nextInt(24);
            for (int i = 0; i < length; i++)
            {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            final String line = text.toString();
            final int column = random.nextInt(4);
            final int expected = CsvLine.split(line, fields);
            final byte[] bytes = bytes("##" + line + "##");
            final int count = field.parse(bytes, 2, bytes.length - 2, column);
            assertEquals(expected, count, "'" + line + "'");
            if (expected > column)
            {
                assertEquals(fields[column], text(), "column " + column + " of '" + line + "'");
            }
        }
    }

    private String field(final String line, final int column)
    {
        final byte[] bytes = bytes(line);
        assertTrue(field.parse(bytes, 0, bytes.length, column) > column, line);
        return text();
    }

    private String text()
    {
        return new String(field.array(), field.start(), field.length(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
