package io.iysfilter.server.resp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the RESP parser and commands on an embedded connection. Structure-aware: each input is a few commands, each
 * a well-formed IYS.CHECK, IYS.MCHECK, PING, HELLO or unknown command with fuzzed arguments, an inline line, a
 * command with broken framing, or raw bytes, delivered in fuzzed pieces. The contract checked, from docs/RESP.md:
 * <ul>
 *   <li>nothing is thrown out of the pipeline;</li>
 *   <li>the replies are well-formed RESP;</li>
 *   <li>a connection is closed only after {@code -ERR Protocol error} (or QUIT's OK), which is its last reply;</li>
 *   <li>fail closed: every verdict is the one its reason implies, and an ALLOW carries CONSENT, EXEMPT or
 *   TACIR_NO_RECORD only.</li>
 * </ul>
 */
class RespFuzzTest
{
    private static final String[] RECIPIENTS = {
        Fixtures.CONSENTED, Fixtures.REJECTED, Fixtures.EMAIL, Fixtures.TACIR, Fixtures.bulkPhone(2), "05321111111",
        " +90 532 111 11 11 ", "", "a@b", "@", "+", "ALICE@TEST.LOCAL", "TYPE", "KIND"};
    private static final String[] BRANDS = {Long.toString(Fixtures.BRAND), Long.toString(Fixtures.STALE_BRAND), "0",
        "1", "4294967295", "4294967296", "-1", "x"};
    private static final String[] WORDS = {"MESAJ", "arama", "EPOSTA", "FAX", "TYPE", "KIND", "BIREYSEL", "tacir",
        "COMMERCIAL", "TRANSACTIONAL", "3", "2", "AUTH", "SETNAME", "default"};
    private static final String[] COMMANDS = {"IYS.CHECK", "iys.mcheck", "PING", "HELLO", "ECHO", "CLIENT",
        "COMMAND", "SELECT", "INFO", "GET", "QUIT"};

    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static final ServerCounters COUNTERS = new ServerCounters();

    @BeforeAll
    static void openIndex() throws IOException
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
    }

    @AfterAll
    static void closeIndex()
    {
        store.close();
    }

    @FuzzTest(maxDuration = "4s")
    @Timeout(10)
    void commands(final FuzzedDataProvider data)
    {
        final ByteArrayOutputStream input = new ByteArrayOutputStream();
        final int commands = data.consumeInt(1, 6);
        for (int i = 0; i < commands; i++)
        {
            input.writeBytes(command(data));
        }
        final byte[] bytes = input.toByteArray();
        final EmbeddedChannel channel = new EmbeddedChannel(RespEndpoint.newConnection(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE), COUNTERS, "iys-filter/fuzz"));
        try
        {
            int at = 0;
            while (at < bytes.length && channel.isOpen())
            {
                final int piece = data.remainingBytes() > 0 ? data.consumeInt(1, bytes.length - at) : bytes.length - at;
                channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, piece));
                at += piece;
            }
            channel.checkException();
            final List<Object> replies = RespReplyReader.all(RespReplyReader.drain(channel));
            for (int i = 0; i < replies.size(); i++)
            {
                final Object reply = replies.get(i);
                if (reply instanceof RespReplyReader.Error error && error.text().startsWith("ERR Protocol error"))
                {
                    assertEquals(replies.size() - 1, i, "nothing is answered after a protocol error");
                    assertFalse(channel.isOpen(), "a protocol error closes the connection");
                }
                checkDecisions(reply);
            }
            if (!channel.isOpen())
            {
                final Object last = replies.isEmpty() ? null : replies.get(replies.size() - 1);
                assertTrue("OK".equals(last) || last instanceof RespReplyReader.Error error &&
                    error.text().startsWith("ERR Protocol error"), "closed without a protocol error or QUIT: " +
                    replies);
            }
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    /**
     * Every decision found in a reply (RESP2 array or RESP3 map, alone or inside IYS.MCHECK's array) fails closed.
     */
    private static void checkDecisions(final Object reply)
    {
        if (reply instanceof Map<?, ?> map && map.containsKey("verdict"))
        {
            checkDecision(map.get("verdict"), map.get("reason"));
        }
        else if (reply instanceof List<?> list)
        {
            if (list.size() == 3 && ("ALLOW".equals(list.get(0)) || "DENY".equals(list.get(0))) &&
                list.get(2) instanceof Long)
            {
                checkDecision(list.get(0), list.get(1));
            }
            else
            {
                list.forEach(RespFuzzTest::checkDecisions);
            }
        }
    }

    private static void checkDecision(final Object verdict, final Object reasonName)
    {
        final Reason reason = Reason.valueOf(String.valueOf(reasonName));
        assertEquals(reason.verdict(), verdict, "the verdict its reason implies");
        if (reason.allows())
        {
            assertTrue(reason == Reason.CONSENT || reason == Reason.EXEMPT || reason == Reason.TACIR_NO_RECORD,
                String.valueOf(reason));
        }
    }

    private static byte[] command(final FuzzedDataProvider data)
    {
        final int shape = data.consumeInt(0, 9);
        if (shape == 9)
        {
            return data.consumeBytes(data.consumeInt(0, 40));
        }
        final int argc = data.consumeInt(1, 8);
        final String[] args = new String[argc];
        args[0] = data.pickValue(COMMANDS);
        for (int i = 1; i < argc; i++)
        {
            args[i] = switch (i == 1 ? 0 : data.consumeInt(0, 3))
            {
                case 0 -> data.pickValue(BRANDS);
                case 1 -> data.pickValue(WORDS);
                case 2 -> data.pickValue(RECIPIENTS);
                default -> data.consumeString(20);
            };
        }
        if (shape == 8)
        {
            return (String.join(" ", args).replace("\r", "").replace("\n", "") + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final boolean broken = shape == 7;
        out.writeBytes(("*" + (broken && data.consumeBoolean() ? data.consumeInt(-2, 3) : argc) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        for (final String arg : args)
        {
            final byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            final int length = broken && data.consumeBoolean() ? data.consumeInt(-2, 600) : bytes.length;
            out.writeBytes(((broken && data.consumeBoolean() ? "+" : "$") + length + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(bytes);
            out.writeBytes((broken && data.consumeBoolean() ? "\n" : "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }
}
