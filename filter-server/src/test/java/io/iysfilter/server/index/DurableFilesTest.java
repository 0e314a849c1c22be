package io.iysfilter.server.index;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DurableFiles#preallocate} allocates a file's blocks without writing them on Linux, where the receipts
 * journal relies on it to make each segment without first writing it whole with zeros.
 */
class DurableFilesTest
{
    private static final int LENGTH = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void shouldAllocateAFileWholeReadingAsZerosWithoutWritingIt() throws Exception
    {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"),
            "fallocate(2) is Linux's; elsewhere the journal writes zeros");
        final Path file = Files.createFile(dir.resolve("segment"));
        assertTrue(DurableFiles.preallocate(file, LENGTH), "allocated natively on " + dir);
        assertEquals(LENGTH, Files.size(file));
        final Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true)
            .start();
        final String[] blocks = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim()
            .split(" ");
        assertEquals(0, stat.waitFor(), String.join(" ", blocks));
        assertTrue(Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]) >= LENGTH, "not sparse: " + blocks[0] +
            " blocks of " + blocks[1]);
        final byte[] bytes = Files.readAllBytes(file);
        for (int i = 0; i < bytes.length; i++)
        {
            assertEquals(0, bytes[i], "byte " + i);
        }
    }

    @Test
    void shouldSayNoForAFileItCannotOpenSoThatTheCallerWritesZeros()
    {
        assertTrue(!DurableFiles.preallocate(dir.resolve("missing"), LENGTH), "no such file");
    }
}
