package io.iysfilter.server.feed;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * İYS's REST API as the feed needs it: tokens (password grant, refresh grant) and the change feed. Tokens are
 * shared by every brand and refreshed one at a time: {@link #accessToken()} is synchronized, refreshes a minute
 * before expiry with the refresh token, and logs in again when the refresh token is gone or refused.
 */
final class IysClient
{
    static final JsonFactory JSON = new JsonFactory();
    private static final long REFRESH_MARGIN_MS = 60_000;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final FeedSettings settings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private String accessToken;
    private long accessExpiresMs;
    private String refreshToken;
    private long refreshExpiresMs;

    IysClient(final FeedSettings settings)
    {
        this.settings = settings;
    }

    synchronized String accessToken() throws IOException, InterruptedException
    {
        final long nowMs = System.currentTimeMillis();
        if (accessToken != null && nowMs < accessExpiresMs - REFRESH_MARGIN_MS)
        {
            return accessToken;
        }
        if (refreshToken != null && nowMs < refreshExpiresMs - REFRESH_MARGIN_MS)
        {
            try
            {
                token(body("grant_type", "refresh_token", "refresh_token", refreshToken));
                return accessToken;
            }
            catch (final IysApiException ex)
            {
                refreshToken = null;
            }
        }
        token(body("grant_type", "password", "username", settings.username(), "password", settings.password()));
        return accessToken;
    }

    /**
     * Forget the access token, e.g. after a 401; the next call refreshes or logs in.
     */
    synchronized void invalidate()
    {
        accessToken = null;
    }

    private void token(final byte[] body) throws IOException, InterruptedException
    {
        final HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(settings.baseUrl().resolve(
            "/oauth2/token")).timeout(TIMEOUT).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        check(response, "token");
        final long nowMs = System.currentTimeMillis();
        long expiresIn = 0;
        long refreshExpiresIn = 0;
        try (JsonParser parser = JSON.createParser(response.body()))
        {
            if (parser.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("token response is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME)
            {
                final String name = parser.currentName();
                parser.nextToken();
                switch (name)
                {
                    case "access_token" -> accessToken = parser.getText();
                    case "refresh_token" -> refreshToken = parser.getText();
                    case "expires_in" -> expiresIn = parser.getValueAsLong();
                    case "refresh_expires_in" -> refreshExpiresIn = parser.getValueAsLong();
                    default -> parser.skipChildren();
                }
            }
        }
        if (accessToken == null || expiresIn <= 0)
        {
            throw new IOException("token response lacks access_token or expires_in");
        }
        accessExpiresMs = nowMs + expiresIn * 1000;
        refreshExpiresMs = nowMs + refreshExpiresIn * 1000;
    }

    /**
     * @return the body of one page of a brand's change feed.
     */
    byte[] changes(final long brandCode, final String source, final String after)
        throws IOException, InterruptedException
    {
        final StringBuilder path = new StringBuilder("/sps/").append(settings.iysCode()).append("/brands/")
            .append(brandCode).append("/consents/changes?source=").append(source)
            .append("&limit=").append(settings.pageSize());
        if (after != null)
        {
            path.append("&after=").append(URLEncoder.encode(after, StandardCharsets.UTF_8));
        }
        final HttpRequest.Builder request = HttpRequest.newBuilder(settings.baseUrl().resolve(path.toString()))
            .timeout(TIMEOUT).GET();
        HttpResponse<byte[]> response = http.send(request.header("Authorization", "Bearer " + accessToken()).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 401)
        {
            invalidate();
            response = http.send(request.setHeader("Authorization", "Bearer " + accessToken()).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        }
        check(response, "changes brand=" + brandCode + " source=" + source);
        return response.body();
    }

    /**
     * @param brandCode a brand.
     * @param date      {@code YYYY-MM-DD}, one of the previous seven days.
     * @return İYS's daily change file for that day, CSV.
     */
    byte[] dailyFile(final long brandCode, final String date) throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(settings.baseUrl().resolve("/sps/" +
            settings.iysCode() + "/brands/" + brandCode + "/changes/" + date + "/file")).timeout(TIMEOUT).GET();
        HttpResponse<byte[]> response = http.send(request.header("Authorization", "Bearer " + accessToken()).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 401)
        {
            invalidate();
            response = http.send(request.setHeader("Authorization", "Bearer " + accessToken()).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        }
        check(response, "daily file brand=" + brandCode + " date=" + date);
        return response.body();
    }

    private static void check(final HttpResponse<byte[]> response, final String what) throws IysApiException
    {
        if (response.statusCode() / 100 != 2)
        {
            final long retryAfterMs = response.headers().firstValue("Retry-After")
                .map((value) -> value.matches("\\d{1,6}") ? Long.parseLong(value) * 1000 : 0L).orElse(0L);
            final String body = new String(response.body(), StandardCharsets.UTF_8);
            throw new IysApiException("İYS " + what + ": status=" + response.statusCode() + ", body=" +
                (body.length() > 300 ? body.substring(0, 300) + "…" : body), response.statusCode(), retryAfterMs);
        }
    }

    private static byte[] body(final String... pairs) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(bytes))
        {
            json.writeStartObject();
            for (int i = 0; i < pairs.length; i += 2)
            {
                json.writeStringField(pairs[i], pairs[i + 1]);
            }
            json.writeEndObject();
        }
        return bytes.toByteArray();
    }
}
