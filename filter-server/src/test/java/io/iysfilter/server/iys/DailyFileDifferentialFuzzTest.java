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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Differential fuzzing of the import's two ways of taking a line: the same fuzzed bytes imported as they come (an
 * ASCII line split and validated as bytes) and with every line taken as text ({@link DailyFileImporter#textOnly()},
 * decoded and split by {@link CsvLine}, the way the bytes path must match). Every line's outcome, the change it became
 * or the reason it was rejected, and a refusal of the whole file, must be the same both ways. The lines are built from
 * the daily file's fields (good, bad, quoted, padded, with quotes and commas inside) and raw bytes, any byte value.
 */
class DailyFileDifferentialFuzzTest
{
    private static final long BRAND = 600_002;
    private static final String HEADER =
        "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source";
    private static final String[][] VALUES = {
        {"2024-10-29 23:58:53", " 2020-02-29 00:00:00 ", "2024-13-01 00:00:00", "29-10-2020 23:59:03", ""},
        {"f26ab9" + "0".repeat(58), "12345678-9abc-def0-1234-56789abcdef0", "x", "", "\"\""},
        {"+905321234567", "05321234567", "ornek@mail.com", "12345", "", "a@", "+90 532 123 45 67"},
        {"BIREYSEL", "TACIR", "bireysel", ""},
        {"MESAJ", "ARAMA", "EPOSTA", "SMS", ""},
        {"ONAY", "RET", "RED", ""},
        {"2024-10-29 23:00:00", "", "2024-10-29T23:00:00"},
        {"HS_WEB", "IYS_KISAMESAJ", "XX_WEB", "HS_", ""}};

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
    void bytesAndTextTakeEveryLineAlike(final FuzzedDataProvider data)
    {
        final ByteArrayOutputStream file = new ByteArrayOutputStream();
        write(file, data.consumeInt(0, 9) == 0 ? data.consumeBytes(40) : bytes(HEADER));
        final int rows = data.consumeInt(0, 8);
        for (int i = 0; i < rows; i++)
        {
            write(file, bytes(data.pickValue(new String[]{"\n", "\r\n", "\r"})));
            write(file, data.consumeInt(0, 5) == 0 ? data.consumeBytes(60) : bytes(row(data)));
        }
        final byte[] bytes = file.toByteArray();

        assertEquals(outcomes(bytes, false), outcomes(bytes, true), () -> "file: " + Arrays.toString(bytes));
    }

    private static List<String> outcomes(final byte[] bytes, final boolean textOnly)
    {
        final TreeMap<Long, String> byLine = new TreeMap<>();
        final DailyFileImporter importer = new DailyFileImporter(pipeline, BRAND, 10_000, null)
            .inspector((line, change) -> byLine.put(line, "change " + change.channel() + " " + change.type() + " " +
                change.recipient() + " " + change.word0() + " " + change.word1()));
        final DailyFileImporter.Report report;
        try
        {
            report = (textOnly ? importer.textOnly() : importer)
                .importStream(new ByteArrayInputStream(bytes), bytes.length);
        }
        catch (final IOException refused)
        {
            return List.of("refused: " + refused.getMessage());
        }
        for (final String rejection : report.rejections())
        {
            byLine.put(Long.parseLong(rejection.substring("line ".length(), rejection.indexOf(':'))), rejection);
        }
        final List<String> outcomes = new ArrayList<>();
        byLine.forEach((line, outcome) -> outcomes.add(line + ": " + outcome));
        outcomes.add("lines " + report.lines() + ", rejected " + report.rejected());
        return outcomes;
    }

    private static String row(final FuzzedDataProvider data)
    {
        final StringBuilder row = new StringBuilder();
        final int fields = data.consumeInt(0, 7) == 0 ? data.consumeInt(0, 10) : VALUES.length;
        for (int f = 0; f < fields; f++)
        {
            String value = f < VALUES.length && data.consumeInt(0, 4) != 0 ? data.pickValue(VALUES[f]) :
                data.consumeString(12).replace('\n', ' ').replace('\r', ' ');
            switch (data.consumeInt(0, 7))
            {
                case 0 -> value = "\"" + value.replace("\"", "\"\"") + "\"";
                case 1 -> value = " \t" + value + " ";
                case 2 -> value = "\"" + value;
                default ->
                {
                }
            }
            row.append(f == 0 ? "" : ",").append(value);
        }
        return row.toString();
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void write(final ByteArrayOutputStream out, final byte[] bytes)
    {
        out.write(bytes, 0, bytes.length);
    }
}
