package io.iysfilter.server.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServiceMetrics;
import io.iysfilter.server.optout.OptOuts;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the HTTP API's query decoding ({@code /v1/check}: the URI's query through {@link DecisionParameters}) on
 * an embedded connection. Structure-aware: the query is built from the real parameter names with good, bad and
 * fuzzed values, percent-encoded or raw, sometimes with a raw fuzzed tail (a target no request line can carry, e.g.
 * with a line break, is skipped: Netty refuses to build that request). Checked: nothing is thrown out of the
 * pipeline; every request gets exactly one answer, 200 with a verdict or 400 with {@code bad_request}; a verdict is
 * the one its reason implies (fail closed: ALLOW only for an allowing reason).
 */
class CheckQueryFuzzTest
{
    private static final String[] NAMES = {"brand", "channel", "recipient", "recipientType", "kind", "x"};
    private static final String[] VALUES = {
        Long.toString(Fixtures.BRAND), Long.toString(Fixtures.STALE_BRAND), "0", "4294967295", "4294967296", "-1",
        "MESAJ", "EPOSTA", "ARAMA", "mesaj", "BIREYSEL", "TACIR", "COMMERCIAL", "TRANSACTIONAL", Fixtures.CONSENTED,
        Fixtures.REJECTED, Fixtures.EMAIL, Fixtures.TACIR, "", "%", "%zz", "+", "%2B905321111111"};
    private static final Pattern BODY = Pattern.compile(
        "\\{\"verdict\":\"(ALLOW|DENY)\",\"reason\":\"([A-Z_]+)\",\"brand\":\\d+,\"asOf\":.*\\}");

    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static IngestPipeline pipeline;
    private static OptOuts optOuts;
    private static ServiceMetrics metrics;

    @BeforeAll
    static void open() throws IOException
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
        pipeline = new IngestPipeline(store.writer(), 1024);
        optOuts = new OptOuts(store, pipeline);
        metrics = new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), store, pipeline);
    }

    @AfterAll
    static void close() throws Exception
    {
        optOuts.close();
        pipeline.close();
        store.close();
    }

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void query(final FuzzedDataProvider data)
    {
        final StringBuilder uri = new StringBuilder("/v1/check?");
        final int parameters = data.consumeInt(0, 7);
        for (int i = 0; i < parameters; i++)
        {
            final String name = data.consumeBoolean() ? data.pickValue(NAMES) : data.consumeString(12);
            final String value = data.consumeBoolean() ? data.pickValue(VALUES) : data.consumeString(40);
            uri.append(i == 0 ? "" : "&");
            if (data.consumeBoolean())
            {
                uri.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
            else
            {
                uri.append(name).append('=').append(value);
            }
        }
        if (data.consumeBoolean())
        {
            uri.append(data.consumeRemainingAsString());
        }
        final String target = uri.toString();
        // as HttpEndpoint mounts them behind the codec: the guard (which refuses a query that does not decode), the
        // API, and the last-resort error handler
        final ServerCounters counters = new ServerCounters();
        final HttpGuard guard = new HttpGuard(HttpSettings.DEFAULT, counters);
        final EmbeddedChannel channel = new EmbeddedChannel(guard, new HttpApiHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), store, null, optOuts,
            counters, metrics, new WriteGate()), guard.errors());
        final DefaultFullHttpRequest request;
        try
        {
            request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        }
        catch (final IllegalArgumentException notARequestLine)
        {
            channel.finishAndReleaseAll();
            return;
        }
        try
        {
            channel.writeInbound(request);
            channel.checkException();
            final FullHttpResponse response = channel.readOutbound();
            assertNotNull(response, "no answer to GET " + target);
            try
            {
                final String body = response.content().toString(StandardCharsets.UTF_8);
                final int status = response.status().code();
                if (status == 400)
                {
                    assertTrue(body.startsWith("{\"error\":\"bad_request\",\"message\":\""), body);
                }
                else
                {
                    assertEquals(200, status, "GET " + target + " answered " + body);
                    final Matcher matcher = BODY.matcher(body);
                    assertTrue(matcher.matches(), body);
                    assertEquals(Reason.valueOf(matcher.group(2)).verdict(), matcher.group(1), body);
                }
            }
            finally
            {
                response.release();
            }
            assertNull(channel.readOutbound(), "more than one answer");
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }
}
