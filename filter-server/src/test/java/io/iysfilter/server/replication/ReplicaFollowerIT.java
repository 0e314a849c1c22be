package io.iysfilter.server.replication;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

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
        final IndexOptions options = TestKeys.options(10_000).withClock(clock);
        store = ConsentStore.open(dir.resolve("replica"), options);
        pipeline = new IngestPipeline(store.writer(), 1024);
        follower = new ReplicaFollower(ReplicaSettings.of(broker.bootstrapServers(), Map.of(), topic)
            .withPersist(200, 1_000), store, pipeline, clock).start();
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
