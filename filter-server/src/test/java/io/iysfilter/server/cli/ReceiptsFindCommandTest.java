package io.iysfilter.server.cli;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.RecipientProtection;
import io.iysfilter.server.receipts.FoundReceipt;
import io.iysfilter.server.receipts.JournalFiller;
import io.iysfilter.server.receipts.JournalTamperer;
import io.iysfilter.server.receipts.ReceiptResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code receipts find} over a journal on disk written by the journal itself, the recipient keyed with the data
 * directory's key file as a decision keys it: the recipient's receipts of yesterday and today, the other recipient's
 * and the other brand's left out, each day named with its digest (yesterday closed with its root); and
 * {@code receipts verify} agrees with the journal.
 */
class ReceiptsFindCommandTest
{
    private static final long BRAND = 600001;
    private static final String PHONE = "+905321111111";

    @TempDir
    Path dataDir;

    private record Run(int exit, String out, String err)
    {
    }

    private static Run run(final String... argv)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldFindARecipientsReceiptsOnDiskAndVerifyTheirDays() throws Exception
    {
        final Path keyFile = IndexKey.defaultFile(dataDir);
        final IndexKey key = IndexKey.loadOrCreate(keyFile);
        final Path receipts = dataDir.resolve("receipts");
        final long today = LocalDate.now(ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        final long yesterday = today - FoundReceipt.DAY_MS + 3_600_000;
        final long[] ids = new long[2];
        try (JournalFiller journal = JournalFiller.open(receipts, RecipientProtection.of(key)::protect, yesterday))
        {
            ids[0] = journal.add(yesterday, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT);
            journal.add(yesterday + 1, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, "+905322222222",
                Reason.CONSENT);
            journal.add(yesterday + 2, 600002, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT);
            ids[1] = journal.add(today + 1_000, BRAND, Channel.ARAMA, RecipientType.TACIR, "05321111111",
                Reason.NO_CONSENT);
        }

        final Run json = run("receipts", "find", "--brand", Long.toString(BRAND), "--recipient", PHONE,
            "--data-dir", dataDir.toString());
        assertEquals(0, json.exit(), json.err());
        assertTrue(json.out().contains("\"count\":2,"), json.out());
        assertTrue(json.out().contains("\"decisionId\":\"" + DecisionIds.text(ids[0]) + "\""), json.out());
        assertTrue(json.out().contains("\"decisionId\":\"" + DecisionIds.text(ids[1]) + "\""), json.out());
        assertTrue(json.out().contains("\"party\":\"client:test\""), json.out());
        assertTrue(json.out().contains("\"closed\":true,\"root\":\""), "yesterday is closed: " + json.out());
        assertTrue(json.out().contains("\"closed\":false,\"head\":\""), "today is open: " + json.out());
        assertFalse(json.out().contains("5321111111"), "the answer never holds the recipient");

        final Run csv = run("receipts", "find", "--brand", Long.toString(BRAND), "--recipient", PHONE,
            "--data-dir", dataDir.toString(), "--from", LocalDate.now(ZoneOffset.UTC).toString(), "--format", "csv");
        assertEquals(0, csv.exit(), csv.err());
        final String[] lines = csv.out().split("\n");
        assertEquals(ReceiptResults.CSV_HEADER, lines[0]);
        assertEquals(2, lines.length, csv.out());
        assertTrue(lines[1].startsWith(DecisionIds.text(ids[1]) + ","), lines[1]);

        final Run verify = run("receipts", "verify", "--dir", receipts.toString());
        assertEquals(0, verify.exit(), verify.out() + verify.err());

        final Run wrongKey = run("receipts", "find", "--brand", Long.toString(BRAND), "--recipient", "nobody",
            "--data-dir", dataDir.toString());
        assertEquals(Main.EXIT_ERROR, wrongKey.exit());
        assertTrue(wrongKey.err().contains("recipient: not a phone number or e-mail address"), wrongKey.err());
    }

    @Test
    void shouldFailWholeNamingTheDayWhenADaySearchedNumbersItsPartiesOtherwiseThanTheJournal() throws Exception
    {
        final IndexKey key = IndexKey.loadOrCreate(IndexKey.defaultFile(dataDir));
        final Path receipts = dataDir.resolve("receipts");
        final LocalDate todayDate = LocalDate.now(ZoneOffset.UTC);
        final LocalDate yesterdayDate = todayDate.minusDays(1);
        final long today = todayDate.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        final long yesterday = today - FoundReceipt.DAY_MS + 3_600_000;
        final long todays;
        try (JournalFiller journal = JournalFiller.open(receipts, RecipientProtection.of(key)::protect, yesterday))
        {
            journal.add(yesterday, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT);
            todays = journal.add(today + 1_000, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE, Reason.CONSENT);
        }
        // yesterday's only day party renumbered 2 and every digest recomputed: its receipt names day party 1, which
        // the day no longer numbers (find used to print it with party and dealer unknown)
        JournalTamperer.renumberDayParty(receipts, yesterdayDate.toEpochDay(), 1, 2);

        final Run refused = run("receipts", "find", "--brand", Long.toString(BRAND), "--recipient", PHONE,
            "--data-dir", dataDir.toString());
        assertEquals(Main.EXIT_ERROR, refused.exit(), refused.out() + refused.err());
        assertEquals("", refused.out(), "no receipt printed, of either day");
        assertTrue(refused.err().contains("receipts find: day " + yesterdayDate + " segment 0 block ") &&
            refused.err().contains(": PARTIES entry: day parties skipped") &&
            refused.err().contains("run iys-filter receipts verify --day " + yesterdayDate), refused.err());

        final Run verify = run("receipts", "verify", "--dir", receipts.toString());
        assertEquals(Main.EXIT_DENY, verify.exit(), verify.out() + verify.err());
        assertTrue(verify.out().contains("BROKEN at day " + yesterdayDate + " segment 0 block ") &&
            verify.out().contains("PARTIES entry: day parties skipped"), verify.out() + verify.err());

        final Run todayOnly = run("receipts", "find", "--brand", Long.toString(BRAND), "--recipient", PHONE,
            "--data-dir", dataDir.toString(), "--from", todayDate.toString());
        assertEquals(0, todayOnly.exit(), todayOnly.err());
        assertTrue(todayOnly.out().contains("\"count\":1,") &&
            todayOnly.out().contains("\"decisionId\":\"" + DecisionIds.text(todays) + "\""), todayOnly.out());
    }
}
