package io.iysfilter.loadtest.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code ./iys-filter demo --replicas 2}, as an operator runs it from a checkout: a Kafka broker, the demo server as
 * the fleet's fetcher and two replica servers; a RET made in the İYS emulator reaches all three.
 */
@Timeout(300)
class DemoReplicasIT
{
    private static final Path ROOT = Path.of(System.getProperty("iys.repository.root", "..")).toAbsolutePath();
    private static final Pattern NODE = Pattern.compile("^ {2}(fetcher|replica-\\d) +binary (\\d+) +http (\\d+)");
    private static final Pattern EMULATOR = Pattern.compile("from the İYS emulator at (http://127\\.0\\.0\\.1:\\d+)");
    private static final String CHECK = "/v1/check?brand=" + DemoCommand.FOLLOWED_BRAND + "&channel=MESAJ&recipient=" +
        DemoCommand.EMULATED_RECIPIENT.replace("+", "%2B");

    @TempDir
    Path dir;

    @Test
    void shouldCarryARetMadeInTheEmulatorToTheFetcherAndEveryReplica() throws Exception
    {
        final Process demo = new ProcessBuilder(ROOT.resolve("iys-filter").toString(), "demo", "--replicas", "2",
            "--recipients", "100", "--port", "0", "--http-port", "0", "--milter-port", "0", "--resp-port", "0",
            "--emulator-port", "0", "--data-dir", dir.resolve("demo").toString())
            .directory(ROOT.toFile()).redirectError(dir.resolve("demo.err").toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(),
            StandardCharsets.UTF_8)))
        {
            final List<String> httpPorts = new ArrayList<>();
            String emulator = null;
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("Ctrl-C stops"))
            {
                final Matcher node = NODE.matcher(line);
                if (node.find())
                {
                    httpPorts.add(node.group(3));
                }
                final Matcher emulatorLine = EMULATOR.matcher(line);
                if (emulatorLine.find())
                {
                    emulator = emulatorLine.group(1);
                }
            }
            if (line == null)
            {
                fail("the demo ended before it served: " + Files.readString(dir.resolve("demo.err")));
            }
            assertNotNull(emulator, "the demo names its emulator");
            assertEquals(3, httpPorts.size(), "the fetcher and two replicas: " + httpPorts);

            final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (final String port : httpPorts)
            {
                assertTrue(answer(http, port).contains("\"CONSENT\""), "every node starts at ALLOW CONSENT: " +
                    answer(http, port));
            }
            final HttpResponse<String> ret = http.send(HttpRequest.newBuilder(URI.create(emulator +
                "/emulator/changes")).POST(HttpRequest.BodyPublishers.ofString("{\"brand\":" +
                DemoCommand.FOLLOWED_BRAND + ",\"source\":\"IYS\",\"recipient\":\"" + DemoCommand.EMULATED_RECIPIENT +
                "\",\"type\":\"MESAJ\",\"status\":\"RET\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ret.statusCode(), ret.body());

            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (final String port : httpPorts)
            {
                String body = answer(http, port);
                while (!body.contains("\"REJECTED\""))
                {
                    assertTrue(System.nanoTime() - deadlineNs < 0, "the RET did not reach the node on HTTP port " +
                        port + ": " + body);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    body = answer(http, port);
                }
            }
            assertReplicationPanelsServed(http, httpPorts);
        }
        finally
        {
            demo.destroy();
            assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo stops on SIGTERM");
        }
    }

    /**
     * Every replication meter the Grafana dashboard queries is served by the fetcher or a replica.
     */
    private static void assertReplicationPanelsServed(final HttpClient http, final List<String> httpPorts)
        throws Exception
    {
        final String dashboard = Files.readString(ROOT.resolve("ops").resolve("grafana-dashboard.json"));
        final Set<String> names = new TreeSet<>();
        final Matcher metric = Pattern.compile("\\b(iys_replication_[a-z_]+)").matcher(dashboard);
        while (metric.find())
        {
            names.add(metric.group(1));
        }
        assertTrue(names.contains("iys_replication_lag_records") && names.contains("iys_replication_published_total"),
            names::toString);
        final StringBuilder scrapes = new StringBuilder();
        for (final String port : httpPorts)
        {
            scrapes.append(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        }
        for (final String name : names)
        {
            assertTrue(Pattern.compile("(?m)^" + name + "[{ ]").matcher(scrapes).find(),
                () -> name + " is on the dashboard but neither the fetcher nor a replica serves it");
        }
    }

    private static String answer(final HttpClient http, final String port) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + CHECK)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }
}
