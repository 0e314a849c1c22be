package io.iysfilter.server.resp;

import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.RespError;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.BearerTokens;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.iysfilter.server.resp.RespTestIndex.NOT_RECORDED;
import static io.iysfilter.server.resp.RespTestIndex.BRAND;
import static io.iysfilter.server.resp.RespTestIndex.CONSENTED;
import static io.iysfilter.server.resp.RespTestIndex.DEALER;
import static io.iysfilter.server.resp.RespTestIndex.OTHER_DEALER;
import static io.iysfilter.server.resp.RespTestIndex.REJECTED;
import static io.iysfilter.server.resp.RespTestIndex.asOf;
import static io.iysfilter.server.resp.RespTestIndex.command;
import static io.iysfilter.server.resp.RespTestIndex.decider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RESP endpoint under a clients file: nothing but AUTH, HELLO and QUIT before a client is named, WRONGPASS for a
 * token that names none (counted, and past the limit refused unchecked and closed), NOPERM for a role or brand the
 * client lacks, and the timeouts that bound a connection.
 */
class RespAuthTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path storeDir;
    @TempDir
    Path dir;

    private final ServerCounters counters = new ServerCounters();
    private final ClientCounters clientCounters = new ClientCounters();
    private final String acme = BearerTokens.generate(RANDOM);
    private final String auditor = BearerTokens.generate(RANDOM);
    private final String dealerApp = BearerTokens.generate(RANDOM);
    private Path clientsFile;
    private EmbeddedChannel channel;

    @BeforeAll
    static void createIndex() throws IOException
    {
        RespTestIndex.open(storeDir);
    }

    @AfterAll
    static void closeIndex()
    {
        RespTestIndex.close();
    }

    @BeforeEach
    void writeClients() throws Exception
    {
        clientsFile = dir.resolve("clients.conf");
        Files.writeString(clientsFile, "[acme]\nroles = check\nbrands = " + BRAND + "\ntoken = " +
            BearerTokens.hash(acme) + "\n\n[auditor]\nroles = admin, scrub\nbrands = *\ntoken = " +
            BearerTokens.hash(auditor) + "\n\n[dealer-app]\nroles = check\nbrands = " + BRAND + "\ndealers = " +
            DEALER + ", 55555555\ntoken = " + BearerTokens.hash(dealerApp) + "\n");
        channel = connect(auth(10), 0, 0);
    }

    private Authenticator auth(final int failureLimit) throws Exception
    {
        return Authenticator.load(clientsFile, failureLimit, clientCounters);
    }

    private EmbeddedChannel connect(final Authenticator auth, final long idleTimeoutMs, final long commandTimeoutMs)
    {
        return new EmbeddedChannel(new RespHandler(decider(), counters, auth,
            new RespHandler.ServerInfo("iys-filter/test", System.currentTimeMillis(), () -> 1, new AtomicLong()),
            idleTimeoutMs, commandTimeoutMs));
    }

    private static Object one(final EmbeddedChannel channel, final String... args)
    {
        channel.writeInbound(Unpooled.wrappedBuffer(command(args)));
        final List<Object> replies = RespReplyReader.all(RespReplyReader.drain(channel));
        assertEquals(1, replies.size(), replies.toString());
        return replies.get(0);
    }

    private Object one(final String... args)
    {
        return one(channel, args);
    }

    private static void assertError(final Object reply, final String prefix)
    {
        final RespReplyReader.Error error = assertInstanceOf(RespReplyReader.Error.class, reply, String.valueOf(reply));
        assertTrue(error.text().startsWith(prefix), error.text());
    }

    @Test
    void shouldAnswerNoauthBeforeAClientIsNamedAndStayOpen()
    {
        assertError(one("PING"), "NOAUTH Authentication required.");
        assertError(one("IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED), "NOAUTH Authentication required.");
        assertError(one("CLIENT", "SETINFO", "LIB-NAME", "x"), "NOAUTH");
        assertError(one("HELLO", "3"), "NOAUTH HELLO must be called with the client already authenticated");
        assertEquals(4, counters.respErrors(RespError.NOAUTH));
        assertEquals(0, counters.decisions(ServerCounters.Endpoint.RESP, Reason.CONSENT));
        assertTrue(channel.isOpen());
        assertEquals("OK", one("QUIT"));
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldDecideOnceATokenNamesAClient()
    {
        assertEquals("OK", one("AUTH", acme));
        assertEquals(List.of("ALLOW", "CONSENT", asOf(BRAND), NOT_RECORDED), one("IYS.CHECK", Long.toString(BRAND),
            "MESAJ", CONSENTED));
        assertEquals("PONG", one("PING"));
        assertEquals(1, clientCounters.forId("acme").allowed());
    }

    @Test
    void shouldTakeTheUserAsDefaultOrTheClientsIdAndRefuseAnyOther()
    {
        assertEquals("OK", one("AUTH", "default", acme));
        assertEquals("OK", one("AUTH", "acme", acme));
        final EmbeddedChannel other = connect(authOf(), 0, 0);
        assertError(one(other, "AUTH", "auditor", acme), "WRONGPASS invalid username-password pair");
        assertError(one(other, "IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED), "NOAUTH");
    }

    private Authenticator authOf()
    {
        try
        {
            return auth(10);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void shouldAuthenticateAndSwitchToResp3InOneHello()
    {
        final Map<?, ?> hello = assertInstanceOf(Map.class, one("HELLO", "3", "AUTH", "default", acme, "SETNAME",
            "gw"));
        assertEquals(3L, hello.get("proto"));
        assertEquals("gw", one("CLIENT", "GETNAME"));
        assertEquals(Map.of("verdict", "DENY", "reason", "REJECTED", "asof", asOf(BRAND), "id", NOT_RECORDED),
            one("IYS.CHECK", Long.toString(BRAND), "MESAJ", REJECTED));
    }

    @Test
    void shouldAnswerWrongpassForAnUnknownTokenCountItAndCloseOncePastTheLimit() throws Exception
    {
        final EmbeddedChannel limited = connect(auth(2), 0, 0);
        assertError(one(limited, "AUTH", "not-a-token"), "WRONGPASS invalid username-password pair");
        assertError(one(limited, "HELLO", "3", "AUTH", "default", "guess"), "WRONGPASS");
        assertTrue(limited.isOpen(), "a wrong password leaves the connection open, as Redis does");
        limited.writeInbound(Unpooled.wrappedBuffer(command("AUTH", acme)));
        final List<Object> replies = RespReplyReader.all(RespReplyReader.drain(limited));
        assertError(replies.get(0), "WRONGPASS too many failed attempts");
        assertFalse(limited.isOpen(), "past the limit the attempt is refused unchecked and the connection closed");
        assertEquals(3, counters.respErrors(RespError.WRONGPASS));
        assertTrue(clientCounters.unknown().unauthorised() >= 2);
    }

    @Test
    void shouldAnswerNopermForARoleOrBrandTheClientLacks()
    {
        final EmbeddedChannel auditing = connect(authOf(), 0, 0);
        assertEquals("OK", one(auditing, "AUTH", auditor));
        assertError(one(auditing, "IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED),
            "NOPERM User auditor has no permissions to run the 'iys.check' command");
        assertError(one(auditing, "IYS.MCHECK", Long.toString(BRAND), "MESAJ", CONSENTED), "NOPERM");

        assertEquals("OK", one("AUTH", acme));
        assertError(one("IYS.CHECK", "600002", "MESAJ", CONSENTED),
            "NOPERM User acme has no permissions to ask about brand 600002");
        assertEquals(List.of("ALLOW", "CONSENT", asOf(BRAND), NOT_RECORDED), one("IYS.CHECK", Long.toString(BRAND),
            "MESAJ", CONSENTED));
        assertEquals(3, counters.respErrors(RespError.NOPERM));
        assertEquals(1, clientCounters.forId("acme").forbidden());
    }

    @Test
    void shouldLetAClientBoundToDealersAskOnlyAsOneOfThem()
    {
        assertEquals("OK", one("AUTH", dealerApp));
        final String brand = Long.toString(BRAND);
        assertEquals(List.of("ALLOW", "DEALER_ACCESS", asOf(BRAND), NOT_RECORDED), one("IYS.CHECK", brand, "MESAJ",
            CONSENTED, "DEALER", Long.toString(DEALER)));
        assertEquals(List.of("DENY", "DEALER_NOT_AUTHORISED", asOf(BRAND), NOT_RECORDED), one("IYS.CHECK", brand,
            "MESAJ", CONSENTED, "DEALER", "55555555"), "its other dealer asks, and is not on the consent's list");
        assertError(one("IYS.CHECK", brand, "MESAJ", CONSENTED),
            "NOPERM User dealer-app sends for dealers only: name one of its dealers with DEALER code");
        assertError(one("IYS.CHECK", brand, "MESAJ", CONSENTED, "DEALER", Long.toString(OTHER_DEALER)),
            "NOPERM User dealer-app has no permissions to ask as dealer " + OTHER_DEALER);
        assertError(one("IYS.MCHECK", brand, "MESAJ", CONSENTED, REJECTED), "NOPERM User dealer-app sends for " +
            "dealers only");
        assertError(one("IYS.MCHECK", brand, "MESAJ", "DEALER", Long.toString(OTHER_DEALER), CONSENTED), "NOPERM");
        assertEquals(List.of("DENY", "INVALID_REQUEST", 0L, NOT_RECORDED), one("IYS.CHECK", brand, "MESAJ",
            CONSENTED, "DEALER", "not-a-number"), "a code that is none is the request's fault: denied as invalid");
        assertEquals(4, counters.respErrors(RespError.NOPERM));
        assertEquals(4, clientCounters.forId("dealer-app").forbidden());

        // a client without dealers is as it was: it asks as the brand or as any dealer
        final EmbeddedChannel brandApp = connect(authOf(), 0, 0);
        assertEquals("OK", one(brandApp, "AUTH", acme));
        assertEquals(List.of("ALLOW", "CONSENT", asOf(BRAND), NOT_RECORDED), one(brandApp, "IYS.CHECK", brand,
            "MESAJ", CONSENTED));
        assertEquals(List.of("DENY", "DEALER_NOT_AUTHORISED", asOf(BRAND), NOT_RECORDED), one(brandApp, "IYS.CHECK",
            brand, "MESAJ", CONSENTED, "DEALER", Long.toString(OTHER_DEALER)));
    }

    @Test
    void shouldCloseAConnectionThatNamesNoClientWithinTheCommandTimeout() throws Exception
    {
        final EmbeddedChannel silent = connect(auth(10), 60_000, 2_000);
        silent.advanceTimeBy(1_000, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        assertTrue(silent.isOpen());
        silent.advanceTimeBy(1_500, TimeUnit.MILLISECONDS);
        silent.runScheduledPendingTasks();
        assertError(RespReplyReader.all(RespReplyReader.drain(silent)).get(0),
            "NOAUTH Authentication required within");
        assertFalse(silent.isOpen());
    }

    @Test
    void shouldCloseACommandNotCompleteWithinTheCommandTimeoutAndAnIdleConnection() throws Exception
    {
        final Authenticator off = Authenticator.off(new ClientCounters());
        final EmbeddedChannel slow = connect(off, 60_000, 2_000);
        slow.writeInbound(Unpooled.wrappedBuffer("*2\r\n$4\r\nPING".getBytes(StandardCharsets.US_ASCII)));
        slow.advanceTimeBy(2_600, TimeUnit.MILLISECONDS);
        slow.runScheduledPendingTasks();
        assertError(RespReplyReader.all(RespReplyReader.drain(slow)).get(0),
            "ERR Protocol error: command not complete within resp-command-timeout (2000 ms)");
        assertFalse(slow.isOpen());
        assertEquals(1, counters.respErrors(RespError.COMMAND_TIMEOUT));

        final EmbeddedChannel idle = connect(off, 4_000, 2_000);
        assertEquals("PONG", one(idle, "PING"));
        idle.advanceTimeBy(3_000, TimeUnit.MILLISECONDS);
        idle.runScheduledPendingTasks();
        assertTrue(idle.isOpen(), "a complete command is not a partial one");
        idle.advanceTimeBy(2_000, TimeUnit.MILLISECONDS);
        idle.runScheduledPendingTasks();
        assertFalse(idle.isOpen());
        assertEquals(1, counters.respErrors(RespError.IDLE_TIMEOUT));
    }

    @Test
    void shouldLetAUserAndPasswordPassWhenAuthenticationIsOff()
    {
        final EmbeddedChannel open = connect(Authenticator.off(new ClientCounters()), 0, 0);
        assertError(one(open, "AUTH", "secret"), "ERR AUTH <password> called without any password configured");
        assertEquals("OK", one(open, "AUTH", "default", "secret"));
        assertInstanceOf(Map.class, one(open, "HELLO", "3", "AUTH", "default", "secret"));
        assertEquals(Map.of("verdict", "ALLOW", "reason", "CONSENT", "asof", asOf(BRAND), "id", NOT_RECORDED),
            one(open, "IYS.CHECK", Long.toString(BRAND), "MESAJ", CONSENTED));
    }
}
