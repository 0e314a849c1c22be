package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.ingest.IngestPipeline;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 point 5: a replica started from empty after a million changes bootstraps from the topic and converges.
 * A plain producer fills a topic with {@link #CHANGES} consent records of three brands as a fetcher publishes them
 * (keyed by the protected index key, coded by {@link TopicRecords}, each brand in its partition): every key once,
 * one key in ten then replaced by a newer RET, one in twenty followed by an older record that must not win, and
 * watermarks between. A replica with an empty data directory then reads it all; once caught up, every brand holds
 * exactly its distinct keys, every sampled key holds the newest record the topic has for it, and each brand's as-of
 * is its last watermark.
 * <p>
 * The number of changes can be raised with {@code -Diys.bootstrap.changes=N} (at least 1,000,000 here).
 */
class ReplicaBootstrapIT
{
    private static final int CHANGES = Math.max(1_000_000, Integer.getInteger("iys.bootstrap.changes", 0));
    private static final long[] BRANDS = {700_001, 700_002, 700_003};
    private static final int PARTITIONS = 12;
    private static final String TOPIC = "iys-filter.bootstrap";
    private static final int SAMPLE_EVERY = 61;

    @TempDir
    Path dir;

    @Test
    void aReplicaStartedFromEmptyAfterAMillionChangesBootstrapsAndConverges() throws Exception
    {
        final long nowSec = System.currentTimeMillis() / 1000;
        final Changes changes = new Changes(CHANGES, nowSec - 86_400);
        final long lastWatermarkMs = (nowSec - 60) * 1000;
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker")))
        {
            TopicFiller.createTopic(broker.bootstrapServers(), TOPIC, PARTITIONS);
            final long fillNs = System.nanoTime();
            final long records = fill(broker.bootstrapServers(), changes, lastWatermarkMs);
            System.out.printf("filled %,d records (%,d consents of %,d keys) in %.1f s%n", records,
                changes.records(), changes.keys(), (System.nanoTime() - fillNs) / 1e9);

            final long entries = changes.keysPerBrand() + changes.keysPerBrand() / 2;
            try (ConsentStore store = ConsentStore.open(dir.resolve("replica"), TestKeys.options(entries));
                IngestPipeline pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE))
            {
                final long startNs = System.nanoTime();
                final ReplicaFollower follower = new ReplicaFollower(ReplicaSettings.of(broker.bootstrapServers(),
                    Map.of(), TOPIC), store, pipeline, System::currentTimeMillis).start();
                try
                {
                    follower.caughtUp().get(240, TimeUnit.SECONDS);
                    final double seconds = (System.nanoTime() - startNs) / 1e9;
                    System.out.printf("replica bootstrapped %,d records in %.2f s: %,.0f records/s%n", records,
                        seconds, records / seconds);
                    assertEquals(0, follower.quarantined());
                    assertEquals(0, follower.failures(), follower.lastError());
                    assertEquals(ReplicaFollower.FOLLOWING, follower.state());
                    assertEquals(0, follower.lagRecords());
                    assertTrue(follower.consents() >= changes.keys() && follower.consents() <= changes.records(),
                        "consent records read: " + follower.consents());
                    assertConverged(store, changes, lastWatermarkMs);
                }
                finally
                {
                    follower.close();
                }
            }
        }
    }

    private static void assertConverged(final ConsentStore store, final Changes changes, final long lastWatermarkMs)
    {
        for (final long brand : BRANDS)
        {
            final BrandIndex index = store.brand(brand);
            assertEquals(changes.keysOf(brand), index.entries(), "every distinct key of brand " + brand);
            assertEquals(lastWatermarkMs, index.asOfMs(), "the as-of of brand " + brand + " is its last watermark");
        }
        final IndexLookup lookup = store.newLookup();
        final ConsentChange probe = new ConsentChange();
        final long[] words = new long[2];
        int sampled = 0;
        for (int key = 0; key < changes.keys(); key += SAMPLE_EVERY)
        {
            changes.newest(key, probe);
            assertTrue(lookup.storedValue(probe, words), "key " + key + " is in the index");
            assertEquals(probe.word0(), words[0], "key " + key + ": word0 of the newest record");
            assertEquals(probe.word1(), words[1], "key " + key + ": word1 of the newest record");
            sampled++;
        }
        assertTrue(sampled > 10_000, "sampled " + sampled);
    }

    private static long fill(final String bootstrap, final Changes changes, final long lastWatermarkMs)
    {
        final TopicRecords records = new TopicRecords();
        final ConsentChange change = new ConsentChange();
        long sent = 0;
        // a record the producer gave up on would be missing from the topic and look like a key the replica lost:
        // every send is checked. Not idempotent: on a topic just created the broker may answer the idempotent
        // producer's first batches OUT_OF_ORDER_SEQUENCE_NUMBER, which on a busy machine it retried until its
        // delivery timeout dropped them; one request in flight a connection keeps each partition in order instead
        final AtomicReference<Exception> failed = new AtomicReference<>();
        final Callback sendChecked = (metadata, exception) ->
        {
            if (exception != null)
            {
                failed.compareAndSet(null, exception);
            }
        };
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
            ProducerConfig.LINGER_MS_CONFIG, 20,
            ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
            ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024), new ByteArraySerializer(),
            new ByteArraySerializer()))
        {
            for (int i = 0; i < changes.records(); i++)
            {
                changes.record(i, change);
                producer.send(new ProducerRecord<>(TOPIC, TopicRecords.partition(change.brandCode(), PARTITIONS),
                    records.consentKey(change), records.consentValue(change)), sendChecked);
                sent++;
                if (i == changes.records() / 2)
                {
                    // an earlier watermark in the middle of the stream, replaced by the last one
                    for (final long brand : BRANDS)
                    {
                        producer.send(watermark(records, brand, lastWatermarkMs - 3_600_000), sendChecked);
                        sent++;
                    }
                }
            }
            for (final long brand : BRANDS)
            {
                producer.send(watermark(records, brand, lastWatermarkMs), sendChecked);
                sent++;
            }
            producer.flush();
        }
        assertNull(failed.get(), () -> "the topic is not filled: " + failed.get());
        return sent;
    }

    private static ProducerRecord<byte[], byte[]> watermark(
        final TopicRecords records, final long brand, final long watermarkMs)
    {
        return new ProducerRecord<>(TOPIC, TopicRecords.partition(brand, PARTITIONS), records.watermarkKey(brand),
            records.watermarkValue(brand, watermarkMs));
    }

    /**
     * The changes of the run, computed from their number alone, so the test knows what each key's newest record is
     * without keeping a million of them. Record {@code i < keys} is key {@code i}'s first record (ONAY); after them,
     * one key in ten gets a newer RET and one in twenty an older ONAY, which last-writer-wins must refuse.
     */
    private static final class Changes
    {
        private final int keys;
        private final int updates;
        private final int stale;
        private final long baseSec;

        Changes(final int records, final long baseSec)
        {
            // keys + keys / 10 + keys / 20 records at least
            int k = (int)(records / 1.15);
            while (k + k / 10 + k / 20 < records)
            {
                k++;
            }
            this.keys = k;
            this.updates = k / 10;
            this.stale = k / 20;
            this.baseSec = baseSec;
        }

        int keys()
        {
            return keys;
        }

        int records()
        {
            return keys + updates + stale;
        }

        long keysPerBrand()
        {
            return keys / BRANDS.length + 1;
        }

        long keysOf(final long brand)
        {
            long count = 0;
            for (int b = 0; b < BRANDS.length; b++)
            {
                if (BRANDS[b] == brand)
                {
                    count = keys / BRANDS.length + (b < keys % BRANDS.length ? 1 : 0);
                }
            }
            return count;
        }

        void record(final int i, final ConsentChange change)
        {
            if (i < keys)
            {
                fill(i, 0, change);
            }
            else if (i < keys + updates)
            {
                fill((i - keys) * 10, 1, change);
            }
            else
            {
                fill((i - keys - updates) * 20, -1, change);
            }
        }

        /**
         * The newest record the topic has for a key.
         */
        void newest(final int key, final ConsentChange change)
        {
            fill(key, key % 10 == 0 && key / 10 < updates ? 1 : 0, change);
        }

        /**
         * @param generation 0 the first record, 1 the newer RET, -1 the older ONAY.
         */
        private void fill(final int key, final int generation, final ConsentChange change)
        {
            final long brand = BRANDS[key % BRANDS.length];
            final long creationSec = baseSec + key % 40_000 + generation * 3_600L;
            final long txDigest = mix(key * 3L + generation + 1) & 0xFFFF_FFFF_FFFFL;
            final int status = generation == 1 ? 2 : 1;
            final long word0 = ConsentValueDescriptor.word0(creationSec, txDigest);
            final long word1 = ConsentValueDescriptor.word1(txDigest, status, creationSec, 1, 0);
            if (key % 4 == 0)
            {
                change.setKeyed(brand, ConsentChange.KEY_EMAIL, mix(key), mix(~key), word0, word1);
            }
            else
            {
                change.setKeyed(brand, ConsentChange.KEY_PHONE, mix(key), 0, word0, word1);
            }
        }

        private static long mix(final long value)
        {
            long z = value + 0x9E37_79B9_7F4A_7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
            return z ^ (z >>> 31);
        }
    }
}
