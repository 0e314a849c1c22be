package io.iysfilter.server.net;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code milter-allow}: addresses and CIDR blocks, IPv4 and IPv6, matched against a connection's peer.
 */
class PeerAllowListTest
{
    @Test
    void shouldAdmitAddressesInItsBlocksOnly()
    {
        final PeerAllowList allowed = PeerAllowList.parse(" 10.1.2.0/24, 192.168.7.9 ,2001:db8::/32, 172.16.0.0/12");
        for (final String in : new String[]{"10.1.2.0", "10.1.2.255", "192.168.7.9", "2001:db8:ffff::1",
            "172.31.255.255", "::ffff:10.1.2.3"})
        {
            assertTrue(allowed.admits(peer(in)), in);
        }
        for (final String out : new String[]{"10.1.3.0", "192.168.7.10", "2001:db9::1", "172.32.0.0", "127.0.0.1",
            "::1"})
        {
            assertFalse(allowed.admits(peer(out)), out);
        }
        assertFalse(allowed.admits(UnixDomainSocketAddress.of("/tmp/x.sock")));
        assertFalse(allowed.admits(null));
        assertEquals("10.1.2.0/24,192.168.7.9,2001:db8::/32,172.16.0.0/12", allowed.toString());
    }

    @Test
    void shouldTakeAZeroPrefixAsEveryAddressOfItsFamily()
    {
        final PeerAllowList v4 = PeerAllowList.parse("0.0.0.0/0");
        assertTrue(v4.admits(peer("203.0.113.1")));
        assertFalse(v4.admits(peer("2001:db8::1")));
    }

    @Test
    void shouldRefuseWhatIsNotAnAddressOrABlockNamingIt()
    {
        for (final String bad : new String[]{"mx.example.com", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.1/x",
            "10.0.0.256"})
        {
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> PeerAllowList.parse("127.0.0.1," + bad), bad);
            assertTrue(refused.getMessage().contains(bad), refused.getMessage());
        }
        assertTrue(PeerAllowList.parse(" , ").isEmpty());
    }

    private static InetSocketAddress peer(final String address)
    {
        return new InetSocketAddress(address, 25);
    }
}
