package io.iysfilter.server.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;

import static io.iysfilter.server.security.ClientsTest.ascii;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthenticatorTest
{
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ADDRESS = "192.0.2.7";

    @TempDir
    Path dir;

    private final String acme = BearerTokens.generate(RANDOM);
    private final String beta = BearerTokens.generate(RANDOM);
    private final ClientCounters counters = new ClientCounters();

    private static String client(final String id, final String token)
    {
        return "[" + id + "]\nroles = check\nbrands = 600001\ntoken = " + BearerTokens.hash(token) + "\n";
    }

    private Path write(final String text) throws IOException
    {
        final Path file = dir.resolve("clients.conf");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void shouldRefuseABadFileAtStartNamingItsLine() throws IOException
    {
        final Path file = write(client("acme", acme) + "[beta]\nroles = check, superuser\n");
        final ClientsFileException error = assertThrows(ClientsFileException.class,
            () -> Authenticator.load(file, 10, counters));
        assertEquals(6, error.line());
        assertTrue(error.getMessage().contains("unknown role 'superuser'"), error.getMessage());
    }

    @Test
    void shouldPutAGoodNewFileInForceAndKeepTheOldOneWhenTheNewOneIsBad() throws Exception
    {
        final Path file = write(client("acme", acme));
        try (Authenticator auth = Authenticator.load(file, 10, counters))
        {
            assertTrue(auth.enabled());
            assertNotNull(auth.authenticate(ascii(acme), ADDRESS, 0));
            assertNull(auth.authenticate(ascii(beta), ADDRESS, 0), "beta is not in the file yet");
            assertFalse(auth.reloadIfChanged(), "nothing changed");

            write(client("beta", beta));
            assertTrue(auth.reloadIfChanged());
            assertEquals("beta", auth.authenticate(ascii(beta), ADDRESS, 0).id(), "a client added");
            assertNull(auth.authenticate(ascii(acme), ADDRESS, 0), "a client removed");
            assertEquals(1, auth.reloads());

            write(client("beta", beta) + "[gamma]\nroles = check\nbrands = 1\ntoken = sha256:nothex\n");
            assertFalse(auth.reloadIfChanged());
            assertEquals(1, auth.reloadFailures(), "the bad file is counted");
            assertEquals("beta", auth.authenticate(ascii(beta), ADDRESS, 0).id(), "and the old clients stay");

            Files.delete(file);
            assertFalse(auth.reloadIfChanged());
            assertEquals(2, auth.reloadFailures(), "a file gone is a failed reload, the clients stay");
            assertEquals("beta", auth.authenticate(ascii(beta), ADDRESS, 0).id());
        }
    }

    @Test
    void shouldReloadOnItsOwnWhenTheFileChanges() throws Exception
    {
        final Path file = write(client("acme", acme));
        try (Authenticator auth = Authenticator.load(file, 10, counters))
        {
            auth.startReloading();
            write(client("beta", beta));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (auth.clients().byId("beta") == null && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
                Thread.yield();
            }
            assertNotNull(auth.clients().byId("beta"), "the poller put the new file in force");
        }
    }

    @Test
    void shouldCountFailuresAndRefuseAnAddressPastItsLimitForTheRestOfTheMinute() throws Exception
    {
        final Path file = write(client("acme", acme));
        try (Authenticator auth = Authenticator.load(file, 3, counters))
        {
            final long start = 1_000;
            for (int i = 0; i < 3; i++)
            {
                assertFalse(auth.blocked(ADDRESS, start + i));
                assertNull(auth.authenticate(ascii("wrong" + i), ADDRESS, start + i));
            }
            assertNull(auth.authenticate(null, "198.51.100.1", start), "no token is a failure too");
            assertTrue(auth.blocked(ADDRESS, start + 10), "three failures in the minute: refused unchecked");
            assertFalse(auth.blocked("198.51.100.1", start + 10), "other addresses are not");
            assertEquals(4, counters.unknown().unauthorised());
            assertEquals(4, auth.failures().failures());
            assertEquals(1, auth.failures().refusedUnchecked());
            assertFalse(auth.blocked(ADDRESS, start + FailureLimiter.WINDOW_NS), "a new minute");
        }
    }

    @Test
    void shouldBoundTheAddressesTracked()
    {
        final FailureLimiter limiter = new FailureLimiter(1, 100);
        for (int i = 0; i < 1_000; i++)
        {
            limiter.onFailure("10.0.0." + i, 0);
        }
        assertEquals(100, limiter.trackedAddresses());
        assertTrue(limiter.blocked("10.0.0.999", 1), "the most recent are kept");
        assertFalse(limiter.blocked("10.0.0.0", 1), "the least recent was dropped");
    }

    @Test
    void shouldBeOffWithoutAFile()
    {
        final Authenticator off = Authenticator.off(counters);
        assertFalse(off.enabled());
        assertFalse(off.blocked(ADDRESS, 0));
        assertFalse(off.reloadIfChanged());
        assertNull(off.clients());
    }

    @Test
    void shouldMakeRowsPastTheRateWaitAfterABurstOfOneSecond()
    {
        final long second = TimeUnit.SECONDS.toNanos(1);
        final RowRate rate = new RowRate(1_000, 0);
        assertEquals(0, rate.take(1_000, 0), "one second's rows at once: the burst");
        assertEquals(second / 2, rate.take(500, 0), "half a second's more rows wait half a second");
        assertEquals(0, rate.take(1, 2 * second), "after a pause there is room again");
        final ScrubRates rates = new ScrubRates(10);
        assertSame(rates.forClient("acme", 0), rates.forClient("acme", 5), "one rate for all the client's connections");
        assertSame(rates.forAddress(ADDRESS, 0), rates.forAddress(ADDRESS, 5));
        assertNull(ScrubRates.OFF.forClient("acme", 0));
    }

    @Test
    void shouldGiveEveryClientARateOfItsOwnEvenPastTheCountersCap()
    {
        // past ClientCounters.MAX_CLIENTS ids the counters share the label "other"; the rates must not
        for (int i = 0; i <= ClientCounters.MAX_CLIENTS; i++)
        {
            counters.forId("client-" + i);
        }
        final String late = "client-" + (ClientCounters.MAX_CLIENTS + 1);
        final String later = "client-" + (ClientCounters.MAX_CLIENTS + 2);
        assertEquals(counters.forId(late).label(), counters.forId(later).label(), "one shared counters label");
        final ScrubRates rates = new ScrubRates(10);
        assertNotSame(rates.forClient(late, 0), rates.forClient(later, 0), "but a rate each");
    }

    @Test
    void shouldNameTheClientOfACertificateByItsSubjectCommonName() throws Exception
    {
        final Path file = write(client("acme", acme) + "[gateway]\nroles = check\nbrands = 600002\n" +
            "cn = Beta Gateway, 1\n");
        try (Authenticator auth = Authenticator.load(file, 10, counters))
        {
            final String cn = Authenticator.commonName(
                new X500Principal("CN=Beta Gateway\\, 1, OU=Ops, O=Beta A.S., C=TR"));
            assertEquals("Beta Gateway, 1", cn, "an escaped comma is part of the CN");
            assertEquals("gateway", auth.clients().byCertificateName(cn).id());
            assertEquals("x", Authenticator.commonName(new X500Principal("C=TR, O=Beta, CN=x")),
                "whichever order the subject lists its parts in");
            assertNull(Authenticator.commonName(new X500Principal("O=Beta, C=TR")), "a subject without a CN");
            assertNull(auth.clients().byCertificateName("acme"), "a client without cn is never named by one");
            assertNull(auth.byPeerCertificate(null));
        }
    }
}
