package io.iysfilter.server.iys;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DailyFileImporterTest
{
    private static final long BRAND = 600_001;
    private static final String HEADER =
        "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n";
    private static final String TX = "f26ab9" + "0".repeat(57);

    @TempDir
    Path dataDir;

    private ConsentStore store;
    private IngestPipeline pipeline;

    @BeforeEach
    void open() throws Exception
    {
        store = ConsentStore.open(dataDir, TestKeys.options(1_000));
        pipeline = new IngestPipeline(store.writer(), 1024);
        pipeline.createBrand(BRAND).get();
    }

    @AfterEach
    void close()
    {
        pipeline.close();
        store.close();
    }

    @Test
    void shouldApplyValidLinesAndReportEachBadOneWithoutStopping() throws IOException
    {
        final DailyFileImporter.Report report = importText(HEADER +
            "2020-10-29 23:58:53, " + TX + "1, ornek@mail.com, BIREYSEL, EPOSTA, ONAY, 2017-06-28 19:39:28, HS_WEB\n" +
            "2020-10-29 23:59:00," + TX + "2,05321234567,BIREYSEL,MESAJ,ONAY,2020-10-29 23:00:00,HS_MESAJ\n" +
            "2020-10-29 23:59:01," + TX + "3,+905321234567,BIREYSEL,MESAJ,RET,2020-10-29 23:30:00,IYS_KISAMESAJ\n" +
            "2020-10-29 23:59:02," + TX + "4,12345,BIREYSEL,MESAJ,ONAY,2020-10-29 23:00:00,HS_WEB\n" +
            "\n" +
            "29-10-2020 23:59:03," + TX + "5,05329999999,BIREYSEL,MESAJ,ONAY,2020-10-29 23:00:00,HS_WEB\n" +
            "2020-10-29 23:59:04," + TX + "6,05328888888,BIREYSEL,MESAJ,RED,2020-10-29 23:00:00,HS_WEB\n" +
            "2020-10-29 23:59:05," + TX + "7,ali@example.com,BIREYSEL,MESAJ,ONAY,2020-10-29 23:00:00,HS_WEB\n" +
            "2020-10-29 23:59:06," + TX + "8,05327777777,TACIR,ARAMA,ONAY,,\n" +
            "2020-10-29 23:59:07," + TX + "9,05326666666,BIREYSEL,ARAMA,ONAY,,\n" +
            "2020-10-29 23:59:08," + TX + "a,05325555555,BIREYSEL,ARAMA,ONAY,2020-10-29 23:00:00,XX_WEB\n" +
            "2020-10-29 23:59:09," + TX + "b,05324444444,BIREYSEL\n" +
            "2020-10-29 23:58:00," + TX + "c,05321234567,BIREYSEL,MESAJ,ONAY,2020-10-29 22:00:00,HS_WEB\n");

        assertEquals(12, report.lines(), "the blank line is not counted");
        assertEquals(4, report.applied(), "lines 2, 3, 4 and 10");
        assertEquals(1, report.superseded(), "line 14 is older than the RET of line 4");
        assertEquals(7, report.rejected());
        final List<String> rejections = report.rejections();
        assertEquals(7, rejections.size());
        assertTrue(rejections.get(0).startsWith("line 5: invalid recipient: '12345'"), rejections.get(0));
        assertTrue(rejections.get(1).startsWith("line 7: invalid creationDate"), rejections.get(1));
        assertTrue(rejections.get(2).startsWith("line 8: invalid status: 'RED'"), rejections.get(2));
        assertTrue(rejections.get(3).startsWith("line 9: recipient does not fit type"), rejections.get(3));
        assertTrue(rejections.get(4).startsWith("line 11: missing consentDate"), rejections.get(4));
        assertTrue(rejections.get(5).startsWith("line 12: invalid source: 'XX_WEB'"), rejections.get(5));
        assertTrue(rejections.get(6).startsWith("line 13: too few columns"), rejections.get(6));

        assertEquals(ConsentStatus.RET, status(Channel.MESAJ, RecipientType.BIREYSEL, "05321234567"));
        assertEquals(ConsentStatus.ONAY, status(Channel.EPOSTA, RecipientType.BIREYSEL, "ORNEK@mail.com"));
        assertEquals(ConsentStatus.ONAY, status(Channel.ARAMA, RecipientType.TACIR, "05327777777"));
        assertEquals(ConsentStatus.NONE, status(Channel.MESAJ, RecipientType.BIREYSEL, "05329999999"));
    }

    @Test
    void shouldChangeNothingWhenTheSameFileIsImportedTwice() throws IOException
    {
        final String file = HEADER +
            "2021-01-01 10:00:00," + TX + "1,05321234567,BIREYSEL,MESAJ,ONAY,2021-01-01 09:00:00,HS_WEB\n" +
            "2021-01-02 10:00:00," + TX + "2,05321234567,BIREYSEL,MESAJ,RET,2021-01-02 09:00:00,IYS_WEB\n";
        assertEquals(2, importText(file).applied());
        final DailyFileImporter.Report again = importText(file);
        assertEquals(0, again.applied());
        assertEquals(2, again.superseded());
        assertEquals(ConsentStatus.RET, status(Channel.MESAJ, RecipientType.BIREYSEL, "05321234567"));
    }

    /**
     * A 300 MB line is refused at the cap, naming it, having read little more than the cap: the lines before it are
     * applied, nothing after it is read.
     */
    @Test
    void shouldStopAtALineOverTheCapWithoutReadingItWhole()
    {
        final byte[] head = (HEADER + "2020-10-29 23:59:00," + TX + "1,05321234567,BIREYSEL,MESAJ,RET," +
            "2020-10-29 23:00:00,HS_MESAJ\r\n").getBytes(StandardCharsets.UTF_8);
        final long total = head.length + 300L * 1024 * 1024;
        final long[] served = new long[1];
        final InputStream file = new InputStream()
        {
            @Override
            public int read()
            {
                if (served[0] == total)
                {
                    return -1;
                }
                final long at = served[0]++;
                return at < head.length ? head[(int)at] : 'x';
            }
        };
        final IOException refused = assertThrows(IOException.class,
            () -> new DailyFileImporter(pipeline, BRAND, 10, null).importStream(file, 0));
        assertTrue(refused.getMessage().startsWith("line 3 is longer than " + DailyFileImporter.MAX_LINE_BYTES +
            " bytes (expected: a daily change file, one record per line); the import stopped there"),
            refused.getMessage());
        assertTrue(served[0] < head.length + 2L * DailyFileImporter.MAX_LINE_BYTES, "read " + served[0] + " bytes");
        assertEquals(ConsentStatus.RET, status(Channel.MESAJ, RecipientType.BIREYSEL, "05321234567"),
            "the line before it is applied");
    }

    @Test
    void shouldAcceptColumnsInAnyOrderQuotesAndAByteOrderMark() throws IOException
    {
        final DailyFileImporter.Report report = importText("\uFEFFtype,status,recipient,recipientType," +
            "creationDate,transactionId,consentDate,source\n" +
            "\"EPOSTA\",\"ONAY\",\"veli@example.com\",BIREYSEL,2021-01-01 10:00:00," + TX +
            "1,\"2021-01-01 09:00:00\",HS_WEB\n");
        assertEquals(1, report.applied(), report.rejections().toString());
        assertEquals(ConsentStatus.ONAY, status(Channel.EPOSTA, RecipientType.BIREYSEL, "veli@example.com"));
    }

    @Test
    void aRecordFromTheFutureIsRejectedWithItsReasonAndTheRealRetHolds() throws IOException
    {
        final DailyFileImporter.Report report = importText(HEADER +
            "2025-11-20 10:00:00," + TX + "1,05321234567,BIREYSEL,MESAJ,RET,2025-11-20 09:00:00,IYS_WEB\n" +
            "2099-12-31 00:00:00," + TX + "2,05321234567,BIREYSEL,MESAJ,ONAY,2099-12-30 00:00:00,HS_WEB\n");
        assertEquals(1, report.applied());
        assertEquals(1, report.rejected());
        assertTrue(report.rejections().get(0).startsWith("line 3: creationDate 2099-12-31 00:00:00 lies in the " +
            "future"), report.rejections().get(0));
        assertEquals(ConsentStatus.RET, status(Channel.MESAJ, RecipientType.BIREYSEL, "05321234567"));
        assertTrue(store.brand(BRAND).asOfMs() <= System.currentTimeMillis());
        assertEquals(1, pipeline.rejected(), "counted as rejected by the writer");
    }

    @Test
    void aCreationWindowRejectsRecordsOfOtherDays() throws IOException
    {
        final byte[] bytes = (HEADER +
            "2025-11-20 00:00:00," + TX + "1,05321234567,BIREYSEL,MESAJ,RET,2025-11-20 00:00:00,IYS_WEB\n" +
            "2025-11-21 00:00:00," + TX + "2,05321234568,BIREYSEL,MESAJ,ONAY,2025-11-20 09:00:00,HS_WEB\n" +
            "2025-11-19 23:59:59," + TX + "3,05321234569,BIREYSEL,MESAJ,ONAY,2025-11-19 09:00:00,HS_WEB\n")
            .getBytes(StandardCharsets.UTF_8);
        final long day = IysTime.parseSeconds("2025-11-20 00:00:00");
        final DailyFileImporter.Report report = new DailyFileImporter(pipeline, BRAND, 100, null)
            .creationWindow(day, day + 86_400, "the file's day 2025-11-20")
            .importStream(new ByteArrayInputStream(bytes), bytes.length);
        assertEquals(1, report.applied());
        assertEquals(2, report.rejected());
        assertEquals("line 3: creationDate outside the file's day 2025-11-20: '2025-11-21 00:00:00'",
            report.rejections().get(0));
        assertEquals(ConsentStatus.NONE, status(Channel.MESAJ, RecipientType.BIREYSEL, "05321234568"));
    }

    @Test
    void shouldRefuseAFileWithoutTheHeaderRow()
    {
        final IOException noHeader = assertThrows(IOException.class, () -> importText(
            "2021-01-01 10:00:00," + TX + "1,05321234567,BIREYSEL,MESAJ,ONAY,2021-01-01 09:00:00,HS_WEB\n"));
        assertTrue(noHeader.getMessage().contains("header row lacks column 'creationDate'"), noHeader.getMessage());
        assertThrows(IOException.class, () -> importText(""));
    }

    @Test
    void anAsciiLineReadAsBytesGetsTheOutcomeItsTextGets() throws IOException
    {
        // every line once as it is (ASCII: split and validated as bytes) and once with a ninth column of Turkish text
        // (decoded and split as text, the way every line was taken before): each line's change or rejection must agree;
        // each field is its first, valid choice 3 times in 4, so that some lines are valid whole
        final String[][] choices = {
            {"2020-10-29 23:58:53", " 2020-10-29 23:58:54\t", "\"2020-10-29 23:58:55\"", "\" 2020-10-29 23:58:56\"",
                "2020-13-29 23:58:53", "", "\"\"", "2020-10-29T23:58:53"},
            {TX + "1", " " + TX + "2 ", "\"" + TX + "3\"", "", "12345678-9abc-def0-1234-56789abcdef0", "xyz",
                "\"a\"\"b\""},
            {"05321234567", "+90 532 123 45 67", " ornek@mail.com ", "\"ali@example.com\"", "12345", "\"a\"\"b@c.com\"",
                "\"0532,1234567\"", "x@y"},
            {"BIREYSEL", "TACIR", " BIREYSEL\t", "bireysel", "\"TACIR\"", "", "UNSPECIFIED"},
            {"MESAJ", "ARAMA", "EPOSTA", "mesaj", "\"EPOSTA\"", "\t MESAJ\t", ""},
            {"ONAY", "RET", "RED", "\"RET\"", " ONAY ", ""},
            {"2020-10-29 23:00:00", "", "\"2020-10-29 23:00:01\"", "2020-10-29", "  "},
            {"HS_WEB", "IYS_KISAMESAJ", "", "XX_WEB", "HS_", "\"HS_MESAJ\"", " HS_FIZIKSEL_ORTAM ", "\"unclosed"}};
        final Random random = new Random(20261202L);
        final StringBuilder plain = new StringBuilder(HEADER);
        final StringBuilder turkish = new StringBuilder(HEADER.replace("\n", ",note\n"));
        for (int n = 0; n < 3_000; n++)
        {
            final StringBuilder line = new StringBuilder();
            for (int column = 0; column < choices.length; column++)
            {
                line.append(column == 0 ? "" : ",")
                    .append(choices[column][random.nextInt(4) > 0 ? 0 : random.nextInt(choices[column].length)]);
            }
            plain.append(line).append('\n');
            turkish.append(line).append(",şükrü çiğdem\n");
        }
        final List<String> asBytes = outcomes(plain.toString());
        final List<String> asText = outcomes(turkish.toString());

        assertEquals(3_000, asBytes.size());
        assertEquals(asText, asBytes);
        assertTrue(asBytes.stream().filter(outcome -> outcome.contains(": change ")).count() > 100, "valid lines");
        assertTrue(asBytes.stream().filter(outcome -> !outcome.contains(": change ")).count() > 100, "rejected lines");
    }

    @Test
    void theFirstRejectionsAreListedInLineOrderWhicheverThreadFoundThem() throws IOException
    {
        // the writer finds the future-dated line 2 only when its run is handed over, after the reading thread has
        // refused the 20 bad lines behind it; the report still lists the first rejections of the file
        final StringBuilder file = new StringBuilder(HEADER +
            "2099-12-31 00:00:00," + TX + "2,05321234567,BIREYSEL,MESAJ,ONAY,2099-12-30 00:00:00,HS_WEB\n");
        for (int i = 0; i < 20; i++)
        {
            file.append("not a record\n");
        }
        final byte[] bytes = file.toString().getBytes(StandardCharsets.UTF_8);
        final DailyFileImporter.Report report = new DailyFileImporter(pipeline, BRAND, 3, null)
            .importStream(new ByteArrayInputStream(bytes), bytes.length);

        assertEquals(21, report.rejected());
        assertEquals(3, report.rejections().size());
        assertTrue(report.rejections().get(0).startsWith("line 2: creationDate 2099-12-31"),
            report.rejections().get(0));
        assertEquals("line 3: too few columns: 1 (expected: 8)", report.rejections().get(1));
        assertEquals("line 4: too few columns: 1 (expected: 8)", report.rejections().get(2));
    }

    @Test
    void aFileTakenAsBytesOrAsTextGetsTheSameOutcomeForEveryLine() throws IOException
    {
        final String[] lines = {
            "2020-10-29 23:58:53," + TX + "1,05321234567,BIREYSEL,MESAJ,ONAY,2020-10-29 23:00:00,HS_WEB",
            " \"2020-10-29 23:58:54\" , " + TX + "2 ,\"ali@example.com\",TACIR,EPOSTA,RET,,",
            "\u000b2020-10-29 23:58:55\u001f," + TX + "3,+90 532 111 22 33,BIREYSEL,ARAMA,ONAY,2020-10-29 23:00:00," +
                "HS_WEB",
            "2020-10-29 23:58:56," + TX + "4,05321234567,BIREYSEL,MESAJ",
            "", "   ", "\t\u001c", "\u007f",
            "2020-10-29 23:58:57,\"" + TX + "5,05321234567,BIREYSEL,MESAJ,ONAY,2020-10-29 23:00:00,HS_WEB",
            "2020-10-29 23:58:58," + TX + "6,\"a\"\"b@c.com\",BIREYSEL,EPOSTA,ONAY,2020-10-29 23:00:00,HS_WEB"};
        final String[] ends = {"\n", "\r\n", "\r"};
        final Random random = new Random(6563L);
        final StringBuilder file = new StringBuilder(HEADER);
        for (int n = 0; n < 2_000; n++)
        {
            file.append(lines[random.nextInt(lines.length)].replace(TX, TX.substring(0, 60) + n))
                .append(ends[random.nextInt(ends.length)]);
        }
        final byte[] bytes = file.toString().getBytes(StandardCharsets.UTF_8);

        final List<String> asBytes = outcomes(new DailyFileImporter(pipeline, BRAND, 10_000, null), bytes);
        final List<String> asText = outcomes(new DailyFileImporter(pipeline, BRAND, 10_000, null).textOnly(), bytes);

        assertEquals(asText, asBytes);
        assertTrue(asBytes.size() > 1_000, "blank lines are skipped, the rest all have an outcome: " + asBytes.size());
    }

    @Test
    void theValidLinesBeforeAnInspectorsExceptionStillReachTheWriter() throws Exception
    {
        final StringBuilder file = new StringBuilder(HEADER);
        for (int i = 1; i <= 5; i++)
        {
            file.append("2020-10-29 23:59:0").append(i).append(',').append(TX).append(i).append(",0532100000")
                .append(i).append(",BIREYSEL,MESAJ,ONAY,2020-10-29 23:00:00,HS_WEB\n");
        }
        final byte[] bytes = file.toString().getBytes(StandardCharsets.UTF_8);
        final DailyFileImporter importer = new DailyFileImporter(pipeline, BRAND, 10, null).inspector((line, change) ->
        {
            if (line == 5)
            {
                throw new IllegalStateException("inspector failed at line 5");
            }
        });

        final IllegalStateException thrown = assertThrows(IllegalStateException.class,
            () -> importer.importStream(new ByteArrayInputStream(bytes), bytes.length));
        assertEquals("inspector failed at line 5", thrown.getMessage());
        pipeline.barrier().get();

        for (int i = 1; i <= 3; i++)
        {
            assertEquals(ConsentStatus.ONAY, status(Channel.MESAJ, RecipientType.BIREYSEL, "0532100000" + i),
                "line " + (i + 1) + ", read before the exception");
        }
        assertEquals(ConsentStatus.NONE, status(Channel.MESAJ, RecipientType.BIREYSEL, "05321000004"),
            "line 5, whose inspection threw, is not applied");
        assertEquals(ConsentStatus.NONE, status(Channel.MESAJ, RecipientType.BIREYSEL, "05321000005"),
            "line 6, after it, is not read");
    }

    @Test
    void anAsciiLineIsBlankExactlyWhenItsTextIs()
    {
        for (int c = 0; c < 0x80; c++)
        {
            for (final String around : new String[]{"%s", " %s", "%s\t", "\u000b%s\u001f "})
            {
                final String text = String.format(around, (char)c);
                final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
                assertEquals(text.isBlank(), DailyFileImporter.blank(bytes, bytes.length), "'" + text + "' " + c);
            }
        }
        assertTrue(DailyFileImporter.blank(new byte[0], 0));
    }

    /**
     * @return each data line's outcome, in line order: the change it became, or why it was rejected.
     */
    private List<String> outcomes(final String text) throws IOException
    {
        return outcomes(new DailyFileImporter(pipeline, BRAND, 10_000, null), text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @return each data line's outcome, in line order: the change it became, or why it was rejected; and checks that
     * every change inspected was handed to the writer (applied or superseded), the last partial run included.
     */
    private List<String> outcomes(final DailyFileImporter importer, final byte[] bytes) throws IOException
    {
        final TreeMap<Long, String> byLine = new TreeMap<>();
        final DailyFileImporter.Report report = importer
            .inspector((line, change) -> byLine.put(line, "line " + line + ": change " + change.brandCode() + " " +
                change.channel() + " " + change.type() + " " + change.recipient() + " " + change.word0() + " " +
                change.word1() + " " + change.dealerCount()))
            .importStream(new ByteArrayInputStream(bytes), bytes.length);
        assertEquals(byLine.size(), report.applied() + report.superseded(), "every valid line reached the writer");
        for (final String rejection : report.rejections())
        {
            final long line = Long.parseLong(rejection.substring("line ".length(), rejection.indexOf(':')));
            byLine.put(line, rejection);
        }
        assertEquals(report.lines(), byLine.size());
        return new ArrayList<>(byLine.values());
    }

    private DailyFileImporter.Report importText(final String text) throws IOException
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new DailyFileImporter(pipeline, BRAND, 100, null)
            .importStream(new ByteArrayInputStream(bytes), bytes.length);
    }

    private int status(final Channel channel, final RecipientType type, final String recipient)
    {
        final IndexLookup lookup = store.newLookup();
        final ParsedRecipient parsed = new ParsedRecipient();
        new RecipientParser().parse(recipient, parsed);
        return lookup.status(lookup.brand(BRAND), channel, type, parsed);
    }
}
