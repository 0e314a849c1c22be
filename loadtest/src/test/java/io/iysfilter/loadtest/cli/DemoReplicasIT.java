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
 * the fleet's fetcher and two replica servers; a provider's RET made in the İYS emulator reaches all three through the
 * pull feed, and a citizen's RET pushed by the emulator to the fetcher's push receiver flips its answer, counted as a
 * push.
 */
@Timeout(300)
class DemoReplicasIT
{
    private static final Path ROOT = Path.of(System.getProperty("iys.repository.root", "..")).toAbsolutePath();
    private static final Pattern NODE = Pattern.compile("^ {2}(fetcher|replica-\\d) +binary (\\d+) +http (\\d+)");
    private static final Pattern EMULATOR = Pattern.compile("from the İYS emulator at (http://127\\.0\\.0\\.1:\\d+)");
    private static final Pattern PUSH_URL = Pattern.compile("takes İYS's pushes of citizens' own changes on " +
        "(http://127\\.0\\.0\\.1:\\d+/iys/push/" + DemoCommand.FOLLOWED_BRAND + ")");
    private static final Pattern PUSH_APPLIED = Pattern.compile(
        "(?m)^iys_push_records_total\\{[^}]*outcome=\"applied\"[^}]*} ([0-9.]+)$");
    private static final Pattern PUSH_DUPLICATE = Pattern.compile(
        "(?m)^iys_push_records_total\\{[^}]*outcome=\"duplicate\"[^}]*} ([0-9.]+)$");

    @TempDir
    Path dir;

    @Test
    void shouldCarryARetMadeInTheEmulatorToTheFetcherAndEveryReplica() throws Exception
    {
        final Process demo = new ProcessBuilder(ROOT.resolve("iys-filter").toString(), "demo", "--replicas", "2",
            "--recipients", "100", "--port", "0", "--http-port", "0", "--milter-port", "0", "--resp-port", "0",
            "--emulator-port", "0", "--push-port", "0", "--data-dir", dir.resolve("demo").toString())
            .directory(ROOT.toFile()).redirectError(dir.resolve("demo.err").toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(),
            StandardCharsets.UTF_8)))
        {
            final List<String> httpPorts = new ArrayList<>();
            String emulator = null;
            String pushUrl = null;
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
                final Matcher pushLine = PUSH_URL.matcher(line);
                if (pushLine.find())
                {
                    pushUrl = pushLine.group(1);
                }
            }
            if (line == null)
            {
                fail("the demo ended before it served: " + Files.readString(dir.resolve("demo.err")));
            }
            assertNotNull(emulator, "the demo names its emulator");
            assertNotNull(pushUrl, "the demo names its push receiver");
            assertEquals(3, httpPorts.size(), "the fetcher and two replicas: " + httpPorts);

            final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (final String port : httpPorts)
            {
                for (final String recipient : new String[]{DemoCommand.EMULATED_RECIPIENT,
                    DemoCommand.PUSHED_RECIPIENT})
                {
                    assertTrue(answer(http, port, recipient).contains("\"CONSENT\""), "every node starts at ALLOW " +
                        "CONSENT: " + answer(http, port, recipient));
                }
            }
            // the provider's own RET: İYS never pushes it, the pull feed brings it to the fetcher, the topic to all
            change(http, emulator, "HS", DemoCommand.EMULATED_RECIPIENT);
            awaitRejected(http, httpPorts, DemoCommand.EMULATED_RECIPIENT);

            // a citizen's RET: pushed by the emulator to the fetcher's receiver as soon as it is made
            final String fetcher = httpPorts.get(0);
            final String before = metrics(http, fetcher);
            assertEquals(0, counter(PUSH_APPLIED, before), "nothing pushed yet but the test record: " + before);
            change(http, emulator, "IYS", DemoCommand.PUSHED_RECIPIENT);
            awaitRejected(http, httpPorts, DemoCommand.PUSHED_RECIPIENT);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String after = metrics(http, fetcher);
            // the demo's emulator withholds nothing from its feed, which may bring the RET first: then the push is
            // the duplicate
            while (counter(PUSH_APPLIED, after) < 1 && counter(PUSH_DUPLICATE, after) != 1)
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the push was not counted: " + after);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                after = metrics(http, fetcher);
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

    private static void change(final HttpClient http, final String emulator, final String source,
        final String recipient) throws Exception
    {
        final HttpResponse<String> ret = http.send(HttpRequest.newBuilder(URI.create(emulator +
            "/emulator/changes")).POST(HttpRequest.BodyPublishers.ofString("{\"brand\":" +
            DemoCommand.FOLLOWED_BRAND + ",\"source\":\"" + source + "\",\"recipient\":\"" + recipient +
            "\",\"type\":\"MESAJ\",\"status\":\"RET\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ret.statusCode(), ret.body());
    }

    private static void awaitRejected(final HttpClient http, final List<String> httpPorts, final String recipient)
        throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (final String port : httpPorts)
        {
            String body = answer(http, port, recipient);
            while (!body.contains("\"REJECTED\""))
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the RET of " + recipient + " did not reach the " +
                    "node on HTTP port " + port + ": " + body);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                body = answer(http, port, recipient);
            }
        }
    }

    private static String metrics(final HttpClient http, final String port) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }

    private static long counter(final Pattern meter, final String scrape)
    {
        final Matcher matcher = meter.matcher(scrape);
        assertTrue(matcher.find(), () -> meter + " in " + scrape);
        return (long)Double.parseDouble(matcher.group(1));
    }

    private static String answer(final HttpClient http, final String port, final String recipient) throws Exception
    {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/check?brand=" +
            DemoCommand.FOLLOWED_BRAND + "&channel=MESAJ&recipient=" + recipient.replace("+", "%2B"))).build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }
}
