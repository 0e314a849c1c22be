package io.iysfilter.server.replication;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.ConsentRecordParser;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Fills a replication topic as a fetcher would: İYS records applied to a scratch fetcher-side index under the tests'
 * index key, each applied change published keyed by what that writer derived ({@code keyKind/key0/key1}), in
 * transactions of a transactional producer. For tests only.
 */
final class TopicFiller implements AutoCloseable
{
    private final String topic;
    private final int partitions;
    private final ConsentStore fetcherStore;
    private final ConsentIndexWriter writer;
    private final ConsentRecordParser parser = new ConsentRecordParser();
    private final TopicRecords records = new TopicRecords();
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<ProducerRecord<byte[], byte[]>> pending = new ArrayList<>();
    private final Set<Long> brands = new HashSet<>();
    private long transaction;

    /**
     * Create the topic (compacted, replication factor 1) and the producer.
     *
     * @param bootstrap  the broker.
     * @param topic      the topic to create.
     * @param partitions its partition count.
     * @param scratch    a directory for the fetcher-side index.
     * @throws Exception when the topic cannot be created.
     */
    TopicFiller(final String bootstrap, final String topic, final int partitions, final Path scratch)
        throws Exception
    {
        this.topic = topic;
        this.partitions = partitions;
        createTopic(bootstrap, topic, partitions);
        fetcherStore = ConsentStore.open(scratch, TestKeys.options(10_000));
        writer = fetcherStore.writer();
        producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-fetcher." + topic,
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.LINGER_MS_CONFIG, 5), new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
    }

    static void createTopic(final String bootstrap, final String topic, final int partitions) throws Exception
    {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap)))
        {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short)1)
                .configs(Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Key one İYS record as a fetcher's writer does and queue its consent record.
     *
     * @param brand     brand code.
     * @param creation  İYS creationDate.
     * @param recipient phone or e-mail.
     * @param type      BIREYSEL or TACIR.
     * @param channel   MESAJ, ARAMA or EPOSTA.
     * @param status    ONAY or RET.
     * @return the keyed change queued.
     */
    ConsentChange consent(final long brand, final String creation, final String recipient, final String type,
        final String channel, final String status)
    {
        final ConsentChange keyed = keyed(brand, creation, recipient, type, channel, status);
        pending.add(new ProducerRecord<>(topic, TopicRecords.partition(brand, partitions), records.consentKey(keyed),
            records.consentValue(keyed)));
        return keyed;
    }

    /**
     * @return the change as a fetcher's writer keyed it, without queueing anything.
     */
    ConsentChange keyed(final long brand, final String creation, final String recipient, final String type,
        final String channel, final String status)
    {
        try
        {
            if (brands.add(brand))
            {
                writer.createBrand(brand);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        final ConsentChange change = new ConsentChange();
        final boolean tacir = "TACIR".equals(type);
        final String error = parser.parse(brand, creation, String.format(Locale.ROOT, "%064x", ++transaction),
            recipient, type, channel, status, tacir ? "" : creation, tacir ? "" : "HS_WEB", change);
        assertNull(error, error);
        final int outcome = writer.apply(change);
        assertEquals(ConsentIndexWriter.APPLIED, outcome, "the fetcher-side writer applies " + recipient);
        return new ConsentChange().setKeyed(brand, change.keyKind(), change.key0(), change.key1(), change.word0(),
            change.word1());
    }

    /**
     * Queue a keyed change as it is (e.g. one from the future, which a fetcher's writer would not have applied).
     */
    void consent(final ConsentChange keyed)
    {
        pending.add(new ProducerRecord<>(topic, TopicRecords.partition(keyed.brandCode(), partitions),
            records.consentKey(keyed), records.consentValue(keyed)));
    }

    void watermark(final long brand, final long watermarkMs)
    {
        pending.add(new ProducerRecord<>(topic, TopicRecords.partition(brand, partitions), records.watermarkKey(brand),
            records.watermarkValue(brand, watermarkMs)));
    }

    void cursor(final long brand, final int source, final String cursor, final long acceptedMs)
    {
        pending.add(new ProducerRecord<>(topic, TopicRecords.partition(brand, partitions),
            records.cursorKey(brand, source), records.cursorValue(brand, source, cursor, acceptedMs)));
    }

    void raw(final int partition, final byte[] key, final byte[] value)
    {
        pending.add(new ProducerRecord<>(topic, partition, key, value));
    }

    /**
     * Send what is queued in one transaction and commit it.
     */
    void commit() throws Exception
    {
        send();
        producer.commitTransaction();
    }

    /**
     * Send what is queued in one transaction and abort it: no read_committed reader sees it.
     */
    void abort() throws Exception
    {
        send();
        producer.abortTransaction();
    }

    private void send() throws Exception
    {
        producer.beginTransaction();
        for (final ProducerRecord<byte[], byte[]> record : pending)
        {
            producer.send(record);
        }
        producer.flush();
        pending.clear();
    }

    @Override
    public void close()
    {
        producer.close();
        fetcherStore.close();
    }
}
