package io.iysfilter.server.receipts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReceiptRunTest
{
    @TempDir
    Path dir;

    @Test
    void shouldCountTheRunUpAtEachStartAndKeepItInTheFile() throws Exception
    {
        assertEquals(1, ReceiptRun.next(dir));
        assertEquals(2, ReceiptRun.next(dir));
        assertEquals(3, ReceiptRun.next(dir));
        assertEquals("3", Files.readString(dir.resolve(ReceiptRun.FILE_NAME)).trim());
        assertTrue(!Files.exists(dir.resolve(ReceiptRun.FILE_NAME + ".tmp")), "replaced through a forced rename");
    }

    @Test
    void shouldRefuseToStartPastTheLastRun() throws Exception
    {
        Files.writeString(dir.resolve(ReceiptRun.FILE_NAME), "65534\n");
        assertEquals(65_535, ReceiptRun.next(dir));
        final IOException refused = assertThrows(IOException.class, () -> ReceiptRun.next(dir));
        assertTrue(refused.getMessage().contains("all 65535 runs") && refused.getMessage().contains("receipts-dir"),
            refused.getMessage());
        assertEquals("65535", Files.readString(dir.resolve(ReceiptRun.FILE_NAME)).trim(), "left as it was");
    }

    @Test
    void shouldRefuseAFileThatHoldsNoRunRatherThanStartAgainAtOne() throws Exception
    {
        Files.writeString(dir.resolve(ReceiptRun.FILE_NAME), "twelve\n");
        final IOException refused = assertThrows(IOException.class, () -> ReceiptRun.next(dir));
        assertTrue(refused.getMessage().contains("'twelve' is not a run"), refused.getMessage());
    }
}
