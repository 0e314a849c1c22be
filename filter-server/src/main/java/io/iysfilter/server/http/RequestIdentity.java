package io.iysfilter.server.http;

import io.iysfilter.server.security.Client;
import io.iysfilter.server.security.ClientCounters;
import io.iysfilter.server.security.ClientStats;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.Door;

/**
 * Who the request in progress on one HTTP connection comes from, as {@link HttpAuthHandler} resolved it, for the
 * handlers behind it: the client (null with authentication off, or on an open route) and the counters its decisions
 * go to. Confined to the connection's event loop.
 */
final class RequestIdentity
{
    private Client client;
    private ClientStats stats;
    private String address = "unknown";
    private boolean askerNamed;
    private Client askerNamedClient;

    /**
     * @return an identity for a handler used without {@link HttpAuthHandler} (authentication off): anonymous.
     */
    static RequestIdentity anonymous()
    {
        final RequestIdentity identity = new RequestIdentity();
        identity.set(null, new ClientCounters().anonymous());
        return identity;
    }

    /**
     * @return the authenticated client, or null with authentication off (or on {@code /health}).
     */
    Client client()
    {
        return client;
    }

    /**
     * @return the counters decisions are counted to: the client's, or {@code anonymous}'s.
     */
    ClientStats stats()
    {
        return stats;
    }

    /**
     * @return the peer's address without its port.
     */
    String address()
    {
        return address;
    }

    /**
     * @param brandCode a brand the request names.
     * @return whether the request may ask about it: authentication off, or the client's brand.
     */
    boolean mayAsk(final long brandCode)
    {
        return client == null || client.mayAsk(brandCode);
    }

    /**
     * Name who asks in a decider, for its receipts, when it is not already named so: at the connection's first
     * decision and whenever the request's client differs from the last one named.
     *
     * @param decider the connection's decider.
     * @param door    the endpoint.
     */
    void nameAsker(final Decider decider, final Door door)
    {
        if (!askerNamed || askerNamedClient != client)
        {
            decider.asker(door, Decider.partyName(client == null ? null : client.id(), address));
            askerNamed = true;
            askerNamedClient = client;
        }
    }

    void set(final Client client, final ClientStats stats)
    {
        this.client = client;
        this.stats = stats;
    }

    void address(final String address)
    {
        this.address = address;
        askerNamed = false;
    }
}
