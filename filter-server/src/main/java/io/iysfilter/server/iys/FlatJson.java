package io.iysfilter.server.iys;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads one JSON object's scalar fields as text (nested values are skipped, nulls left out): the shape of İYS's
 * consent records and of our own small request bodies.
 */
public final class FlatJson
{
    private FlatJson()
    {
    }

    /**
     * @param json positioned on the object's START_OBJECT token.
     * @return its scalar fields; the parser is left on the object's END_OBJECT.
     * @throws IOException when the JSON is malformed.
     */
    public static Map<String, String> read(final JsonParser json) throws IOException
    {
        return read(json, Integer.MAX_VALUE);
    }

    /**
     * @param json      positioned on the object's START_OBJECT token.
     * @param maxFields most fields the object may have, nested and null ones included.
     * @return its scalar fields; the parser is left on the object's END_OBJECT.
     * @throws JsonParseException when the object has more fields.
     * @throws IOException        when the JSON is malformed.
     */
    public static Map<String, String> read(final JsonParser json, final int maxFields) throws IOException
    {
        final Map<String, String> fields = new HashMap<>();
        int count = 0;
        while (json.nextToken() == JsonToken.FIELD_NAME)
        {
            if (++count > maxFields)
            {
                throw new JsonParseException(json, "object has more than " + maxFields + " fields");
            }
            final String name = json.currentName();
            final JsonToken value = json.nextToken();
            if (value.isStructStart())
            {
                json.skipChildren();
            }
            else if (value != JsonToken.VALUE_NULL)
            {
                fields.put(name, json.getText());
            }
        }
        return fields;
    }
}
