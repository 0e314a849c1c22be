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
    /** Most dealers one consent's access holds: İYS refuses more (H126). */
    static final int MAX_ACCESS = 100;
    private static final int ACCESS_PAGE = 100;

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
     * The dealers that may use one consent now: İYS's access-list call
     * ({@code POST /sps/{iysCode}/brands/{brand}/consents/retailers/access/list?offset=&limit=100}, body
     * {@code {recipient, recipientType, type}}), page by page until its {@code totalCount} is read.
     *
     * @param brandCode     a brand.
     * @param recipient     the recipient as İYS writes it (E.164 phone or e-mail).
     * @param recipientType BIREYSEL or TACIR.
     * @param type          ARAMA, MESAJ or EPOSTA.
     * @return the dealers' İYS numbers, at most {@link #MAX_ACCESS}.
     * @throws IOException when İYS refuses (an {@link IysApiException}), or answers what is no access list.
     */
    List<Long> accessList(final long brandCode, final String recipient, final String recipientType,
        final String type) throws IOException, InterruptedException
    {
        final byte[] body = body("recipient", recipient, "recipientType", recipientType, "type", type);
        final List<Long> dealers = new ArrayList<>();
        long total = -1;
        while (total < 0 || dealers.size() < total)
        {
            final HttpRequest.Builder request = HttpRequest.newBuilder(settings.baseUrl().resolve("/sps/" +
                settings.iysCode() + "/brands/" + brandCode + "/consents/retailers/access/list?offset=" +
                dealers.size() + "&limit=" + ACCESS_PAGE)).timeout(TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
            final long[] pageTotal = {-1};
            final int before = dealers.size();
            read(request, "access list brand=" + brandCode, (in) ->
            {
                try (JsonParser json = JSON.createParser(in))
                {
                    JsonToken token;
                    while ((token = json.nextToken()) != null)
                    {
                        if (token == JsonToken.FIELD_NAME && "totalCount".equals(json.currentName()))
                        {
                            json.nextToken();
                            pageTotal[0] = json.getValueAsLong(-1);
                        }
                        else if (token == JsonToken.FIELD_NAME && "retailerCode".equals(json.currentName()))
                        {
                            json.nextToken();
                            final long dealer = json.getValueAsLong(0);
                            if (dealer < 1 || dealer > 0xFFFF_FFFFL)
                            {
                                throw new IOException("access list: retailerCode " + json.getText() + " is no " +
                                    "dealer number");
                            }
                            dealers.add(dealer);
                        }
                    }
                }
                return null;
            });
            if (pageTotal[0] < 0 || pageTotal[0] > MAX_ACCESS)
            {
                throw new IOException("access list: totalCount " + pageTotal[0] + " (expected: 0.." + MAX_ACCESS +
                    ")");
            }
            total = pageTotal[0];
            if (dealers.size() == before && dealers.size() < total)
            {
                throw new IOException("access list: an empty page at offset " + before + " of " + total);
            }
        }
        if (dealers.size() > total)
        {
            throw new IOException("access list: " + dealers.size() + " dealers where totalCount is " + total);
        }
        return dealers;
    }

    /**
     * Send with the current access token; on a 401, refresh it (or log in again) and retry once. Each request is
     * bounded by the settings' deadline and response-size cap ({@link IysHttp}); its body is handed to the reader
     * as it arrives, never held whole.
     */
    <T> T read(final HttpRequest.Builder request, final String what, final IysHttp.BodyReader<T> reader)
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
