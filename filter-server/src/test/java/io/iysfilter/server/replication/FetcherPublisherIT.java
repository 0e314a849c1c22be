package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.ingest.ChangeHandOff;
import io.iysfilter.server.iys.CursorPublication;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fetcher's publisher against a real broker: what it commits is all a read_committed reader sees; a transaction
 * left open by a crash is never seen and the next fetcher's start aborts it; a second fetcher fences the first, whose
 * next commit fails and whose records are never seen; a topic of another partition count is refused.
 */
@Timeout(120)
class FetcherPublisherIT
{
    private static final long BRAND = 600_001;
    private static final long HOUR_MS = 3_600_000;

    @TempDir
    static Path kafkaDir;

    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception
    {
        broker = KafkaBroker.start(kafkaDir);
    }

    @AfterAll
    static void stopBroker()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    private static ReplicationSettings settings(final String topic)
    {
        return new ReplicationSettings(Role.FETCHER, broker.bootstrapServers(), null, topic, 3, (short)1);
    }

    private static ConsentChange consent(final long key0, final long word0)
    {
        return new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, key0, 0, word0, 7);
    }

    private static void awaitSent(final FetcherPublisher publisher, final long sent) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (publisher.sent() < sent)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "sent " + publisher.sent() + " of " + sent);
            Thread.sleep(5);
        }
    }

    @Test
    void shouldCommitChangesWatermarksAndACursorInOnePartitionWithTheCursorLast() throws Exception
    {
        final String topic = "committed";
        final ChangeHandOff handOff = new ChangeHandOff(64);
        try (FetcherPublisher publisher = FetcherPublisher.start(settings(topic), handOff))
        {
            handOff.onChange(consent(1, 100));
            handOff.onChange(consent(2, 200));
            handOff.onWatermark(BRAND, 5_000);
            publisher.publish(BRAND, "HS", "cursor-1", 0);
            assertEquals(0, handOff.pending(), "every slot released once committed");
        }
        final List<TopicReader.Read> read = TopicReader.readCommitted(broker.bootstrapServers(), topic);
        final int partition = TopicRecords.partition(BRAND, 3);
        assertEquals(List.of(
            new TopicReader.Read(partition, 0, TopicRecords.CONSENT, BRAND, "1:1:0", "100:7"),
            new TopicReader.Read(partition, 1, TopicRecords.CONSENT, BRAND, "1:2:0", "200:7"),
            new TopicReader.Read(partition, 2, TopicRecords.WATERMARK, BRAND, "", "5000"),
            new TopicReader.Read(partition, 3, TopicRecords.CURSOR, BRAND, "HS", "cursor-1@0")), inOrder(read));
    }

    /**
     * Offsets in a transactional partition skip the commit markers: number the records by their order instead.
     */
    private static List<TopicReader.Read> inOrder(final List<TopicReader.Read> read)
    {
        final List<TopicReader.Read> numbered = new java.util.ArrayList<>();
        for (final TopicReader.Read one : read)
        {
            numbered.add(new TopicReader.Read(one.partition(), numbered.size(), one.kind(), one.brand(), one.key(),
                one.value()));
        }
        return numbered;
    }

    @Test
    void shouldNeverShowATransactionLeftOpenByACrashAndAbortItWhenTheNextFetcherStarts() throws Exception
    {
        final String topic = "crashed";
        final ChangeHandOff first = new ChangeHandOff(64);
        final FetcherPublisher crashing = FetcherPublisher.start(settings(topic), first, HOUR_MS);
        first.onChange(consent(1, 100));
        crashing.publish(BRAND, "HS", "cursor-1", 0);
        first.onChange(consent(2, 200));
        awaitSent(crashing, 3);
        crashing.crash();
        assertEquals(List.of("1:1:0", "HS"), keys(TopicReader.readCommitted(broker.bootstrapServers(), topic)),
            "the open transaction's change is not visible");

        final ChangeHandOff second = new ChangeHandOff(64);
        try (FetcherPublisher next = FetcherPublisher.start(settings(topic), second))
        {
            second.onChange(consent(3, 300));
            next.publish(BRAND, "HS", "cursor-3", 0);
        }
        assertEquals(List.of("1:1:0", "HS", "1:3:0", "HS"),
            keys(TopicReader.readCommitted(broker.bootstrapServers(), topic)),
            "the next fetcher's start aborted the crashed transaction; its change is never visible");
    }

    @Test
    void shouldStopAFetcherFencedByASecondOneAndNeverShowWhatItSentAfter() throws Exception
    {
        final String topic = "fenced";
        final ChangeHandOff first = new ChangeHandOff(64);
        try (FetcherPublisher zombie = FetcherPublisher.start(settings(topic), first, HOUR_MS))
        {
            first.onChange(consent(1, 100));
            zombie.publish(BRAND, "HS", "cursor-1", 0);
            first.onChange(consent(2, 200));
            awaitSent(zombie, 3);
            assertNull(zombie.trouble());

            final ChangeHandOff second = new ChangeHandOff(64);
            try (FetcherPublisher active = FetcherPublisher.start(settings(topic), second))
            {
                // the zombie wakes up: its commit fails, it stops, and says so
                first.onChange(consent(4, 400));
                final CursorPublication.PublicationStoppedException stopped = assertThrows(
                    CursorPublication.PublicationStoppedException.class,
                    () -> zombie.publish(BRAND, "HS", "cursor-4", 0));
                // a ProducerFencedException says "fenced"; an epoch error the broker may answer a send instead is
                // abortable (KIP-588), and the abort's epoch bump finds the producer fenced: "fenced" too
                assertTrue(stopped.getMessage().startsWith("fenced"), stopped.getMessage());
                assertTrue(zombie.fenced(), zombie.trouble());
                assertThrows(CursorPublication.PublicationStoppedException.class,
                    () -> zombie.publish(BRAND, "HS", "cursor-5", 0), "and refuses every cursor after");
                first.onChange(consent(5, 500));
                assertTrue(first.closed() && first.discarded() >= 1, "the writer no longer waits on it");

                second.onChange(consent(3, 300));
                active.publish(BRAND, "HS", "cursor-3", 0);
            }
        }
        assertEquals(List.of("1:1:0", "HS", "1:3:0", "HS"),
            keys(TopicReader.readCommitted(broker.bootstrapServers(), topic)),
            "nothing the zombie sent after the first commit is ever visible");
    }

    @Test
    void shouldStopWithoutFencingTheNewerFetcherWhenItsAbortFails() throws Exception
    {
        final String topic = "abort-fails";
        final AtomicBoolean failing = new AtomicBoolean();
        final ChangeHandOff first = new ChangeHandOff(64);
        try (FetcherPublisher older = FetcherPublisher.start(settings(topic), first, HOUR_MS,
            (properties) -> new FailingProducer(properties, failing)))
        {
            first.onChange(consent(1, 100));
            older.publish(BRAND, "HS", "cursor-1", 0);
            final ChangeHandOff second = new ChangeHandOff(64);
            try (FetcherPublisher newer = FetcherPublisher.start(settings(topic), second))
            {
                // the older one's commit and abort fail (Kafka unreachable, say): it must not take the id back
                failing.set(true);
                first.onChange(consent(2, 200));
                final CursorPublication.PublicationStoppedException stopped = assertThrows(
                    CursorPublication.PublicationStoppedException.class,
                    () -> older.publish(BRAND, "HS", "cursor-2", 0));
                assertTrue(stopped.getMessage().startsWith("stopped:"), stopped.getMessage());
                assertTrue(!older.fenced() && older.trouble().startsWith("stopped:"), older.trouble());
                assertTrue(first.closed(), "the writer no longer waits on it");

                second.onChange(consent(3, 300));
                newer.publish(BRAND, "HS", "cursor-3", 0);
                assertNull(newer.trouble(), "the newer fetcher was not fenced");
            }
        }
        assertEquals(List.of("1:1:0", "HS", "1:3:0", "HS"),
            keys(TopicReader.readCommitted(broker.bootstrapServers(), topic)));
    }

    @Test
    void shouldAbortAndRetryAfterAnEpochErrorInsteadOfStopping() throws Exception
    {
        final String topic = "epoch-error";
        final AtomicBoolean epochError = new AtomicBoolean();
        final ChangeHandOff handOff = new ChangeHandOff(64);
        try (FetcherPublisher publisher = FetcherPublisher.start(settings(topic), handOff, HOUR_MS,
            (properties) -> new EpochErrorProducer(properties, epochError)))
        {
            handOff.onChange(consent(1, 100));
            epochError.set(true);
            // the transaction timed out on the broker (KIP-588): its commit answers an epoch error, which the client
            // takes as abortable; the cursor waiting on it is refused, the feed retries, nothing stops
            final IOException refused = assertThrows(IOException.class,
                () -> publisher.publish(BRAND, "HS", "cursor-1", 0));
            assertTrue(!(refused instanceof CursorPublication.PublicationStoppedException), refused.toString());
            publisher.publish(BRAND, "HS", "cursor-1", 0);
            assertNull(publisher.trouble(), "an epoch error does not stop the publisher");
            assertTrue(publisher.aborted() >= 1, "the failed transaction was aborted");
        }
        assertEquals(List.of("1:1:0", "HS"), keys(TopicReader.readCommitted(broker.bootstrapServers(), topic)),
            "the aborted transaction's change was sent again and committed with the cursor");
    }

    /**
     * A producer whose next commit answers an epoch error once told to, before reaching the broker.
     */
    private static final class EpochErrorProducer extends KafkaProducer<byte[], byte[]>
    {
        private final AtomicBoolean epochError;

        EpochErrorProducer(final Properties properties, final AtomicBoolean epochError)
        {
            super(properties, new ByteArraySerializer(), new ByteArraySerializer());
            this.epochError = epochError;
        }

        @Override
        public void commitTransaction()
        {
            if (epochError.getAndSet(false))
            {
                throw new InvalidProducerEpochException("injected: the transaction timed out, the epoch was bumped");
            }
            super.commitTransaction();
        }
    }

    /**
     * A producer whose commit and abort fail once told to, before reaching the broker.
     */
    private static final class FailingProducer extends KafkaProducer<byte[], byte[]>
    {
        private final AtomicBoolean failing;

        FailingProducer(final Properties properties, final AtomicBoolean failing)
        {
            super(properties, new ByteArraySerializer(), new ByteArraySerializer());
            this.failing = failing;
        }

        @Override
        public void commitTransaction()
        {
            if (failing.get())
            {
                throw new KafkaException("injected: commit failed");
            }
            super.commitTransaction();
        }

        @Override
        public void abortTransaction()
        {
            if (failing.get())
            {
                throw new KafkaException("injected: abort failed");
            }
            super.abortTransaction();
        }
    }

    @Test
    void shouldCreateACompactedTopicAndRefuseAnExistingOneOfAnotherPartitionCount() throws Exception
    {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            broker.bootstrapServers())))
        {
            admin.createTopics(List.of(new NewTopic("five", 5, (short)1))).all().get(30, TimeUnit.SECONDS);
            final IOException refused = assertThrows(IOException.class,
                () -> FetcherPublisher.start(settings("five"), new ChangeHandOff(8)).close());
            assertTrue(refused.getMessage().contains("has 5 partitions, replication-partitions says 3"),
                refused.getMessage());

            FetcherPublisher.start(settings("created"), new ChangeHandOff(8)).close();
            final var config = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "created"))).all().get(30, TimeUnit.SECONDS);
            assertEquals("compact", config.values().iterator().next().get("cleanup.policy").value());
            assertEquals(3, admin.describeTopics(List.of("created")).allTopicNames().get(30, TimeUnit.SECONDS)
                .get("created").partitions().size());
        }
    }

    private static List<String> keys(final List<TopicReader.Read> read)
    {
        return read.stream().map(TopicReader.Read::key).toList();
    }
}
