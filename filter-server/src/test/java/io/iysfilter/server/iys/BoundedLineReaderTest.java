package io.iysfilter.server.iys;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BoundedLineReaderTest
{
    @Test
    void shouldReadTheLinesOfAnyStreamHoweverItsReadsAreCut() throws IOException
    {
        final byte[] alphabet = "ab1 ,\"\r\n\n".getBytes(StandardCharsets.US_ASCII);
        final byte[] turkish = "ş".getBytes(StandardCharsets.UTF_8);
        final Random random = new Random(6563L);
        for (int n = 0; n < 3_000; n++)
        {
            final ByteArrayOutputStream text = new ByteArrayOutputStream();
            final int length = random.nextInt(300);
            for (int i = 0; i < length; i++)
            {
                if (random.nextInt(20) == 0)
                {
                    text.write(turkish, 0, turkish.length);
                }
                else
                {
                    text.write(alphabet[random.nextInt(alphabet.length)]);
                }
            }
            final byte[] bytes = text.toByteArray();
            final List<byte[]> expected = splitLines(bytes);

            final BoundedLineReader reader = new BoundedLineReader(new Trickle(bytes, random.nextLong()), 1 << 16);
            final List<byte[]> read = new ArrayList<>();
            int lineLength;
            while ((lineLength = reader.readLineBytes()) >= 0)
            {
                final byte[] line = Arrays.copyOf(reader.lineBytes(), lineLength);
                assertEquals(ascii(line), reader.lineAscii());
                assertEquals(read.size() + 1, reader.lineNumber());
                read.add(line);
            }
            assertEquals(expected.size(), read.size(), "lines of " + Arrays.toString(bytes));
            for (int i = 0; i < expected.size(); i++)
            {
                assertArrayEquals(expected.get(i), read.get(i), "line " + (i + 1) + " of " + Arrays.toString(bytes));
            }
            assertEquals(bytes.length, reader.bytesRead());

            final BoundedLineReader asText = new BoundedLineReader(new Trickle(bytes, random.nextLong()), 1 << 16);
            for (final byte[] line : expected)
            {
                assertEquals(new String(line, StandardCharsets.UTF_8), asText.readLine());
            }
            assertEquals(null, asText.readLine());
        }
    }

    @Test
    void shouldTakeALineOfExactlyTheCapAndRefuseOneByteMoreWithItsNumber() throws IOException
    {
        final String exact = "x".repeat(100);
        final BoundedLineReader reader = new BoundedLineReader(new Trickle(
            (exact + "\r\n" + exact + "y\nz\n").getBytes(StandardCharsets.US_ASCII), 7), 100);

        assertEquals(exact, reader.readLine());
        final BoundedLineReader.LineTooLongException tooLong =
            assertThrows(BoundedLineReader.LineTooLongException.class, reader::readLineBytes);
        assertEquals(2, tooLong.lineNumber());
    }

    @Test
    void shouldGrowForLongLinesUpToTheCapWhetherReadInPiecesOrWhole() throws IOException
    {
        final int cap = 5_000;
        final Random random = new Random(2026L);
        for (int n = 0; n < 200; n++)
        {
            final String first = "a".repeat(257 + random.nextInt(cap - 257));
            final String second = "b".repeat(cap);
            final String end = random.nextBoolean() ? "\r" : "\r\n";
            final byte[] bytes = (first + end + second).getBytes(StandardCharsets.US_ASCII);
            final InputStream in = random.nextBoolean() ? new Trickle(bytes, n) : new ByteArrayInputStream(bytes);
            final BoundedLineReader reader = new BoundedLineReader(in, cap);

            assertEquals(first.length(), reader.readLineBytes());
            assertEquals(first, new String(reader.lineBytes(), 0, first.length(), StandardCharsets.US_ASCII));
            assertEquals(second, reader.readLine(), "a line of exactly the cap, ended by the end of the stream");
            assertEquals(-1, reader.readLineBytes());
            assertEquals(2, reader.lineNumber());
        }
    }

    /**
     * The lines as the reader's contract defines them: ended by LF, CRLF or a lone CR, the last one also by the end
     * of the stream when it has any byte.
     */
    private static List<byte[]> splitLines(final byte[] bytes)
    {
        final List<byte[]> lines = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < bytes.length)
        {
            if (bytes[i] == '\n' || bytes[i] == '\r')
            {
                lines.add(Arrays.copyOfRange(bytes, start, i));
                i += bytes[i] == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n' ? 2 : 1;
                start = i;
            }
            else
            {
                i++;
            }
        }
        if (start < bytes.length)
        {
            lines.add(Arrays.copyOfRange(bytes, start, bytes.length));
        }
        return lines;
    }

    private static boolean ascii(final byte[] line)
    {
        for (final byte b : line)
        {
            if (b < 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Hands out its bytes a few at a time, so that lines and terminators (a CR here, its LF in the next read) fall
     * across reads.
     */
    private static final class Trickle extends InputStream
    {
        private final ByteArrayInputStream bytes;
        private final Random random;

        Trickle(final byte[] bytes, final long seed)
        {
            this.bytes = new ByteArrayInputStream(bytes);
            this.random = new Random(seed);
        }

        @Override
        public int read()
        {
            return bytes.read();
        }

        @Override
        public int read(final byte[] into, final int offset, final int length)
        {
            return bytes.read(into, offset, Math.min(length, 1 + random.nextInt(9)));
        }
    }
}
