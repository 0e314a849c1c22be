package io.iysfilter.server.replication;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * How a replica reads the replication topic (docs/REPLICATION.md §3).
 *
 * @param bootstrapServers   the Kafka cluster, {@code host:port,…} ({@code kafka-bootstrap}).
 * @param clientProperties   extra Kafka client properties, e.g. TLS or SASL ({@code kafka-properties}); the ones a
 *                           replica needs (isolation level, no group, no auto commit, deserializers) are its own and
 *                           cannot be overridden.
 * @param topic              the topic ({@code replication-topic}).
 * @param maxPollRecords     records one poll returns at most.
 * @param persistIntervalMs  least time between two persists of the offsets (each after a barrier and a force).
 * @param persistRecords     records after which the offsets are persisted sooner than the interval.
 * @param catchUpPersistIntervalMs
 *                           least time between two persists during the first bootstrap and while the replica is more
 *                           than {@code persistRecords} behind the topic's end (fallen behind while running: a broker
 *                           outage, a burst); they come sooner only after 50 times {@code persistRecords} records.
 * @param quarantineMaxBytes size past which the quarantine file takes no more lines (records are still counted).
 */
public record ReplicaSettings(
    String bootstrapServers,
    Map<String, String> clientProperties,
    String topic,
    int maxPollRecords,
    long persistIntervalMs,
    long persistRecords,
    long catchUpPersistIntervalMs,
    long quarantineMaxBytes)
{
    /** Default records a poll returns. */
    public static final int MAX_POLL_RECORDS_DEFAULT = 10_000;
    /** Default least time between two persists of the offsets. */
    public static final long PERSIST_INTERVAL_MS_DEFAULT = 1_000;
    /** Default records after which the offsets are persisted sooner. */
    public static final long PERSIST_RECORDS_DEFAULT = 200_000;
    /**
     * Default least time between two persists while filling the maps (why: {@code ReplicaFollower.checkpointDue},
     * docs/PERFORMANCE.md §12); the kernel's own writeback cleans a page dirty for 30 s anyway.
     */
    public static final long CATCH_UP_PERSIST_INTERVAL_MS_DEFAULT = 30_000;
    /** Default cap of the quarantine file: 16 MiB. */
    public static final long QUARANTINE_MAX_BYTES_DEFAULT = 16L * 1024 * 1024;

    /**
     * Validate.
     */
    public ReplicaSettings
    {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        clientProperties = Map.copyOf(Objects.requireNonNull(clientProperties, "clientProperties"));
        Objects.requireNonNull(topic, "topic");
        if (bootstrapServers.isBlank())
        {
            throw new IllegalArgumentException("kafka-bootstrap: missing (expected: host:port,…) for role replica");
        }
        if (topic.isBlank())
        {
            throw new IllegalArgumentException("replication-topic: empty");
        }
        if (maxPollRecords < 1 || persistIntervalMs < 0 || persistRecords < 1 || catchUpPersistIntervalMs < 0 ||
            quarantineMaxBytes < 0)
        {
            throw new IllegalArgumentException("maxPollRecords: " + maxPollRecords + ", persistIntervalMs: " +
                persistIntervalMs + ", persistRecords: " + persistRecords + ", catchUpPersistIntervalMs: " +
                catchUpPersistIntervalMs + ", quarantineMaxBytes: " + quarantineMaxBytes +
                " (expected: >= 1, >= 0, >= 1, >= 0, >= 0)");
        }
    }

    /**
     * @param bootstrapServers the Kafka cluster.
     * @param clientProperties extra client properties.
     * @param topic            the topic.
     * @return settings with the defaults.
     */
    public static ReplicaSettings of(
        final String bootstrapServers, final Map<String, String> clientProperties, final String topic)
    {
        return new ReplicaSettings(bootstrapServers, clientProperties, topic, MAX_POLL_RECORDS_DEFAULT,
            PERSIST_INTERVAL_MS_DEFAULT, PERSIST_RECORDS_DEFAULT, CATCH_UP_PERSIST_INTERVAL_MS_DEFAULT,
            QUARANTINE_MAX_BYTES_DEFAULT);
    }

    /**
     * @param replication {@code serve}'s replication settings, of a replica.
     * @return the replica's settings, with the extra client properties read from {@code kafka-properties}.
     * @throws IOException when that file cannot be read.
     */
    public static ReplicaSettings from(final ReplicationSettings replication) throws IOException
    {
        return of(replication.bootstrap(), replication.clientProperties(), replication.topic());
    }

    /**
     * @param intervalMs least time between two persists, behind or not.
     * @param records    records after which they are persisted sooner, and how far behind the topic's end the replica
     *                   persists at the catch-up interval instead.
     * @return these settings with that persist rhythm.
     */
    public ReplicaSettings withPersist(final long intervalMs, final long records)
    {
        return new ReplicaSettings(bootstrapServers, clientProperties, topic, maxPollRecords, intervalMs, records,
            intervalMs, quarantineMaxBytes);
    }

    /**
     * @param intervalMs least time between two persists during the first bootstrap and while more than
     *                   {@link #persistRecords()} behind.
     * @return these settings with that catch-up rhythm.
     */
    public ReplicaSettings withCatchUpPersist(final long intervalMs)
    {
        return new ReplicaSettings(bootstrapServers, clientProperties, topic, maxPollRecords, persistIntervalMs,
            persistRecords, intervalMs, quarantineMaxBytes);
    }
}
