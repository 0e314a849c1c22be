package io.iysfilter.server.http;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServiceMetrics;
import io.iysfilter.server.optout.OptOutLog;
import io.iysfilter.server.optout.OptOuts;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opt-outs through a graceful stop: counted while in flight, refused with 503 once the drain refuses them.
 */
class WriteGateTest
{
    @TempDir
    Path dataDir;

    @Test
    void shouldCountAdmittedOptOutsUntilAnsweredAndAdmitNoneOnceRefusing()
    {
        final WriteGate gate = new WriteGate();
        assertTrue(gate.admit());
        assertEquals(1, gate.inFlight());
        gate.refuse();
        assertFalse(gate.admit(), "refused once the drain is about to close the connections");
        assertEquals(1, gate.inFlight(), "a refused opt-out is not in flight; the admitted one still is");
        gate.answered();
        assertEquals(0, gate.inFlight());
        assertEquals(1, gate.admitted());
    }

    @Test
    void shouldAnswer503AndRecordNothingOnceTheDrainRefusesOptOuts() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 1024);
            OptOuts optOuts = new OptOuts(store, pipeline))
        {
            final WriteGate gate = new WriteGate();
            gate.refuse();
            final EmbeddedChannel channel = new EmbeddedChannel(new HttpApiHandler(
                new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                    DecisionRecorder.NONE), store, null, optOuts,
                new ServerCounters(), new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                store, pipeline), gate));
            final byte[] body = ("{\"brand\":" + Fixtures.BRAND + ",\"channel\":\"MESAJ\",\"recipient\":\"" +
                Fixtures.CONSENTED + "\"}").getBytes(StandardCharsets.UTF_8);
            channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/optouts",
                Unpooled.wrappedBuffer(body)));

            final FullHttpResponse response = channel.readOutbound();
            try
            {
                assertEquals(503, response.status().code());
                assertTrue(response.content().toString(StandardCharsets.UTF_8)
                    .startsWith("{\"error\":\"shutting_down\",\"message\":\""),
                    response.content().toString(StandardCharsets.UTF_8));
            }
            finally
            {
                response.release();
            }
            assertFalse(channel.isOpen(), "the connection is closed after the refusal");
            assertEquals(0, gate.inFlight());

            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(0, pipeline.applied(), "nothing reached the writer");
            assertFalse(Files.exists(store.brand(Fixtures.BRAND).directory().resolve(OptOutLog.FILE_NAME)),
                "nothing logged");
            channel.finishAndReleaseAll();
        }
    }
}
