package io.iysfilter.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /metrics from a test server, and the Prometheus text format read back into series → value.
 */
public final class Scrape
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Scrape()
    {
    }

    /**
     * @param httpPort the server's HTTP port on 127.0.0.1.
     * @return the body of a 200 answer to GET /metrics.
     * @throws Exception when the request fails.
     */
    public static String text(final int httpPort) throws Exception
    {
        final HttpResponse<String> response = HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    /**
     * @param httpPort the server's HTTP port on 127.0.0.1.
     * @return every series (name with its labels, as written) and its value.
     * @throws Exception when the request fails.
     */
    public static Map<String, Double> series(final int httpPort) throws Exception
    {
        return parse(text(httpPort));
    }

    /**
     * @param text a Prometheus text exposition.
     * @return every series (name with its labels, as written) and its value; comments skipped.
     */
    public static Map<String, Double> parse(final String text)
    {
        final Map<String, Double> series = new HashMap<>();
        for (final String line : text.split("\n"))
        {
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final int space = line.lastIndexOf(' ');
            assertTrue(space > 0, line);
            final String value = line.substring(space + 1);
            series.put(line.substring(0, space), "NaN".equals(value) ? Double.NaN : Double.parseDouble(value));
        }
        return series;
    }
}
