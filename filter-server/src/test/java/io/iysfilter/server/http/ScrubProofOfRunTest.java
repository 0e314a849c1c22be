package io.iysfilter.server.http;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.receipts.FoundReceipt;
import io.iysfilter.server.receipts.ReceiptSource;
import io.iysfilter.server.receipts.ScrubProof;
import io.iysfilter.server.receipts.ScrubProofs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code /v1/scrub} run with the receipts on: the response's headers name the run id (its first decision id), and
 * the summary filed at its end holds the SHA-256 of the body as received (split anyhow), counts equal to the
 * reasons its rows were answered, and the first and last decision ids the recorder gave.
 */
class ScrubProofOfRunTest
{
    private static final long RUN = 3L << 48;

    @TempDir
    static Path dataDir;
    @TempDir
    Path receiptsDir;
    private static ConsentStore store;

    @BeforeAll
    static void open() throws IOException
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
    }

    @AfterAll
    static void close()
    {
        store.close();
    }

    /**
     * Gives ids as the journal's recorder does (run, then a sequence from 1).
     */
    private static final class CountingRecorder implements DecisionRecorder
    {
        final AtomicLong sequence = new AtomicLong();

        @Override
        public int party(final Door door, final String name)
        {
            return 1;
        }

        @Override
        public long record(final DecisionFacts facts)
        {
            return RUN | sequence.incrementAndGet();
        }

        @Override
        public boolean allowsUnrecorded()
        {
            return true;
        }
    }

    /**
     * A journal whose chain head already covers every id.
     */
    private static final class CoveringJournal implements ReceiptSource
    {
        @Override
        public long[] days()
        {
            return new long[0];
        }

        @Override
        public void read(final long epochDay, final Visitor visitor)
        {
        }

        @Override
        public DayDigest digest(final long epochDay)
        {
            return new DayDigest(epochDay, false, "ee".repeat(32), -1L);
        }
    }

    @Test
    void shouldHoldTheEchoedHeaderLineUntilARowNamesTheRun() throws Exception
    {
        final CountingRecorder recorder = new CountingRecorder();
        final EmbeddedChannel channel = new EmbeddedChannel(new ScrubHttpHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder), new ServerCounters())
            .proofs(new ScrubProofs(receiptsDir, new CoveringJournal()), Runnable::run));
        try
        {
            channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, ScrubHttpHandler.PATH +
                "?brand=" + Fixtures.BRAND + "&channel=MESAJ&header=true"));
            channel.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer("phone\n", StandardCharsets.UTF_8)));
            assertNull(channel.readOutbound(), "the header line alone names no run");
            channel.writeInbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(Fixtures.CONSENTED + "\n",
                StandardCharsets.UTF_8)));
            final Object first = channel.readOutbound();
            assertTrue(first instanceof HttpResponse, "first written: " + first);
            assertEquals(DecisionIds.text(RUN | 1), ((HttpResponse)first).headers().get(
                ScrubHttpHandler.RUN_HEADER));
            final StringBuilder answer = new StringBuilder();
            Object next;
            while ((next = channel.readOutbound()) != null)
            {
                final ByteBuf content = ((HttpContent)next).content();
                answer.append(content.toString(StandardCharsets.UTF_8));
                content.release();
            }
            assertEquals("phone,verdict,reason\n" + Fixtures.CONSENTED + ",ALLOW,CONSENT\n", answer.toString());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldNameTheRunInTheHeadersAndFileItsSummary() throws Exception
    {
        final String body = String.join("\n", Fixtures.CONSENTED, Fixtures.REJECTED, "not-a-number",
            Fixtures.CONSENTED, Fixtures.TACIR, "", Fixtures.EMAIL) + "\n";
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final CountingRecorder recorder = new CountingRecorder();
        final ScrubProofs proofs = new ScrubProofs(receiptsDir, new CoveringJournal());
        final EmbeddedChannel channel = new EmbeddedChannel(new ScrubHttpHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder), new ServerCounters())
            .proofs(proofs, Runnable::run));
        try
        {
            channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, ScrubHttpHandler.PATH +
                "?brand=" + Fixtures.BRAND + "&channel=MESAJ"));
            assertNull(channel.readOutbound(), "the headers wait for the first rows, to name the run");
            channel.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, 0, 5)));
            assertNull(channel.readOutbound(), "part of a line names no run yet");
            channel.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, 5, 15)));
            channel.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, 20, 17)));
            channel.writeInbound(new DefaultLastHttpContent(Unpooled.wrappedBuffer(bytes, 37, bytes.length - 37)));
            channel.checkException();

            final Object first = channel.readOutbound();
            assertTrue(first instanceof HttpResponse, "first written: " + first);
            final long runId = RUN | 1;
            assertEquals(DecisionIds.text(runId), ((HttpResponse)first).headers().get(ScrubHttpHandler.RUN_HEADER));
            final StringBuilder answer = new StringBuilder();
            Object next;
            while ((next = channel.readOutbound()) != null)
            {
                final ByteBuf content = ((HttpContent)next).content();
                answer.append(content.toString(StandardCharsets.UTF_8));
                content.release();
            }
            final List<String> rows = new ArrayList<>(List.of(answer.toString().split("\n")));
            final Map<String, Long> byReason = new TreeMap<>();
            for (final String row : rows)
            {
                byReason.merge(row.substring(row.lastIndexOf(',') + 1), 1L, Long::sum);
            }
            assertEquals(7, rows.size(), answer.toString());
            assertEquals(7, recorder.sequence.get(), "every row is a decision with its id");

            final Path file = ScrubProofs.file(receiptsDir, Math.floorDiv(System.currentTimeMillis(),
                FoundReceipt.DAY_MS), runId);
            final String json = Files.readString(file).strip();
            assertTrue(json.contains("\"runId\":\"" + DecisionIds.text(runId) + "\""), json);
            assertTrue(json.contains("\"firstDecisionId\":\"" + DecisionIds.text(runId) + "\""), json);
            assertTrue(json.contains("\"lastDecisionId\":\"" + DecisionIds.text(RUN | 7) + "\""), json);
            assertTrue(json.contains("\"inputSha256\":\"" +
                ScrubProof.hex(MessageDigest.getInstance("SHA-256").digest(bytes)) + "\""), json);
            assertTrue(json.contains("\"rows\":7,"), json);
            final String counts = json.substring(json.indexOf("\"byReason\":{") + 12, json.indexOf('}'));
            final Map<String, Long> filed = new TreeMap<>();
            Stream.of(counts.split(",")).forEach(pair -> filed.put(pair.substring(1, pair.indexOf("\":")),
                Long.parseLong(pair.substring(pair.indexOf("\":") + 2))));
            assertEquals(byReason, filed, json);
            assertTrue(json.contains("\"client\":\"peer:"), json);
            assertTrue(json.contains("\"chainHead\":\"" + "ee".repeat(32) + "\""), json);
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }
}
