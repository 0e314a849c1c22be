package io.iysfilter.server.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the server may listen where it is told to: the rule of safe defaults (docs/SECURITY.md). A listener on a
 * loopback address is reachable from this host only and is always allowed. A listener on any other address (the
 * wildcard {@code 0.0.0.0} or {@code ::}, an interface's address, a host name that resolves to one) is reachable from
 * the network and is allowed only when what it serves is protected there:
 * <ul>
 *   <li>the binary, HTTP, RESP and admin listeners need TLS and authentication both on;</li>
 *   <li>the milter, which has neither, needs a peer allow-list ({@code milter-allow}).</li>
 * </ul>
 * Otherwise the server refuses to start, naming the ways out, unless {@code insecure-plaintext=true} says the operator
 * accepts it: then it starts, and says so loudly ({@link Decision#insecure()}).
 * <p>
 * Pure: the host names are resolved through the {@link Resolver} given, and nothing is bound.
 */
public final class BindSafety
{
    /** The resolver of the real server: the system's. */
    public static final Resolver SYSTEM = InetAddress::getAllByName;

    private BindSafety()
    {
    }

    /**
     * Resolves a host name or address literal to all its addresses.
     */
    @FunctionalInterface
    public interface Resolver
    {
        /**
         * @param host a host name or an address literal.
         * @return its addresses.
         * @throws UnknownHostException when it has none.
         */
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /**
     * What protects a listener beyond loopback.
     */
    public enum Kind
    {
        /** Binary, HTTP, RESP or admin: TLS and authentication. */
        SERVICE,
        /** The milter: a peer allow-list. */
        MILTER
    }

    /**
     * One TCP listener the server would open.
     *
     * @param setting the setting that names its address, for the message (e.g. {@code bind}).
     * @param host    the address or host name it binds.
     * @param kind    what protects it beyond loopback.
     */
    public record Listener(String setting, String host, Kind kind)
    {
    }

    /**
     * The outcome.
     *
     * @param refusal  why the server must not start, naming the ways out; null when it may.
     * @param insecure whether it starts only because of {@code insecure-plaintext=true}: some listener is reachable
     *                 beyond loopback without the protection its kind needs.
     * @param exposed  the listeners reachable beyond loopback, as {@code setting=host}; when {@code insecure}, only
     *                 those without the protection they need.
     */
    public record Decision(String refusal, boolean insecure, List<String> exposed)
    {
    }

    /**
     * @param host     an address literal or host name.
     * @param resolver how to resolve it.
     * @return true only when every address it names is a loopback address; false for the wildcard, a blank host
     * (which binds the wildcard), any other address, and a name that cannot be resolved (uncertain: not loopback).
     */
    public static boolean isLoopback(final String host, final Resolver resolver)
    {
        if (host == null || host.isBlank())
        {
            return false;
        }
        try
        {
            final InetAddress[] addresses = resolver.resolve(host.trim());
            if (addresses == null || addresses.length == 0)
            {
                return false;
            }
            for (final InetAddress address : addresses)
            {
                if (!address.isLoopbackAddress())
                {
                    return false;
                }
            }
            return true;
        }
        catch (final UnknownHostException ex)
        {
            return false;
        }
    }

    /**
     * Decide whether the server may listen on these addresses.
     *
     * @param listeners         the TCP listeners it would open.
     * @param tlsOn             whether the binary and HTTP listeners speak TLS ({@code tls-cert-file} set).
     * @param authOn            whether clients must authenticate ({@code clients-file} set).
     * @param milterAllowList   whether a milter peer allow-list is set ({@code milter-allow}).
     * @param insecurePlaintext whether the operator accepts listeners beyond loopback without their protection.
     * @param resolver          how host names are resolved.
     * @return the decision.
     */
    public static Decision decide(
        final List<Listener> listeners,
        final boolean tlsOn,
        final boolean authOn,
        final boolean milterAllowList,
        final boolean insecurePlaintext,
        final Resolver resolver)
    {
        final List<String> exposed = new ArrayList<>();
        final List<String> unprotected = new ArrayList<>();
        boolean serviceUnprotected = false;
        boolean milterUnprotected = false;
        for (final Listener listener : listeners)
        {
            if (isLoopback(listener.host(), resolver))
            {
                continue;
            }
            final String where = listener.setting() + "=" + listener.host();
            exposed.add(where);
            final boolean protectedThere = listener.kind() == Kind.MILTER ? milterAllowList : tlsOn && authOn;
            if (!protectedThere)
            {
                unprotected.add(where);
                serviceUnprotected |= listener.kind() == Kind.SERVICE;
                milterUnprotected |= listener.kind() == Kind.MILTER;
            }
        }
        if (unprotected.isEmpty())
        {
            return new Decision(null, false, exposed);
        }
        if (insecurePlaintext)
        {
            return new Decision(null, true, unprotected);
        }
        final StringBuilder refusal = new StringBuilder("refusing to listen beyond loopback without protection on ")
            .append(String.join(", ", unprotected)).append(" (");
        if (serviceUnprotected)
        {
            refusal.append("the binary, HTTP, RESP and admin ports need TLS and authentication there: " +
                "tls-cert-file and " +
                "clients-file")
                .append(milterUnprotected ? "; " : "");
        }
        if (milterUnprotected)
        {
            refusal.append("the milter needs a peer allow-list there: milter-allow, or milter-socket instead");
        }
        return new Decision(refusal.append("). Bind a loopback address (127.0.0.1), set what protects it " +
            "(docs/SECURITY.md), or set " +
            "insecure-plaintext=true to accept plaintext, unauthenticated access from the network").toString(),
            false, exposed);
    }
}
