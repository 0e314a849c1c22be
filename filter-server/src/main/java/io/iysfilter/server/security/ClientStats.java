package io.iysfilter.server.security;

import java.util.concurrent.atomic.LongAdder;

/**
 * One client's counters (one {@code client} label value): decisions by verdict, requests refused by why. Striped
 * adders: incremented from every event loop, allocating nothing once the client is resolved.
 */
public final class ClientStats
{
    private final String label;
    private final LongAdder allowed = new LongAdder();
    private final LongAdder denied = new LongAdder();
    private final LongAdder unauthorised = new LongAdder();
    private final LongAdder forbidden = new LongAdder();

    ClientStats(final String label)
    {
        this.label = label;
    }

    /**
     * @return the {@code client} label: a client id, {@code other} past the cap, {@code anonymous} with
     *         authentication off, {@code unknown} for requests that named no known client.
     */
    public String label()
    {
        return label;
    }

    /**
     * Count one decision.
     *
     * @param allow whether it was an ALLOW.
     */
    public void onDecision(final boolean allow)
    {
        (allow ? allowed : denied).increment();
    }

    /**
     * Count a batch's decisions at once.
     *
     * @param allowedCount how many were ALLOW.
     * @param deniedCount  how many were DENY.
     */
    public void onDecisions(final long allowedCount, final long deniedCount)
    {
        allowed.add(allowedCount);
        denied.add(deniedCount);
    }

    /**
     * Count a request refused because its client could not be authenticated (HTTP 401, ERROR UNAUTHORISED).
     */
    public void onUnauthorised()
    {
        unauthorised.increment();
    }

    /**
     * Count a request refused because its client lacks the role or the brand (HTTP 403, ERROR FORBIDDEN).
     */
    public void onForbidden()
    {
        forbidden.increment();
    }

    /**
     * @return decisions answered ALLOW.
     */
    public long allowed()
    {
        return allowed.sum();
    }

    /**
     * @return decisions answered DENY.
     */
    public long denied()
    {
        return denied.sum();
    }

    /**
     * @return requests refused as unauthorised.
     */
    public long unauthorised()
    {
        return unauthorised.sum();
    }

    /**
     * @return requests refused as forbidden.
     */
    public long forbidden()
    {
        return forbidden.sum();
    }
}
