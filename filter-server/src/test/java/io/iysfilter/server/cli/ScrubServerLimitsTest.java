package io.iysfilter.server.cli;

import io.iysfilter.client.FilterClient;
import io.iysfilter.client.RecipientBatch;
import io.iysfilter.client.ScriptedFilterServer;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
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
    private static final long BRAND = 600_001;

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
        serve(maxFrame, 3, 12);
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

        final Result result = assertScrubbed(rows, List.of(3, 2, 2, 2), "split by entries, then by the frame");

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
        serve(maxFrame, 0, 0);
        final List<Row> rows = List.of(
            new Row("0532000002", Reason.CONSENT, true),
            new Row("+90532000004", Reason.INVALID_RECIPIENT, false),
            new Row("05320000003", Reason.NO_CONSENT, true),
            new Row("0532000006", Reason.CONSENT, true));

        final Result result = assertScrubbed(rows, List.of(1, 1, 1), "one recipient a frame");

        assertTrue(result.err.contains("bad row line 3: INVALID_RECIPIENT (too long for the server's frames of " +
            maxFrame + " bytes) '1,+90532000004'"), result.err);
    }

    @Test
    void shouldCutBatchesByTheFrameWhileTheWindowIsFullAndWriteEveryRowOnceInOrder() throws Exception
    {
        // a frame that takes three recipients of 10 bytes; no entry or address limit announced
        serve(RecipientBatch.frameLength(3, 30), 0, 0);
        final List<Row> rows = new ArrayList<>();
        final List<Integer> entries = new ArrayList<>();
        final List<Long> rowsWritten = new ArrayList<>();
        for (int cycle = 0; cycle < 6; cycle++)
        {
            // 10 + 10 + 10 bytes fill the frame, and the empty row, answered here, joins them; 12 + 12 (+ 11) and
            // 11 + 11 (+ the next 10) would not fit: each batch is cut early, the row that did not fit starting
            // the next, which is the oldest batch written out and reused once two are in flight
            for (final int length : new int[]{10, 10, 10, 0, 12, 12, 11, 11})
            {
                rows.add(phoneRow(rows.size(), length));
            }
            entries.addAll(List.of(3, 2, 2));
            for (final int written : new int[]{4, 6, 8})
            {
                rowsWritten.add(cycle * 8L + written);
            }
        }
        final StringBuilder list = new StringBuilder();
        for (int i = 0; i < rows.size(); i++)
        {
            list.append(i).append(',').append(rows.get(i).phone()).append('\n');
        }
        final ByteArrayOutputStream allowed = new ByteArrayOutputStream();
        final ByteArrayOutputStream denied = new ByteArrayOutputStream();
        final List<Long> progress = new ArrayList<>();
        final ListScrubber.Tally tally;
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port());
            RowOutput allowedRows = new RowOutput(allowed, 64);
            RowOutput deniedRows = new RowOutput(denied, 64))
        {
            final ListScrubber scrubber = new ListScrubber(client, BRAND, FilterClient.NO_DEALER, Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Limits.MAX_BATCH_ENTRIES, 2, 100);
            final LineInput in = new LineInput(
                new ByteArrayInputStream(list.toString().getBytes(StandardCharsets.US_ASCII)), 1 << 12, 1 << 10);
            tally = scrubber.scrub(in, 1, null, allowedRows, deniedRows, (t) -> progress.add(t.rows));
        }

        assertEquals(List.of(), server.overLimits(), "nothing over the announced frame was sent");
        assertEquals(entries, server.batchSizes(), "each batch cut by the frame");
        assertEquals(asked(rows), server.recipients(), "every sendable recipient asked once, in order");
        assertEquals(rowsWritten, progress, "each batch written out whole, in order, after the one before");
        assertEquals(rows.size(), tally.rows);
        assertEquals(expected(rows, true), lines(allowed));
        assertEquals(expected(rows, false), lines(denied));
    }

    @Test
    void shouldAskABatchMadeBeforeAReconnectThatLoweredTheLimitsAgainInPiecesWithinTheNewOnes() throws Exception
    {
        // three entries a batch at first; the second batch is dropped unanswered, and the WELCOME of the
        // connection scrub makes next takes two entries a batch, of 11 bytes at most
        serve(0, 3, 0);
        server.dropAtBatch(2, 0, 2, 11);
        final List<Row> rows = new ArrayList<>();
        for (final int length : new int[]{10, 10, 11, 10, 11, 10, 10, 12, 11, 10, 12, 10, 11, 10, 10})
        {
            rows.add(phoneRow(rows.size(), length));
        }
        // the first batch, answered before the drop, and the rest, all asked (again) after it: no row of 12 bytes
        // is sent, nor a batch of three
        final List<Row> expected = new ArrayList<>();
        for (final Row row : rows)
        {
            expected.add(row.phone().length() > 11 ?
                new Row(row.phone(), Reason.INVALID_RECIPIENT, false) : row);
        }

        final Result result = scrub(rows);

        assertEquals(0, result.exit, result.err);
        assertEquals(2, server.connections(), "scrub reconnected once");
        assertEquals(List.of(), server.overLimits(), "nothing over the limits of the connection it went on");
        final List<Integer> sizes = server.batchSizes();
        assertEquals(3, sizes.get(0), "the batch answered before the drop: " + sizes);
        assertTrue(sizes.subList(1, sizes.size()).stream().allMatch((size) -> size <= 2), sizes.toString());
        // batches made after the reconnect may be asked before the retries of those made before it: order aside,
        // every row the new limits take is asked once
        final List<String> asked = new ArrayList<>(server.recipients());
        asked.sort(null);
        final List<String> expectedAsked = new ArrayList<>(asked(expected));
        expectedAsked.sort(null);
        assertEquals(expectedAsked, asked);
        assertOutputs(expected);
        assertTrue(result.err.contains("bad row line 9: INVALID_RECIPIENT (longer than the server's 11 bytes) " +
            "'7,000000000007'"), result.err);
        assertTrue(result.err.contains("bad row line 12: INVALID_RECIPIENT (longer than the server's 11 bytes) " +
            "'10,000000000010'"), result.err);
    }

    @Test
    void shouldExplainARowRefusedBeforeAReconnectWithTheLimitsThatRefusedIt() throws Exception
    {
        // recipients of 12 bytes at most at first; the second batch is dropped unanswered, and the WELCOME of the
        // connection scrub makes next takes 11: that batch's row of 13 bytes was refused by the first limits, its
        // row of 12 by the second, when the batch was asked again in pieces
        server = new ScriptedFilterServer(0, 3, 12);
        server.dropAtBatch(2, 0, 3, 11);
        server.answerWith(ScrubServerLimitsTest::evenDigitConsents);
        final List<Row> rows = new ArrayList<>();
        for (final int length : new int[]{10, 10, 10, 10, 13, 12, 10, 10, 10})
        {
            rows.add(phoneRow(rows.size(), length));
        }
        final List<Row> expected = new ArrayList<>();
        for (final Row row : rows)
        {
            expected.add(row.phone().length() > 11 ? new Row(row.phone(), Reason.INVALID_RECIPIENT, false) : row);
        }

        final Result result = scrub(rows);

        assertEquals(0, result.exit, result.err);
        assertEquals(2, server.connections(), "scrub reconnected once");
        assertEquals(List.of(), server.overLimits());
        assertOutputs(expected);
        assertTrue(result.err.contains("bad row line 6: INVALID_RECIPIENT (longer than the server's 12 bytes) " +
            "'4,0000000000004'"), result.err);
        assertTrue(result.err.contains("bad row line 7: INVALID_RECIPIENT (longer than the server's 11 bytes) " +
            "'5,000000000005'"), result.err);
    }

    @Test
    void shouldStopNamingABatchRefusedAgainWhenTheLimitsAreLoweredAgainWhileItIsAskedInPieces() throws Exception
    {
        // the second batch is dropped, the reconnect announces two entries a batch; its first piece of two is
        // dropped too, and the next reconnect announces one
        serve(0, 3, 0);
        server.dropAtBatch(2, 0, 2, 0);
        server.dropAtBatch(3, 0, 1, 0);
        final List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++)
        {
            rows.add(phoneRow(i, 10));
        }

        final Result result = scrub(rows);

        assertEquals(2, result.exit, result.err);
        assertTrue(result.err.contains("the batch starting at line 5 was refused twice: the server's limits were " +
            "lowered again while it was asked again within them"), result.err);
        assertEquals(3, server.connections());
        assertEquals(List.of(3), server.batchSizes(), "only the first batch was answered");
        assertEquals(List.of(), server.overLimits());
        // the first batch written out, nothing of the second: its rows were given no answer
        assertOutputs(rows.subList(0, 3));
    }

    /**
     * Start the scripted server announcing the limits given (0: none), answering CONSENT for a recipient ending in an
     * even digit and NO_CONSENT otherwise.
     */
    private void serve(final long maxFrameLength, final long maxBatchEntries, final long maxAddressLength)
        throws IOException
    {
        server = new ScriptedFilterServer(maxFrameLength, maxBatchEntries, maxAddressLength);
        server.answerWith(ScrubServerLimitsTest::evenDigitConsents);
    }

    /**
     * Scrub the rows, which must all come through: exit 0, nothing over the announced limits sent, batches of the
     * sizes given, every sendable recipient asked once, in order, and every row in the output its reason sends it to.
     */
    private Result assertScrubbed(final List<Row> rows, final List<Integer> batchSizes, final String howSplit)
        throws IOException
    {
        final Result result = scrub(rows);
        assertEquals(0, result.exit, result.err);
        assertEquals(List.of(), server.overLimits(), "nothing over the announced limits was sent");
        assertEquals(batchSizes, server.batchSizes(), howSplit);
        assertEquals(asked(rows), server.recipients(), "every sendable recipient asked once, in order");
        assertOutputs(rows);
        return result;
    }

    /**
     * @return row {@code index}: a recipient of {@code length} digits ending in the index (none when 0), and its
     * answer.
     */
    private static Row phoneRow(final int index, final int length)
    {
        if (length == 0)
        {
            return new Row("", Reason.INVALID_RECIPIENT, false);
        }
        final String phone = String.format("%0" + length + "d", index);
        return new Row(phone, evenDigitConsents(phone), true);
    }

    private static List<String> lines(final ByteArrayOutputStream output)
    {
        final String text = output.toString(StandardCharsets.US_ASCII);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
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
        allowed.addAll(expected(rows, true));
        final List<String> denied = new ArrayList<>(List.of(HEADER + ",reason"));
        denied.addAll(expected(rows, false));
        assertEquals(allowed, Files.readAllLines(work.resolve("allowed.csv"), StandardCharsets.UTF_8));
        assertEquals(denied, Files.readAllLines(work.resolve("denied.csv"), StandardCharsets.UTF_8));
    }

    /**
     * @return the rows (row i is line {@code i,phone}) one output holds, in input order: the allowed as they were,
     * the denied with their reason.
     */
    private static List<String> expected(final List<Row> rows, final boolean allowed)
    {
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++)
        {
            final Row row = rows.get(i);
            if ((row.reason() == Reason.CONSENT) == allowed)
            {
                lines.add(i + "," + row.phone() + (allowed ? "" : "," + row.reason()));
            }
        }
        return lines;
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
