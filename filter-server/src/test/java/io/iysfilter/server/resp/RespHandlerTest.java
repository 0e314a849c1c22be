package io.iysfilter.server.resp;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentLookup;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.RespError;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.iysfilter.server.resp.RespTestIndex.NOT_RECORDED;
import static io.iysfilter.server.resp.RespTestIndex.BRAND;
import static io.iysfilter.server.resp.RespTestIndex.CONSENTED;
import static io.iysfilter.server.resp.RespTestIndex.DEALER;
import static io.iysfilter.server.resp.RespTestIndex.OTHER_DEALER;
import static io.iysfilter.server.resp.RespTestIndex.NO_RECORD;
import static io.iysfilter.server.resp.RespTestIndex.REJECTED;
import static io.iysfilter.server.resp.RespTestIndex.asOf;
import static io.iysfilter.server.resp.RespTestIndex.command;
import static io.iysfilter.server.resp.RespTestIndex.concat;
import static io.iysfilter.server.resp.RespTestIndex.decider;
import static io.iysfilter.server.resp.RespTestIndex.truth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RESP handler on an embedded channel: each command, decisions as the index holds them, the parser fed whole,
 * split at every byte, pipelined and malformed, and the limits.
 */
class RespHandlerTest
{
    @TempDir
    static Path dataDir;

    private final ServerCounters counters = new ServerCounters();
    private EmbeddedChannel channel;

    @BeforeAll
    static void createIndex() throws IOException
    {
        RespTestIndex.open(dataDir);
    }

    @AfterAll
    static void closeIndex()
    {
        RespTestIndex.close();
    }

    @BeforeEach
    void connect()
    {
        channel = new EmbeddedChannel(RespEndpoint.newConnection(decider(), counters,
            Authenticator.off(new ClientCounters()), "iys-filter/1.2.3-test", () -> 1));
    }

    private List<Object> send(final byte[] bytes)
    {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        return RespReplyReader.all(RespReplyReader.drain(channel));
    }

    private Object one(final String... args)
    {
        final List<Object> replies = send(command(args));
        assertEquals(1, replies.size(), replies.toString());
        return replies.get(0);
    }

    private static void assertDecision(final Object reply, final Reason reason, final long asOfMs)
    {
        assertEquals(List.of(reason.verdict(), reason.name(), asOfMs, NOT_RECORDED), reply,
            "the journal is off here: every decision id is 0");
    }

    private static void assertError(final Object reply, final String prefix)
    {
        final RespReplyReader.Error error = assertInstanceOf(RespReplyReader.Error.class, reply, String.valueOf(reply));
        assertTrue(error.text().startsWith(prefix), error.text());
    }

    @Test
    void shouldAnswerCheckAsTheIndexHoldsIt()
    {
        assertEquals(Reason.CONSENT, truth(BRAND, Channel.MESAJ, CONSENTED));
        assertEquals(Reason.REJECTED, truth(BRAND, Channel.MESAJ, REJECTED));
        assertTrue(asOf(BRAND) > 0);
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED), Reason.CONSENT, asOf(BRAND));
        assertDecision(one("iys.check", Long.toString(BRAND), "mesaj", REJECTED), Reason.REJECTED, asOf(BRAND));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", NO_RECORD),
            truth(BRAND, Channel.MESAJ, NO_RECORD), asOf(BRAND));
        assertDecision(one("IYS.CHECK", "700000", "MESAJ", CONSENTED), Reason.UNKNOWN_BRAND, 0);
        assertEquals(2, counters.decisions(Endpoint.RESP, Reason.CONSENT) +
            counters.decisions(Endpoint.RESP, Reason.REJECTED));
    }

    @Test
    void shouldApplyTypeAndKindOptionsInAnyCase()
    {
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED, "kind", "transactional"),
            Reason.EXEMPT, asOf(BRAND));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED, "TYPE", "BIREYSEL", "KIND",
            "COMMERCIAL"), Reason.CONSENT, asOf(BRAND));
    }

    @Test
    void shouldDenyAMalformedBrandChannelTypeOrRecipientAsTheBinaryProtocolDoes()
    {
        for (final String brand : new String[]{"abc", "0", "-1", "4294967296", "", "12345678901"})
        {
            assertDecision(one("IYS.CHECK", brand, "MESAJ", CONSENTED), Reason.INVALID_REQUEST, 0);
        }
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "FAX", CONSENTED), Reason.INVALID_REQUEST, asOf(BRAND));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED, "TYPE", "PERSON"),
            Reason.INVALID_REQUEST, asOf(BRAND));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED, "KIND", "SPAM"),
            Reason.INVALID_REQUEST, asOf(BRAND));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", "not-a-phone"), Reason.INVALID_RECIPIENT,
            asOf(BRAND));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "EPOSTA", CONSENTED), Reason.INVALID_RECIPIENT,
            asOf(BRAND));
    }

    @Test
    void shouldRefuseWrongArityAndBadOptionsAndStayUsable()
    {
        assertError(one("IYS.CHECK", Long.toString(BRAND), "MESAJ"),
            "ERR wrong number of arguments for 'iys.check' command");
        assertError(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED, "TYPE"), "ERR syntax error");
        assertError(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED, "COLOUR", "RED"), "ERR syntax error");
        assertError(one("IYS.MCHECK", Long.toString(BRAND), "MESAJ"),
            "ERR wrong number of arguments for 'iys.mcheck' command");
        assertError(one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", "TYPE", "TACIR"),
            "ERR wrong number of arguments for 'iys.mcheck' command");
        assertEquals(5, counters.respErrors(RespError.BAD_ARGUMENTS));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED), Reason.CONSENT, asOf(BRAND));
        assertTrue(channel.isOpen());
    }

    @Test
    void shouldAnswerMultiCheckInOrder()
    {
        final Object reply = one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", CONSENTED, REJECTED, NO_RECORD,
            "junk");
        final List<?> decisions = assertInstanceOf(List.class, reply);
        assertEquals(4, decisions.size());
        assertDecision(decisions.get(0), Reason.CONSENT, asOf(BRAND));
        assertDecision(decisions.get(1), Reason.REJECTED, asOf(BRAND));
        assertDecision(decisions.get(2), truth(BRAND, Channel.MESAJ, NO_RECORD), asOf(BRAND));
        assertDecision(decisions.get(3), Reason.INVALID_RECIPIENT, asOf(BRAND));

        final List<?> exempt = assertInstanceOf(List.class, one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", "TYPE",
            "BIREYSEL", "KIND", "TRANSACTIONAL", REJECTED));
        assertDecision(exempt.get(0), Reason.EXEMPT, asOf(BRAND));
    }

    @Test
    void shouldAnswerAThousandRecipientsAndRefuseMoreKeepingTheConnection()
    {
        final List<String> args = new ArrayList<>(List.of("IYS.MCHECK", Long.toString(BRAND), "MESAJ"));
        for (int i = 0; i < RespEndpoint.MAX_RECIPIENTS; i++)
        {
            args.add(i % 2 == 0 ? CONSENTED : REJECTED);
        }
        final List<?> decisions = assertInstanceOf(List.class, one(args.toArray(new String[0])));
        assertEquals(RespEndpoint.MAX_RECIPIENTS, decisions.size());
        assertDecision(decisions.get(998), Reason.CONSENT, asOf(BRAND));
        assertDecision(decisions.get(999), Reason.REJECTED, asOf(BRAND));

        args.add(CONSENTED);
        assertError(one(args.toArray(new String[0])), "ERR too many recipients for 'iys.mcheck' command: 1001");
        while (args.size() < 5_000)
        {
            args.add(CONSENTED);
        }
        assertError(one(args.toArray(new String[0])), "ERR too many arguments for 'iys.mcheck' command: 5000");
        assertEquals(2, counters.respErrors(RespError.BAD_ARGUMENTS));
        assertEquals("PONG", one("PING"));
    }

    @Test
    void shouldNotHoldAnOversizedCommandWhole()
    {
        final List<String> args = new ArrayList<>(List.of("IYS.MCHECK", Long.toString(BRAND), "MESAJ"));
        while (args.size() < 20_000)
        {
            args.add(CONSENTED);
        }
        final byte[] bytes = command(args.toArray(new String[0]));
        int maxHeld = 0;
        for (int offset = 0; offset < bytes.length; offset += 4096)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, offset, Math.min(4096, bytes.length - offset)));
            maxHeld = Math.max(maxHeld, cumulated());
        }
        assertTrue(maxHeld < 8192, "held " + maxHeld + " bytes of a command it will refuse");
        assertError(RespReplyReader.all(RespReplyReader.drain(channel)).get(0), "ERR too many arguments");
    }

    private int cumulated()
    {
        final RespHandler handler = channel.pipeline().get(RespHandler.class);
        return handler.heldBytes();
    }

    @Test
    void shouldAnswerACommandSplitAtEveryByte()
    {
        final byte[] bytes = command("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED);
        for (int split = 1; split < bytes.length; split++)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            assertEquals(0, RespReplyReader.drain(channel).length, "answered at split " + split);
            final List<Object> replies = send(java.util.Arrays.copyOfRange(bytes, split, bytes.length));
            assertEquals(1, replies.size());
            assertDecision(replies.get(0), Reason.REJECTED, asOf(BRAND));
        }
    }

    @Test
    void shouldAnswerACommandFedOneByteAtATime()
    {
        final byte[] bytes = concat(command("IYS.MCHECK", Long.toString(BRAND), "MESAJ", CONSENTED, REJECTED),
            "PING\r\n".getBytes(StandardCharsets.US_ASCII));
        final List<Object> replies = new ArrayList<>();
        for (final byte b : bytes)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{b}));
            replies.addAll(RespReplyReader.all(RespReplyReader.drain(channel)));
        }
        assertEquals(2, replies.size());
        final List<?> decisions = assertInstanceOf(List.class, replies.get(0));
        assertDecision(decisions.get(0), Reason.CONSENT, asOf(BRAND));
        assertDecision(decisions.get(1), Reason.REJECTED, asOf(BRAND));
        assertEquals("PONG", replies.get(1));
    }

    @Test
    void shouldAnswerPipelinedCommandsInOrderInOneWrite()
    {
        final ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        for (int i = 0; i < 100; i++)
        {
            pipeline.writeBytes(command("IYS.CHECK", Long.toString(BRAND), "MESAJ", i % 2 == 0 ? CONSENTED :
                REJECTED));
        }
        pipeline.writeBytes(command("PING", "done"));
        channel.writeInbound(Unpooled.wrappedBuffer(pipeline.toByteArray()));
        final ByteBuf written = channel.readOutbound();
        final byte[] bytes = new byte[written.readableBytes()];
        written.readBytes(bytes);
        written.release();
        assertNull(channel.readOutbound(), "the replies of one read are one buffer");
        final List<Object> replies = RespReplyReader.all(bytes);
        assertEquals(101, replies.size());
        for (int i = 0; i < 100; i++)
        {
            assertDecision(replies.get(i), i % 2 == 0 ? Reason.CONSENT : Reason.REJECTED, asOf(BRAND));
        }
        assertEquals("done", replies.get(100));
    }

    @Test
    void shouldAnswerInlineCommands()
    {
        final List<Object> replies = send(("PING\r\nIYS.CHECK " + BRAND + " mesaj " + REJECTED + "\n\r\n" +
            "  echo   hello  \r\n").getBytes(StandardCharsets.US_ASCII));
        assertEquals(3, replies.size(), replies.toString());
        assertEquals("PONG", replies.get(0));
        assertDecision(replies.get(1), Reason.REJECTED, asOf(BRAND));
        assertEquals("hello", replies.get(2));
    }

    @Test
    void shouldAnswerHello3WithAMapAndDecisionsAsMaps()
    {
        final Map<?, ?> hello = assertInstanceOf(Map.class, one("HELLO", "3"));
        assertEquals("iys-filter", hello.get("server"));
        assertEquals("1.2.3", hello.get("version"));
        assertEquals(3L, hello.get("proto"));
        assertInstanceOf(Long.class, hello.get("id"));
        assertEquals("standalone", hello.get("mode"));
        assertEquals("master", hello.get("role"));
        assertEquals(List.of(), hello.get("modules"));
        assertEquals(Map.of("verdict", "DENY", "reason", "REJECTED", "asof", asOf(BRAND), "id", NOT_RECORDED),
            one("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED));
        final List<?> many = assertInstanceOf(List.class, one("IYS.MCHECK", Long.toString(BRAND), "MESAJ",
            CONSENTED));
        assertEquals(Map.of("verdict", "ALLOW", "reason", "CONSENT", "asof", asOf(BRAND), "id", NOT_RECORDED),
            many.get(0));

        final List<?> back = assertInstanceOf(List.class, one("HELLO", "2"));
        assertEquals(14, back.size());
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED), Reason.REJECTED, asOf(BRAND));
    }

    @Test
    void shouldRefuseOtherProtocolVersions()
    {
        assertError(one("HELLO", "4"), "NOPROTO");
        assertError(one("HELLO", "x"), "ERR Protocol version is not an integer or out of range");
        assertError(one("HELLO", "3", "FOO"), "ERR Syntax error in HELLO option 'FOO'");
        assertInstanceOf(List.class, one("HELLO"));
    }

    @Test
    void shouldServeWhatClientsSendOnConnect()
    {
        assertEquals("PONG", one("PING"));
        assertEquals("hi there", one("PING", "hi there"));
        assertEquals("x", one("ECHO", "x"));
        assertEquals("OK", one("CLIENT", "SETINFO", "LIB-NAME", "jedis"));
        assertEquals("OK", one("client", "setinfo", "lib-ver", "8.0.2"));
        assertError(one("CLIENT", "SETINFO", "colour", "red"), "ERR Unrecognized option 'colour'");
        assertEquals(null, one("CLIENT", "GETNAME"));
        assertEquals("OK", one("CLIENT", "SETNAME", "gateway-1"));
        assertEquals("gateway-1", one("CLIENT", "GETNAME"));
        assertError(one("CLIENT", "SETNAME", "two words"), "ERR Client names cannot contain spaces");
        assertInstanceOf(Long.class, one("CLIENT", "ID"));
        assertError(one("CLIENT", "KILL", "x"), "ERR unknown subcommand 'KILL'");
        assertEquals("OK", one("SELECT", "0"));
        assertError(one("SELECT", "1"), "ERR DB index is out of range");
        assertError(one("SELECT", "x"), "ERR value is not an integer or out of range");
        assertEquals(11L, one("COMMAND", "COUNT"));
        assertEquals(List.of(), one("COMMAND", "DOCS"));
        final List<?> commands = assertInstanceOf(List.class, one("COMMAND"));
        assertEquals(11, commands.size());
        final List<?> check = assertInstanceOf(List.class, commands.get(0));
        assertEquals("iys.check", check.get(0));
        assertEquals(-4L, check.get(1));
        final List<?> info = assertInstanceOf(List.class, one("COMMAND", "INFO", "iys.mcheck", "nope"));
        assertEquals("iys.mcheck", assertInstanceOf(List.class, info.get(0)).get(0));
        assertEquals(null, info.get(1));
        final String text = assertInstanceOf(String.class, one("INFO"));
        assertTrue(text.contains("# Server\r\n") && text.contains("iys_filter_version:iys-filter/1.2.3-test\r\n") &&
            text.contains("uptime_in_seconds:") && text.contains("brands:1\r\n"), text);
        final String brands = assertInstanceOf(String.class, one("INFO", "brands"));
        assertFalse(brands.contains("# Server"), brands);
        assertTrue(channel.isOpen());
    }

    @Test
    void shouldAnswerUnknownCommandsAsRedisDoesAndStayUsable()
    {
        assertError(one("GET", "c:1"), "ERR unknown command 'GET', with args beginning with: 'c:1' ");
        assertError(one("FLUSHALL"), "ERR unknown command 'FLUSHALL', with args beginning with: ");
        assertError(one("SET", "a\r\nb", "c"), "ERR unknown command 'SET', with args beginning with: 'a  b' 'c' ");
        assertEquals(3, counters.respErrors(RespError.UNKNOWN_COMMAND));
        assertEquals("PONG", one("PING"));
    }

    @Test
    void shouldCloseOnQuitAfterItsReply()
    {
        final List<Object> replies = send(concat(command("PING"), command("QUIT"), command("PING")));
        assertEquals(List.of("PONG", "OK"), replies);
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldCloseOnlyThisConnectionOnMalformedFraming()
    {
        final String[] malformed = {
            "*1\r\n#4\r\nPING\r\n",
            "*1\r\n$-1\r\n",
            "*1\r\n$513\r\n",
            "*1\r\n$4\r\nPINGX\r\n",
            "*x\r\n",
            "*1\r\n$4x\r\n",
            "*1\r\r",
            "*99999999999\r\n",
            "*1048577\r\n",
        };
        for (final String bytes : malformed)
        {
            final ServerCounters own = new ServerCounters();
            final EmbeddedChannel one = new EmbeddedChannel(RespEndpoint.newConnection(decider(), own,
                "iys-filter/test"));
            one.writeInbound(Unpooled.wrappedBuffer(concat(command("PING"),
                bytes.getBytes(StandardCharsets.US_ASCII), command("PING"))));
            final List<Object> replies = RespReplyReader.all(RespReplyReader.drain(one));
            assertEquals(2, replies.size(), bytes + ": " + replies);
            assertEquals("PONG", replies.get(0));
            assertError(replies.get(1), "ERR Protocol error: ");
            assertFalse(one.isOpen(), bytes);
            assertEquals(1, own.respErrors(RespError.PROTOCOL));
        }
    }

    @Test
    void shouldCloseOnAnInlineLineOverItsLimit()
    {
        final byte[] line = new byte[RespEndpoint.MAX_INLINE_LENGTH + 10];
        java.util.Arrays.fill(line, (byte)'a');
        final List<Object> replies = send(line);
        assertError(replies.get(0), "ERR Protocol error: too big inline request");
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldAnswerWhatArrivedCompleteBeforeTheClientHalfCloses()
    {
        channel.writeInbound(Unpooled.wrappedBuffer(concat(command("IYS.CHECK", Long.toString(BRAND), "MESAJ",
            CONSENTED), "*2\r\n$4\r\nPI".getBytes(StandardCharsets.US_ASCII))));
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        final List<Object> replies = RespReplyReader.all(RespReplyReader.drain(channel));
        assertEquals(1, replies.size());
        assertDecision(replies.get(0), Reason.CONSENT, asOf(BRAND));
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldIgnoreEmptyCommands()
    {
        assertEquals(List.of("PONG"), send(concat("*0\r\n*-1\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
            command("PING"))));
    }

    @Test
    void shouldDecideAsTheDealerACheckNames()
    {
        final String brand = Long.toString(BRAND);
        assertEquals(Reason.DEALER_ACCESS, truth(BRAND, Channel.MESAJ, CONSENTED, DEALER));
        assertDecision(one("IYS.CHECK", brand, "MESAJ", CONSENTED, "DEALER", Long.toString(DEALER)),
            Reason.DEALER_ACCESS, asOf(BRAND));
        assertDecision(one("IYS.CHECK", brand, "MESAJ", CONSENTED, "dealer", Long.toString(OTHER_DEALER)),
            Reason.DEALER_NOT_AUTHORISED, asOf(BRAND));
        assertDecision(one("IYS.CHECK", brand, "MESAJ", REJECTED, "TYPE", "BIREYSEL", "DEALER", Long.toString(DEALER),
            "KIND", "COMMERCIAL"), Reason.REJECTED, asOf(BRAND));
        assertDecision(one("IYS.CHECK", brand, "MESAJ", CONSENTED), Reason.CONSENT, asOf(BRAND));
        assertEquals(1, counters.decisions(Endpoint.RESP, Reason.DEALER_ACCESS));
        assertEquals(1, counters.decisions(Endpoint.RESP, Reason.DEALER_NOT_AUTHORISED));
    }

    @Test
    void shouldDenyABadDealerCodeAsAnInvalidRequestNeverAsTheBrand()
    {
        final String brand = Long.toString(BRAND);
        for (final String dealer : new String[] {"0", "abc", "-1", "4294967296", "12345678901", "+22233344", ""})
        {
            // refused before the brand is read, as a bad brand code is: as-of 0
            assertDecision(one("IYS.CHECK", brand, "MESAJ", CONSENTED, "DEALER", dealer), Reason.INVALID_REQUEST, 0);
        }
        final Object replies = one("IYS.MCHECK", brand, "MESAJ", "DEALER", "x", CONSENTED, REJECTED);
        assertEquals(2, ((List<?>)replies).size());
        for (final Object reply : (List<?>)replies)
        {
            assertDecision(reply, Reason.INVALID_REQUEST, 0);
        }
        assertEquals(0, counters.decisions(Endpoint.RESP, Reason.CONSENT));
    }

    @Test
    void shouldDecideEveryRecipientOfAMultiCheckAsItsDealer()
    {
        final Object reply = one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", "DEALER", Long.toString(DEALER), "KIND",
            "COMMERCIAL", CONSENTED, REJECTED, NO_RECORD);
        final List<?> decisions = assertInstanceOf(List.class, reply);
        assertEquals(3, decisions.size());
        assertDecision(decisions.get(0), Reason.DEALER_ACCESS, asOf(BRAND));
        assertDecision(decisions.get(1), Reason.REJECTED, asOf(BRAND));
        assertDecision(decisions.get(2), truth(BRAND, Channel.MESAJ, NO_RECORD, DEALER), asOf(BRAND));
        final List<?> other = assertInstanceOf(List.class, one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", "DEALER",
            Long.toString(OTHER_DEALER), CONSENTED));
        assertDecision(other.get(0), Reason.DEALER_NOT_AUTHORISED, asOf(BRAND));
    }

    @Test
    void shouldRefuseADealerGivenTwiceWithoutAValueOrAfterTheRecipients()
    {
        final String brand = Long.toString(BRAND);
        final String dealer = Long.toString(DEALER);
        final String other = Long.toString(OTHER_DEALER);
        assertError(one("IYS.CHECK", brand, "MESAJ", CONSENTED, "DEALER", other, "DEALER", dealer),
            "ERR syntax error (expected: IYS.CHECK brand channel recipient [TYPE BIREYSEL|TACIR] " +
            "[KIND COMMERCIAL|TRANSACTIONAL] [DEALER code]");
        assertError(one("IYS.CHECK", brand, "MESAJ", CONSENTED, "DEALER"), "ERR syntax error");
        assertError(one("IYS.MCHECK", brand, "MESAJ", "DEALER", other, "DEALER", dealer, CONSENTED),
            "ERR syntax error");
        // a misplaced option is not a recipient: two recipients "DEALER" and a number would change the reply's count
        assertError(one("IYS.MCHECK", brand, "MESAJ", CONSENTED, "DEALER", dealer), "ERR syntax error");
        assertEquals(4, counters.respErrors(RespError.BAD_ARGUMENTS));
        assertEquals(0, counters.decisions(Endpoint.RESP, Reason.DEALER_ACCESS));
    }

    @Test
    void shouldRefuseAnOptionGivenTwiceRatherThanLetTheLastOneWin()
    {
        // with "last one wins", a KIND TRANSACTIONAL appended after a caller's KIND COMMERCIAL made a RET an
        // exempt ALLOW
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED, "KIND", "COMMERCIAL"),
            Reason.REJECTED, asOf(BRAND));
        assertError(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED, "KIND", "COMMERCIAL", "KIND",
            "TRANSACTIONAL"), "ERR syntax error");
        assertError(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED, "kind", "SPAM", "KIND",
            "TRANSACTIONAL"), "ERR syntax error");
        assertError(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED, "TYPE", "TACIR", "type",
            "BIREYSEL"), "ERR syntax error");
        assertError(one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", "KIND", "COMMERCIAL", "KIND",
            "TRANSACTIONAL", REJECTED), "ERR syntax error");
        assertEquals(4, counters.respErrors(RespError.BAD_ARGUMENTS));
        assertEquals(0, counters.decisions(Endpoint.RESP, Reason.EXEMPT));
        assertDecision(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED), Reason.CONSENT, asOf(BRAND));
    }

    @Test
    void shouldRefuseAnOptionAfterTheFirstRecipientOfAMultiCheck()
    {
        assertError(one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", REJECTED, "KIND", "TRANSACTIONAL"),
            "ERR syntax error");
        assertError(one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", CONSENTED, REJECTED, "type", "TACIR"),
            "ERR syntax error");
        assertEquals(0, counters.decisions(Endpoint.RESP, Reason.REJECTED) +
            counters.decisions(Endpoint.RESP, Reason.CONSENT));
        final Object reply = one("IYS.MCHECK", Long.toString(BRAND), "MESAJ", "KIND", "COMMERCIAL", CONSENTED,
            REJECTED);
        assertEquals(2, assertInstanceOf(List.class, reply).size());
    }

    @Test
    void shouldCloseOnAnInlineArgumentOverTheBulkLimit()
    {
        final String recipient = "9".repeat(RespEndpoint.MAX_BULK_LENGTH + 1);
        final List<Object> replies = send(("PING\r\nIYS.CHECK " + BRAND + " MESAJ " + recipient + "\r\nPING\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, replies.size(), replies.toString());
        assertEquals("PONG", replies.get(0));
        assertError(replies.get(1), "ERR Protocol error: inline argument too long");
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldAnswerAnErrorInPlaceOfACommandThatThrowsAndClose()
    {
        final Decider real = decider();
        final ConsentLookup failing = new ConsentLookup()
        {
            @Override
            public BrandState brand(final long brandCode)
            {
                // what a read of a mapped file on a failed disk raises: an Error, not an exception
                throw new InternalError("a fault occurred in an unsafe memory access operation");
            }

            @Override
            public int status(
                final BrandState brand, final Channel channel, final RecipientType type,
                final ParsedRecipient recipient)
            {
                throw new AssertionError("not reached");
            }
        };
        assertTrue(real.brand(BRAND) != null);
        final ServerCounters own = new ServerCounters();
        final EmbeddedChannel one = new EmbeddedChannel(RespEndpoint.newConnection(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), failing,
                DecisionRecorder.NONE), own, "iys-filter/test"));
        one.writeInbound(Unpooled.wrappedBuffer(concat(command("PING"),
            command("IYS.MCHECK", Long.toString(BRAND), "MESAJ", CONSENTED, REJECTED), command("PING"))));
        final List<Object> replies = RespReplyReader.all(RespReplyReader.drain(one));
        assertEquals(2, replies.size(), replies.toString());
        assertEquals("PONG", replies.get(0));
        assertError(replies.get(1), "ERR internal error");
        assertFalse(one.isOpen());
        assertEquals(1, own.respErrors(RespError.INTERNAL));
    }

    @Test
    void shouldSizeAReadsReplyBufferForThatReadNotTheFlushThreshold()
    {
        // a 64 KiB buffer per read let a peer that sends one command per segment and never reads hold ~160 MB
        // before the high-water mark stopped reading it
        channel.writeInbound(Unpooled.wrappedBuffer(command("PING")));
        final ByteBuf written = channel.readOutbound();
        try
        {
            assertEquals("+PONG\r\n", written.toString(StandardCharsets.US_ASCII));
            assertTrue(written.capacity() <= 1024, "capacity " + written.capacity());
        }
        finally
        {
            written.release();
        }
        final byte[] many = concat(java.util.Collections.nCopies(2_000, command("IYS.CHECK", Long.toString(BRAND),
            "MESAJ", CONSENTED)).toArray(new byte[0][]));
        final List<Object> replies = send(many);
        assertEquals(2_000, replies.size());
        assertDecision(replies.get(1_999), Reason.CONSENT, asOf(BRAND));
    }

    @Test
    void shouldCloseWithoutAReplyOnAnHttpRequest()
    {
        final List<Object> replies = send(("PING\r\nPOST / HTTP/1.1\r\nHost: 127.0.0.1:7703\r\n\r\n" +
            "IYS.CHECK " + BRAND + " MESAJ " + CONSENTED + "\r\n").getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of("PONG"), replies);
        assertFalse(channel.isOpen());
        assertEquals(1, counters.respErrors(RespError.PROTOCOL));
        assertEquals(0, counters.decisions(Endpoint.RESP, Reason.CONSENT));
    }
}
