package io.iysfilter.server.optout;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptOutLogTest
{
    private static final String A = "{\"recipient\":\"+905321111111\",\"n\":1}";
    private static final String B = "{\"recipient\":\"+905322222222\",\"n\":2}";
    private static final String C = "{\"recipient\":\"+905323333333\",\"n\":3}";

    @TempDir
    Path dir;

    @Test
    void shouldAppendChecksummedRecordsAndTakeOneBack() throws IOException
    {
        try (OptOutLog log = OptOutLog.open(dir, null))
        {
            assertEquals(0, log.append(A));
            final long beforeB = log.append(B);
            log.truncate(beforeB);
            log.append(C);
        }
        final String text = Files.readString(dir.resolve(OptOutLog.FILE_NAME));
        assertEquals(OptOutLog.encode(A) + OptOutLog.encode(C), text);
        assertTrue(text.matches("(?s)[0-9a-f]{8} \\{.*\\}\n[0-9a-f]{8} \\{.*\\}\n"), text);
        assertEquals(List.of(A, C), OptOutLog.read(dir.resolve(OptOutLog.FILE_NAME)).records());
    }

    @Test
    void shouldTruncateATornTailAtOpenAndAppendAfterTheLastWholeRecord() throws IOException
    {
        final Path file = dir.resolve(OptOutLog.FILE_NAME);
        final String torn = OptOutLog.encode(B).substring(0, 20);
        Files.writeString(file, OptOutLog.encode(A) + torn);

        final OptOutLog.Contents seen = OptOutLog.read(file);
        assertEquals(List.of(A), seen.records(), "a reader never sees the torn record");
        assertEquals(torn.length(), seen.tornBytes());

        final OptOutLog.Contents[] recovered = new OptOutLog.Contents[1];
        try (OptOutLog log = OptOutLog.open(dir, recovered))
        {
            assertTrue(recovered[0].repaired());
            log.append(C);
        }
        assertEquals(OptOutLog.encode(A) + OptOutLog.encode(C), Files.readString(file),
            "the torn bytes are gone, not glued to the next record");
    }

    @Test
    void shouldSkipACorruptRecordButKeepTheWholeOnesAfterIt() throws IOException
    {
        final Path file = dir.resolve(OptOutLog.FILE_NAME);
        final String flipped = OptOutLog.encode(B).replace("+90532", "+90533");
        Files.writeString(file, OptOutLog.encode(A) + flipped + OptOutLog.encode(C));
        final OptOutLog.Contents contents = OptOutLog.read(file);
        assertEquals(List.of(A, C), contents.records());
        assertEquals(1, contents.corrupt());
        assertEquals(0, contents.tornBytes());
    }

    @Test
    void shouldRewriteALogOfTheFormatBeforeChecksumsOnceKeepingTheOriginal() throws IOException
    {
        final Path file = dir.resolve(OptOutLog.FILE_NAME);
        final String glued = A.substring(0, 15) + B;
        final String original = A + "\n" + glued + "\n" + C + "\n";
        Files.writeString(file, original);

        final OptOutLog.Contents[] recovered = new OptOutLog.Contents[1];
        try (OptOutLog log = OptOutLog.open(dir, recovered))
        {
            assertEquals(List.of(A, B, C), recovered[0].records(),
                "the acknowledged record glued behind a torn one is recovered");
            log.append(A);
        }
        assertEquals(OptOutLog.encode(A) + OptOutLog.encode(B) + OptOutLog.encode(C) + OptOutLog.encode(A),
            Files.readString(file));
        try (var copies = Files.list(dir))
        {
            final List<Path> kept = copies.filter(p -> p.getFileName().toString()
                .startsWith(OptOutLog.ORIGINAL_COPY_PREFIX)).toList();
            assertEquals(1, kept.size());
            assertEquals(original, Files.readString(kept.get(0)));
        }
    }

    @Test
    void shouldNeverListAPartiallyWrittenRecord() throws IOException
    {
        final Path file = dir.resolve(OptOutLog.FILE_NAME);
        final byte[] whole = (OptOutLog.encode(A) + OptOutLog.encode(B)).getBytes(StandardCharsets.UTF_8);
        final int firstEnd = OptOutLog.encode(A).length();
        for (int cut = firstEnd; cut < whole.length; cut++)
        {
            Files.write(file, java.util.Arrays.copyOf(whole, cut), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING);
            assertEquals(List.of(A), OptOutLog.read(file).records(), "cut at " + cut);
        }
    }
}
