package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LineInput#readLineBytes()}: lines end at LF, CRLF or a lone CR wherever the buffer's edges fall, bytes
 * come out as they went in, and a line over the cap fails with its number before it is read whole.
 */
class LineInputTest
{
    @Test
    void shouldEndLinesAtLfCrlfAndLoneCr() throws IOException
    {
        assertEquals(List.of("a", "b", "c", "", "d"), lines("a\nb\r\nc\r\rd", 16, 8, false));
        assertEquals(List.of("a", "", "b"), lines("a\n\nb\n", 16, 8, false), "the last LF ends the last line");
        assertEquals(List.of(), lines("", 16, 8, false));
        assertEquals(List.of(""), lines("\r\n", 16, 8, false));
    }

    @Test
    void shouldSplitTheSameWhereverTheBufferAndTheReadsEnd() throws IOException
    {
        final String text = "id,phone\r\n1,+905321111111\r\n\r\n2,\"a,b\"\r3,x\n4," + "y".repeat(40) + "\r\n5";
        final List<String> expected = List.of("id,phone", "1,+905321111111", "", "2,\"a,b\"", "3,x",
            "4," + "y".repeat(40), "5");
        for (int buffer = 43; buffer <= 70; buffer++)
        {
            assertEquals(expected, lines(text, buffer, 42, false), "buffer " + buffer);
            assertEquals(expected, lines(text, buffer, 42, true), "buffer " + buffer + ", a byte per read");
        }
    }

    @Test
    void shouldHandOnBytesThatAreNotUtf8Unchanged() throws IOException
    {
        final byte[] text = {'a', (byte)0xFF, (byte)0xC3, ',', 'b', '\n', (byte)0xE2, (byte)0x82};
        final LineInput in = new LineInput(new ByteArrayInputStream(text), 16, 8);
        assertEquals(5, in.readLineBytes());
        assertArrayEquals(Arrays.copyOf(text, 5), Arrays.copyOfRange(in.array(), in.offset(), in.offset() + 5));
        assertEquals(2, in.readLineBytes());
        assertArrayEquals(new byte[]{(byte)0xE2, (byte)0x82},
            Arrays.copyOfRange(in.array(), in.offset(), in.offset() + 2));
        assertEquals(-1, in.readLineBytes());
        assertEquals(text.length, in.bytesRead());
    }

    @Test
    void shouldTakeALineOfExactlyTheCapAndRefuseOneByteMoreNamingIt() throws IOException
    {
        assertEquals(List.of("12345678", "x"), lines("12345678\nx", 16, 8, false));
        final LineInput in = new LineInput(new ByteArrayInputStream(bytes("ok\n123456789\nnext\n")), 16, 8);
        assertEquals(2, in.readLineBytes());
        final LineInput.LineTooLongException tooLong = assertThrows(LineInput.LineTooLongException.class,
            in::readLineBytes);
        assertEquals(2, tooLong.lineNumber());
        assertTrue(tooLong.getMessage().contains("longer than 8 bytes"), tooLong.getMessage());
    }

    @Test
    void shouldStopReadingAnOverLongLineSoon() throws IOException
    {
        final long[] served = new long[1];
        final InputStream endless = new InputStream()
        {
            @Override
            public int read()
            {
                served[0]++;
                return 'x';
            }

            @Override
            public int read(final byte[] b, final int off, final int len)
            {
                Arrays.fill(b, off, off + len, (byte)'x');
                served[0] += len;
                return len;
            }
        };
        final LineInput in = new LineInput(endless, 1 << 10, 100);
        assertThrows(LineInput.LineTooLongException.class, in::readLineBytes);
        assertTrue(served[0] <= 1 << 11, "read " + served[0] + " bytes of an endless line");
    }

    @Test
    void shouldRefuseABufferNoLargerThanTheCap()
    {
        assertThrows(IllegalArgumentException.class, () -> new LineInput(InputStream.nullInputStream(), 8, 8));
    }

    private static List<String> lines(final String text, final int buffer, final int cap, final boolean trickle)
        throws IOException
    {
        final InputStream bytes = new ByteArrayInputStream(bytes(text));
        final InputStream source = trickle ? new InputStream()
        {
            @Override
            public int read() throws IOException
            {
                return bytes.read();
            }

            @Override
            public int read(final byte[] b, final int off, final int len) throws IOException
            {
                return bytes.read(b, off, Math.min(1, len));
            }
        } : bytes;
        final LineInput in = new LineInput(source, buffer, cap);
        final List<String> lines = new ArrayList<>();
        int length;
        while ((length = in.readLineBytes()) >= 0)
        {
            lines.add(new String(in.array(), in.offset(), length, StandardCharsets.UTF_8));
            assertEquals(lines.size(), in.lineNumber());
        }
        assertEquals(-1, in.readLineBytes(), "and stays at the end");
        return lines;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
