package io.iysfilter.loadtest.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.loadtest.Workload;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.IndexOptions;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iys-filter loadtest prepare | open-loop | max} against a real server on a prepared load-test brand: every
 * answer of the workload must be the server's.
 */
@Timeout(180)
class LoadTestIT
{
    private static final long RECIPIENTS = 20_000;

    @TempDir
    static Path dataDir;
    private static FilterServer server;

    @TempDir
    Path out;

    @BeforeAll
    static void start() throws Exception
    {
        final Result prepared = cli("loadtest", "prepare", "--data-dir", dataDir.toString(), "--recipients",
            Long.toString(RECIPIENTS), "--seed", "7");
        assertEquals(Main.EXIT_OK, prepared.status(), prepared.text());
        server = FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .policy(FilterPolicy.DEFAULT)
            .milterPort(-1)
            .ioThreads(1)
            .indexOptions(new IndexOptions(RECIPIENTS, IndexOptions.DEFAULT_MAX_BLOAT_FACTOR,
                (brand) -> brand == Workload.BRAND ? 0 : IndexOptions.DEFAULT_FRESHNESS_BOUND_MS)));
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    record Result(int status, String text)
    {
    }

    /**
     * Run the command line in this JVM.
     *
     * @param argv command and options.
     * @return its exit status and everything it printed.
     */
    static Result cli(final String... argv)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        final int status = ToolsMain.run(argv, stream, stream);
        return new Result(status, bytes.toString(StandardCharsets.UTF_8));
    }

    private String[] run(final String mode, final String... extra)
    {
        final String[] common = {"loadtest", mode, "--port", Integer.toString(server.binaryPort()), "--recipients",
            Long.toString(RECIPIENTS), "--seed", "7", "--pool", "20000", "--warmup", "0", "--duration", "1", "--out",
            out.toString()};
        final String[] argv = new String[common.length + extra.length];
        System.arraycopy(common, 0, argv, 0, common.length);
        System.arraycopy(extra, 0, argv, common.length, extra.length);
        return argv;
    }

    @Test
    void maxThroughputGetsEveryAnswerRightAndWritesItsReports() throws Exception
    {
        final Result result = cli(run("max", "--connections", "2", "--depth", "8", "--name", "max-it"));

        assertEquals(Main.EXIT_OK, result.status(), result.text());
        final Map<String, String> run = firstRun(out.resolve("summary.json"));
        assertEquals("max-it", run.get("name"));
        assertEquals("true", run.get("passed"));
        assertEquals("0", run.get("wrong"));
        assertEquals("0", run.get("missing"));
        final long measured = Long.parseLong(run.get("measuredRequests"));
        // more than the first round of the pipelines (2 connections x depth 8): the run kept them full; how many more
        // depends on the machine's load, which is the report's business, not this test's
        assertTrue(measured > 2 * 8, "measuredRequests=" + measured);

        final HistogramLogReader reader = new HistogramLogReader(out.resolve("max-it.hlog").toFile());
        long logged = 0;
        for (Histogram interval = (Histogram)reader.nextIntervalHistogram(); interval != null;
            interval = (Histogram)reader.nextIntervalHistogram())
        {
            logged += interval.getTotalCount();
        }
        assertEquals(Long.parseLong(run.get("count")), logged);
        final String html = Files.readString(out.resolve("latency.html"));
        assertTrue(html.contains("<polyline") && html.contains("max-it"), "latency.html has the run's curve");
    }

    @Test
    void openLoopWithBatchesSendsItsScheduleWithEveryAnswerRight() throws Exception
    {
        final Result result = cli(run("open-loop", "--rate", "100", "--batch", "20", "--connections", "2"));

        assertEquals(Main.EXIT_OK, result.status(), result.text());
        final Map<String, String> run = firstRun(out.resolve("summary.json"));
        assertEquals("open-loop", run.get("mode"));
        assertEquals(100.0, Double.parseDouble(run.get("offeredRequestsPerSec")));
        // the schedule, not the machine, decides how many requests a 1 s open-loop run sends; how fast they were
        // answered is the report's business, not this test's (the rate is low so that a loaded machine holds it)
        assertEquals("100", run.get("measuredRequests"));
        assertEquals("0", run.get("wrong"));
        assertEquals("0", run.get("missing"));
        assertEquals("0", run.get("errors"));
        assertEquals(20.0, Double.parseDouble(run.get("decisionsPerSec")) /
            Double.parseDouble(run.get("requestsPerSec")), 0.1, "each request is a batch of 20 decisions");
    }

    @Test
    void aWorkloadThatIsNotThePreparedOneFailsOnWrongAnswers() throws Exception
    {
        final String[] argv = run("max", "--connections", "1", "--depth", "4");
        for (int i = 0; i < argv.length; i++)
        {
            if ("--seed".equals(argv[i]))
            {
                argv[i + 1] = "8";
            }
        }
        final Result result = cli(argv);

        assertEquals(Main.EXIT_DENY, result.status(), result.text());
        assertTrue(result.text().contains("answers differ from the expected ones"), result.text());
        assertEquals("false", firstRun(out.resolve("summary.json")).get("passed"));
    }

    @Test
    void prepareReusesItsOwnDirectoryAndRefusesAnotherSizeOrAForeignOne(@TempDir final Path other) throws Exception
    {
        final Result again = cli("loadtest", "prepare", "--data-dir", dataDir.toString(), "--recipients",
            Long.toString(RECIPIENTS), "--seed", "7");
        assertEquals(Main.EXIT_OK, again.status(), again.text());
        assertTrue(again.text().contains("already holds"), again.text());

        final Result otherSize = cli("loadtest", "prepare", "--data-dir", dataDir.toString(), "--recipients", "30000",
            "--seed", "7");
        assertEquals(Main.EXIT_ERROR, otherSize.status());
        assertTrue(otherSize.text().contains("another size or seed"), otherSize.text());

        Files.writeString(other.resolve("something"), "x");
        final Result foreign = cli("loadtest", "prepare", "--data-dir", other.toString());
        assertEquals(Main.EXIT_ERROR, foreign.status());
        assertTrue(foreign.text().contains("not empty"), foreign.text());
    }

    /**
     * The scalar fields of the first run in summary.json, and of its latencyUs object, as text.
     */
    static Map<String, String> firstRun(final Path summary) throws Exception
    {
        final Map<String, String> fields = new HashMap<>();
        try (JsonParser json = new JsonFactory().createParser(summary.toFile()))
        {
            JsonToken token = json.nextToken();
            while (token != null && !(token == JsonToken.FIELD_NAME && "runs".equals(json.currentName())))
            {
                token = json.nextToken();
            }
            assertEquals(JsonToken.START_ARRAY, json.nextToken());
            assertEquals(JsonToken.START_OBJECT, json.nextToken());
            int depth = 1;
            while (depth > 0)
            {
                token = json.nextToken();
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY)
                {
                    depth++;
                }
                else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY)
                {
                    depth--;
                }
                else if (token.isScalarValue())
                {
                    fields.putIfAbsent(json.currentName(), json.getText());
                }
            }
        }
        return fields;
    }
}
