package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The test broker the replication tests stand on: a committed record is read back, and still there after the
 * broker restarts on its data.
 */
class KafkaBrokerIT
{
    @TempDir
    Path dir;

    @Test
    void aCommittedRecordSurvivesABrokerRestart() throws Exception
    {
        try (KafkaBroker broker = KafkaBroker.start(dir))
        {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers())))
            {
                admin.createTopics(List.of(new NewTopic("t", 1, (short)1))).all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer()))
            {
                producer.send(new ProducerRecord<>("t", "k", "v")).get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of("k=v"), readAll(broker));

            broker.restart();

            assertEquals(List.of("k=v"), readAll(broker));
        }
    }

    private static List<String> readAll(final KafkaBroker broker)
    {
        final TopicPartition partition = new TopicPartition("t", 0);
        final List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringDeserializer(), new StringDeserializer()))
        {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            final long end = consumer.endOffsets(List.of(partition)).get(partition);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(partition) < end)
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "read " + seen + " of " + end);
                for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200)))
                {
                    seen.add(record.key() + "=" + record.value());
                }
            }
        }
        return seen;
    }
}
