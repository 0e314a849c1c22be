package io.iysfilter.server.iys;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.DealerList;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * İYS's dealer fields on the one validation path of a record: {@link FlatJson} reads a list, and
 * {@link ConsentRecordParser} takes a valid retailerAccess into the change and refuses a malformed one.
 */
class DealerFieldsTest
{
    private final ConsentRecordParser parser = new ConsentRecordParser();
    private final ConsentChange change = new ConsentChange();

    @Test
    void shouldReadAListOfIntegersAndMarkAnyOtherArrayMalformed() throws IOException
    {
        assertEquals("[22233344,44222419]", field("{\"retailerAccess\":[22233344,44222419]}"));
        assertEquals("[]", field("{\"retailerAccess\":[]}"));
        assertEquals(FlatJson.MALFORMED_ARRAY, field("{\"retailerAccess\":[\"22233344\"]}"));
        assertEquals(FlatJson.MALFORMED_ARRAY, field("{\"retailerAccess\":[1.5]}"));
        assertEquals(FlatJson.MALFORMED_ARRAY, field("{\"retailerAccess\":[null]}"));
        assertEquals(FlatJson.MALFORMED_ARRAY, field("{\"retailerAccess\":[[1],{\"a\":[2]}],\"status\":\"ONAY\"}"));
        assertEquals(FlatJson.MALFORMED_ARRAY,
            field("{\"retailerAccess\":[" + "1,".repeat(FlatJson.MAX_ARRAY_ELEMENTS) + "1]}"));
        final Map<String, String> after = read("{\"retailerAccess\":[[1]],\"status\":\"ONAY\"}");
        assertEquals("ONAY", after.get("status"), "a nested array is skipped whole, the fields after it are read");
    }

    @Test
    void shouldTakeAValidListIntoTheChangeAndFlagItsValue()
    {
        assertNull(parse("ONAY", "11223344", "[22233344,44222419,4294967295]"));
        assertEquals(3, change.dealerCount());
        assertEquals(22_233_344, change.dealerCodes()[0]);
        assertEquals(-1, change.dealerCodes()[2], "4294967295 is held as an unsigned 32-bit number");
        assertTrue((ConsentValueDescriptor.flags(change.word1()) & ConsentValueDescriptor.FLAG_DEALERS) != 0);

        assertNull(parse("ONAY", "", "[" + "7,".repeat(DealerList.MAX_DEALERS - 1) + "7]"), "İYS's cap, 100");
        assertEquals(DealerList.MAX_DEALERS, change.dealerCount());
    }

    @Test
    void shouldKeepNoListAndNoFlagWithoutTheFieldOrWithAnEmptyList()
    {
        for (final String empty : new String[]{"", "[]"})
        {
            assertNull(parse("ONAY", "11223344", empty));
            assertEquals(0, change.dealerCount());
            assertEquals(0, ConsentValueDescriptor.flags(change.word1()), "a consent without dealers: word1 as before");
        }
    }

    @Test
    void shouldRefuseAMalformedListOrDealerCodeOnAnOnay()
    {
        for (final String bad : new String[]{FlatJson.MALFORMED_ARRAY, "[0]", "[4294967296]", "[1,,2]", "[1,]",
            "[-1]", "[" + "7,".repeat(DealerList.MAX_DEALERS) + "7]", "22233344", "[12345678901]"})
        {
            final String error = parse("ONAY", "", bad);
            assertTrue(error != null && error.startsWith("invalid retailerAccess"), bad + ": " + error);
        }
        final String error = parse("ONAY", "bayi-1", "[22233344]");
        assertTrue(error != null && error.startsWith("invalid retailerCode"), error);
    }

    @Test
    void shouldTakeARetWhateverItsDealerFieldsAndKeepNoList()
    {
        assertNull(parse("RET", "not a code", FlatJson.MALFORMED_ARRAY), "a RET is never set aside for them");
        assertEquals(0, change.dealerCount());
        assertNull(parse("RET", "", "[22233344]"));
        assertEquals(0, change.dealerCount(), "a RET denies for everyone: it keeps no list");
        assertEquals(0, ConsentValueDescriptor.flags(change.word1()));
    }

    private String parse(final String status, final String retailerCode, final String retailerAccess)
    {
        return parser.parse(600_001, "2025-01-01 10:00:00", "a".repeat(64), "+905321234567", "BIREYSEL", "MESAJ",
            status, "2020-01-01 00:00:00", "HS_WEB", retailerCode, retailerAccess, change);
    }

    private static String field(final String json) throws IOException
    {
        return read(json).get("retailerAccess");
    }

    private static Map<String, String> read(final String json) throws IOException
    {
        try (JsonParser parser = new JsonFactory().createParser(json))
        {
            parser.nextToken();
            return FlatJson.read(parser);
        }
    }
}
