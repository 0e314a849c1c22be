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
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@code /v1/scrub}'s line parsing (line splitting, the 4 KiB line cap, CSV columns through
 * {@code CsvLine}) on an embedded connection. Structure-aware: the body is rows of known recipients, CSV with
 * quotes and a fuzzed column, fuzzed text and overlong lines, ended by LF or CRLF, delivered in fuzzed pieces.
 * Checked: nothing is thrown out of the pipeline; one 200 response; exactly one answer row per input row, in order,
 * echoing the row (as UTF-8, cut at the line cap, without its CR) followed by {@code ,VERDICT,REASON} where the
 * verdict is the one the reason implies; an overlong or column-less row is DENY.
 */
class ScrubLineFuzzTest
{
    private static final String[] RECIPIENTS = {
        Fixtures.CONSENTED, Fixtures.REJECTED, Fixtures.EMAIL, Fixtures.TACIR, Fixtures.bulkPhone(4), "",
        "\"" + Fixtures.CONSENTED + "\"", "\"a,\"\"b\"", "\"unclosed", " , ", "\uFEFF" + Fixtures.CONSENTED};
    private static final int LINE_CAP = ScrubHttpHandler.MAX_LINE_LENGTH;

    @TempDir
    static Path dataDir;
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

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void lines(final FuzzedDataProvider data)
    {
        final int column = data.consumeInt(1, 4);
        final boolean header = data.consumeInt(0, 3) == 0;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final int rows = data.consumeInt(0, 8);
        for (int i = 0; i < rows; i++)
        {
            final byte[] row = row(data, column).getBytes(StandardCharsets.UTF_8);
            body.writeBytes(row);
            if (i < rows - 1 || data.consumeBoolean())
            {
                body.writeBytes(data.consumeBoolean() ? new byte[]{'\n'} : new byte[]{'\r', '\n'});
            }
        }
        final byte[] bytes = body.toByteArray();
        final EmbeddedChannel channel = new EmbeddedChannel(new ScrubHttpHandler(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), new ServerCounters()));
        try
        {
            channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, ScrubHttpHandler.PATH +
                "?brand=" + Fixtures.BRAND + "&channel=MESAJ&column=" + column + (header ? "&header=true" : "")));
            int at = 0;
            while (at < bytes.length)
            {
                final int piece = data.remainingBytes() > 0 ? data.consumeInt(1, bytes.length - at) : bytes.length - at;
                channel.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, at, piece)));
                at += piece;
            }
            channel.writeInbound(new DefaultLastHttpContent());
            channel.checkException();
            check(bytes, answer(channel), header);
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    private static String row(final FuzzedDataProvider data, final int column)
    {
        return switch (data.consumeInt(0, 5))
        {
            case 0 -> data.pickValue(RECIPIENTS);
            case 1 ->
            {
                final StringBuilder csv = new StringBuilder();
                final int fields = data.consumeInt(0, 5);
                for (int f = 0; f < fields; f++)
                {
                    csv.append(f == 0 ? "" : ",").append(f + 1 == column ? data.pickValue(RECIPIENTS) :
                        data.consumeString(8).replace("\n", ""));
                }
                yield csv.toString();
            }
            case 2 -> "x".repeat(data.consumeInt(LINE_CAP - 2, LINE_CAP + 2));
            default -> data.consumeString(60).replace("\n", "");
        };
    }

    private static byte[] answer(final EmbeddedChannel channel)
    {
        final Object first = channel.readOutbound();
        assertTrue(first instanceof HttpResponse, "first written: " + first);
        assertEquals(200, ((HttpResponse)first).status().code());
        final ByteArrayOutputStream content = new ByteArrayOutputStream();
        boolean last = false;
        Object written;
        while ((written = channel.readOutbound()) != null)
        {
            assertTrue(!last, "written after the last content: " + written);
            final HttpContent part = (HttpContent)written;
            final byte[] bytes = new byte[part.content().readableBytes()];
            part.content().readBytes(bytes);
            part.release();
            content.writeBytes(bytes);
            last = part instanceof LastHttpContent;
        }
        assertTrue(last, "the answer has no end");
        return content.toByteArray();
    }

    private static void check(final byte[] input, final byte[] answer, final boolean header)
    {
        final List<byte[]> rows = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= input.length; i++)
        {
            if (i == input.length ? i > start : input[i] == '\n')
            {
                rows.add(Arrays.copyOfRange(input, start, i));
                start = i + 1;
            }
        }
        final String text = new String(answer, StandardCharsets.UTF_8);
        final String[] lines = text.isEmpty() ? new String[0] : text.split("\n", -1);
        assertTrue(text.isEmpty() || text.endsWith("\n"), "answer does not end its last row");
        final int answered = text.isEmpty() ? 0 : lines.length - 1;
        assertEquals(rows.size(), answered, () -> "one answer row per input row: input=" +
            Arrays.toString(input) + ", answer=" + Arrays.toString(answer));
        for (int r = 0; r < rows.size(); r++)
        {
            final byte[] row = rows.get(r);
            int length = Math.min(row.length, LINE_CAP);
            if (length > 0 && row[length - 1] == '\r')
            {
                length--;
            }
            final String echoed = new String(row, 0, length, StandardCharsets.UTF_8);
            final String line = lines[r];
            assertTrue(line.startsWith(echoed + ","), "row " + r + " not echoed: " + line);
            final String rest = line.substring(echoed.length() + 1);
            if (header && r == 0)
            {
                assertEquals("verdict,reason", rest);
                continue;
            }
            final String[] verdict = rest.split(",", -1);
            assertEquals(2, verdict.length, "row " + r + ": " + rest);
            assertEquals(Reason.valueOf(verdict[1]).verdict(), verdict[0], "row " + r + ": " + rest);
            if (row.length > LINE_CAP)
            {
                assertEquals("DENY", verdict[0], "an overlong row");
            }
        }
    }
}
