package io.iysfilter.server.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The peers allowed to connect to a listener ({@code milter-allow}): addresses and CIDR blocks, IPv4 or IPv6, e.g.
 * {@code 127.0.0.1, 10.1.2.0/24, 2001:db8::/32}. A peer that matches none is refused. Only address literals are
 * taken: a host name would make the list depend on DNS at every connection.
 */
public final class PeerAllowList
{
    private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

    private final List<Block> blocks;
    private final String text;

    private record Block(byte[] network, int prefixBits)
    {
        boolean contains(final byte[] address)
        {
            if (address.length != network.length)
            {
                return false;
            }
            final int whole = prefixBits / 8;
            for (int i = 0; i < whole; i++)
            {
                if (address[i] != network[i])
                {
                    return false;
                }
            }
            final int rest = prefixBits % 8;
            if (rest == 0)
            {
                return true;
            }
            final int mask = 0xFF << (8 - rest) & 0xFF;
            return (address[whole] & mask) == (network[whole] & mask);
        }
    }

    private PeerAllowList(final List<Block> blocks, final String text)
    {
        this.blocks = blocks;
        this.text = text;
    }

    /**
     * @param text comma-separated addresses and CIDR blocks.
     * @return the list; empty when the text has none.
     * @throws IllegalArgumentException naming the first entry that is not an address or a CIDR block.
     */
    public static PeerAllowList parse(final String text)
    {
        final List<Block> blocks = new ArrayList<>();
        final List<String> entries = new ArrayList<>();
        for (final String raw : text.split(","))
        {
            final String entry = raw.trim();
            if (entry.isEmpty())
            {
                continue;
            }
            final int slash = entry.indexOf('/');
            final String host = slash < 0 ? entry : entry.substring(0, slash);
            final byte[] network = literal(entry, host);
            final int maxBits = network.length * 8;
            int prefixBits = maxBits;
            if (slash >= 0)
            {
                try
                {
                    prefixBits = Integer.parseInt(entry.substring(slash + 1));
                }
                catch (final NumberFormatException ex)
                {
                    prefixBits = -1;
                }
                if (prefixBits < 0 || prefixBits > maxBits)
                {
                    throw new IllegalArgumentException("'" + entry + "' (expected: a prefix length of 0.." + maxBits +
                        " after the /)");
                }
            }
            blocks.add(new Block(network, prefixBits));
            entries.add(entry);
        }
        return new PeerAllowList(List.copyOf(blocks), String.join(",", entries));
    }

    private static byte[] literal(final String entry, final String host)
    {
        final boolean ipv4 = host.indexOf(':') < 0;
        if (!LITERAL.matcher(host).matches() || ipv4 && host.chars().filter(c -> c == '.').count() != 3)
        {
            throw new IllegalArgumentException("'" + entry + "' (expected: an IPv4 or IPv6 address, or a CIDR block " +
                "such as 10.0.0.0/8; host names are not taken)");
        }
        try
        {
            // a literal: getByName does not consult DNS for it
            return InetAddress.getByName(host).getAddress();
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("'" + entry + "' (expected: an IPv4 or IPv6 address, or a CIDR block " +
                "such as 10.0.0.0/8)", ex);
        }
    }

    /**
     * @return whether the list names no peer.
     */
    public boolean isEmpty()
    {
        return blocks.isEmpty();
    }

    /**
     * @param peer a connection's remote address.
     * @return whether it is allowed; false for anything that is not an IP socket address.
     */
    public boolean admits(final SocketAddress peer)
    {
        if (!(peer instanceof InetSocketAddress) || ((InetSocketAddress)peer).getAddress() == null)
        {
            return false;
        }
        final byte[] address = ((InetSocketAddress)peer).getAddress().getAddress();
        for (final Block block : blocks)
        {
            if (block.contains(address))
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString()
    {
        return text;
    }
}
