package io.iysfilter.server.http;

import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.HttpClose;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.SocketException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class HttpGuardTest
{
    @Test
    void shouldAnswer500AndCloseWhenAHandlerThrows()
    {
        final ServerCounters counters = new ServerCounters();
        final HttpGuard guard = new HttpGuard(HttpSettings.DEFAULT, counters);
        // no meters to scrape: /metrics throws, as a registry refusing duplicate series did
        final EmbeddedChannel channel = new EmbeddedChannel(guard.rawReads(), new HttpServerCodec(), guard,
            new HttpObjectAggregator(HttpEndpoint.MAX_REQUEST_LENGTH),
            new HttpApiHandler(null, null, null, null, counters, null, new WriteGate()), guard.errors());
        try
        {
            channel.writeInbound(Unpooled.copiedBuffer("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                StandardCharsets.US_ASCII));
            final StringBuilder answer = new StringBuilder();
            ByteBuf out;
            while ((out = channel.readOutbound()) != null)
            {
                answer.append(out.toString(StandardCharsets.UTF_8));
                out.release();
            }
            assertTrue(answer.toString().startsWith("HTTP/1.1 500 Internal Server Error\r\n"), answer.toString());
            assertTrue(answer.toString().contains("\"error\":\"internal_error\""), answer.toString());
            assertTrue(answer.toString().contains("connection: close"), answer.toString());
            assertEquals(1, counters.httpCloses(HttpClose.INTERNAL_ERROR));
            assertFalse(channel.isOpen(), "closed after the 500");
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldCloseQuietlyWhenThePeerResets()
    {
        final ServerCounters counters = new ServerCounters();
        final HttpGuard guard = new HttpGuard(HttpSettings.DEFAULT, counters);
        final EmbeddedChannel channel = new EmbeddedChannel(guard.rawReads(), new HttpServerCodec(), guard,
            guard.errors());
        channel.pipeline().fireExceptionCaught(new SocketException("Connection reset by peer"));
        assertFalse(channel.isOpen());
        assertEquals(0, counters.httpCloses(HttpClose.INTERNAL_ERROR), "a client's reset is no failure of ours");
        assertTrue(channel.outboundMessages().isEmpty(), "nothing answered to a reset");
        channel.finishAndReleaseAll();
    }
}
