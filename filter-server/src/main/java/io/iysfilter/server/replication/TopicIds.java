package io.iysfilter.server.replication;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A topic's Kafka id: a topic deleted and created again under the same name gets a new one. A replica compares it
 * with the id its offsets were read from, a fetcher with the id its index was last published to
 * (docs/REPLICATION.md §2 and §3.3).
 */
final class TopicIds
{
    private static final long TIMEOUT_S = 60;

    private TopicIds()
    {
    }

    /**
     * @param clientConfig the Kafka client's settings (brokers, TLS, SASL).
     * @param topic        the topic.
     * @return its id, or null when it does not exist.
     * @throws IOException when the brokers do not answer in time.
     */
    static String of(final Map<String, Object> clientConfig, final String topic) throws IOException
    {
        try (Admin admin = Admin.create(clientConfig))
        {
            return of(admin, topic);
        }
    }

    /**
     * @param clientConfig the Kafka client's settings (brokers, TLS, SASL).
     * @param topic        an existing topic.
     * @return whether no partition of it holds a record (every end offset is 0).
     * @throws IOException when the brokers do not answer in time.
     */
    static boolean isEmpty(final Map<String, Object> clientConfig, final String topic) throws IOException
    {
        try (Admin admin = Admin.create(clientConfig))
        {
            final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(TIMEOUT_S, TimeUnit.SECONDS).get(topic);
            final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            description.partitions().forEach((p) -> latest.put(new TopicPartition(topic, p.partition()),
                OffsetSpec.latest()));
            for (final ListOffsetsResult.ListOffsetsResultInfo end : admin.listOffsets(latest).all()
                .get(TIMEOUT_S, TimeUnit.SECONDS).values())
            {
                if (end.offset() > 0)
                {
                    return false;
                }
            }
            return true;
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new IOException("cannot read the end offsets of the replication topic " + topic + ": " + ex, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading the end offsets of the replication topic " + topic, ex);
        }
    }

    /**
     * @param admin an open Admin client.
     * @param topic the topic.
     * @return its id, or null when it does not exist.
     * @throws IOException when the brokers do not answer in time.
     */
    static String of(final Admin admin, final String topic) throws IOException
    {
        try
        {
            final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(TIMEOUT_S, TimeUnit.SECONDS).get(topic);
            return description == null ? null : description.topicId().toString();
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof UnknownTopicOrPartitionException)
            {
                return null;
            }
            throw new IOException("cannot describe the replication topic " + topic + ": " + ex.getCause(), ex);
        }
        catch (final TimeoutException ex)
        {
            throw new IOException("cannot describe the replication topic " + topic + " within " + TIMEOUT_S + " s",
                ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted describing the replication topic " + topic, ex);
        }
    }
}
