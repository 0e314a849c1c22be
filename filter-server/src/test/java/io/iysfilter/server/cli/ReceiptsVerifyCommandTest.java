package io.iysfilter.server.cli;

import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.receipts.ReceiptJournal;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iys-filter receipts verify}: exit status 0 with each day's root when the chain holds, 1 with the break's
 * place when a byte is altered, 2 for a usage error.
 */
class ReceiptsVerifyCommandTest
{
    private static final long DAY = 20_000;
    private static final long DAY_MS = 86_400_000L;

    @TempDir
    Path dir;

    @Test
    void shouldPassAnIntactJournalAndFailOneWithAFlippedByte() throws Exception
    {
        final Path receipts = dir.resolve("receipts");
        try (ReceiptJournal journal = ReceiptJournal.open(receipts, (run, party) -> "peer:127.0.0.1",
            DAY * DAY_MS, 8192))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ReceiptEncoder.BLOCK_LENGTH));
            final ReceiptEncoder encoder = new ReceiptEncoder();
            for (long s = 1; s <= 60; s++)
            {
                encoder.wrap(buffer, 0).decisionId(1L << 48 | s).dayMillis((int)s).brand(600_001).party(1);
                journal.append(buffer, 0, DAY + s / 30);
            }
        }
        final String[] ok = run(Main.EXIT_OK, "receipts", "verify", "--data-dir", dir.toString());
        assertTrue(ok[0].contains("2024-10-04 closed, root "), ok[0]);
        assertTrue(ok[0].contains("2024-10-06 open, head "), ok[0]);
        assertTrue(ok[0].contains("OK: 60 receipts verified"), ok[0]);
        run(Main.EXIT_OK, "receipts", "verify", "--dir", receipts.toString(), "--day", "2024-10-05");

        final Path segment = receipts.resolve("2024-10-05").resolve("000000.seg");
        final byte[] bytes = Files.readAllBytes(segment);
        bytes[312] ^= 1; // the segment header, a party block (180 bytes), a block header, then a receipt
        Files.write(segment, bytes);
        final String[] broken = run(Main.EXIT_DENY, "receipts", "verify", "--dir", receipts.toString());
        assertTrue(broken[0].contains("BROKEN at day 2024-10-05 segment 0 block "), broken[0]);
        assertTrue(broken[0].contains("block digest"), broken[0]);
        run(Main.EXIT_DENY, "receipts", "verify", "--dir", receipts.toString(), "--day", "2024-10-05");
        run(Main.EXIT_OK, "receipts", "verify", "--dir", receipts.toString(), "--day", "2024-10-04");

        final String[] usage = run(Main.EXIT_ERROR, "receipts", "verify", "--dir", receipts.toString(), "--day",
            "yesterday");
        assertTrue(usage[1].contains("expected: YYYY-MM-DD"), usage[1]);
        run(Main.EXIT_ERROR, "receipts", "verify");
    }

    @Test
    void shouldIgnoreButNameATornTailKeptBesideASegment() throws Exception
    {
        final Path receipts = dir.resolve("receipts");
        try (ReceiptJournal journal = ReceiptJournal.open(receipts, (run, party) -> "peer:127.0.0.1",
            DAY * DAY_MS, 8192))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ReceiptEncoder.BLOCK_LENGTH));
            final ReceiptEncoder encoder = new ReceiptEncoder();
            for (long s = 1; s <= 10; s++)
            {
                encoder.wrap(buffer, 0).decisionId(1L << 48 | s).dayMillis((int)s).brand(600_001).party(1);
                journal.append(buffer, 0, DAY);
            }
        }
        final Path kept = receipts.resolve("2024-10-04").resolve("000000.seg.torn-1728000000000");
        Files.write(kept, new byte[] {1, 2, 3, 4, 5});
        final String[] ok = run(Main.EXIT_OK, "receipts", "verify", "--dir", receipts.toString());
        assertTrue(ok[0].contains("OK: 10 receipts verified"), ok[0]);
        assertTrue(ok[0].contains("note: torn tail kept in " + kept), ok[0]);
        final String[] day = run(Main.EXIT_OK, "receipts", "verify", "--dir", receipts.toString(), "--day",
            "2024-10-04");
        assertTrue(day[0].contains("note: torn tail kept in " + kept), day[0]);
    }

    private static String[] run(final int expected, final String... argv)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        final String[] printed = {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        assertEquals(expected, exit, printed[0] + printed[1]);
        return printed;
    }
}
