package io.iysfilter.server.iys;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * İYS's push registration calls for one service provider, with the feed's login (docs/PUSH.md):
 * {@code POST|GET /sps/{iysCode}/brands/{brand}/push/registration} and {@code POST …/push/unregistration}. At most
 * two connections per brand and type; a registration succeeds only once İYS's test record was answered 2xx by the
 * receiver within 5 s.
 */
public final class PushRegistrations
{
    private final FeedSettings provider;
    private final IysClient client;

    /**
     * One of İYS's listed connections.
     *
     * @param url          the receiver's URL.
     * @param type         MESAJ, ARAMA or EPOSTA.
     * @param status       İYS's words, e.g. "Bağlantı Oluşturuldu".
     * @param registerTime as İYS writes it.
     */
    public record Connection(String url, String type, String status, String registerTime)
    {
    }

    /**
     * @param provider the service provider whose login and iysCode are used.
     */
    public PushRegistrations(final FeedSettings provider)
    {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(IysClient.TIMEOUT).build();
        this.provider = provider;
        this.client = new IysClient(provider, new Tokens(provider, http), http);
    }

    /**
     * Register one connection; İYS posts its test record to {@code url} before it answers.
     *
     * @param brand    the brand.
     * @param type     MESAJ, ARAMA or EPOSTA.
     * @param url      the receiver's push URL.
     * @param username the Basic user İYS is to present.
     * @param password its plain password, given to İYS here only.
     * @throws IOException when İYS refuses (an {@link IysApiException} with its code) or cannot be reached.
     */
    public void register(final long brand, final String type, final String url, final String username,
        final String password) throws IOException, InterruptedException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = IysClient.JSON.createGenerator(bytes))
        {
            json.writeStartObject();
            json.writeArrayFieldStart("connection");
            json.writeStartObject();
            json.writeStringField("url", url);
            json.writeStringField("type", type);
            json.writeStringField("username", username);
            json.writeStringField("password", password);
            json.writeEndObject();
            json.writeEndArray();
            json.writeEndObject();
        }
        post(brand, "registration", bytes.toByteArray(), "push registration brand=" + brand + " type=" + type);
    }

    /**
     * @param brand    the brand.
     * @param type     MESAJ, ARAMA or EPOSTA.
     * @param url      the connection's URL.
     * @param username its Basic user.
     * @param password its plain password: İYS names a connection by all four.
     * @throws IOException when İYS refuses (an {@link IysApiException}: H533 for no such connection).
     */
    public void unregister(final long brand, final String type, final String url, final String username,
        final String password) throws IOException, InterruptedException
    {
        post(brand, "unregistration", IysClient.body("url", url, "type", type, "username", username, "password",
            password), "push unregistration brand=" + brand + " type=" + type);
    }

    /**
     * @param brand the brand.
     * @return its connections, every type, as İYS lists them.
     * @throws IOException when İYS refuses or answers what is no list.
     */
    public List<Connection> list(final long brand) throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(path(brand, "registration"))
            .timeout(IysClient.TIMEOUT).GET();
        return client.read(request, "push registrations brand=" + brand, (in) ->
        {
            final List<Connection> connections = new ArrayList<>();
            try (JsonParser json = IysClient.JSON.createParser(in))
            {
                if (json.nextToken() != JsonToken.START_ARRAY)
                {
                    throw new IOException("push registrations: the answer is not a JSON array");
                }
                while (json.nextToken() == JsonToken.START_OBJECT)
                {
                    final Map<String, String> fields = new HashMap<>();
                    while (json.nextToken() == JsonToken.FIELD_NAME)
                    {
                        final String name = json.currentName();
                        json.nextToken();
                        if (json.currentToken().isScalarValue())
                        {
                            fields.put(name, json.getText());
                        }
                        else
                        {
                            json.skipChildren();
                        }
                    }
                    connections.add(new Connection(fields.get("url"), fields.get("type"), fields.get("status"),
                        fields.get("registerTime")));
                }
            }
            return connections;
        });
    }

    /**
     * @return the provider's İYS code.
     */
    public long iysCode()
    {
        return provider.iysCode();
    }

    private void post(final long brand, final String action, final byte[] body, final String what)
        throws IOException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(path(brand, action)).timeout(IysClient.TIMEOUT)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        client.read(request, what, (in) ->
        {
            in.transferTo(OutputStream.nullOutputStream());
            return null;
        });
    }

    private URI path(final long brand, final String action)
    {
        return provider.baseUrl().resolve("/sps/" + provider.iysCode() + "/brands/" + brand + "/push/" + action);
    }
}
