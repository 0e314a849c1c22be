package io.iysfilter.server.iys;

import io.iysfilter.server.logging.Secrets;

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
 * @param requestTimeoutMs  overall deadline of one request to İYS, from sending to the body's last byte.
 * @param maxResponseBytes  largest response body accepted from İYS; a larger one fails the request.
 * @param allowInsecureHttp whether an {@code http://} base URL is accepted (the emulator, tests); otherwise only
 *                          {@code https://}, since the API password is sent to it.
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
    boolean fsync,
    long requestTimeoutMs,
    long maxResponseBytes,
    boolean allowInsecureHttp)
{
    /** Default poll interval: one minute. */
    public static final long POLL_INTERVAL_MS_DEFAULT = 60_000;
    /** Default and largest page size. */
    public static final int PAGE_SIZE_MAX = 999;
    /** İYS withholds the last hour. */
    public static final long EXCLUSION_MS_DEFAULT = 3_600_000;
    /** Default {@link #requestTimeoutMs()}: two minutes, for a daily file over a slow link too. */
    public static final long REQUEST_TIMEOUT_MS_DEFAULT = 120_000;
    /**
     * Default {@link #maxResponseBytes()}: 256 MiB. A page of 999 records is under 1 MB; a daily file is about 100
     * bytes a movement, so this holds some 2.5 million movements of one brand in one day.
     */
    public static final long MAX_RESPONSE_BYTES_DEFAULT = 256L * 1024 * 1024;
    /** Largest {@link #maxResponseBytes()}; bodies are read as they arrive, never held whole, whatever the cap. */
    public static final long MAX_RESPONSE_BYTES_LIMIT = Integer.MAX_VALUE - 8;

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
        if (requestTimeoutMs < 1)
        {
            throw new IllegalArgumentException("iys-request-timeout: " + requestTimeoutMs + " ms (expected: > 0)");
        }
        if (maxResponseBytes < 1 || maxResponseBytes > MAX_RESPONSE_BYTES_LIMIT)
        {
            throw new IllegalArgumentException("iys-max-response-mb: " + maxResponseBytes + " bytes (expected: 1.." +
                MAX_RESPONSE_BYTES_LIMIT + ")");
        }
        final String scheme = baseUrl.getScheme();
        if (!"https".equalsIgnoreCase(scheme) && !(allowInsecureHttp && "http".equalsIgnoreCase(scheme)))
        {
            throw new IllegalArgumentException("iys-base-url: '" + Secrets.maskUserInfo(baseUrl.toString()) +
                "' (expected: an https:// URL, since the API password is sent to it; http:// only with " +
                "iys-allow-insecure-http=true, e.g. for the emulator)");
        }
    }

    /**
     * The settings an emulator or test on loopback uses: over {@code http://}, with the default deadline and cap.
     *
     * @param baseUrl        the emulator's base, {@code http://127.0.0.1:PORT}.
     * @param iysCode        the service provider's İYS code.
     * @param username       API user name.
     * @param password       API password.
     * @param brands         brand codes to follow.
     * @param pollIntervalMs time between two polls of a brand.
     * @param pageSize       {@code limit} per request.
     * @param exclusionMs    how recent movements the feed withholds.
     * @param fsync          force index files to disk before each cursor write.
     * @return the settings, {@link #allowInsecureHttp()} true.
     */
    public static FeedSettings insecureHttp(
        final URI baseUrl, final long iysCode, final String username, final String password, final List<Long> brands,
        final long pollIntervalMs, final int pageSize, final long exclusionMs, final boolean fsync)
    {
        return new FeedSettings(baseUrl, iysCode, username, password, brands, pollIntervalMs, pageSize, exclusionMs,
            fsync, REQUEST_TIMEOUT_MS_DEFAULT, MAX_RESPONSE_BYTES_DEFAULT, true);
    }

    /**
     * Masks the password.
     */
    @Override
    public String toString()
    {
        return "FeedSettings[baseUrl=" + Secrets.maskUserInfo(baseUrl.toString()) + ", iysCode=" + iysCode +
            ", username=" + username + ", password=****, brands=" + brands + ", pollIntervalMs=" + pollIntervalMs +
            ", pageSize=" + pageSize + ", exclusionMs=" + exclusionMs + ", fsync=" + fsync + ", requestTimeoutMs=" +
            requestTimeoutMs + ", maxResponseBytes=" + maxResponseBytes + ", allowInsecureHttp=" + allowInsecureHttp +
            "]";
    }
}
