package io.iysfilter.server.cli;

import io.iysfilter.client.RecipientBatch;
import io.iysfilter.client.ScriptedFilterServer;
import io.iysfilter.protocol.codecs.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scrub} against a server announcing limits smaller than this version's (a scripted one on 127.0.0.1, which
 * answers CONSENT for a recipient ending in an even digit and NO_CONSENT otherwise): its batches keep within the
 * announced {@code maxBatchEntries} and {@code maxFrameLength}, a row whose recipient the server would not take is
 * answered here, DENY INVALID_RECIPIENT with why, and every row comes out once, in input order, with its answer.
 */
@Timeout(60)
class ScrubServerLimitsTest
{
    private static final String HEADER = "id,phone";

    @TempDir
    Path work;

    private ScriptedFilterServer server;

    @AfterEach
    void stop() throws IOException
    {
        if (server != null)
        {
            server.close();
        }
    }

    /**
     * A row of the list, the reason it must get and whether the server is asked about it.
     */
    private record Row(String phone, Reason reason, boolean asked)
    {
    }

    @Test
    void shouldKeepBatchesWithinTheAnnouncedEntriesAndFrameAndAnswerLongerRecipientsLocally() throws Exception
    {
        // three entries a batch, recipients of at most 12 bytes, and a frame that takes three of 10 bytes, no more
        final long maxFrame = RecipientBatch.frameLength(3, 30);
        server = new ScriptedFilterServer(maxFrame, 3, 12);
        server.answerWith(ScrubServerLimitsTest::evenDigitConsents);
        final List<Row> rows = List.of(
            new Row("0532000001", Reason.NO_CONSENT, true),
            new Row("0532000002", Reason.CONSENT, true),
            // three entries of 10 bytes: full by the entry limit and the frame at once
            new Row("0532000004", Reason.CONSENT, true),
            new Row("+90532000005", Reason.NO_CONSENT, true),
            new Row("+905320000066", Reason.INVALID_RECIPIENT, false),
            new Row("0532000008\u0131", Reason.INVALID_RECIPIENT, false),
            new Row("+90532000008", Reason.CONSENT, true),
            // 12 + 12 + 11 bytes would pass the frame: the two before go without it
            new Row("05320000010", Reason.CONSENT, true),
            new Row("", Reason.INVALID_RECIPIENT, false),
            new Row("0532000012", Reason.CONSENT, true),
            // 11 + 10 + 10 bytes: over the frame by one
            new Row("0532000013", Reason.NO_CONSENT, true),
            new Row("0532000014", Reason.CONSENT, true));

        final Result result = scrub(rows);

        assertEquals(0, result.exit, result.err);
        assertEquals(List.of(), server.overLimits(), "nothing over the announced limits was sent");
        assertEquals(List.of(3, 2, 2, 2), server.batchSizes(), "split by entries, then by the frame");
        assertEquals(asked(rows), server.recipients(), "every sendable recipient asked once, in order");
        assertOutputs(rows);
        assertTrue(result.out.contains("3 bad rows"), result.out);
        assertTrue(result.err.contains("bad row line 6: INVALID_RECIPIENT (longer than the server's 12 bytes) " +
            "'4,+905320000066'"), result.err);
        assertTrue(result.err.contains("bad row line 7: INVALID_RECIPIENT (not ASCII) '5,0532000008\u0131'"),
            result.err);
        assertTrue(result.err.contains("bad row line 10: INVALID_RECIPIENT (empty) '8,'"), result.err);
    }

    @Test
    void shouldAnswerLocallyARowWhoseRecipientAloneIsTooLongForTheAnnouncedFrame() throws Exception
    {
        // no entry or address limit announced (this version's hold), but a frame that takes one 11-byte recipient
        final long maxFrame = RecipientBatch.frameLength(1, 11);
        server = new ScriptedFilterServer(maxFrame, 0, 0);
        server.answerWith(ScrubServerLimitsTest::evenDigitConsents);
        final List<Row> rows = List.of(
            new Row("0532000002", Reason.CONSENT, true),
            new Row("+90532000004", Reason.INVALID_RECIPIENT, false),
            new Row("05320000003", Reason.NO_CONSENT, true),
            new Row("0532000006", Reason.CONSENT, true));

        final Result result = scrub(rows);

        assertEquals(0, result.exit, result.err);
        assertEquals(List.of(), server.overLimits());
        assertEquals(List.of(1, 1, 1), server.batchSizes(), "one recipient a frame");
        assertEquals(asked(rows), server.recipients());
        assertOutputs(rows);
        assertTrue(result.err.contains("bad row line 3: INVALID_RECIPIENT (too long for the server's frames of " +
            maxFrame + " bytes) '1,+90532000004'"), result.err);
    }

    private static Reason evenDigitConsents(final String recipient)
    {
        return (recipient.charAt(recipient.length() - 1) - '0') % 2 == 0 ? Reason.CONSENT : Reason.NO_CONSENT;
    }

    private static List<String> asked(final List<Row> rows)
    {
        final List<String> asked = new ArrayList<>();
        for (final Row row : rows)
        {
            if (row.asked())
            {
                asked.add(row.phone());
            }
        }
        return asked;
    }

    /**
     * Row i is line {@code i,phone}: each row in the output its reason sends it to, in input order, none lost.
     */
    private void assertOutputs(final List<Row> rows) throws IOException
    {
        final List<String> allowed = new ArrayList<>(List.of(HEADER));
        final List<String> denied = new ArrayList<>(List.of(HEADER + ",reason"));
        for (int i = 0; i < rows.size(); i++)
        {
            final Row row = rows.get(i);
            if (row.reason() == Reason.CONSENT)
            {
                allowed.add(i + "," + row.phone());
            }
            else
            {
                denied.add(i + "," + row.phone() + "," + row.reason());
            }
        }
        assertEquals(allowed, Files.readAllLines(work.resolve("allowed.csv"), StandardCharsets.UTF_8));
        assertEquals(denied, Files.readAllLines(work.resolve("denied.csv"), StandardCharsets.UTF_8));
    }

    private Result scrub(final List<Row> rows) throws IOException
    {
        final StringBuilder list = new StringBuilder(HEADER).append('\n');
        for (int i = 0; i < rows.size(); i++)
        {
            list.append(i).append(',').append(rows.get(i).phone()).append('\n');
        }
        final Path in = work.resolve("list.csv");
        Files.writeString(in, list, StandardCharsets.UTF_8);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"scrub", "--port", Integer.toString(server.port()), "--brand",
            "600001", "--channel", "MESAJ", "--in", in.toString(), "--column", "phone", "--log-recipients", "full",
            "--allowed", work.resolve("allowed.csv").toString(), "--denied", work.resolve("denied.csv").toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Result(int exit, String out, String err)
    {
    }
}
