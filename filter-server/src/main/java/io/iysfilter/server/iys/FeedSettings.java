package io.iysfilter.server.iys;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Where and how to follow İYS's change feed for one service provider. Providers with the same base URL and user
 * name (an integrator, iş ortağı, login) share one token.
 *
 * @param baseUrl        İYS's API base, e.g. {@code https://api.iys.org.tr}, or the emulator's.
 * @param iysCode        the service provider's İYS code.
 * @param username       API user name.
 * @param password       API password; never logged.
 * @param brands         brand codes to follow; empty for every brand {@code GET /sps/{iysCode}/brands} lists.
 * @param pollIntervalMs time between two polls of a brand.
 * @param pageSize       {@code limit} per request, 1..999.
 * @param exclusionMs    how recent movements İYS withholds from the feed (one hour); the watermark stays that far
 *                       behind the start of the last complete poll.
 * @param fsync          whether the brand's index files are forced to disk before each cursor is written
 *                       (durable across machine crashes) rather than left to the page cache (durable across process
 *                       crashes only).
 */
public record FeedSettings(
    URI baseUrl,
    long iysCode,
    String username,
    String password,
    List<Long> brands,
    long pollIntervalMs,
    int pageSize,
    long exclusionMs,
    boolean fsync)
{
    /** Default poll interval: one minute. */
    public static final long POLL_INTERVAL_MS_DEFAULT = 60_000;
    /** Default and largest page size. */
    public static final int PAGE_SIZE_MAX = 999;
    /** İYS withholds the last hour. */
    public static final long EXCLUSION_MS_DEFAULT = 3_600_000;

    /**
     * Validate.
     */
    public FeedSettings
    {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        brands = List.copyOf(brands);
        if (pageSize < 1 || pageSize > PAGE_SIZE_MAX)
        {
            throw new IllegalArgumentException("iys-page-size: " + pageSize + " (expected: 1.." + PAGE_SIZE_MAX + ")");
        }
        if (pollIntervalMs < 1)
        {
            throw new IllegalArgumentException("iys-poll-interval: " + pollIntervalMs + " ms (expected: > 0)");
        }
    }

    /**
     * Masks the password.
     */
    @Override
    public String toString()
    {
        return "FeedSettings[baseUrl=" + baseUrl + ", iysCode=" + iysCode + ", username=" + username +
            ", password=****, brands=" + brands + ", pollIntervalMs=" + pollIntervalMs + ", pageSize=" + pageSize +
            ", exclusionMs=" + exclusionMs + ", fsync=" + fsync + "]";
    }
}
