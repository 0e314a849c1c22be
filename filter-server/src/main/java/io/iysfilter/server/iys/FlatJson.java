package io.iysfilter.server.iys;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads one JSON object's scalar fields as text (nested objects are skipped, nulls left out): the shape of İYS's
 * consent records and of our own small request bodies. An array is read as text too, in brackets, so that a list
 * field (İYS's {@code retailerAccess}) reaches the one validation of its record: {@code [1,2]} for an array of
 * integers, {@link #MALFORMED_ARRAY} for any other array (an element that is not an integer, or more than
 * {@link #MAX_ARRAY_ELEMENTS} elements), which no validation accepts.
 */
public final class FlatJson
{
    /** The text of an array that is not a short list of integers. */
    public static final String MALFORMED_ARRAY = "[malformed]";
    /** Most elements an array may have to be read as a list. */
    public static final int MAX_ARRAY_ELEMENTS = 1_000;

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
            if (value == JsonToken.START_ARRAY)
            {
                fields.put(name, readArray(json));
            }
            else if (value.isStructStart())
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

    private static String readArray(final JsonParser json) throws IOException
    {
        final StringBuilder text = new StringBuilder("[");
        int elements = 0;
        boolean malformed = false;
        JsonToken token;
        while ((token = json.nextToken()) != JsonToken.END_ARRAY)
        {
            if (token == null)
            {
                throw new JsonParseException(json, "array not closed");
            }
            if (token.isStructStart())
            {
                json.skipChildren();
                malformed = true;
            }
            else if (token != JsonToken.VALUE_NUMBER_INT || ++elements > MAX_ARRAY_ELEMENTS)
            {
                malformed = true;
            }
            else if (!malformed)
            {
                text.append(elements > 1 ? "," : "").append(json.getText());
            }
        }
        return malformed ? MALFORMED_ARRAY : text.append(']').toString();
    }
}
