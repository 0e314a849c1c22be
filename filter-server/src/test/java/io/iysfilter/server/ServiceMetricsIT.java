package io.iysfilter.server;

import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /metrics scraped and parsed line by line: the index, ingest, JVM and process meters, and a brand created
 * after start-up.
 */
@Timeout(60)
class ServiceMetricsIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;
    private FilterServer server;

    @BeforeEach
    void start() throws Exception
    {
        Fixtures.write(dataDir);
        server = FilterServer.start(Fixtures.context(dataDir));
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    @Test
    void shouldExposeIndexIngestJvmAndProcessMeters() throws Exception
    {
        final Map<String, Double> series = scrape();
        assertEquals(Fixtures.ENTRIES, series.get("iys_index_entries{brand=\"600001\"}"));
        assertEquals(3 * 24 * 3600.0, series.get("iys_index_freshness_bound_seconds{brand=\"600001\"}"));
        assertTrue(series.get("iys_index_age_seconds{brand=\"600002\"}") >
            series.get("iys_index_freshness_bound_seconds{brand=\"600002\"}"), "brand 600002 is STALE");
        assertEquals(IngestPipeline.DEFAULT_RING_SIZE, series.get("iys_ingest_ring_capacity"));
        assertEquals(0.0, series.get("iys_ingest_ring_depth"), "an idle writer has consumed everything");
        assertTrue(series.get("process_uptime_seconds") > 0);
        assertTrue(series.keySet().stream().anyMatch((name) -> name.startsWith("jvm_memory_used_bytes{")));
        assertTrue(series.keySet().stream().anyMatch((name) -> name.startsWith("jvm_threads_live_threads")));
        assertTrue(series.containsKey("system_cpu_count"));
    }

    @Test
    void shouldRecordLatencyHistogramsPerEndpointAndType() throws Exception
    {
        final String binaryCheck = "iys_request_latency_seconds_bucket{endpoint=\"binary\",";
        assertEquals(0.0, sum(scrape(), binaryCheck, "type=\"check\"", "le=\"+Inf\""));
        final int checks = 25;
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            for (int i = 0; i < checks; i++)
            {
                client.check(600001, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "+905321111111")
                    .get();
            }
        }
        checkOverHttp();

        final Map<String, Double> series = scrape();
        assertEquals(checks, sum(series, binaryCheck, "type=\"check\"", "le=\"+Inf\""));
        assertEquals(checks, sum(series, "iys_request_latency_seconds_count{endpoint=\"binary\",", "thread=",
            "type=\"check\""));
        assertTrue(sum(series, "iys_request_latency_seconds_sum{endpoint=\"binary\",", "type=\"check\"", "") > 0);
        final double underOneSecond = sum(series, binaryCheck, "type=\"check\"", "le=\"1.0\"");
        final double underOneMicro = sum(series, binaryCheck, "type=\"check\"", "le=\"1.0E-6\"");
        assertTrue(underOneMicro <= underOneSecond && underOneSecond <= checks, "buckets are cumulative");
        assertEquals(1.0, sum(series, "iys_request_latency_seconds_count{endpoint=\"http\",", "type=\"check\"", ""));
        assertEquals(0.0, sum(series, binaryCheck, "type=\"check_batch\"", ""), "no batch was asked");
    }

    /**
     * @return the sum of every series whose name and labels start with {@code prefix} and contain both fragments:
     * the per-thread histograms of one endpoint and type, as Prometheus would sum them.
     */
    private static double sum(final Map<String, Double> series, final String prefix, final String fragment,
        final String otherFragment)
    {
        double total = 0;
        for (final Map.Entry<String, Double> entry : series.entrySet())
        {
            final String key = entry.getKey();
            if (key.startsWith(prefix) && key.contains(fragment) && key.contains(otherFragment))
            {
                total += entry.getValue();
            }
        }
        return total;
    }

    private void checkOverHttp() throws Exception
    {
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() +
            "/v1/check?brand=600001&channel=MESAJ&recipient=05321111111")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void shouldBindABrandCreatedAfterStartUpAtTheNextScrape() throws Exception
    {
        assertFalse(scrape().containsKey("iys_index_entries{brand=\"600009\"}"));
        server.ingest().createBrand(600009).get();
        final double appliedBefore = scrape().get("iys_ingest_changes_total{outcome=\"applied\"}");

        final Map<String, Double> series = scrape();
        assertEquals(0.0, series.get("iys_index_entries{brand=\"600009\"}"));
        assertEquals(0.0, series.get("iys_ingest_ring_depth"), "the creation was consumed: nothing waits");
        assertEquals(appliedBefore, series.get("iys_ingest_changes_total{outcome=\"applied\"}"));
        assertEquals(Fixtures.ENTRIES, series.get("iys_index_entries{brand=\"600001\"}"), "bound once, still there");
    }

    @Test
    void shouldServeEveryMetricTheGrafanaDashboardQueries() throws Exception
    {
        checkOverHttp(); // a thread's latency histogram is bound at its first request
        final String dashboard = Files.readString(Path.of("..", "ops", "grafana-dashboard.json"));
        final Set<String> names = new TreeSet<>();
        final Matcher metric = Pattern.compile("\\b((?:iys|jvm_memory|process)_[a-z_]+)").matcher(dashboard);
        while (metric.find())
        {
            names.add(metric.group(1));
        }
        assertTrue(names.contains("iys_decisions_total") && names.contains("iys_index_age_seconds"), names::toString);
        final Set<String> served = new TreeSet<>();
        for (final String series : scrape().keySet())
        {
            final int brace = series.indexOf('{');
            served.add(brace < 0 ? series : series.substring(0, brace));
        }
        for (final String name : names)
        {
            // the feed's meters exist only while a feed is followed (FeedIT scrapes them), replication's only on a
            // fetcher or a replica (DemoReplicasIT scrapes them), push's only with push on (PushIT scrapes them)
            if (!name.startsWith("iys_feed_") && !name.startsWith("iys_replication_") && !name.startsWith("iys_push_"))
            {
                assertTrue(served.contains(name), () -> name + " is on the dashboard but not served");
            }
        }
    }

    private Map<String, Double> scrape() throws Exception
    {
        return Scrape.series(server.httpPort());
    }
}
