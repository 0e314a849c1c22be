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
    private String askerName;
    private Client askerNameClient;

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
     * Name who asks in a decider, for its receipts, before each of its decisions. The connection's handlers each own
     * a decider (one for {@code /v1/check}, one for {@code /v1/scrub}), so every decider is told each time; the
     * decider asks its recorder only when the door or the name differs from what it was last told, and the name is
     * built only when the request's client or the peer changes.
     *
     * @param decider the handler's decider.
     * @param door    the endpoint.
     */
    void nameAsker(final Decider decider, final Door door)
    {
        if (askerName == null || askerNameClient != client)
        {
            askerName = Decider.partyName(client == null ? null : client.id(), address);
            askerNameClient = client;
        }
        decider.asker(door, askerName);
    }

    void set(final Client client, final ClientStats stats)
    {
        this.client = client;
        this.stats = stats;
    }

    void address(final String address)
    {
        this.address = address;
        askerName = null;
    }
}
