package io.iysfilter.server.http;

/**
 * The HTTP endpoint's guards against clients that hold connections, send slowly or send too much.
 *
 * @param maxConnections   most concurrent HTTP connections; more get 503 and are closed.
 * @param idleTimeoutMs    a connection with no request in progress and no answer owed for this long is closed.
 * @param requestTimeoutMs a request's line, headers and (for requests read whole) body must arrive within this
 *                         long of its first byte, else 408 and close; a streamed body ({@code /v1/scrub},
 *                         {@code /v1/reconcile}) may not pause for longer than this.
 * @param maxBodyBytes     largest {@code /v1/reconcile} body spooled; more gets 413 and the connection is closed.
 * @param maxConnectionsPerAddress most concurrent HTTP connections from one peer address; more get 503 and are
 *                         closed; 0 for no such limit.
 */
public record HttpSettings(
    int maxConnections, long idleTimeoutMs, long requestTimeoutMs, long maxBodyBytes, int maxConnectionsPerAddress)
{
    /** Default most concurrent HTTP connections. */
    public static final int MAX_CONNECTIONS_DEFAULT = 1024;
    /** Default idle timeout. */
    public static final long IDLE_TIMEOUT_MS_DEFAULT = 60_000;
    /** Default request timeout. */
    public static final long REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
    /** Default largest reconcile body, MiB. */
    public static final long MAX_BODY_MB_DEFAULT = 1024;
    /** The defaults. */
    public static final HttpSettings DEFAULT = new HttpSettings(MAX_CONNECTIONS_DEFAULT, IDLE_TIMEOUT_MS_DEFAULT,
        REQUEST_TIMEOUT_MS_DEFAULT, MAX_BODY_MB_DEFAULT * 1024 * 1024);

    /**
     * The guards with no per-address limit.
     *
     * @param maxConnections   most concurrent HTTP connections.
     * @param idleTimeoutMs    idle connections are closed after this long.
     * @param requestTimeoutMs a request must arrive whole within this long.
     * @param maxBodyBytes     largest {@code /v1/reconcile} body spooled.
     */
    public HttpSettings(
        final int maxConnections, final long idleTimeoutMs, final long requestTimeoutMs, final long maxBodyBytes)
    {
        this(maxConnections, idleTimeoutMs, requestTimeoutMs, maxBodyBytes, 0);
    }

    /**
     * @throws IllegalArgumentException naming the first value out of range.
     */
    public HttpSettings
    {
        if (maxConnections < 1)
        {
            throw new IllegalArgumentException("httpMaxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (idleTimeoutMs < 1)
        {
            throw new IllegalArgumentException("httpIdleTimeoutMs: " + idleTimeoutMs + " (expected: >= 1)");
        }
        if (requestTimeoutMs < 1)
        {
            throw new IllegalArgumentException("httpRequestTimeoutMs: " + requestTimeoutMs + " (expected: >= 1)");
        }
        if (maxBodyBytes < 1)
        {
            throw new IllegalArgumentException("httpMaxBodyBytes: " + maxBodyBytes + " (expected: >= 1)");
        }
        if (maxConnectionsPerAddress < 0)
        {
            throw new IllegalArgumentException("maxConnectionsPerAddress: " + maxConnectionsPerAddress +
                " (expected: >= 0, 0 for none)");
        }
    }
}
