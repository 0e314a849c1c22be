package io.iysfilter.server.push;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the push receiver's reading of a body ({@link PushReceiver#receive}): records with good, bad and fuzzed
 * field values, nested values, raw text spliced in, or cut short, into a real index through the ingest pipeline.
 * Checked: nothing escapes as an exception; a body is refused whole (malformed, too many records) or accounted for,
 * every record listed being taken, quarantined or a test record.
 */
class PushBodyFuzzTest
{
    private static final long BRAND = 600_001;
    private static final String[] NAMES = {
        "creationDate", "transactionId", "recipient", "recipientType", "type", "status", "consentDate", "source",
        "brandCode", "iysCode", "retailerAccess", "x"};
    private static final String[] VALUES = {
        "\"2024-10-29 23:58:53\"", "\"2099-01-01 00:00:00\"", "\"2024-02-30 00:00:00\"", "\"f26ab9\"", "\"\"",
        "\"+905321234567\"", "\"pushtest@iys.org.tr\"", "\"BIREYSEL\"", "\"TACIR\"", "\"MESAJ\"", "\"EPOSTA\"",
        "\"ONAY\"", "\"RET\"", "\"IYS_KISAMESAJ\"", "\"HS_WEB\"", "600001", "121212", "\"600001\"", "null", "0",
        "1.5e3", "true", "{\"a\":[1,{}]}", "[1,2]", "[]", "\"\\u0000\"", "\"\\ud800\""};

    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static IngestPipeline pipeline;
    private static PushReceiver receiver;

    @BeforeAll
    static void open() throws Exception
    {
        store = ConsentStore.open(dataDir, TestKeys.options(50_000));
        pipeline = new IngestPipeline(store.writer(), 1024);
        pipeline.createBrand(BRAND).get(10, TimeUnit.SECONDS);
        final Path credentials = dataDir.resolve("push.credentials");
        PushCredentials.put(credentials, "iys", "secret");
        receiver = new PushReceiver(store, pipeline, new PushSettings(0, "127.0.0.1", PushSettings.PATH_DEFAULT,
            credentials, 1 << 20, 8, 100, 4, 1_000, 1_000, 10), System::currentTimeMillis);
    }

    @AfterAll
    static void close()
    {
        receiver.close();
        pipeline.close();
        store.close();
    }

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void body(final FuzzedDataProvider data) throws Exception
    {
        final StringBuilder body = new StringBuilder("{\"list\":[");
        final int records = data.consumeInt(0, 10);
        for (int r = 0; r < records; r++)
        {
            body.append(r == 0 ? "{" : ",{");
            final int fields = data.consumeInt(0, 10);
            for (int f = 0; f < fields; f++)
            {
                body.append(f == 0 ? "" : ",").append('"').append(data.pickValue(NAMES)).append("\":")
                    .append(data.consumeBoolean() ? data.pickValue(VALUES) : "\"" + data.consumeString(16)
                        .replace("\\", "").replace("\"", "") + "\"");
            }
            body.append('}');
        }
        body.append("]}");
        String text = body.toString();
        if (data.consumeBoolean())
        {
            text = text.substring(0, data.consumeInt(0, text.length()));
        }
        if (data.consumeBoolean())
        {
            text = text + data.consumeRemainingAsString();
        }
        final PushReceiver.Result result = receiver.receive(text.getBytes(StandardCharsets.UTF_8), -1);
        if (result.outcome() == PushReceiver.Outcome.ACCEPTED)
        {
            assertEquals(result.records(), result.taken() + result.rejected() + result.test(), text);
        }
        else
        {
            assertTrue(result.outcome() == PushReceiver.Outcome.MALFORMED ||
                result.outcome() == PushReceiver.Outcome.TOO_MANY_RECORDS, result + " for " + text);
        }
    }
}
