package io.iysfilter.server.net;

import io.iysfilter.server.net.BindSafety.Decision;
import io.iysfilter.server.net.BindSafety.Kind;
import io.iysfilter.server.net.BindSafety.Listener;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The safe-binding rule's decision table: which addresses are loopback, and which listeners beyond loopback may start
 * with which protection. Host names resolve through a table, never DNS.
 */
class BindSafetyTest
{
    private static final Map<String, String[]> NAMES = Map.of(
        "filter.example", new String[]{"10.20.30.40"},
        "dual.example", new String[]{"127.0.0.1", "192.168.1.5"},
        "local.example", new String[]{"127.0.0.1", "::1"});
    private static final BindSafety.Resolver RESOLVER = host ->
    {
        final String[] addresses = NAMES.get(host);
        if (addresses == null)
        {
            return InetAddress.getAllByName(literalOnly(host));
        }
        final InetAddress[] resolved = new InetAddress[addresses.length];
        for (int i = 0; i < addresses.length; i++)
        {
            resolved[i] = InetAddress.getByAddress(host, InetAddress.getByName(addresses[i]).getAddress());
        }
        return resolved;
    };

    private static String literalOnly(final String host) throws UnknownHostException
    {
        if (!host.matches("[0-9a-fA-F:.]+"))
        {
            throw new UnknownHostException(host + " (the test resolves only its own names)");
        }
        return host;
    }

    @Test
    void shouldTakeOnlyLoopbackAddressesAsLoopback()
    {
        for (final String loopback : new String[]{"127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "local.example"})
        {
            assertTrue(BindSafety.isLoopback(loopback, RESOLVER), loopback);
        }
        for (final String wide : new String[]{"0.0.0.0", "::", "10.20.30.40", "192.168.1.5", "203.0.113.7",
            "fe80::1", "2001:db8::1", "filter.example", "dual.example", "no-such-host.example", "", " "})
        {
            assertFalse(BindSafety.isLoopback(wide, RESOLVER), "'" + wide + "'");
        }
    }

    @Test
    void shouldTakeLocalhostAsLoopbackThroughTheSystemResolver()
    {
        assertTrue(BindSafety.isLoopback("localhost", BindSafety.SYSTEM));
        assertFalse(BindSafety.isLoopback("0.0.0.0", BindSafety.SYSTEM));
    }

    @Test
    void shouldStartOnLoopbackWithoutAnyProtection()
    {
        final Decision decision = BindSafety.decide(List.of(service("127.0.0.1"), service("::1"),
            milter("localhost")), false, false, false, false, BindSafety.SYSTEM);
        assertNull(decision.refusal());
        assertFalse(decision.insecure());
        assertTrue(decision.exposed().isEmpty());
    }

    @Test
    void shouldRefuseAServiceBeyondLoopbackUnlessTlsAndAuthenticationAreBothOn()
    {
        for (final String wide : new String[]{"0.0.0.0", "::", "10.20.30.40", "filter.example", "dual.example"})
        {
            for (final boolean[] tlsAuth : new boolean[][]{{false, false}, {true, false}, {false, true}})
            {
                final Decision refused = BindSafety.decide(List.of(service(wide)), tlsAuth[0], tlsAuth[1], true,
                    false, RESOLVER);
                assertNotNull(refused.refusal(), wide + " tls=" + tlsAuth[0] + " auth=" + tlsAuth[1]);
                assertTrue(refused.refusal().contains("bind=" + wide), refused.refusal());
                assertTrue(refused.refusal().contains("tls-cert-file and clients-file"), refused.refusal());
                assertTrue(refused.refusal().contains("insecure-plaintext=true"), refused.refusal());
            }
            final Decision protectedThere = BindSafety.decide(List.of(service(wide)), true, true, false, false,
                RESOLVER);
            assertNull(protectedThere.refusal(), wide);
            assertFalse(protectedThere.insecure());
            assertEquals(List.of("bind=" + wide), protectedThere.exposed());
        }
    }

    @Test
    void shouldRefuseAMilterBeyondLoopbackWithoutAnAllowListWhateverTlsAndAuthentication()
    {
        final Decision refused = BindSafety.decide(List.of(milter("0.0.0.0")), true, true, false, false, RESOLVER);
        assertNotNull(refused.refusal());
        assertTrue(refused.refusal().contains("milter-allow"), refused.refusal());
        assertFalse(refused.refusal().contains("tls-cert-file"), "only what the milter needs: " + refused.refusal());

        assertNull(BindSafety.decide(List.of(milter("0.0.0.0")), false, false, true, false, RESOLVER).refusal());
    }

    @Test
    void shouldStartUnprotectedBeyondLoopbackOnlyWhenInsecurePlaintextSaysSoAndSayItIsInsecure()
    {
        final Decision insecure = BindSafety.decide(List.of(service("0.0.0.0"), milter("0.0.0.0")), false, false,
            false, true, RESOLVER);
        assertNull(insecure.refusal());
        assertTrue(insecure.insecure());
        assertEquals(2, insecure.exposed().size());

        final Decision loopback = BindSafety.decide(List.of(service("127.0.0.1")), false, false, false, true,
            RESOLVER);
        assertFalse(loopback.insecure(), "insecure-plaintext on loopback changes nothing");
    }

    @Test
    void shouldJudgeEachListenerOnItsOwnAddress()
    {
        final Decision adminWide = BindSafety.decide(List.of(service("127.0.0.1"),
            new Listener("admin-bind-address", "10.20.30.40", Kind.SERVICE)), false, false, false, false, RESOLVER);
        assertNotNull(adminWide.refusal());
        assertTrue(adminWide.refusal().contains("admin-bind-address=10.20.30.40"), adminWide.refusal());
        assertFalse(adminWide.refusal().contains("bind=127.0.0.1"), adminWide.refusal());
    }

    private static Listener service(final String host)
    {
        return new Listener("bind", host, Kind.SERVICE);
    }

    private static Listener milter(final String host)
    {
        return new Listener("bind", host, Kind.MILTER);
    }
}
