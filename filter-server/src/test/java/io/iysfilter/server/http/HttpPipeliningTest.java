package io.iysfilter.server.http;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.receipts.MemoryReceipts;
import io.iysfilter.server.receipts.ReceiptSearch;
import io.iysfilter.server.receipts.ScrubProofs;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1.1 answers pipelined requests in the order they came (RFC 9112 §9.3.2): a request answered on a worker
 * thread ({@code /v1/receipts}) must not be overtaken by the one after it, answered at once on the event loop, nor
 * by a later worker answer that happens to finish first.
 */
@Timeout(30)
class HttpPipeliningTest
{
    private static final long BRAND = 600001;
    private static final long T0 = Instant.parse("2026-11-29T10:00:00Z").toEpochMilli();
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    @TempDir
    Path dir;

    private final MemoryReceipts journal = new MemoryReceipts(MemoryReceipts.FAKE_PROTECTION);
    private final List<Runnable> workers = new ArrayList<>();

    /**
     * Answers any other request at once, on the event loop, naming its path: as the API's quick routes do.
     */
    private static final class Quick extends SimpleChannelInboundHandler<FullHttpRequest>
    {
        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
        {
            final ByteBuf body = Unpooled.copiedBuffer("quick " + request.uri(), StandardCharsets.UTF_8);
            final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.OK, body);
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            ctx.writeAndFlush(response);
        }
    }

    private EmbeddedChannel channel()
    {
        final SocketAddress peer = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40001);
        final EmbeddedChannel channel = new EmbeddedChannel()
        {
            @Override
            protected SocketAddress remoteAddress0()
            {
                return peer;
            }
        };
        final ServerCounters counters = new ServerCounters();
        final HttpGuard guard = new HttpGuard(HttpSettings.DEFAULT, counters);
        channel.pipeline().addLast("reads", guard.rawReads());
        channel.pipeline().addLast("http", new HttpServerCodec());
        channel.pipeline().addLast("guard", guard);
        channel.pipeline().addLast("auth", new HttpAuthHandler(Authenticator.off(new ClientCounters()),
            new RequestIdentity(), counters));
        channel.pipeline().addLast("aggregator", new HttpObjectAggregator(HttpEndpoint.MAX_REQUEST_LENGTH, true));
        channel.pipeline().addLast("receipts", new ReceiptsHttpHandler(new ReceiptSearch(journal,
            MemoryReceipts.FAKE_PROTECTION), new ScrubProofs(dir, journal), workers::add, counters,
            new AtomicInteger(), () -> T0));
        channel.pipeline().addLast("quick", new Quick());
        channel.pipeline().addLast("errors", guard.errors());
        return channel;
    }

    private static String drain(final EmbeddedChannel channel)
    {
        channel.runPendingTasks();
        final StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null)
        {
            text.append(out.toString(StandardCharsets.UTF_8));
            out.release();
        }
        return text.toString();
    }

    private static String get(final String target)
    {
        return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    @Test
    void shouldAnswerAPipelinedQuickRequestAfterTheSlowReceiptsSearchBeforeIt()
    {
        final long id = journal.add(T0, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111",
            Reason.CONSENT, 1);
        final EmbeddedChannel channel = channel();
        try
        {
            channel.writeInbound(Unpooled.copiedBuffer(get("/v1/receipts?brand=" + BRAND +
                "&recipient=%2B905321111111") + get("/health") + get("/v1/brands"), StandardCharsets.US_ASCII));
            assertEquals("", drain(channel), "nothing may be answered before the search, the first request");
            assertEquals(1, workers.size());
            workers.remove(0).run();
            final String answers = drain(channel);
            final int search = answers.indexOf(DecisionIds.text(id));
            final int health = answers.indexOf("quick /health");
            final int brands = answers.indexOf("quick /v1/brands");
            assertTrue(search > 0 && health > search && brands > health, "in request order: " + answers);
            assertEquals(List.of("200", "200", "200"), statuses(answers));
            assertTrue(channel.isOpen());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldKeepTwoWorkerAnswersInOrderWhenTheSecondIsReadyFirst()
    {
        final long id = journal.add(T0, BRAND, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111",
            Reason.CONSENT, 1);
        final EmbeddedChannel channel = channel();
        try
        {
            channel.writeInbound(Unpooled.copiedBuffer(get("/v1/receipts?brand=" + BRAND +
                "&recipient=%2B905321111111") + get("/v1/receipts/scrubs/00010000000000ff"),
                StandardCharsets.US_ASCII));
            final StringBuilder answers = new StringBuilder(drain(channel));
            // run whatever is queued, the latest first: the first request is the slower one
            while (!workers.isEmpty())
            {
                workers.remove(workers.size() - 1).run();
                answers.append(drain(channel));
            }
            assertEquals(List.of("200", "404"), statuses(answers.toString()), answers.toString());
            assertTrue(answers.indexOf(DecisionIds.text(id)) < answers.indexOf("no proof-of-scrub"),
                answers.toString());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    private static List<String> statuses(final String answers)
    {
        final List<String> statuses = new ArrayList<>();
        final Matcher matcher = STATUS.matcher(answers);
        while (matcher.find())
        {
            statuses.add(matcher.group(1));
        }
        return statuses;
    }
}
