package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.DiskFullException;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.IysTime;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica's follower against a real broker: it builds its index from the topic alone (bootstrap), follows new
 * records, resumes from its stored offsets, survives a broker restart, never applies an aborted transaction, sets
 * aside what does not decode or what its writer refuses, refuses a partition count change, and, cut off from the
 * broker, turns STALE past the freshness bound like a cut-off fetcher.
 */
class ReplicaFollowerIT
{
    private static final long BRAND = 600_001;
    private static final long OTHER = 600_002;
    private static final int PARTITIONS = 3;
    private static final String PHONE_ONAY = "+905321000001";
    private static final String PHONE_RET = "+905321000002";
    private static final String MAIL_ONAY = "ayse@example.com";
    private static final String MAIL_RET = "ali@example.com";
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(60);

    @TempDir
    static Path brokerDir;
    private static KafkaBroker broker;
    private static int topics;

    @TempDir
    Path dir;
    private ConsentStore store;
    private IngestPipeline pipeline;
    private RefusingWriter writer;
    private ReplicaFollower follower;
    private TopicFiller filler;
    private String topic;
    private final long nowSec = System.currentTimeMillis() / 1000;
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient parsed = new ParsedRecipient();

    @BeforeAll
    static void startBroker() throws Exception
    {
        broker = KafkaBroker.start(brokerDir);
    }

    @AfterAll
    static void stopBroker()
    {
        broker.close();
    }

    @AfterEach
    void tearDown()
    {
        closeReplica();
        if (filler != null)
        {
            filler.close();
        }
    }

    @Test
    void aReplicaBootstrapsFromTheTopicAloneAndFollowsNewRecords() throws Exception
    {
        newTopic();
        fill();
        filler.cursor(BRAND, TopicRecords.SOURCE_HS, "1700000000000_abc", 1_700_000_000_000L);
        final long watermarkMs = (nowSec - 60) * 1000;
        filler.watermark(BRAND, watermarkMs);
        filler.commit();

        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);

        assertAnswersAsFilled();
        assertEquals(ConsentStatus.NONE, status(OTHER, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_RET));
        assertEquals(watermarkMs, store.brand(BRAND).asOfMs(), "a replica's as-of is the watermark it applied");
        assertEquals("1700000000000_abc", follower.cursor(BRAND, "HS"));
        final ReplicaFollower.BrandStatus status = follower.status(BRAND);
        assertEquals(watermarkMs, status.watermarkMs());
        assertEquals(TopicRecords.partition(BRAND, PARTITIONS), status.partition());
        assertEquals(ReplicaFollower.FOLLOWING, follower.state());

        // follows: a RET after the ONAY, on the phone and the e-mail
        filler.consent(BRAND, IysTime.format(nowSec - 30), PHONE_ONAY, "BIREYSEL", "MESAJ", "RET");
        filler.consent(BRAND, IysTime.format(nowSec - 30), MAIL_ONAY, "BIREYSEL", "EPOSTA", "RET");
        filler.watermark(BRAND, watermarkMs + 30_000);
        filler.commit();
        await(() -> status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY) == ConsentStatus.RET,
            "the new RET reaches the replica");
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_ONAY));
        await(() -> store.brand(BRAND).asOfMs() == watermarkMs + 30_000, "the new watermark is the as-of");
        await(() -> follower.status(BRAND).lagRecords() == 0, "no lag once caught up");
        assertEquals(0, follower.quarantined());
    }

    @Test
    void aRestartResumesFromTheStoredOffsetsAndAnEmptyDataDirectoryBootstrapsAgain() throws Exception
    {
        newTopic();
        fill();
        filler.commit();
        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        assertEquals(4, follower.consents());
        closeReplica();

        final String offsets = Files.readString(dir.resolve("replica/" + ReplicaOffsets.FILE));
        assertTrue(offsets.contains("topic=" + topic + "\n") && offsets.contains("partitions=" + PARTITIONS + "\n"),
            offsets);
        final int partition = TopicRecords.partition(BRAND, PARTITIONS);
        assertTrue(offsets.contains("offset." + partition + "=5\n"), "four records and a commit marker: " + offsets);

        filler.consent(BRAND, IysTime.format(nowSec - 30), PHONE_ONAY, "BIREYSEL", "MESAJ", "RET");
        filler.commit();
        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        assertEquals(1, follower.consents(), "only what followed the stored offsets is read again");
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_ONAY));
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_RET));
    }

    @Test
    void anAbortedTransactionIsNeverAppliedAndAMalformedRecordIsQuarantinedWhileTheNextApply() throws Exception
    {
        newTopic();
        fill();
        filler.commit();
        filler.consent(BRAND, IysTime.format(nowSec - 20), PHONE_ONAY, "BIREYSEL", "MESAJ", "RET");
        filler.abort();
        final int partition = TopicRecords.partition(BRAND, PARTITIONS);
        filler.raw(partition, "not a key".getBytes(StandardCharsets.US_ASCII), new byte[] {1, 2, 3});
        filler.consent(BRAND, IysTime.format(nowSec - 10), PHONE_RET, "BIREYSEL", "ARAMA", "ONAY");
        filler.commit();

        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);

        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_ONAY),
            "the aborted RET was never applied");
        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.ARAMA, RecipientType.BIREYSEL, PHONE_RET),
            "the record after the malformed one applied");
        assertEquals(1, follower.quarantined());
        final String quarantine = Files.readString(dir.resolve("replica/" + ReplicaQuarantine.FILE));
        assertTrue(quarantine.contains("partition=" + partition + " offset=") &&
            quarantine.contains("does not decode") && quarantine.contains("key=6e6f742061206b6579 value=010203"),
            quarantine);
    }

    @Test
    void aRunOfChangesHandedOverTogetherKeepsTheNewestOfEachKeyWhateverTheirOrder() throws Exception
    {
        newTopic();
        // keyed in İYS order (the filler's writer takes each), then queued in another: in one partition, read in
        // one poll and handed to the writer as one run, newer and older records of a key in either order
        final ConsentChange phoneOnay = filler.keyed(BRAND, IysTime.format(nowSec - 3600), PHONE_ONAY, "BIREYSEL",
            "MESAJ", "ONAY");
        final ConsentChange phoneRet = filler.keyed(BRAND, IysTime.format(nowSec - 60), PHONE_ONAY, "BIREYSEL",
            "MESAJ", "RET");
        final ConsentChange mailOldest = filler.keyed(BRAND, IysTime.format(nowSec - 7200), MAIL_ONAY, "BIREYSEL",
            "EPOSTA", "ONAY");
        final ConsentChange mailOnay = filler.keyed(BRAND, IysTime.format(nowSec - 3600), MAIL_ONAY, "BIREYSEL",
            "EPOSTA", "ONAY");
        final ConsentChange mailRet = filler.keyed(BRAND, IysTime.format(nowSec - 60), MAIL_ONAY, "BIREYSEL",
            "EPOSTA", "RET");
        filler.consent(phoneRet);
        filler.consent(phoneOnay);
        filler.consent(mailOnay);
        filler.consent(mailRet);
        filler.consent(mailOldest);
        filler.commit();

        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);

        assertEquals(ConsentStatus.RET, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_ONAY),
            "an older ONAY after the RET in the same run never overwrites it");
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY));
        assertEquals(5, follower.consents());
        assertEquals(0, follower.quarantined());
        closeReplica();
        final String offsets = Files.readString(dir.resolve("replica/" + ReplicaOffsets.FILE));
        assertTrue(offsets.contains("offset." + TopicRecords.partition(BRAND, PARTITIONS) + "=6\n"),
            "five records and a commit marker, every one applied before the offsets were stored: " + offsets);
    }

    @Test
    void aBrandWhoseCreationFailsSendsTheReplicaBackToItsOffsetsAndSetsNothingAside() throws Exception
    {
        newTopic();
        fill();
        final long watermarkMs = (nowSec - 60) * 1000;
        filler.watermark(BRAND, watermarkMs);
        filler.commit();

        // the brand's index cannot be created (the disk is full): its changes, handed over behind the creation
        // without waiting for it, are refused for want of the index; that is the store's failure, not theirs
        openReplica(System::currentTimeMillis, new IOException("disk full: cannot create the maps (test)"));
        await(() -> follower.failures() >= 1 &&
            String.valueOf(follower.lastError()).contains("cannot create the index of brand " + BRAND),
            "going back to the stored offsets after the failed creation");
        assertEquals(0, follower.quarantined(), "never set aside: the changes are applied once the brand exists");
        assertEquals(null, follower.frozen());
        assertFalse(follower.isCaughtUp());

        writer.creationRefusal = null;
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        assertAnswersAsFilled();
        assertEquals(watermarkMs, store.brand(BRAND).asOfMs());
        assertEquals(0, follower.quarantined());
        assertEquals(null, follower.frozen());
    }

    @Test
    void aRetFromTheFutureByTheReplicasClockHoldsTheReplicaAndItsAsOfUntilTheClockReachesIt() throws Exception
    {
        newTopic();
        fill();
        final AtomicLong nowMs = new AtomicLong(nowSec * 1000);
        filler.watermark(BRAND, nowMs.get() - 60_000);
        filler.commit();
        final long aheadSec = 86_400;
        final ConsentChange future = filler.keyed(BRAND, IysTime.format(nowSec - 10), MAIL_ONAY, "BIREYSEL",
            "EPOSTA", "RET");
        // the fetcher's clock was a day ahead of this replica's: its writer took the RET, this one's refuses it
        filler.consent(new ConsentChange().setKeyed(BRAND, future.keyKind(), future.key0(), future.key1(),
            future.word0() + (aheadSec << 32), future.word1()));
        filler.watermark(BRAND, (nowSec + aheadSec) * 1000);
        filler.commit();

        openReplica(nowMs::get);
        await(() -> ReplicaFollower.RETRYING.equals(follower.state()) &&
            String.valueOf(follower.lastError()).contains("from the future"), "holding at the RET from the future");
        assertFalse(follower.isCaughtUp());
        assertEquals(0, follower.quarantined(), "never set aside: a lost RET would leave the ONAY standing");
        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY));
        assertEquals(nowMs.get() - 60_000, store.newLookup().brand(BRAND).asOfMs(),
            "the watermark after the RET did not move the as-of past it");

        nowMs.addAndGet(aheadSec * 1000 + 60_000);
        follower.caughtUp().get(120, TimeUnit.SECONDS);
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY),
            "applied once the replica's clock reached it");
        assertEquals(0, follower.quarantined());
    }

    @Test
    void aChangeTheDiskRefusesHoldsTheAsOfBeforeItUntilTheStoreTakesIt() throws Exception
    {
        newTopic();
        fill();
        final long firstMs = (nowSec - 60) * 1000;
        filler.watermark(BRAND, firstMs);
        filler.commit();
        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        assertEquals(firstMs, store.newLookup().brand(BRAND).asOfMs());

        // the disk is below its reserve: the writer refuses the RET, but a watermark does not check the guard
        writer.refusal = new DiskFullException("disk full: below the reserve (test)");
        filler.consent(BRAND, IysTime.format(nowSec - 30), MAIL_ONAY, "BIREYSEL", "EPOSTA", "RET");
        filler.watermark(BRAND, firstMs + 30_000);
        filler.commit();
        await(() -> follower.failures() >= 2 && String.valueOf(follower.lastError()).contains("disk full"),
            "going back to the stored offsets after the refused RET, twice");
        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY));
        assertEquals(firstMs, store.newLookup().brand(BRAND).asOfMs(),
            "the watermark after the refused RET did not move the as-of past it");
        assertEquals(0, follower.quarantined(), "a store failure is retried, never set aside");

        writer.refusal = null;
        await(() -> store.newLookup().brand(BRAND).asOfMs() == firstMs + 30_000, "applied once the disk takes it");
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY));
        assertEquals(0, follower.quarantined());
    }

    @Test
    void aChangeTheWriterRefusesIsQuarantinedAndFreezesItsBrandsAsOf() throws Exception
    {
        final long same = 600_004;
        newTopic();
        assertEquals(TopicRecords.partition(BRAND, PARTITIONS), TopicRecords.partition(same, PARTITIONS));
        fill();
        final long firstMs = (nowSec - 60) * 1000;
        filler.watermark(BRAND, firstMs);
        filler.watermark(same, firstMs);
        filler.commit();
        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);

        writer.refusedBrand = BRAND;
        writer.refusal = new IllegalStateException("the brand's map is full (test)");
        filler.consent(BRAND, IysTime.format(nowSec - 30), MAIL_ONAY, "BIREYSEL", "EPOSTA", "RET");
        filler.watermark(BRAND, firstMs + 30_000);
        // in the same partition, so read after BRAND's watermark
        filler.watermark(same, firstMs + 30_000);
        filler.commit();
        await(() -> store.newLookup().brand(same).asOfMs() == firstMs + 30_000,
            "another brand of the same partition advances");
        assertEquals(firstMs, store.newLookup().brand(BRAND).asOfMs(),
            "the watermark after the refused RET did not move the as-of past it");
        assertEquals(1, follower.quarantined());
        assertEquals(1, follower.heldWatermarks());
        assertTrue(String.valueOf(follower.status(BRAND).frozen()).contains("map is full"),
            String.valueOf(follower.status(BRAND).frozen()));
        assertEquals(null, follower.status(same).frozen());
        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY));
    }

    @Test
    void aMalformedRecordFreezesTheAsOfOfItsBrandOrPartitionAcrossARestart() throws Exception
    {
        final long third = 600_003;
        newTopic();
        assertEquals(3, java.util.Set.of(TopicRecords.partition(BRAND, PARTITIONS),
            TopicRecords.partition(OTHER, PARTITIONS), TopicRecords.partition(third, PARTITIONS)).size(),
            "three brands in three partitions");
        fill();
        final long firstMs = (nowSec - 100) * 1000;
        watermarks(firstMs, BRAND, OTHER, third);
        filler.commit();
        // a consent record of BRAND whose key decodes but whose value does not; a record in third's partition
        // whose key does not decode at all
        final ConsentChange ret = filler.keyed(BRAND, IysTime.format(nowSec - 90), MAIL_ONAY, "BIREYSEL", "EPOSTA",
            "RET");
        filler.raw(TopicRecords.partition(BRAND, PARTITIONS), new TopicRecords().consentKey(ret),
            new byte[] {1, 2, 3});
        filler.raw(TopicRecords.partition(third, PARTITIONS), "not a key".getBytes(StandardCharsets.US_ASCII),
            new byte[] {4, 5, 6});
        watermarks(firstMs + 10_000, BRAND, OTHER, third);
        filler.commit();

        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        assertEquals(2, follower.quarantined());
        assertFrozen(firstMs, firstMs + 10_000, third);
        assertEquals(2, follower.heldWatermarks());

        watermarks(firstMs + 20_000, BRAND, OTHER, third);
        filler.commit();
        await(() -> follower.heldWatermarks() == 4 && store.newLookup().brand(OTHER).asOfMs() == firstMs + 20_000,
            "the other brand keeps advancing, the frozen ones' watermarks are held");
        assertFrozen(firstMs, firstMs + 20_000, third);
        closeReplica();
        final String offsets = Files.readString(dir.resolve("replica/" + ReplicaOffsets.FILE));
        assertTrue(offsets.contains("frozen.brand." + BRAND + "=") &&
            offsets.contains("frozen.partition." + TopicRecords.partition(third, PARTITIONS) + "="), offsets);

        watermarks(firstMs + 30_000, BRAND, OTHER, third);
        filler.commit();
        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        assertEquals(0, follower.quarantined(), "the malformed records are behind the stored offsets");
        assertFrozen(firstMs, firstMs + 30_000, third);
        assertEquals(2, follower.heldWatermarks(), "still frozen after the restart");
    }

    private void watermarks(final long watermarkMs, final long... brands)
    {
        for (final long brand : brands)
        {
            filler.watermark(brand, watermarkMs);
        }
    }

    private void assertFrozen(final long frozenMs, final long otherMs, final long third)
    {
        assertEquals(frozenMs, store.newLookup().brand(BRAND).asOfMs(), "BRAND's as-of is frozen");
        assertEquals(frozenMs, store.newLookup().brand(third).asOfMs(), "the partition's brands are frozen");
        assertEquals(otherMs, store.newLookup().brand(OTHER).asOfMs(), "another partition's brand advances");
        assertTrue(String.valueOf(follower.status(BRAND).frozen()).contains("does not decode"),
            String.valueOf(follower.status(BRAND).frozen()));
        assertTrue(String.valueOf(follower.status(third).frozen()).contains("does not decode"),
            String.valueOf(follower.status(third).frozen()));
        assertEquals(null, follower.status(OTHER).frozen());
    }

    @Test
    void aBootstrapCheckpointsWhenCaughtUpAndAFollowingReplicaAtTheNearRhythm() throws Exception
    {
        // the clock stands still, so only records set the rhythm: the near one every 500, the catch-up one every
        // 25,000 (50 times as many); a bootstrap of 6,000 records must not checkpoint before it is caught up (the
        // still clock also stops the end offsets' refresh, so the lag reads 0 once caught up: this covers the
        // bootstrap's input to the rhythm, not the lag's)
        newTopic();
        final String earlier = IysTime.format(nowSec - 3600);
        for (int i = 0; i < 6_000; i++)
        {
            filler.consent(BRAND, earlier, String.format("+90532%07d", i), "BIREYSEL", "MESAJ", "ONAY");
        }
        filler.commit();
        final long frozenMs = System.currentTimeMillis();
        // polls of 200 records, so that the bootstrap takes 30 of them and a checkpoint could be begun between them
        openReplica(() -> frozenMs, null, settings -> new ReplicaSettings(settings.bootstrapServers(),
            settings.clientProperties(), settings.topic(), 200, 200, 500, 600_000, settings.quarantineMaxBytes()));
        follower.caughtUp().get(60, TimeUnit.SECONDS);

        assertEquals(1, follower.checkpoints(), "one checkpoint in the bootstrap: the one when it was caught up");
        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, "+905320005999"));

        // following, in batches of 250: a checkpoint per 500 records or so
        for (int batch = 0; batch < 8; batch++)
        {
            for (int i = 0; i < 250; i++)
            {
                filler.consent(BRAND, earlier, String.format("+90533%07d", batch * 250 + i), "BIREYSEL", "MESAJ",
                    "ONAY");
            }
            filler.commit();
            final String last = String.format("+90533%07d", batch * 250 + 249);
            await(() -> status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, last) == ConsentStatus.ONAY,
                "batch " + batch + " applied");
        }
        await(() -> follower.checkpoints() >= 3, "checkpoints at the near rhythm once caught up");
    }

    @Test
    void aBrokerRestartIsSurvived() throws Exception
    {
        newTopic();
        fill();
        filler.commit();
        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);

        broker.restart();
        filler.consent(BRAND, IysTime.format(nowSec - 30), MAIL_ONAY, "BIREYSEL", "EPOSTA", "RET");
        filler.commit();
        await(() -> status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY) == ConsentStatus.RET,
            "a record published after the broker's restart reaches the replica");
    }

    @Test
    void aReplicaCutOffFromKafkaTurnsStalePastTheBoundLikeACutOffFetcher() throws Exception
    {
        newTopic();
        fill();
        final AtomicLong nowMs = new AtomicLong(nowSec * 1000);
        final long watermarkMs = nowMs.get() - 1_000;
        filler.watermark(BRAND, watermarkMs);
        filler.commit();
        openReplica(nowMs::get);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        final BrandState brand = store.newLookup().brand(BRAND);
        final long boundMs = brand.freshnessBoundMs();
        assertEquals(watermarkMs, brand.asOfMs());
        assertFalse(ConsentFilter.isStale(brand, nowMs.get()));

        broker.stop();
        try
        {
            nowMs.set(watermarkMs + boundMs);
            assertFalse(ConsentFilter.isStale(brand, nowMs.get()), "at the bound: still fresh");
            nowMs.set(watermarkMs + boundMs + 1);
            assertTrue(ConsentFilter.isStale(brand, nowMs.get()), "past the bound with no watermark: STALE");
            final long lagMs = follower.status(BRAND).lagMs();
            assertTrue(lagMs >= boundMs - 2_000, "lagMs grows while the broker is away: " + lagMs);
        }
        finally
        {
            broker.restart();
        }
    }

    @Test
    void aPartitionCountChangeIsRefusedWithTheReason() throws Exception
    {
        newTopic();
        fill();
        filler.commit();
        Files.createDirectories(dir.resolve("replica"));
        ReplicaOffsets.write(dir.resolve("replica"), topic, new long[] {0, 0}, Map.of());
        openReplica(System::currentTimeMillis);
        await(() -> ReplicaFollower.REFUSED.equals(follower.state()), "refused");
        assertTrue(follower.lastError().contains("has 3 partitions where this replica's offsets were taken on 2"),
            follower.lastError());
        assertFalse(follower.isCaughtUp());
        assertEquals(0, follower.consents());
    }

    @Test
    void aTopicCreatedAgainUnderItsNameIsReadFromTheBeginningNotFromTheOldTopicsOffsets() throws Exception
    {
        newTopic();
        fill();
        filler.watermark(BRAND, (nowSec - 120) * 1000);
        filler.commit();
        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        closeReplica();
        final ReplicaOffsets.State old = ReplicaOffsets.read(dir.resolve("replica"));
        final Map<String, Object> client = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            broker.bootstrapServers());
        assertEquals(TopicIds.of(client, topic), old.topicId(), "the offsets name the topic's id");
        final int partition = TopicRecords.partition(BRAND, PARTITIONS);
        final long oldOffset = old.offsets().get(partition);

        // the topic is deleted and created again (empty) under its name, then filled with more records than the
        // old one held: the RET at its start lies before the old topic's stored offset of that partition
        filler.close();
        try (Admin admin = Admin.create(client))
        {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        }
        await(() -> describeQuietly(client) == null, "the topic is gone");
        final long createdNs = System.nanoTime();
        while (true)
        {
            try
            {
                filler = new TopicFiller(broker.bootstrapServers(), topic, PARTITIONS, dir.resolve("fetcher-2"));
                break;
            }
            catch (final Exception ex)
            {
                // the broker may still be deleting the old one's logs
                assertTrue(System.nanoTime() - createdNs < DEADLINE_NS, "cannot create the topic again: " + ex);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
        assertNotNull(describeQuietly(client));
        assertFalse(old.topicId().equals(describeQuietly(client)), "created again: another id");
        filler.consent(BRAND, IysTime.format(nowSec - 30), PHONE_ONAY, "BIREYSEL", "MESAJ", "RET");
        for (int i = 0; i <= oldOffset; i++)
        {
            filler.watermark(BRAND, (nowSec - 100 + i) * 1000);
        }
        filler.commit();

        openReplica(System::currentTimeMillis);
        follower.caughtUp().get(60, TimeUnit.SECONDS);
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_ONAY),
            "the new topic's first record was read: its offsets did not come from the old topic");
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_RET),
            "the index kept holds what the new topic lacks");
        closeReplica();
        assertEquals(describeQuietly(client), ReplicaOffsets.read(dir.resolve("replica")).topicId(),
            "the offsets now name the new topic's id");
    }

    private String describeQuietly(final Map<String, Object> client)
    {
        try
        {
            return TopicIds.of(client, topic);
        }
        catch (final IOException ex)
        {
            return "unknown: " + ex;
        }
    }

    private void newTopic() throws Exception
    {
        topic = "changes-" + (++topics);
        filler = new TopicFiller(broker.bootstrapServers(), topic, PARTITIONS, dir.resolve("fetcher"));
    }

    /**
     * ONAY and RET for a phone and an e-mail of {@link #BRAND}.
     */
    private void fill()
    {
        final String earlier = IysTime.format(nowSec - 3600);
        filler.consent(BRAND, earlier, PHONE_ONAY, "BIREYSEL", "MESAJ", "ONAY");
        filler.consent(BRAND, earlier, PHONE_RET, "BIREYSEL", "MESAJ", "RET");
        filler.consent(BRAND, earlier, MAIL_ONAY, "BIREYSEL", "EPOSTA", "ONAY");
        filler.consent(BRAND, earlier, MAIL_RET, "BIREYSEL", "EPOSTA", "RET");
    }

    private void assertAnswersAsFilled()
    {
        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_ONAY));
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, PHONE_RET));
        assertEquals(ConsentStatus.ONAY, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_ONAY));
        assertEquals(ConsentStatus.RET, status(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MAIL_RET));
        assertEquals(ConsentStatus.NONE, status(BRAND, Channel.ARAMA, RecipientType.BIREYSEL, PHONE_ONAY));
        assertEquals(ConsentStatus.NONE, status(BRAND, Channel.EPOSTA, RecipientType.TACIR, MAIL_ONAY));
    }

    private void openReplica(final LongSupplier clock) throws Exception
    {
        openReplica(clock, null);
    }

    /**
     * @param creationRefusal what the writer throws at each brand's creation from the start, or null.
     */
    private void openReplica(final LongSupplier clock, final IOException creationRefusal) throws Exception
    {
        openReplica(clock, creationRefusal, settings -> settings);
    }

    /**
     * @param creationRefusal what the writer throws at each brand's creation from the start, or null.
     * @param settings        changes the settings, which persist every 200 ms or 1,000 records.
     */
    private void openReplica(
        final LongSupplier clock, final IOException creationRefusal, final UnaryOperator<ReplicaSettings> settings)
        throws Exception
    {
        final IndexOptions options = TestKeys.options(10_000).withClock(clock);
        store = ConsentStore.open(dir.resolve("replica"), options);
        writer = new RefusingWriter(store.writer());
        writer.creationRefusal = creationRefusal;
        pipeline = new IngestPipeline(writer, 1024);
        follower = new ReplicaFollower(settings.apply(ReplicaSettings.of(broker.bootstrapServers(), Map.of(), topic)
            .withPersist(200, 1_000)), store, pipeline, clock).start();
    }

    private void closeReplica()
    {
        if (follower != null)
        {
            follower.close();
            pipeline.close();
            store.close();
            follower = null;
        }
    }

    private int status(final long brandCode, final Channel channel, final RecipientType type, final String recipient)
    {
        final IndexLookup lookup = store.newLookup();
        final BrandState brand = lookup.brand(brandCode);
        if (brand == null)
        {
            return ConsentStatus.NONE;
        }
        parser.parse(recipient, parsed);
        return lookup.status(brand, channel, type, parsed);
    }

    /**
     * The store's writer, refusing the changes of a brand (any brand when 0) while {@link #refusal} is set, as a full
     * disk or a full map would.
     */
    private static final class RefusingWriter implements ConsentIndexWriter
    {
        private final ConsentIndexWriter delegate;
        volatile RuntimeException refusal;
        volatile long refusedBrand;
        volatile IOException creationRefusal;

        RefusingWriter(final ConsentIndexWriter delegate)
        {
            this.delegate = delegate;
        }

        private void refuse(final ConsentChange change)
        {
            final RuntimeException current = refusal;
            if (current != null && (refusedBrand == 0 || refusedBrand == change.brandCode()))
            {
                throw current;
            }
        }

        @Override
        public BrandIndex createBrand(final long brandCode) throws IOException
        {
            final IOException current = creationRefusal;
            if (current != null)
            {
                throw current;
            }
            return delegate.createBrand(brandCode);
        }

        @Override
        public int apply(final ConsentChange change)
        {
            refuse(change);
            return delegate.apply(change);
        }

        @Override
        public int applyTelling(final ConsentChange change)
        {
            refuse(change);
            return delegate.applyTelling(change);
        }

        @Override
        public void advanceWatermark(final long brandCode, final long watermarkMs)
        {
            delegate.advanceWatermark(brandCode, watermarkMs);
        }

        @Override
        public DiskSpaceGuard diskSpace()
        {
            return delegate.diskSpace();
        }

        @Override
        public void checkpoint()
        {
            delegate.checkpoint();
        }

        @Override
        public void faulted(final String cause)
        {
            delegate.faulted(cause);
        }
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + DEADLINE_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "timed out: " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        assertNotNull(what);
    }
}
