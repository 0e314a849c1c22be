package io.iysfilter.server.optout;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.IndexKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptOutLogTest
{
    private static final long BRAND = 600_001;
    private static final String A = "{\"recipient\":\"+905321111111\",\"n\":1}";
    private static final String B = "{\"recipient\":\"+905322222222\",\"n\":2}";
    private static final String C = "{\"recipient\":\"+905323333333\",\"n\":3}";
    private static final String D = "{\"recipient\":\"ayse@example.com\",\"n\":4}";
    private static final String SEALED_LINE = "[0-9a-f]{8} [A-Za-z0-9+/]+=*\n";

    @TempDir
    Path dir;

    private final OptOutSeal seal = OptOutSeal.forBrand(TestKeys.KEY, BRAND);

    @Test
    void shouldAppendSealedRecordsAndTakeOneBack() throws IOException
    {
        try (OptOutLog log = OptOutLog.open(dir, seal, null))
        {
            assertEquals(0, log.append(A));
            final long beforeB = log.append(B);
            log.truncate(beforeB);
            log.append(C);
        }
        final String text = Files.readString(file());
        assertTrue(text.matches("(?s)" + SEALED_LINE + SEALED_LINE), text);
        assertNoPlainRecipient(text);
        assertEquals(List.of(A, C), read().records());
    }

    @Test
    void shouldTakeBackToAnEarlierRecordAndNumberTheNextLineFromThere() throws IOException
    {
        try (OptOutLog log = OptOutLog.open(dir, seal, null))
        {
            log.append(A);
            final long beforeB = log.append(B);
            log.append(C);
            log.truncate(beforeB);
            log.append(D);
        }
        assertEquals(List.of(A, D), read().records());
    }

    @Test
    void shouldTruncateATornTailAtOpenAndAppendAfterTheLastWholeRecord() throws IOException
    {
        final String whole = writeSealed(A, B);
        final int firstEnd = whole.indexOf('\n') + 1;
        final String torn = whole.substring(firstEnd, firstEnd + 20);
        Files.writeString(file(), whole.substring(0, firstEnd) + torn);

        final OptOutLog.Contents seen = read();
        assertEquals(List.of(A), seen.records(), "a reader never sees the torn record");
        assertEquals(torn.length(), seen.tornBytes());

        final OptOutLog.Contents[] recovered = new OptOutLog.Contents[1];
        try (OptOutLog log = OptOutLog.open(dir, seal, recovered))
        {
            assertTrue(recovered[0].repaired());
            log.append(C);
        }
        final String text = Files.readString(file());
        assertTrue(text.matches("(?s)" + SEALED_LINE + SEALED_LINE), "the torn bytes are gone: " + text);
        assertEquals(List.of(A, C), read().records());
    }

    @Test
    void shouldDropALineWhoseChecksumFailsButKeepTheWholeOnesAfterIt() throws IOException
    {
        final String[] lines = writeSealed(A, B, C).split("\n");
        final char flipped = lines[1].charAt(20) == 'A' ? 'B' : 'A';
        lines[1] = lines[1].substring(0, 20) + flipped + lines[1].substring(21);
        Files.writeString(file(), String.join("\n", lines) + "\n");

        final OptOutLog.Contents contents = read();
        assertEquals(List.of(A, C), contents.records());
        assertEquals(1, contents.corrupt());
        assertEquals(0, contents.tornBytes());

        final OptOutLog.Contents[] recovered = new OptOutLog.Contents[1];
        try (OptOutLog log = OptOutLog.open(dir, seal, recovered))
        {
            log.append(D);
        }
        assertEquals(List.of(A, C, D), read().records(), "rewritten sealed under new line numbers");
        assertEquals(1, originals().size(), "the damaged original is kept");
    }

    @Test
    void shouldRefuseRecordsSwappedBetweenLines() throws IOException
    {
        final String[] lines = writeSealed(A, B, C).split("\n");
        Files.writeString(file(), lines[1] + "\n" + lines[0] + "\n" + lines[2] + "\n");
        assertRefused();
    }

    @Test
    void shouldRefuseALogWithARecordTakenOutOfTheMiddle() throws IOException
    {
        final String[] lines = writeSealed(A, B, C).split("\n");
        Files.writeString(file(), lines[0] + "\n" + lines[2] + "\n");
        assertRefused();
    }

    @Test
    void shouldRefuseARecordBroughtFromAnotherBrandsLog() throws IOException
    {
        final Path other = Files.createDirectories(dir.resolve("other"));
        try (OptOutLog log = OptOutLog.open(other, OptOutSeal.forBrand(TestKeys.KEY, BRAND + 1), null))
        {
            log.append(A);
        }
        writeSealed(B);
        Files.copy(other.resolve(OptOutLog.FILE_NAME), file(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertRefused();
    }

    @Test
    void shouldRefuseAnEditedRecordWhoseChecksumWasMadeToMatch() throws IOException
    {
        final String line = writeSealed(A).split("\n")[0];
        final String body = line.substring(9);
        final char flipped = body.charAt(30) == 'A' ? 'B' : 'A';
        Files.writeString(file(), OptOutLog.encode(body.substring(0, 30) + flipped + body.substring(31)));
        assertRefused();
    }

    @Test
    void shouldRefuseALogReadUnderAnotherKey() throws IOException
    {
        writeSealed(A, B);
        final IOException refused = assertThrows(IOException.class,
            () -> OptOutLog.read(file(), IndexKey.generate(), BRAND));
        assertTrue(refused.getMessage().contains("line=1") && refused.getMessage().contains("key file"),
            refused.getMessage());
        assertThrows(IOException.class, () -> OptOutLog.open(dir, OptOutSeal.forBrand(IndexKey.generate(), BRAND),
            null), "the writer does not open it either, nor append behind it");
        assertEquals(List.of(A, B), read().records(), "left as it was");
    }

    @Test
    void shouldSealAPlainLogOnceAndKeepNoPlainCopy() throws IOException
    {
        Files.writeString(file(), OptOutLog.encode(A) + OptOutLog.encode(B));
        assertEquals(2, read().oldFormat());

        final OptOutLog.Contents[] recovered = new OptOutLog.Contents[1];
        try (OptOutLog log = OptOutLog.open(dir, seal, recovered))
        {
            assertEquals(List.of(A, B), recovered[0].records());
            log.append(C);
        }
        final String text = Files.readString(file());
        assertTrue(text.matches("(?s)" + SEALED_LINE + SEALED_LINE + SEALED_LINE), text);
        assertEquals(List.of(A, B, C), read().records());
        assertEquals(0, read().oldFormat());
        assertEquals(List.of(), originals(), "nothing was dropped, so no plain copy is kept");
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path path : files.toList())
            {
                assertNoPlainRecipient(Files.readString(path));
            }
        }
    }

    @Test
    void shouldSealALogOfTheFormatBeforeChecksumsRecoveringARecordGluedBehindATornOne() throws IOException
    {
        final String glued = A.substring(0, 15) + B;
        Files.writeString(file(), A + "\n" + glued + "\n" + C + "\n");

        final OptOutLog.Contents[] recovered = new OptOutLog.Contents[1];
        try (OptOutLog log = OptOutLog.open(dir, seal, recovered))
        {
            assertEquals(List.of(A, B, C), recovered[0].records(),
                "the acknowledged record glued behind a torn one is recovered");
            log.append(A);
        }
        assertEquals(List.of(A, B, C, A), read().records());
        assertNoPlainRecipient(Files.readString(file()));
    }

    @Test
    void shouldKeepThePlainOriginalWhenLinesOfAPlainLogHadToBeDropped() throws IOException
    {
        final String original = OptOutLog.encode(A) + OptOutLog.encode(B).replace("+90532", "+90533") +
            OptOutLog.encode(C);
        Files.writeString(file(), original);
        try (OptOutLog log = OptOutLog.open(dir, seal, null))
        {
            log.append(D);
        }
        assertEquals(List.of(A, C, D), read().records());
        final List<Path> kept = originals();
        assertEquals(1, kept.size());
        assertEquals(original, Files.readString(kept.get(0)), "the damaged line can still be looked at");
    }

    @Test
    void shouldNeverListAPartiallyWrittenRecord() throws IOException
    {
        final byte[] whole = writeSealed(A, B).getBytes(StandardCharsets.US_ASCII);
        int firstEnd = 0;
        while (whole[firstEnd] != '\n')
        {
            firstEnd++;
        }
        for (int cut = firstEnd + 1; cut < whole.length; cut++)
        {
            Files.write(file(), Arrays.copyOf(whole, cut), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING);
            assertEquals(List.of(A), read().records(), "cut at " + cut);
        }
    }

    private String writeSealed(final String... payloads) throws IOException
    {
        Files.deleteIfExists(file());
        try (OptOutLog log = OptOutLog.open(dir, seal, null))
        {
            for (final String payload : payloads)
            {
                log.append(payload);
            }
        }
        return Files.readString(file());
    }

    private void assertRefused()
    {
        final IOException refused = assertThrows(IOException.class, this::read);
        assertTrue(refused.getMessage().contains("does not open"), refused.getMessage());
        assertThrows(IOException.class, () -> OptOutLog.open(dir, seal, null), "nor opened for appending");
    }

    private static void assertNoPlainRecipient(final String text)
    {
        assertFalse(text.contains("+90532") || text.contains("90532") || text.contains("example.com") ||
            text.contains("recipient"), text);
    }

    private OptOutLog.Contents read() throws IOException
    {
        return OptOutLog.read(file(), seal);
    }

    private Path file()
    {
        return dir.resolve(OptOutLog.FILE_NAME);
    }

    private List<Path> originals() throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return new ArrayList<>(files.filter(p -> p.getFileName().toString()
                .startsWith(OptOutLog.ORIGINAL_COPY_PREFIX)).toList());
        }
    }
}
