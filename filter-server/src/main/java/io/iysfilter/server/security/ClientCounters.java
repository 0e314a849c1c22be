package io.iysfilter.server.security;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every client's {@link ClientStats}, one per {@code client} label value, kept for the life of the server so that a
 * reload of the clients file keeps each client's counts. Bounded: at most {@link #MAX_CLIENTS} ids get their own
 * label, the rest share {@link #OTHER}; {@link #ANONYMOUS} counts what is asked with authentication off and
 * {@link #UNKNOWN} the refusals of requests that named no known client.
 */
public final class ClientCounters
{
    /** Most client ids with a label of their own. */
    public static final int MAX_CLIENTS = 256;
    /** The label shared by clients past the cap. */
    public static final String OTHER = "other";
    /** The label of every request when authentication is off. */
    public static final String ANONYMOUS = "anonymous";
    /** The label of refusals that named no known client (no token, a wrong one). */
    public static final String UNKNOWN = "unknown";

    private final Map<String, ClientStats> byId = new LinkedHashMap<>();
    private final ClientStats other = new ClientStats(OTHER);
    private final ClientStats anonymous = new ClientStats(ANONYMOUS);
    private final ClientStats unknown = new ClientStats(UNKNOWN);

    /**
     * @param id a client id.
     * @return its counters: its own while fewer than {@link #MAX_CLIENTS} ids have theirs, else {@link #OTHER}'s.
     */
    public synchronized ClientStats forId(final String id)
    {
        final ClientStats existing = byId.get(id);
        if (existing != null)
        {
            return existing;
        }
        if (byId.size() >= MAX_CLIENTS)
        {
            return other;
        }
        final ClientStats created = new ClientStats(id);
        byId.put(id, created);
        return created;
    }

    /**
     * @return the counters of requests made with authentication off.
     */
    public ClientStats anonymous()
    {
        return anonymous;
    }

    /**
     * @return the counters of refusals that named no known client.
     */
    public ClientStats unknown()
    {
        return unknown;
    }

    /**
     * @return every label's counters, the client ids first in the order they were first seen.
     */
    public synchronized List<ClientStats> all()
    {
        final List<ClientStats> all = new ArrayList<>(byId.values());
        all.add(other);
        all.add(anonymous);
        all.add(unknown);
        return all;
    }
}
