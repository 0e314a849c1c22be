package io.iysfilter.server.iys;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * İYS answered with an error status. Its standard error body, {@code {"errors":[{"code":"H124","message":"…",
 * "location":["after"]}]}}, is parsed into {@link #errors()}; a body that is not of that shape gives none.
 */
public final class IysApiException extends IOException
{
    private static final long serialVersionUID = 1L;
    private static final int BODY_LIMIT = 300;

    private final int status;
    private final long retryAfterMs;
    private final String body;
    private final transient List<Error> errors;

    /**
     * One entry of İYS's error body.
     *
     * @param code     the H-code, e.g. {@code H124}, or "" when absent.
     * @param message  İYS's message, or "".
     * @param location the path of the field it concerns, e.g. {@code ["after"]} or {@code ["retailerAccess", "0"]};
     *                 empty when absent.
     */
    public record Error(String code, String message, List<String> location)
    {
    }

    private IysApiException(
        final String message, final int status, final long retryAfterMs, final String body, final List<Error> errors)
    {
        super(message);
        this.status = status;
        this.retryAfterMs = retryAfterMs;
        this.body = body;
        this.errors = errors;
    }

    /**
     * @param what         the request, for the message, e.g. {@code changes brand=600001 source=HS}.
     * @param status       the HTTP status.
     * @param retryAfterMs the server's Retry-After in milliseconds, or 0.
     * @param body         the response body.
     * @return the exception, with the body (cut to 300 characters) in its message and its errors parsed.
     */
    static IysApiException of(final String what, final int status, final long retryAfterMs, final byte[] body)
    {
        final String text = new String(body, StandardCharsets.UTF_8);
        final String shown = text.length() > BODY_LIMIT ? text.substring(0, BODY_LIMIT) + "…" : text;
        return new IysApiException("İYS " + what + ": status=" + status + ", body=" + shown, status, retryAfterMs,
            shown, parseErrors(body));
    }

    /**
     * @return the HTTP status.
     */
    public int status()
    {
        return status;
    }

    /**
     * @return the server's Retry-After in milliseconds, or 0 when it gave none.
     */
    public long retryAfterMs()
    {
        return retryAfterMs;
    }

    /**
     * @return the response body, cut to 300 characters.
     */
    public String body()
    {
        return body;
    }

    /**
     * @return the entries of İYS's error body, in order; empty when the body had none.
     */
    public List<Error> errors()
    {
        return errors == null ? List.of() : errors;
    }

    /**
     * @return the H-codes of {@link #errors()}, comma-separated, or null when there are none.
     */
    public String codes()
    {
        final StringBuilder codes = new StringBuilder();
        for (final Error error : errors())
        {
            if (!error.code().isEmpty())
            {
                codes.append(codes.length() == 0 ? "" : ",").append(error.code());
            }
        }
        return codes.length() == 0 ? null : codes.toString();
    }

    private static List<Error> parseErrors(final byte[] body)
    {
        final List<Error> errors = new ArrayList<>();
        try (JsonParser json = IysClient.JSON.createParser(body))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                return List.of();
            }
            while (json.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = json.currentName();
                final JsonToken value = json.nextToken();
                if ("errors".equals(name) && value == JsonToken.START_ARRAY)
                {
                    while (json.nextToken() == JsonToken.START_OBJECT)
                    {
                        errors.add(parseError(json));
                    }
                }
                else
                {
                    json.skipChildren();
                }
            }
        }
        catch (final IOException ex)
        {
            // not İYS's error shape (an HTML page from a proxy, say): the errors read so far stand
        }
        return List.copyOf(errors);
    }

    private static Error parseError(final JsonParser json) throws IOException
    {
        String code = "";
        String message = "";
        final List<String> location = new ArrayList<>();
        while (json.nextToken() == JsonToken.FIELD_NAME)
        {
            final String name = json.currentName();
            final JsonToken value = json.nextToken();
            if ("code".equals(name) && value.isScalarValue())
            {
                code = json.getText();
            }
            else if ("message".equals(name) && value.isScalarValue())
            {
                message = json.getText();
            }
            else if ("location".equals(name) && value == JsonToken.START_ARRAY)
            {
                JsonToken element;
                while ((element = json.nextToken()) != JsonToken.END_ARRAY)
                {
                    if (element.isScalarValue())
                    {
                        location.add(json.getText());
                    }
                    else
                    {
                        json.skipChildren();
                    }
                }
            }
            else if ("location".equals(name) && value == JsonToken.VALUE_STRING)
            {
                location.add(json.getText());
            }
            else
            {
                json.skipChildren();
            }
        }
        return new Error(code, message, List.copyOf(location));
    }
}
