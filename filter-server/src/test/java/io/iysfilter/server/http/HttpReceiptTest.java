package io.iysfilter.server.http;

import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.decision.RecordingRecorder;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServiceMetrics;
import io.iysfilter.server.optout.OptOuts;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.iysfilter.server.ReceiptAssertions.assertAsked;
import static io.iysfilter.server.ReceiptAssertions.assertRecipient;
import static io.iysfilter.server.ReceiptAssertions.assertRecord;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /v1/check} answers with the id of its decision's receipt in its JSON and a header; {@code /v1/scrub}
 * records one receipt per row (its rows stay as they were: the CSV has no versioned way to add a column).
 */
class HttpReceiptTest
{
    private static final Pattern JSON_ID = Pattern.compile("\"decisionId\":\"([0-9a-f]{16})\"");

    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static IngestPipeline pipeline;
    private static OptOuts optOuts;
    private static ServiceMetrics metrics;
    private static long asOf;

    @BeforeAll
    static void open() throws Exception
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
        pipeline = new IngestPipeline(store.writer(), 1024);
        optOuts = new OptOuts(store, pipeline);
        metrics = new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), store, pipeline);
        asOf = store.brand(Fixtures.BRAND).asOfMs();
    }

    @AfterAll
    static void close() throws Exception
    {
        optOuts.close();
        pipeline.close();
        store.close();
    }

    private static FullHttpResponse check(final DecisionRecorder recorder, final String query)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new HttpApiHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder), store, null, optOuts,
            new ServerCounters(), metrics, new WriteGate()));
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/check?" + query));
        final FullHttpResponse response = channel.readOutbound();
        channel.finish();
        return response;
    }

    private static String body(final FullHttpResponse response)
    {
        final String body = response.content().toString(StandardCharsets.UTF_8);
        response.release();
        return body;
    }

    @Test
    void shouldAnswerACheckWithItsDecisionIdInTheJsonAndAHeader()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final FullHttpResponse response = check(recorder, "brand=" + Fixtures.BRAND +
            "&channel=EPOSTA&recipient=" + Fixtures.EMAIL);
        final String header = response.headers().get(HttpApiHandler.DECISION_ID_HEADER);
        final String body = body(response);
        final RecordingRecorder.Receipt receipt = recorder.last();
        final Matcher id = JSON_ID.matcher(body);
        assertTrue(id.find(), body);
        assertEquals(DecisionIds.text(receipt.id()), id.group(1), body);
        assertEquals(id.group(1), header);
        assertTrue(body.startsWith("{\"verdict\":\"ALLOW\",\"reason\":\"CONSENT\""), body);
        assertAsked(receipt, Door.HTTP, "peer:unknown", Fixtures.BRAND, Channel.EPOSTA, RecipientType.UNSPECIFIED,
            MessageKind.COMMERCIAL, Reason.CONSENT, asOf);
        assertRecipient(receipt, Fixtures.EMAIL, true);
        assertRecord(receipt, store, Fixtures.EMAIL, true);
    }

    @Test
    void shouldNameTheDealerACheckOrAScrubNamedInItsReceipts()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        body(check(recorder, "brand=" + Fixtures.BRAND + "&channel=EPOSTA&recipient=" + Fixtures.EMAIL +
            "&dealer=4000000123"));
        assertEquals(4_000_000_123L, recorder.last().dealerCode());
        body(check(recorder, "brand=" + Fixtures.BRAND + "&channel=EPOSTA&recipient=" + Fixtures.EMAIL));
        assertEquals(0, recorder.last().dealerCode(), "no dealer parameter: the brand itself");

        final RecordingRecorder scrubbed = new RecordingRecorder(false);
        scrub(scrubbed, "&dealer=555", "a," + Fixtures.CONSENTED + "\nno second column\n");
        assertEquals(2, scrubbed.receipts().size());
        assertEquals(555, scrubbed.receipts().get(0).dealerCode());
        assertEquals(555, scrubbed.receipts().get(1).dealerCode(), "a row refused before the rules too");
    }

    @Test
    void shouldApplyThePolicyToAnUnrecordedCheck()
    {
        final String refused = body(check(new RecordingRecorder(false).failing(true), "brand=" + Fixtures.BRAND +
            "&channel=MESAJ&recipient=" + Fixtures.CONSENTED.replace("+", "%2B")));
        assertTrue(refused.startsWith("{\"verdict\":\"DENY\",\"reason\":\"RECEIPT_UNAVAILABLE\""), refused);
        assertTrue(refused.contains("\"decisionId\":\"0000000000000000\""), refused);
        final String denied = body(check(new RecordingRecorder(false).failing(true), "brand=" + Fixtures.BRAND +
            "&channel=MESAJ&recipient=" + Fixtures.REJECTED.replace("+", "%2B")));
        assertTrue(denied.startsWith("{\"verdict\":\"DENY\",\"reason\":\"REJECTED\""), denied);
        final String served = body(check(new RecordingRecorder(true).failing(true), "brand=" + Fixtures.BRAND +
            "&channel=MESAJ&recipient=" + Fixtures.CONSENTED.replace("+", "%2B")));
        assertTrue(served.startsWith("{\"verdict\":\"ALLOW\",\"reason\":\"CONSENT\""), served);
    }

    private static String scrub(final DecisionRecorder recorder, final String rows)
    {
        return scrub(recorder, "", rows);
    }

    private static String scrub(final DecisionRecorder recorder, final String moreParameters, final String rows)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new ScrubHttpHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder),
            new ServerCounters()));
        channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, ScrubHttpHandler.PATH +
            "?brand=" + Fixtures.BRAND + "&channel=MESAJ&column=2" + moreParameters));
        channel.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(rows, StandardCharsets.UTF_8)));
        channel.writeInbound(new DefaultLastHttpContent());
        assertInstanceOf(HttpResponse.class, channel.readOutbound());
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        Object written;
        while ((written = channel.readOutbound()) != null)
        {
            final HttpContent part = (HttpContent)written;
            out.writeBytes(io.netty.buffer.ByteBufUtil.getBytes(part.content()));
            part.release();
        }
        channel.finish();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRecordOneReceiptPerScrubRowAndLeaveTheRowsAsTheyWere()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final String answer = scrub(recorder, "a," + Fixtures.CONSENTED + "\nb," + Fixtures.REJECTED +
            "\nno second column\nc," + Fixtures.CONSENTED + "\n");
        assertEquals("a," + Fixtures.CONSENTED + ",ALLOW,CONSENT\nb," + Fixtures.REJECTED + ",DENY,REJECTED\n" +
            "no second column,DENY,INVALID_RECIPIENT\nc," + Fixtures.CONSENTED + ",ALLOW,CONSENT\n", answer);
        final List<RecordingRecorder.Receipt> receipts = recorder.receipts();
        assertEquals(4, receipts.size(), "every row, the one without a recipient too");
        assertEquals(4, new HashSet<>(receipts.stream().map(RecordingRecorder.Receipt::id).toList()).size());
        assertAsked(receipts.get(1), Door.SCRUB, "peer:unknown", Fixtures.BRAND, Channel.MESAJ,
            RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL, Reason.REJECTED, asOf);
        assertRecipient(receipts.get(1), Fixtures.REJECTED, true);
        assertRecord(receipts.get(1), store, Fixtures.REJECTED, true);
        assertAsked(receipts.get(2), Door.SCRUB, "peer:unknown", Fixtures.BRAND, Channel.MESAJ,
            RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL, Reason.INVALID_RECIPIENT, 0);

        assertEquals("a," + Fixtures.CONSENTED + ",DENY,RECEIPT_UNAVAILABLE\nb," + Fixtures.REJECTED +
            ",DENY,REJECTED\n", scrub(new RecordingRecorder(false).failing(true), "a," + Fixtures.CONSENTED + "\nb," +
            Fixtures.REJECTED + "\n"), "policy deny");
        assertEquals("a," + Fixtures.CONSENTED + ",ALLOW,CONSENT\n", scrub(new RecordingRecorder(true).failing(true),
            "a," + Fixtures.CONSENTED + "\n"), "policy allow");
    }

    @Test
    void shouldNameTheAskerOfEachHandlersDeciderOnOneConnection()
    {
        // /v1/check and /v1/scrub on one keep-alive connection: one identity, two deciders, each must record its
        // own door and the peer, whichever route came first
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final RequestIdentity identity = RequestIdentity.anonymous();
        identity.address("192.0.2.7");
        final Decider check = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder);
        final Decider scrub = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder);
        final Decider[] deciders = {check, scrub, check, scrub};
        final Door[] doors = {Door.HTTP, Door.SCRUB, Door.HTTP, Door.SCRUB};
        for (int i = 0; i < deciders.length; i++)
        {
            identity.nameAsker(deciders[i], doors[i]);
            deciders[i].decide(Fixtures.BRAND, deciders[i].brand(Fixtures.BRAND), Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED, System.currentTimeMillis());
        }
        final List<RecordingRecorder.Receipt> receipts = recorder.receipts();
        assertEquals(4, receipts.size());
        for (int i = 0; i < doors.length; i++)
        {
            assertEquals(doors[i], receipts.get(i).door(), "receipt " + i);
            assertEquals("peer:192.0.2.7", receipts.get(i).party(), "receipt " + i);
        }
    }
}
