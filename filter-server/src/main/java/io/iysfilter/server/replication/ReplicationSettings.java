package io.iysfilter.server.replication;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The replication settings of {@code serve} ({@code role}, {@code kafka-*}, {@code replication-*};
 * docs/REPLICATION.md).
 *
 * @param role              what the server does about the source of truth.
 * @param bootstrap         the Kafka brokers, {@code host:port,…}; null for a standalone server.
 * @param propertiesFile    a file of extra Kafka client properties (TLS, SASL), or null.
 * @param topic             the replication topic.
 * @param partitions        partitions of the topic when the fetcher creates it.
 * @param replicationFactor replicas of each partition when the fetcher creates it.
 */
public record ReplicationSettings(
    Role role, String bootstrap, Path propertiesFile, String topic, int partitions, short replicationFactor)
{
    /** Default topic. */
    public static final String TOPIC_DEFAULT = "iys-filter.changes";
    /** Default partitions of a new topic. */
    public static final int PARTITIONS_DEFAULT = 12;
    /** Default replication factor of a new topic. */
    public static final short REPLICATION_FACTOR_DEFAULT = 3;
    /** A server on its own: follows İYS, publishes nothing, consumes nothing. */
    public static final ReplicationSettings STANDALONE = new ReplicationSettings(
        Role.STANDALONE, null, null, TOPIC_DEFAULT, PARTITIONS_DEFAULT, REPLICATION_FACTOR_DEFAULT);

    /**
     * @param role              the role.
     * @param bootstrap         the brokers; required for a fetcher and a replica.
     * @param propertiesFile    extra client properties, or null.
     * @param topic             the topic, not blank.
     * @param partitions        at least 1.
     * @param replicationFactor at least 1.
     * @throws IllegalArgumentException naming the setting that is missing or wrong.
     */
    public ReplicationSettings
    {
        Objects.requireNonNull(role, "role");
        if (role != Role.STANDALONE && (bootstrap == null || bootstrap.isBlank()))
        {
            throw new IllegalArgumentException("kafka-bootstrap: missing (a " + role.settingName() + " needs the " +
                "Kafka brokers, host:port,...)");
        }
        if (topic == null || topic.isBlank())
        {
            throw new IllegalArgumentException("replication-topic: empty");
        }
        if (partitions < 1)
        {
            throw new IllegalArgumentException("replication-partitions: " + partitions + " (expected: >= 1)");
        }
        if (replicationFactor < 1)
        {
            throw new IllegalArgumentException("replication-factor: " + replicationFactor + " (expected: >= 1)");
        }
    }

    /**
     * The extra Kafka client properties of {@code kafka-properties} (TLS, SASL), read each time it is called: the one
     * reader of that file for the fetcher and the replica alike.
     *
     * @return the file's properties, empty without a file.
     * @throws IOException when the file cannot be read.
     */
    public Map<String, String> clientProperties() throws IOException
    {
        final Map<String, String> properties = new HashMap<>();
        if (propertiesFile != null)
        {
            final Properties file = new Properties();
            try (Reader in = Files.newBufferedReader(propertiesFile, StandardCharsets.UTF_8))
            {
                file.load(in);
            }
            for (final String name : file.stringPropertyNames())
            {
                properties.put(name, file.getProperty(name));
            }
        }
        return properties;
    }

    /**
     * @return the transactional id every fetcher of this topic uses, so that a new fetcher fences the old.
     */
    public String transactionalId()
    {
        return "iys-filter-fetcher." + topic;
    }
}
