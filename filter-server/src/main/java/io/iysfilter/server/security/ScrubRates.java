package io.iysfilter.server.security;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code scrub-rows-per-second} limit: one {@link RowRate} per authenticated client, by its id (shared by all
 * its connections, kept across reloads of the clients file; not by its counters' label, which past
 * {@link ClientCounters#MAX_CLIENTS} ids is a shared {@code other}), or per source address when authentication is
 * off. Both tables are bounded ({@link FailureLimiter#MAX_ADDRESSES}, least recently used dropped first).
 */
public final class ScrubRates
{
    /** No limit. */
    public static final ScrubRates OFF = new ScrubRates(0);

    private final long rowsPerSecond;
    private final Map<String, RowRate> byClient = new LinkedHashMap<>(64, 0.75f, true)
    {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, RowRate> eldest)
        {
            return size() > FailureLimiter.MAX_ADDRESSES;
        }
    };
    private final Map<String, RowRate> byAddress = new LinkedHashMap<>(64, 0.75f, true)
    {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, RowRate> eldest)
        {
            return size() > FailureLimiter.MAX_ADDRESSES;
        }
    };

    /**
     * @param rowsPerSecond rows a second per client or address; 0 for no limit.
     */
    public ScrubRates(final long rowsPerSecond)
    {
        if (rowsPerSecond < 0)
        {
            throw new IllegalArgumentException("rowsPerSecond: " + rowsPerSecond + " (expected: >= 0, 0 for off)");
        }
        this.rowsPerSecond = rowsPerSecond;
    }

    /**
     * @return rows a second, 0 for no limit.
     */
    public long rowsPerSecond()
    {
        return rowsPerSecond;
    }

    /**
     * @param clientId the authenticated client's id.
     * @param nowNs    monotonic time.
     * @return the client's rate, or null when there is no limit.
     */
    public synchronized RowRate forClient(final String clientId, final long nowNs)
    {
        return rowsPerSecond == 0 ? null : byClient.computeIfAbsent(clientId,
            id -> new RowRate(rowsPerSecond, nowNs));
    }

    /**
     * @param address a source address.
     * @param nowNs   monotonic time.
     * @return the address's rate, or null when there is no limit.
     */
    public synchronized RowRate forAddress(final String address, final long nowNs)
    {
        return rowsPerSecond == 0 ? null : byAddress.computeIfAbsent(address,
            key -> new RowRate(rowsPerSecond, nowNs));
    }
}
