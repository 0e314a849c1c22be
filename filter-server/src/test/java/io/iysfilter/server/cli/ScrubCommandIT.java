package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.receipts.ScrubProof;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scrub} against a running server, on lists whose every row's answer is known.
 */
@Timeout(120)
class ScrubCommandIT
{
    @TempDir
    static Path dataDir;
    private static FilterServer server;

    @TempDir
    Path work;

    @BeforeAll
    static void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    private record Row(String line, String reason)
    {
        boolean allowed()
        {
            return "CONSENT".equals(reason);
        }
    }

    /**
     * Row i of a generated list: its CSV line and the reason the server must give.
     */
    private static Row row(final int i)
    {
        final int bulk = i % Fixtures.BULK;
        return switch (i % 6)
        {
            case 0 -> new Row(i + "," + Fixtures.bulkPhone(bulk - bulk % 2) + ",x", "CONSENT");
            case 1 -> new Row(i + ",0" + Fixtures.bulkPhone(bulk | 1).substring(3) + ",\"a, b\"", "REJECTED");
            case 2 -> new Row(i + "," + String.format(Locale.ROOT, "+9056%08d", i) + ",x", "NO_CONSENT");
            case 3 -> new Row(i + ",not-a-phone-" + i + ",x", "INVALID_RECIPIENT");
            case 4 -> new Row(i + ",,x", "INVALID_RECIPIENT");
            default -> new Row(i + ",\"+90 (532) 111 11 11\",y", "CONSENT");
        };
    }

    @Test
    void shouldSplitAListLargerThanABatchInInputOrder() throws Exception
    {
        final int rows = 25_003;
        final Path in = list(rows, true);
        final Path allowed = work.resolve("allowed.csv");
        final Path denied = work.resolve("denied.csv");
        final Result result = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(),
            "--column", "phone", "--allowed", allowed.toString(), "--denied", denied.toString());
        assertEquals(0, result.exit, result.err);

        final List<String> expectedAllowed = new ArrayList<>(List.of("id,phone,name"));
        final List<String> expectedDenied = new ArrayList<>(List.of("id,phone,name,reason"));
        int consents = 0;
        for (int i = 0; i < rows; i++)
        {
            final Row row = row(i);
            if (row.allowed())
            {
                expectedAllowed.add(row.line());
                consents++;
            }
            else
            {
                expectedDenied.add(row.line() + "," + row.reason());
            }
        }
        assertEquals(expectedAllowed, Files.readAllLines(allowed));
        assertEquals(expectedDenied, Files.readAllLines(denied));
        assertTrue(result.out.contains(String.format(Locale.ROOT, "scrubbed %,d rows", rows)), result.out);
        assertTrue(result.out.matches("(?s).*ALLOW\\s+CONSENT\\s+" + String.format(Locale.ROOT, "%,d", consents) +
            "\\s.*"), result.out);
        final int bad = (rows + 2) / 6 + (rows + 1) / 6;
        assertTrue(result.out.contains(String.format(Locale.ROOT, "%,d bad rows", bad)), result.out);
        assertTrue(result.err.contains("bad row line 5: INVALID_RECIPIENT '3,not-a-phone-3,x'"), result.err);
        assertTrue(result.err.contains("bad row line 6: INVALID_RECIPIENT (empty) '4,,x'"), result.err);
    }

    @Test
    void shouldCopyRowsByteForByteEvenWhenTheyAreNotUtf8AndEndThemInLf() throws Exception
    {
        final byte[] notUtf8 = {'x', (byte)0xFF, (byte)0xC3, 'y'};
        final ByteArrayOutputStream list = new ByteArrayOutputStream();
        list.writeBytes("id,phone,name\r\n".getBytes(StandardCharsets.UTF_8));
        list.writeBytes(("1," + row(0).line().split(",")[1] + ",").getBytes(StandardCharsets.UTF_8));
        list.writeBytes(notUtf8);
        list.writeBytes(("\r\n2,\"" + row(5).line().split("\"")[1] + "\",Ayşe\r3,").getBytes(StandardCharsets.UTF_8));
        list.writeBytes(notUtf8);
        list.writeBytes(",z".getBytes(StandardCharsets.UTF_8));
        final Path in = Files.write(work.resolve("raw.csv"), list.toByteArray());
        final Path allowed = work.resolve("allowed.csv");
        final Path denied = work.resolve("denied.csv");
        final Result result = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(),
            "--column", "phone", "--allowed", allowed.toString(), "--denied", denied.toString());
        assertEquals(0, result.exit, result.err);

        final ByteArrayOutputStream expectedAllowed = new ByteArrayOutputStream();
        expectedAllowed.writeBytes(("id,phone,name\n1," + row(0).line().split(",")[1] + ",")
            .getBytes(StandardCharsets.UTF_8));
        expectedAllowed.writeBytes(notUtf8);
        expectedAllowed.writeBytes(("\n2,\"" + row(5).line().split("\"")[1] + "\",Ayşe\n")
            .getBytes(StandardCharsets.UTF_8));
        assertEquals(new String(expectedAllowed.toByteArray(), StandardCharsets.ISO_8859_1),
            new String(Files.readAllBytes(allowed), StandardCharsets.ISO_8859_1));
        final ByteArrayOutputStream expectedDenied = new ByteArrayOutputStream();
        expectedDenied.writeBytes("id,phone,name,reason\n3,".getBytes(StandardCharsets.UTF_8));
        expectedDenied.writeBytes(notUtf8);
        expectedDenied.writeBytes(",z,INVALID_RECIPIENT\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(new String(expectedDenied.toByteArray(), StandardCharsets.ISO_8859_1),
            new String(Files.readAllBytes(denied), StandardCharsets.ISO_8859_1));
        assertTrue(result.err.contains("bad row line 4: INVALID_RECIPIENT (not ASCII) '3,x\uFFFD"),
            "printed as text: " + result.err);
    }

    @Test
    void shouldPreviewWithoutWritingFiles() throws Exception
    {
        final Path in = list(600, false);
        final Result result = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(),
            "--column", "2", "--preview", "--batch-size", "7");
        assertEquals(0, result.exit, result.err);
        assertTrue(result.out.startsWith("previewed 600 rows"), result.out);
        assertTrue(result.out.matches("(?s).*DENY\\s+REJECTED\\s+100\\s.*"), result.out);
        assertTrue(result.out.matches("(?s).*ALLOW\\s+\\(total\\)\\s+200\\s.*"), result.out);
        try (var files = Files.list(work))
        {
            assertEquals(1, files.count(), "only the input is there");
        }
    }

    @Test
    void shouldWriteTheProofOfTheRunWithTheInputsDigestAndTheCountsByReason() throws Exception
    {
        final Path in = list(600, false);
        final Path proof = work.resolve("proof.json");
        final Result result = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(),
            "--column", "2", "--preview", "--batch-size", "7", "--proof", proof.toString());
        assertEquals(0, result.exit, result.err);
        final String json = Files.readString(proof).strip();
        final String digest = ScrubProof.hex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(in)));
        assertTrue(json.contains("\"inputSha256\":\"" + digest + "\""), json);
        assertTrue(json.contains("\"server\":\"127.0.0.1:" + server.binaryPort() + "\""), json);
        assertTrue(json.contains("\"rows\":600,"), json);
        // the same counts as the rows' reasons (list(): a sixth each of CONSENT twice, REJECTED, NO_CONSENT, and
        // INVALID_RECIPIENT twice), in the reasons' order
        assertTrue(json.contains("\"byReason\":{\"CONSENT\":200,\"REJECTED\":100,\"NO_CONSENT\":100," +
            "\"INVALID_RECIPIENT\":200}"), json);
        // this server records nothing (receipts off, the test context's default): no decision ids to name
        assertTrue(json.contains("\"firstDecisionId\":\"0000000000000000\",\"lastDecisionId\":\"" +
            "0000000000000000\""), json);
        // ...so every row it answered is unrecorded, and the rest were answered here, without a receipt
        final java.util.regex.Matcher split = java.util.regex.Pattern.compile(
            "\"answeredLocally\":(\\d+),\"unrecorded\":(\\d+)").matcher(json);
        assertTrue(split.find(), json);
        assertTrue(Long.parseLong(split.group(1)) > 0, "the list holds rows the CLI cannot send: " + json);
        assertEquals(600, Long.parseLong(split.group(1)) + Long.parseLong(split.group(2)), json);
    }

    @Test
    void shouldTakeTheSmallestAndGreatestDecisionIdsRecordedWhateverTheirOrder()
    {
        final ListScrubber.Tally tally = new ListScrubber.Tally();
        tally.onDecisionId(0);
        tally.onDecisionId(0x0002_0000_0000_0005L);
        tally.onDecisionId(0x0002_0000_0000_0003L);
        tally.onDecisionId(0);
        tally.onDecisionId(0x0002_0000_0000_0009L);
        tally.onDecisionId(0x0002_0000_0000_0007L);
        assertEquals(0x0002_0000_0000_0003L, tally.firstId);
        assertEquals(0x0002_0000_0000_0009L, tally.lastId);
    }

    @Test
    void shouldHandleEmptyAndHeaderOnlyLists() throws Exception
    {
        final Path empty = Files.writeString(work.resolve("empty.csv"), "");
        final Result none = scrub("--brand", "600001", "--channel", "MESAJ", "--in", empty.toString(),
            "--allowed", work.resolve("a.csv").toString(), "--denied", work.resolve("d.csv").toString());
        assertEquals(0, none.exit, none.err);
        assertTrue(none.out.startsWith("scrubbed 0 rows"), none.out);
        assertEquals(0, Files.size(work.resolve("a.csv")));

        final Path headerOnly = Files.writeString(work.resolve("header.csv"), "id,phone\n");
        final Result headerResult = scrub("--brand", "600001", "--channel", "MESAJ", "--in", headerOnly.toString(),
            "--column", "phone", "--allowed", work.resolve("a.csv").toString(), "--denied",
            work.resolve("d.csv").toString());
        assertEquals(0, headerResult.exit, headerResult.err);
        assertEquals(List.of("id,phone,reason"), Files.readAllLines(work.resolve("d.csv")));
    }

    @Test
    void shouldRefuseAColumnTheHeaderLacks() throws Exception
    {
        final Path in = list(3, true);
        final Result result = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(),
            "--column", "telefon", "--preview");
        assertEquals(2, result.exit);
        assertTrue(result.err.contains("column: 'telefon' is not in the header row"), result.err);
        assertFalse(result.out.contains("previewed"));
    }

    @Test
    void shouldMaskRecipientsInTheBadRowsItPrintsButKeepThemWholeInTheOutputs() throws Exception
    {
        final String phoneRow = "1,not-a-phone,+905321234567";
        final String emailRow = "2,,ayse.yilmaz@example.com.tr";
        final Path in = Files.writeString(work.resolve("contacts.csv"), "id,phone,contact\n" + phoneRow + "\n" +
            emailRow + "\n");
        final Path denied = work.resolve("denied.csv");
        final Result masked = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(), "--column",
            "phone", "--allowed", work.resolve("allowed.csv").toString(), "--denied", denied.toString());
        assertEquals(0, masked.exit, masked.err);
        assertTrue(masked.err.contains("bad row line 2: INVALID_RECIPIENT '1,not-a-phone,+90532*****67'") &&
            masked.err.contains("bad row line 3: INVALID_RECIPIENT (empty) '2,,a***@example.com.tr'"), masked.err);
        assertFalse(masked.err.contains("5321234567") || masked.err.contains("ayse.yilmaz"), masked.err);
        assertEquals(List.of("id,phone,contact,reason", phoneRow + ",INVALID_RECIPIENT",
            emailRow + ",INVALID_RECIPIENT"), Files.readAllLines(denied), "the operator's own rows, whole");

        final Result whole = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(), "--column",
            "phone", "--preview", "--log-recipients", "full");
        assertEquals(0, whole.exit, whole.err);
        assertTrue(whole.err.contains("'" + phoneRow + "'") && whole.err.contains("'" + emailRow + "'"), whole.err);
        assertEquals(Main.EXIT_ERROR, scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(),
            "--preview", "--log-recipients", "some").exit);
    }

    @Test
    void shouldStopAtALineOverTheCapWithoutReadingItWhole() throws Exception
    {
        final Path in = work.resolve("long.csv");
        final byte[] head = ("id,phone\n1," + Fixtures.CONSENTED + "\n").getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile out = new RandomAccessFile(in.toFile(), "rw"))
        {
            out.write(head);
            // a hole of 300 MB: a "line" of NUL bytes that costs no disk
            out.seek(head.length + 300L * 1024 * 1024);
            out.write(("\n2," + Fixtures.CONSENTED + "\n").getBytes(StandardCharsets.UTF_8));
        }
        final Result result = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(), "--column",
            "phone", "--preview");
        assertEquals(Main.EXIT_ERROR, result.exit, result.err);
        assertTrue(result.err.contains(in + ": line 3 is longer than 65536 bytes") &&
            result.err.contains("the scrub stopped there"), result.err);
    }

    private Path list(final int rows, final boolean header) throws IOException
    {
        final StringBuilder text = new StringBuilder(header ? "id,phone,name\n" : "");
        for (int i = 0; i < rows; i++)
        {
            text.append(row(i).line()).append('\n');
        }
        return Files.writeString(work.resolve("list.csv"), text);
    }

    private record Result(int exit, String out, String err)
    {
    }

    @Test
    void shouldScrubForADealerWhenOneIsNamed() throws Exception
    {
        final Path in = list(600, false);
        final Result result = scrub("--brand", "600001", "--channel", "MESAJ", "--in", in.toString(),
            "--column", "2", "--preview", "--dealer", "22233344");
        assertEquals(0, result.exit, result.err);
        // the fixtures' brand is not in dealer-access-trust-feed: every ONAY a dealer asks about fails closed
        assertTrue(result.out.matches("(?s).*DENY\\s+DEALER_ACCESS_UNKNOWN\\s+200\\s.*"), result.out);
        assertTrue(result.out.matches("(?s).*DENY\\s+REJECTED\\s+100\\s.*"), result.out);
        assertFalse(result.out.matches("(?s).*ALLOW\\s+CONSENT\\s.*"), "no row is decided as the brand's: " +
            result.out);
    }

    private Result scrub(final String... args)
    {
        final String[] argv = new String[args.length + 3];
        argv[0] = "scrub";
        System.arraycopy(args, 0, argv, 1, args.length);
        argv[args.length + 1] = "--port";
        argv[args.length + 2] = Integer.toString(server.binaryPort());
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
