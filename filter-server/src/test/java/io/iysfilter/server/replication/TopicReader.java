package io.iysfilter.server.replication;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads a replication topic as a replica would (read_committed, every partition assigned, no group), decoding each
 * record with {@link TopicRecords}: a record it cannot decode fails the test.
 */
final class TopicReader
{
    /**
     * One decoded record.
     *
     * @param partition its partition.
     * @param offset    its offset.
     * @param kind      {@link TopicRecords#CONSENT}, {@code WATERMARK} or {@code CURSOR}.
     * @param brand     its brand.
     * @param key       for a consent {@code keyKind:key0:key1}, for a cursor its source's name, else empty.
     * @param value     for a consent {@code word0:word1}, a watermark its ms, a cursor {@code cursor@acceptedMs}.
     */
    record Read(int partition, long offset, int kind, long brand, String key, String value)
    {
    }

    private TopicReader()
    {
    }

    /**
     * @param bootstrap the brokers.
     * @param topic     the topic.
     * @return every committed record, partition by partition, in offset order.
     */
    static List<Read> readCommitted(final String bootstrap, final String topic)
    {
        final TopicRecords records = new TopicRecords();
        final List<Read> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer()))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo info : consumer.partitionsFor(topic))
            {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // read_committed: the end is the last stable offset, before any transaction still open
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch((p) -> consumer.position(p) < ends.get(p)))
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "read " + read.size() + " records, ends " + ends);
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200)))
                {
                    final int kind = records.decode(record.key(), record.value());
                    final String key = kind == TopicRecords.CONSENT ?
                        records.keyKind() + ":" + records.key0() + ":" + records.key1() :
                        kind == TopicRecords.CURSOR ? TopicRecords.sourceName(records.source()) : "";
                    final String value = kind == TopicRecords.CONSENT ? records.word0() + ":" + records.word1() :
                        kind == TopicRecords.WATERMARK ? Long.toString(records.watermarkMs()) :
                        records.cursor() + "@" + records.acceptedMs();
                    read.add(new Read(record.partition(), record.offset(), kind, records.brand(), key, value));
                }
            }
        }
        read.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition()) :
            Long.compare(a.offset(), b.offset()));
        return read;
    }
}
