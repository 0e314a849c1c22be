package io.iysfilter.server.http;

/**
 * JSON string escaping and error bodies for the few hand-built responses.
 */
final class Json
{
    private Json()
    {
    }

    /**
     * @param code    the error's code, e.g. {@code bad_request}.
     * @param message what is wrong, for a person.
     * @return {@code {"error":code,"message":message}}.
     */
    static String error(final String code, final String message)
    {
        return "{\"error\":\"" + code + "\",\"message\":\"" + escape(message) + "\"}";
    }

    static String escape(final String text)
    {
        final StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
