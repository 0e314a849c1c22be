package io.iysfilter.server.iys;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the feed's page handling: the feed's own {@link BrandFeed#applyPage} (reading the page as it arrives,
 * {@link FlatJson}, {@link ConsentRecordParser}, publishing to a real index through the ingest pipeline, the
 * quarantine). Structure-aware: a page of records with good, bad and fuzzed field values, sometimes nested values,
 * nulls, numbers, extra fields, raw text spliced in, or cut short. Checked: the only refusal is a page quarantined as
 * unreadable (counted once); a page read is accounted for (every record received, every invalid one quarantined).
 */
class FeedPageFuzzTest
{
    private static final long BRAND = 600_001;
    private static final String[] NAMES = {
        "creationDate", "transactionId", "recipient", "recipientType", "type", "status", "consentDate", "source",
        "retailerCode", "x"};
    private static final String[] VALUES = {
        "\"2024-10-29 23:58:53\"", "\"2024-10-29 23:00:00\"", "\"2024-02-30 00:00:00\"", "\"f26ab9\"", "\"\"",
        "\"+905321234567\"", "\"ornek@mail.com\"", "\"BIREYSEL\"", "\"TACIR\"", "\"MESAJ\"", "\"EPOSTA\"", "\"ARAMA\"",
        "\"ONAY\"", "\"RET\"", "\"HS_WEB\"", "\"IYS_WEB\"", "null", "0", "1.5e3", "true", "{\"a\":[1,{}]}", "[]",
        "\"\\u0000\"", "\"\\ud800\""};

    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static IngestPipeline pipeline;
    private static BrandFeed feed;
    private static Path quarantine;
    private static long runs;

    @BeforeAll
    static void open() throws Exception
    {
        store = ConsentStore.open(dataDir, TestKeys.options(50_000));
        pipeline = new IngestPipeline(store.writer(), 1024);
        pipeline.createBrand(BRAND).get(10, TimeUnit.SECONDS);
        feed = new BrandFeed(BRAND, null, pipeline, new FeedFiles(store.brand(BRAND).directory()), 0, () ->
        {
        });
        quarantine = store.brand(BRAND).directory().resolve("quarantine.log");
    }

    @AfterAll
    static void close()
    {
        pipeline.close();
        store.close();
    }

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void page(final FuzzedDataProvider data) throws Exception
    {
        final StringBuilder page = new StringBuilder("{");
        if (data.consumeBoolean())
        {
            page.append("\"after\":").append(data.consumeBoolean() ? "\"" + data.consumeString(12)
                .replace("\"", "") + "\"" : "null").append(',');
        }
        page.append("\"list\":[");
        final int records = data.consumeInt(0, 4);
        for (int r = 0; r < records; r++)
        {
            page.append(r == 0 ? "{" : ",{");
            final int fields = data.consumeInt(0, 10);
            for (int f = 0; f < fields; f++)
            {
                page.append(f == 0 ? "" : ",").append('"')
                    .append(data.consumeBoolean() ? data.pickValue(NAMES) : data.consumeString(8).replace("\"", ""))
                    .append("\":").append(data.consumeInt(0, 5) == 0 ? data.consumeString(16) :
                    data.pickValue(VALUES));
            }
            page.append('}');
        }
        page.append("]}");
        byte[] body = page.toString().getBytes(StandardCharsets.UTF_8);
        if (data.consumeInt(0, 3) == 0)
        {
            body = java.util.Arrays.copyOf(body, data.consumeInt(0, body.length));
        }
        if (++runs % 10_000 == 0)
        {
            Files.deleteIfExists(quarantine); // a long run would fill the disk with it
        }
        final long quarantinedBefore = feed.quarantined();
        final long receivedBefore = feed.received();
        try
        {
            final BrandFeed.Page applied = feed.applyPage("HS", new ByteArrayInputStream(body));
            assertEquals(applied.records, feed.received() - receivedBefore, "every record received");
            final long quarantined = feed.quarantined() - quarantinedBefore;
            assertTrue(quarantined >= applied.records - applied.valid() && quarantined <= applied.records,
                "every invalid record quarantined: " + quarantined + " of " + applied.records + ", " +
                applied.valid() + " valid");
        }
        catch (final IOException ex)
        {
            assertTrue(ex.getMessage().startsWith("malformed JSON from İYS (quarantined): ") ||
                ex.getMessage().startsWith("the index could not take the page"), "unexpected refusal: " + ex);
            if (ex.getMessage().startsWith("malformed"))
            {
                assertEquals(quarantinedBefore + 1, feed.quarantined(), "an unreadable page is quarantined once");
                assertEquals(receivedBefore, feed.received(), "and nothing of it is taken");
            }
        }
    }
}
