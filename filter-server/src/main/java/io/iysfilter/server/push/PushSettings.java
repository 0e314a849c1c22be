package io.iysfilter.server.push;

import java.nio.file.Path;

/**
 * The İYS push receiver's settings (docs/PUSH.md): where it listens, who may push, and its limits.
 *
 * @param port             its own port, 0 for any free port, -1 (the default) for no receiver: push off.
 * @param bindAddress      the address it listens on; beyond loopback only with TLS ({@code tls-cert-file}).
 * @param path             the path İYS posts to; {@code path/{brandCode}} is accepted too.
 * @param credentialsFile  the Basic credentials İYS presents, kept as salted hashes ({@link PushCredentials});
 *                         required when the receiver is on.
 * @param maxBodyBytes     largest push body read; more gets 413 and the connection is closed.
 * @param maxRecords       most records in one push; more gets 413 and nothing of it is applied.
 * @param pushesPerSecond  pushes taken per second (a token bucket with a one-second burst); more get 429.
 * @param maxConnections   most concurrent connections to the receiver; more get 503 and are closed.
 * @param idleTimeoutMs    an idle connection is closed after this long.
 * @param requestTimeoutMs a request must arrive whole within this long, else 408.
 * @param authFailureLimit failed authentications per source address and minute before it is refused unchecked.
 */
public record PushSettings(
    int port,
    String bindAddress,
    String path,
    Path credentialsFile,
    int maxBodyBytes,
    int maxRecords,
    int pushesPerSecond,
    int maxConnections,
    long idleTimeoutMs,
    long requestTimeoutMs,
    int authFailureLimit)
{
    /** Default path. */
    public static final String PATH_DEFAULT = "/iys/push";
    /** Default address: loopback only (a TLS-terminating proxy in front, or TLS here and a routable address). */
    public static final String BIND_ADDRESS_DEFAULT = "127.0.0.1";
    /** Default largest body: 1 MiB, some 4,000 records of İYS's shape. */
    public static final int MAX_BODY_BYTES_DEFAULT = 1024 * 1024;
    /** Default most records per push: the most the pull feed pages. */
    public static final int MAX_RECORDS_DEFAULT = 1_000;
    /** Default pushes per second. */
    public static final int PUSHES_PER_SECOND_DEFAULT = 50;
    /** Default most connections. */
    public static final int MAX_CONNECTIONS_DEFAULT = 64;
    /** Default idle timeout. */
    public static final long IDLE_TIMEOUT_MS_DEFAULT = 30_000;
    /** Default request timeout: well inside İYS's 5 seconds. */
    public static final long REQUEST_TIMEOUT_MS_DEFAULT = 3_000;
    /** Default failed authentications per address and minute. */
    public static final int AUTH_FAILURE_LIMIT_DEFAULT = 10;
    /** Push off. */
    public static final PushSettings OFF = new PushSettings(-1, BIND_ADDRESS_DEFAULT, PATH_DEFAULT, null,
        MAX_BODY_BYTES_DEFAULT, MAX_RECORDS_DEFAULT, PUSHES_PER_SECOND_DEFAULT, MAX_CONNECTIONS_DEFAULT,
        IDLE_TIMEOUT_MS_DEFAULT, REQUEST_TIMEOUT_MS_DEFAULT, AUTH_FAILURE_LIMIT_DEFAULT);

    /**
     * @throws IllegalArgumentException naming the first value out of range.
     */
    public PushSettings
    {
        if (port < -1 || port > 65535)
        {
            throw new IllegalArgumentException("pushPort: " + port + " (expected: -1 for off, or 0..65535)");
        }
        if (path == null || !path.matches("/[A-Za-z0-9/_.-]{0,200}") || path.endsWith("/") && path.length() > 1)
        {
            throw new IllegalArgumentException("pushPath: '" + path + "' (expected: /letters, digits, / _ . -)");
        }
        if (port >= 0 && credentialsFile == null)
        {
            throw new IllegalArgumentException("pushCredentialsFile: none (expected: a file of push credentials " +
                "when the push receiver is on; ./iys-filter push credentials writes one)");
        }
        positive("pushMaxBodyBytes", maxBodyBytes);
        positive("pushMaxRecords", maxRecords);
        positive("pushesPerSecond", pushesPerSecond);
        positive("pushMaxConnections", maxConnections);
        positive("pushIdleTimeoutMs", idleTimeoutMs);
        positive("pushRequestTimeoutMs", requestTimeoutMs);
        positive("pushAuthFailureLimit", authFailureLimit);
    }

    /**
     * @return whether the receiver is on.
     */
    public boolean on()
    {
        return port >= 0;
    }

    /**
     * @param newPort     its port, 0 for any free port, -1 for off.
     * @param credentials the credentials file.
     * @return these settings with that port and file.
     */
    public PushSettings withPort(final int newPort, final Path credentials)
    {
        return new PushSettings(newPort, bindAddress, path, credentials, maxBodyBytes, maxRecords, pushesPerSecond,
            maxConnections, idleTimeoutMs, requestTimeoutMs, authFailureLimit);
    }

    private static void positive(final String name, final long value)
    {
        if (value < 1)
        {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 1)");
        }
    }
}
