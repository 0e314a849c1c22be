package io.iysfilter.emulator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.HashMap;
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
