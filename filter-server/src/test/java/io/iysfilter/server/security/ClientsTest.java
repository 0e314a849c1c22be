package io.iysfilter.server.security;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientsTest
{
    private static final SecureRandom RANDOM = new SecureRandom();
    private final String acmeToken = BearerTokens.generate(RANDOM);
    private final String betaToken = BearerTokens.generate(RANDOM);
    private final ClientCounters counters = new ClientCounters();

    private List<String> file()
    {
        return List.of(
            "# customers",
            "[acme]",
            "roles = check, scrub",
            "brands = 600001, 600002",
            "token = " + BearerTokens.hash(acmeToken),
            "",
            "[beta]",
            "roles = admin,optout,reconcile",
            "brands = *",
            "token = " + BearerTokens.hash(betaToken),
            "cn = Beta Gateway 1");
    }

    @Test
    void shouldFindEachClientByItsTokenWithItsRolesAndBrands() throws ClientsFileException
    {
        final Clients clients = Clients.parse("clients.conf", file(), counters);
        final Client acme = clients.byToken(ascii(acmeToken));
        assertNotNull(acme);
        assertEquals("acme", acme.id());
        assertTrue(acme.has(Role.CHECK));
        assertTrue(acme.has(Role.SCRUB));
        assertFalse(acme.has(Role.ADMIN));
        assertFalse(acme.has(Role.OPTOUT));
        assertTrue(acme.mayAsk(600_001));
        assertTrue(acme.mayAsk(600_002));
        assertFalse(acme.mayAsk(600_003), "a brand not listed");
        final Client beta = clients.byToken(ascii(betaToken));
        assertEquals("beta", beta.id());
        assertTrue(beta.mayAsk(4_294_967_295L), "* is every brand");
        assertFalse(beta.has(Role.CHECK));
        assertSame(beta, clients.byCertificateName("Beta Gateway 1"));
        assertNull(clients.byCertificateName("Beta Gateway"), "a CN is matched whole");
        assertNull(clients.byCertificateName("acme"), "a client id is not a certificate name");
    }

    @Test
    void shouldRefuseTokensThatAreNotExactlyAClientsToken() throws ClientsFileException
    {
        final Clients clients = Clients.parse("clients.conf", file(), counters);
        assertNull(clients.byToken(ascii(acmeToken.substring(0, acmeToken.length() - 1))), "a prefix");
        assertNull(clients.byToken(ascii(acmeToken + "x")), "a longer token");
        final char last = acmeToken.charAt(acmeToken.length() - 1);
        assertNull(clients.byToken(ascii(acmeToken.substring(0, acmeToken.length() - 1) + (last == 'A' ? 'B' : 'A'))),
            "one character changed");
        assertNull(clients.byToken(ascii(BearerTokens.hash(acmeToken))), "the stored hash is no token");
        assertNull(clients.byToken(new byte[0]));
        assertNull(clients.byToken(null));
        assertNull(clients.byToken(ascii("x".repeat(BearerTokens.MAX_LENGTH + 1))));
    }

    @Test
    void shouldCompareDigestsWholeWithMessageDigestIsEqual()
    {
        // Two digests that agree on the bytes the map's hash uses and differ only in the last: the map key must not
        // take them for equal (it compares with MessageDigest.isEqual, which reads every byte whatever differs).
        final byte[] digest = BearerTokens.digest(ascii(acmeToken));
        final byte[] lastDiffers = Arrays.copyOf(digest, digest.length);
        lastDiffers[lastDiffers.length - 1] ^= 1;
        final Object key = new Clients.DigestKey(digest);
        assertEquals(key.hashCode(), new Clients.DigestKey(lastDiffers).hashCode());
        assertNotEquals(key, new Clients.DigestKey(lastDiffers));
        assertEquals(key, new Clients.DigestKey(Arrays.copyOf(digest, digest.length)));
    }

    @Test
    void shouldGenerateHighEntropyTokensWithTheirHash()
    {
        final String token = BearerTokens.generate(RANDOM);
        assertTrue(token.startsWith(BearerTokens.PREFIX));
        assertEquals(BearerTokens.PREFIX.length() + 43, token.length(), "32 bytes in unpadded base64url");
        assertNotEquals(token, BearerTokens.generate(RANDOM));
        assertTrue(BearerTokens.hash(token).matches("sha256:[0-9a-f]{64}"));
        assertEquals("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            BearerTokens.hash("abc"), "SHA-256 of \"abc\" (FIPS 180-2's example)");
    }

    @Test
    void shouldNameTheLineOfEachError()
    {
        final String hash = BearerTokens.hash(acmeToken);
        assertError(3, "unknown role 'chek'", "[a]", "brands = 1", "roles = chek");
        assertError(5, "duplicate client id 'a' (first on line 1)", "[a]", "roles = check", "brands = 1",
            "token = " + hash, "[a]");
        assertError(8, "duplicate token hash (also on line 4)", "[a]", "roles = check", "brands = 1",
            "token = " + hash, "[b]", "roles = check", "brands = 1", "token = " + hash);
        assertError(4, "bad token hash", "[a]", "roles = check", "brands = 1", "token = sha256:abc");
        assertError(4, "bad token hash", "[a]", "roles = check", "brands = 1", "token = " + acmeToken);
        assertError(4, "bad token hash", "[a]", "roles = check", "brands = 1",
            "token = sha256:" + "g".repeat(64));
        assertError(2, "unknown key 'role'", "[a]", "role = check");
        assertError(2, "unknown key 'password'", "[a]", "password = x");
        assertError(3, "bad brand code 'acme'", "[a]", "roles = check", "brands = 1, acme");
        assertError(3, "bad brand code '0'", "[a]", "roles = check", "brands = 0");
        assertError(3, "bad brand code '4294967296'", "[a]", "roles = check", "brands = 4294967296");
        assertError(3, "bad dealer code '0'", "[a]", "roles = check", "dealers = 0");
        assertError(3, "bad dealer code 'x'", "[a]", "roles = check", "dealers = 22233344, x");
        assertError(3, "bad dealer code ''", "[a]", "roles = check", "dealers = ");
        assertError(4, "dealers: given twice", "[a]", "roles = check", "dealers = 1", "dealers = 2");
        assertError(1, "before any [id] section", "roles = check");
        assertError(1, "bad client id 'a b'", "[a b]");
        assertError(1, "bad client id 'other'", "[other]");
        assertError(3, "roles: given twice", "[a]", "roles = check", "roles = scrub");
        assertError(1, "has no brands", "[a]", "roles = check", "token = " + hash);
        assertError(1, "has no roles", "[a]", "brands = 1", "token = " + hash);
        assertError(1, "neither a token nor a cn", "[a]", "roles = check", "brands = 1");
        assertError(7, "duplicate cn 'gw'", "[a]", "roles = check", "brands = 1", "cn = gw", "[b]",
            "roles = check", "cn = gw", "brands = 2");
        assertError(0, "no client", "# nothing yet");
        assertError(2, "expected [id] or key = value", "[a]", "roles check");
    }

    @Test
    void shouldBindAClientToItsDealersAndLeaveOneWithoutDealersAsItWas() throws ClientsFileException
    {
        final Clients clients = Clients.parse("clients.conf", List.of("[dealer-app]", "roles = check",
            "brands = 600001", "dealers = 55555555, 22233344", "token = " + BearerTokens.hash(acmeToken), "[brand-app]",
            "roles = check", "brands = 600001", "token = " + BearerTokens.hash(betaToken)), counters);
        final Client dealer = clients.byToken(ascii(acmeToken));
        assertTrue(dealer.boundToDealers());
        assertTrue(dealer.maySendAs(22_233_344L));
        assertTrue(dealer.maySendAs(55_555_555L));
        assertFalse(dealer.maySendAs(0), "never as the brand itself");
        assertFalse(dealer.maySendAs(44_222_419L), "never as another dealer");
        final Client brand = clients.byToken(ascii(betaToken));
        assertFalse(brand.boundToDealers());
        assertTrue(brand.maySendAs(0));
        assertTrue(brand.maySendAs(44_222_419L));
    }

    @Test
    void shouldNeverQuoteATokenPastedIntoTheFile()
    {
        // the token itself instead of its digest, as a value and as a bare line (base64url has no '='): the error
        // reaches the start-up message and the reload log, so it must not carry the token
        for (final List<String> lines : List.of(List.of("[a]", "roles = check", "brands = 1", "token = " + acmeToken),
            List.of("[a]", "roles = check", "brands = 1", acmeToken)))
        {
            final ClientsFileException error = assertThrows(ClientsFileException.class,
                () -> Clients.parse("clients.conf", lines, counters));
            assertEquals(4, error.line());
            assertFalse(error.getMessage().contains(acmeToken.substring(BearerTokens.PREFIX.length())),
                error.getMessage());
            assertTrue(error.getMessage().contains("looks like"), error.getMessage());
        }
    }

    @Test
    void shouldKeepCountersPerClientIdAcrossReadingsAndCapTheirNumber() throws ClientsFileException
    {
        final Clients first = Clients.parse("clients.conf", file(), counters);
        final Clients second = Clients.parse("clients.conf", file(), counters);
        assertSame(first.byId("acme").stats(), second.byId("acme").stats(), "a reload keeps a client's counts");
        for (int i = 0; i < ClientCounters.MAX_CLIENTS + 10; i++)
        {
            counters.forId("c" + i);
        }
        assertEquals(ClientCounters.OTHER, counters.forId("one-too-many").label());
        assertEquals(ClientCounters.MAX_CLIENTS + 3, counters.all().size(), "the ids, other, anonymous, unknown");
    }

    private void assertError(final int line, final String message, final String... lines)
    {
        final ClientsFileException error = assertThrows(ClientsFileException.class,
            () -> Clients.parse("clients.conf", List.of(lines), counters));
        assertEquals(line, error.line(), error.getMessage());
        assertTrue(error.getMessage().contains(message), error.getMessage());
        assertTrue(error.getMessage().startsWith("clients.conf" + (line > 0 ? ":" + line + ": " : ": ")),
            error.getMessage());
    }

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
