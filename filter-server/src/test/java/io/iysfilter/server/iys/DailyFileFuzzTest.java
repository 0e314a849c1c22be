package io.iysfilter.server.iys;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the daily-file import ({@link DailyFileImporter}: header, {@link CsvLine}, {@link ConsentRecordParser})
 * into a real index through the ingest pipeline. Structure-aware: a header in the real, a shuffled or a broken
 * shape, then rows of the eight fields with good, bad and fuzzed values, quoted or padded, or raw text. Checked: the
 * only refusal is an IOException (no valid header, or the index full); otherwise the report accounts for every
 * non-blank row (applied + superseded + rejected = lines) and lists no more rejections than asked.
 */
class DailyFileFuzzTest
{
    private static final long BRAND = 600_001;
    private static final int LISTED = 5;
    private static final String[][] VALUES = {
        {"2024-10-29 23:58:53", "2020-02-29 00:00:00", "2024-13-01 00:00:00", "29-10-2020 23:59:03", "", "2024-10-29"},
        {"f26ab9" + "0".repeat(58), "x", "", "\"\""},
        {"+905321234567", "05321234567", "ornek@mail.com", "ORNEK@MAIL.COM", "12345", "", "a@", "+90 532 123 45 67"},
        {"BIREYSEL", "TACIR", "bireysel", ""},
        {"MESAJ", "ARAMA", "EPOSTA", "SMS", ""},
        {"ONAY", "RET", "RED", ""},
        {"2024-10-29 23:00:00", "", "2024-10-29T23:00:00"},
        {"HS_WEB", "IYS_KISAMESAJ", "HS_MESAJ", "XX_WEB", ""}};

    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static IngestPipeline pipeline;

    @BeforeAll
    static void open() throws Exception
    {
        store = ConsentStore.open(dataDir, TestKeys.options(50_000));
        pipeline = new IngestPipeline(store.writer(), 1024);
        pipeline.createBrand(BRAND).get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void close()
    {
        pipeline.close();
        store.close();
    }

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void file(final FuzzedDataProvider data)
    {
        final StringBuilder file = new StringBuilder();
        if (data.consumeBoolean())
        {
            file.append('\uFEFF');
        }
        final String header = header(data);
        file.append(header).append(data.consumeBoolean() ? "\n" : "\r\n");
        final int rows = data.consumeInt(0, 8);
        for (int i = 0; i < rows; i++)
        {
            file.append(row(data)).append(data.consumeBoolean() ? "\n" : "\r\n");
        }
        final byte[] bytes = file.toString().getBytes(StandardCharsets.UTF_8);
        final DailyFileImporter.Report report;
        try
        {
            report = new DailyFileImporter(pipeline, BRAND, LISTED, null)
                .importStream(new ByteArrayInputStream(bytes), bytes.length);
        }
        catch (final IOException refused)
        {
            return;
        }
        assertEquals(report.lines(), report.applied() + report.superseded() + report.rejected(),
            "every row accounted for: " + report);
        assertTrue(report.rejections().size() <= Math.min(LISTED, report.rejected()), report.toString());
    }

    private static String header(final FuzzedDataProvider data)
    {
        final String[] columns = DailyFileImporter.COLUMNS.clone();
        switch (data.consumeInt(0, 5))
        {
            case 0 ->
            {
                final int a = data.consumeInt(0, columns.length - 1);
                final int b = data.consumeInt(0, columns.length - 1);
                final String swap = columns[a];
                columns[a] = columns[b];
                columns[b] = swap;
            }
            case 1 -> columns[data.consumeInt(0, columns.length - 1)] = data.consumeString(12);
            case 2 ->
            {
                return data.consumeString(80).replace('\n', ' ').replace('\r', ' ');
            }
            default ->
            {
            }
        }
        return String.join(",", columns);
    }

    private static String row(final FuzzedDataProvider data)
    {
        if (data.consumeInt(0, 9) == 0)
        {
            return data.consumeString(80).replace('\n', ' ').replace('\r', ' ');
        }
        final StringBuilder row = new StringBuilder();
        final int fields = data.consumeInt(0, 7) == 0 ? data.consumeInt(0, 10) : VALUES.length;
        for (int f = 0; f < fields; f++)
        {
            String value = f < VALUES.length && data.consumeInt(0, 4) != 0 ? data.pickValue(VALUES[f]) :
                data.consumeString(20).replace('\n', ' ').replace('\r', ' ');
            switch (data.consumeInt(0, 7))
            {
                case 0 -> value = "\"" + value.replace("\"", "\"\"") + "\"";
                case 1 -> value = " " + value + " ";
                default ->
                {
                }
            }
            row.append(f == 0 ? "" : ",").append(value);
        }
        return row.toString();
    }
}
