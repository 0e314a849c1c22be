package io.iysfilter.server.milter;

import java.io.IOException;
import java.nio.file.Path;

/**
 * How the milter endpoint decides whom a message is from and when it refuses recipients, and how it bounds its MTA
 * connections.
 *
 * @param brandMap         sender → brand mapping.
 * @param brandHeader      whether an {@code X-IYS-Brand} header may name the brand when the mapping does not; off by
 *                         default, because any sender can write any header.
 * @param rejectAtRcpt     whether recipients without consent are refused at RCPT time ({@code 550 5.7.1}), so the
 *                         sending client learns it per recipient; only when the brand follows from the envelope or
 *                         AUTH. Otherwise they are removed at end of message.
 * @param kindHeader       whether an {@code X-IYS-Kind: TRANSACTIONAL} header may make a message transactional (no
 *                         consent check) when the mapping names no kind; off by default, for the same reason as
 *                         {@code brandHeader}: when off the header is ignored and the mapping's kind (default
 *                         COMMERCIAL) applies.
 * @param maxConnections   most concurrent MTA connections; one more is closed at once.
 * @param idleTimeoutMs    a connection with no packet for this long is closed.
 * @param packetTimeoutMs  a packet begun and not complete within this long closes the connection.
 */
public record MilterSettings(
    MilterBrandMap brandMap,
    boolean brandHeader,
    boolean rejectAtRcpt,
    boolean kindHeader,
    int maxConnections,
    long idleTimeoutMs,
    long packetTimeoutMs)
{
    /** Default {@link #maxConnections()}: Postfix opens one connection per smtpd/cleanup process. */
    public static final int MAX_CONNECTIONS_DEFAULT = 256;
    /** Default {@link #idleTimeoutMs()}: longer than Postfix's {@code milter_content_timeout} (300 s). */
    public static final long IDLE_TIMEOUT_MS_DEFAULT = 600_000;
    /** Default {@link #packetTimeoutMs()}. */
    public static final long PACKET_TIMEOUT_MS_DEFAULT = 30_000;

    /** No mapping: every message is tempfailed until one is configured. */
    public static final MilterSettings NONE = new MilterSettings(MilterBrandMap.empty(), false, false);

    /**
     * Validate.
     */
    public MilterSettings
    {
        if (maxConnections < 1)
        {
            throw new IllegalArgumentException("milter-max-connections: " + maxConnections + " (expected: > 0)");
        }
        if (idleTimeoutMs < 1 || packetTimeoutMs < 1)
        {
            throw new IllegalArgumentException("milter-idle-timeout and milter-packet-timeout: " + idleTimeoutMs +
                " ms and " + packetTimeoutMs + " ms (expected: > 0)");
        }
    }

    /**
     * The brand and policy switches, the kind header off, the default limits.
     *
     * @param brandMap     sender → brand mapping.
     * @param brandHeader  allow {@code X-IYS-Brand}.
     * @param rejectAtRcpt refuse at RCPT time.
     */
    public MilterSettings(final MilterBrandMap brandMap, final boolean brandHeader, final boolean rejectAtRcpt)
    {
        this(brandMap, brandHeader, rejectAtRcpt, false, MAX_CONNECTIONS_DEFAULT, IDLE_TIMEOUT_MS_DEFAULT,
            PACKET_TIMEOUT_MS_DEFAULT);
    }

    /**
     * @param brandMapFile the mapping file, or null for none.
     * @param brandHeader  allow {@code X-IYS-Brand}.
     * @param rejectAtRcpt refuse at RCPT time.
     * @return the settings.
     * @throws IOException when the mapping file cannot be read.
     */
    public static MilterSettings of(final Path brandMapFile, final boolean brandHeader, final boolean rejectAtRcpt)
        throws IOException
    {
        return new MilterSettings(brandMapFile == null ? MilterBrandMap.empty() : MilterBrandMap.load(brandMapFile),
            brandHeader, rejectAtRcpt);
    }

    /**
     * @param allowed whether {@code X-IYS-Kind} may make a message transactional.
     * @return these settings with the kind header allowed or not.
     */
    public MilterSettings withKindHeader(final boolean allowed)
    {
        return new MilterSettings(brandMap, brandHeader, rejectAtRcpt, allowed, maxConnections, idleTimeoutMs,
            packetTimeoutMs);
    }

    /**
     * @param connections most concurrent MTA connections.
     * @param idleMs      idle timeout.
     * @param packetMs    partial-packet timeout.
     * @return these settings with those limits.
     */
    public MilterSettings withLimits(final int connections, final long idleMs, final long packetMs)
    {
        return new MilterSettings(brandMap, brandHeader, rejectAtRcpt, kindHeader, connections, idleMs, packetMs);
    }

    /**
     * @return how many mapping entries there are.
     */
    public int mappings()
    {
        return brandMap.size();
    }
}
