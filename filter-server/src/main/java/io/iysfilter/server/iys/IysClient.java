package io.iysfilter.server.iys;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * İYS's REST API as the feed needs it, for one service provider: its brands, the change feed, daily files.
 * Tokens come from a {@link Tokens} that providers sharing one (integrator) login share.
 */
final class IysClient implements BrandFeed.Changes
{
    static final JsonFactory JSON = new JsonFactory();
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final FeedSettings settings;
    private final Tokens tokens;
    private final HttpClient http;

    IysClient(final FeedSettings settings, final Tokens tokens, final HttpClient http)
    {
        this.settings = settings;
        this.tokens = tokens;
        this.http = http;
    }

    /**
     * @return the brand codes {@code GET /sps/{iysCode}/brands} lists: every {@code brandCode} in the answer.
     */
    List<Long> brands() throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(settings.baseUrl().resolve("/sps/" +
            settings.iysCode() + "/brands")).timeout(TIMEOUT).GET();
        return read(request, "brands iysCode=" + settings.iysCode(), (body) ->
        {
            final List<Long> brands = new ArrayList<>();
            try (JsonParser json = JSON.createParser(body))
            {
                JsonToken token;
                while ((token = json.nextToken()) != null)
                {
                    if (token == JsonToken.FIELD_NAME && "brandCode".equals(json.currentName()))
                    {
                        json.nextToken();
                        brands.add(json.getValueAsLong());
                    }
                }
            }
            return brands;
        });
    }

    String accessToken() throws IOException, InterruptedException
    {
        return tokens.accessToken();
    }

    void invalidate()
    {
        tokens.invalidate();
    }

    @Override
    public <T> T changes(
        final long brandCode, final String source, final String after, final IysHttp.BodyReader<T> reader)
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
        return read(request, "changes brand=" + brandCode + " source=" + source, reader);
    }

    /**
     * @param brandCode a brand.
     * @param date      {@code YYYY-MM-DD}, one of the previous seven days.
     * @param reader    reads İYS's daily change file for that day (CSV) as it arrives.
     * @param <T>       what the reader makes of it.
     * @return what the reader returned.
     */
    <T> T dailyFile(final long brandCode, final String date, final IysHttp.BodyReader<T> reader)
        throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(settings.baseUrl().resolve("/sps/" +
            settings.iysCode() + "/brands/" + brandCode + "/changes/" + date + "/file")).timeout(TIMEOUT).GET();
        return read(request, "daily file brand=" + brandCode + " date=" + date, reader);
    }

    /**
     * Send with the current access token; on a 401, refresh it (or log in again) and retry once. Each request is
     * bounded by the settings' deadline and response-size cap ({@link IysHttp}); its body is handed to the reader
     * as it arrives, never held whole.
     */
    private <T> T read(final HttpRequest.Builder request, final String what, final IysHttp.BodyReader<T> reader)
        throws IOException, InterruptedException
    {
        try (IysHttp.Response response = IysHttp.open(http,
            request.setHeader("Authorization", "Bearer " + accessToken()).build(), settings))
        {
            if (response.statusCode() != 401)
            {
                IysHttp.check(response, what);
                return reader.read(response.body());
            }
        }
        invalidate();
        return IysHttp.read(http, request.setHeader("Authorization", "Bearer " + accessToken()).build(), settings,
            reader, what);
    }

    static byte[] body(final String... pairs) throws IOException
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
