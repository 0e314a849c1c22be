package io.iysfilter.emulator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON the emulator reads: flat objects of string and number fields, and lists of them (as "a,b").
 */
final class Json
{
    static final JsonFactory FACTORY = new JsonFactory();

    private Json()
    {
    }

    /**
     * @param body  a JSON object.
     * @param field the name of its array of flat objects.
     * @return the array's objects, their scalar fields as text.
     * @throws IOException when the body is not such an object.
     */
    static List<Map<String, String>> objectList(final byte[] body, final String field) throws IOException
    {
        final List<Map<String, String>> list = new ArrayList<>();
        try (JsonParser parser = FACTORY.createParser(body))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("expected a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                if (!field.equals(name) || value != JsonToken.START_ARRAY)
                {
                    parser.skipChildren();
                    continue;
                }
                while (parser.nextToken() == JsonToken.START_OBJECT)
                {
                    final Map<String, String> fields = new HashMap<>();
                    while (parser.nextToken() == JsonToken.FIELD_NAME)
                    {
                        final String key = parser.currentName();
                        final JsonToken token = parser.nextToken();
                        if (token.isStructStart())
                        {
                            parser.skipChildren();
                        }
                        else
                        {
                            fields.put(key, parser.getText());
                        }
                    }
                    list.add(fields);
                }
            }
        }
        return list;
    }

    static Map<String, String> flatObject(final byte[] body) throws IOException
    {
        final Map<String, String> fields = new HashMap<>();
        try (JsonParser parser = FACTORY.createParser(body))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("expected a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                if (value == JsonToken.START_ARRAY)
                {
                    // a list of scalars, as "1,2": the control's retailerAccess
                    final StringBuilder list = new StringBuilder();
                    JsonToken element;
                    while ((element = parser.nextToken()) != JsonToken.END_ARRAY && element != null)
                    {
                        if (element.isStructStart())
                        {
                            parser.skipChildren();
                            continue;
                        }
                        list.append(list.length() == 0 ? "" : ",").append(parser.getText());
                    }
                    fields.put(name, list.toString());
                }
                else if (value.isStructStart())
                {
                    parser.skipChildren();
                }
                else
                {
                    fields.put(name, value == JsonToken.VALUE_NULL ? null : parser.getText());
                }
            }
        }
        return fields;
    }
}
