package io.iysfilter.server.iys;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.index.ConsentChange;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the feed's page parsing: the JSON page walked as {@code BrandFeed} walks it ({@code after}, then each
 * object of {@code list} read by {@link FlatJson} and validated by {@link ConsentRecordParser}). Structure-aware: a
 * page of records with good, bad and fuzzed field values, sometimes nested values, nulls, numbers, extra fields,
 * raw text spliced in, or cut short. Checked: the only refusal is the one BrandFeed quarantines a page for, a
 * {@link JsonParseException} (or the page not being an object); a record is valid or rejected with a reason, and
 * a valid one names a known channel.
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

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void page(final FuzzedDataProvider data)
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
        try
        {
            parse(body);
        }
        catch (final JsonParseException quarantined)
        {
            assertNotNull(quarantined.getOriginalMessage());
        }
        catch (final IOException ex)
        {
            assertTrue("changes page is not a JSON object".equals(ex.getMessage()), "unexpected refusal: " + ex);
        }
    }

    /**
     * The page walk of {@code BrandFeed.publish(String, byte[])}, with the parser's verdict checked per record.
     */
    private static void parse(final byte[] body) throws IOException
    {
        final ConsentRecordParser parser = new ConsentRecordParser();
        final ConsentChange change = new ConsentChange();
        try (JsonParser json = IysClient.JSON.createParser(body))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("changes page is not a JSON object");
            }
            while (json.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = json.currentName();
                final JsonToken value = json.nextToken();
                if ("after".equals(name))
                {
                    assertTrue(value == JsonToken.VALUE_NULL || json.getText() != null);
                }
                else if ("list".equals(name) && value == JsonToken.START_ARRAY)
                {
                    while (json.nextToken() == JsonToken.START_OBJECT)
                    {
                        final Map<String, String> record = FlatJson.read(json);
                        final String error = parser.parse(BRAND,
                            record.getOrDefault("creationDate", ""), record.getOrDefault("transactionId", ""),
                            record.getOrDefault("recipient", ""), record.getOrDefault("recipientType", ""),
                            record.getOrDefault("type", ""), record.getOrDefault("status", ""),
                            record.getOrDefault("consentDate", ""), record.getOrDefault("source", ""), change);
                        if (error == null)
                        {
                            assertNotNull(Channel.fromName(record.get("type")), "valid record, type " + record);
                        }
                        else
                        {
                            assertTrue(!error.isEmpty(), "an empty reason");
                        }
                    }
                }
                else
                {
                    json.skipChildren();
                }
            }
        }
    }
}
