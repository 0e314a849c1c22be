package io.iysfilter.server.replication;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a replica checkpoints (forces the maps and writes its offsets): once caught up and near the topic's end, every
 * second or 200,000 records; during its first bootstrap and while further behind, every 30 s or 10,000,000 records
 * (a bootstrap forcing every second made nearly every change a page fault); after a failure, at the near rhythm until
 * a checkpoint lands.
 */
class ReplicaPersistRhythmTest
{
    private static final boolean BOOTSTRAPPING = true;
    private static final boolean CAUGHT_UP = false;
    private static final boolean RETRIED = true;
    private static final boolean NOT_RETRIED = false;

    private final ReplicaSettings settings = ReplicaSettings.of("127.0.0.1:9092", Map.of(), "topic");
    private final long records = settings.persistRecords();
    private final long intervalMs = settings.persistIntervalMs();
    private final long catchUpMs = settings.catchUpPersistIntervalMs();

    @Test
    void nearTheEndACheckpointIsDueAfterTheIntervalOrTheRecords()
    {
        assertFalse(due(1, intervalMs - 1, CAUGHT_UP, NOT_RETRIED, 0));
        assertTrue(due(1, intervalMs, CAUGHT_UP, NOT_RETRIED, 0));
        assertTrue(due(records, 0, CAUGHT_UP, NOT_RETRIED, records), "the records threshold");
        assertFalse(due(0, intervalMs * 100, CAUGHT_UP, NOT_RETRIED, 0), "nothing read, nothing to write");
    }

    @Test
    void farBehindACheckpointWaitsForTheCatchUpIntervalOrFiftyTimesTheRecords()
    {
        assertTrue(catchUpMs >= 30_000, "the kernel's own writeback interval at least: " + catchUpMs);
        final long behind = records + 1;
        assertFalse(due(records * 10, catchUpMs - 1, CAUGHT_UP, NOT_RETRIED, behind));
        assertFalse(due(1, intervalMs, CAUGHT_UP, NOT_RETRIED, behind));
        assertTrue(due(1, catchUpMs, CAUGHT_UP, NOT_RETRIED, behind));
        assertTrue(due(records * 50, 0, CAUGHT_UP, NOT_RETRIED, behind),
            "what a kill replays stays bounded, whatever the wall clock does");
    }

    @Test
    void aRecordsThresholdOfNeverStaysNeverBehindToo()
    {
        final ReplicaSettings byTimeOnly = settings.withPersist(intervalMs, Long.MAX_VALUE)
            .withCatchUpPersist(catchUpMs);
        assertFalse(ReplicaFollower.checkpointDue(byTimeOnly, Long.MAX_VALUE / 2, 0, BOOTSTRAPPING, NOT_RETRIED, 0),
            "fifty times Long.MAX_VALUE records must not wrap into a threshold already passed");
        assertTrue(ReplicaFollower.checkpointDue(byTimeOnly, 1, catchUpMs, BOOTSTRAPPING, NOT_RETRIED, 0));
    }

    @Test
    void theFirstBootstrapKeepsTheCatchUpRhythmToItsEndItsOwnCheckpointEndsIt()
    {
        assertFalse(due(records, intervalMs, BOOTSTRAPPING, NOT_RETRIED, 0), "its lag is not asked for");
        assertFalse(due(records * 10, catchUpMs - 1, BOOTSTRAPPING, NOT_RETRIED, 0));
        assertTrue(due(1, catchUpMs, BOOTSTRAPPING, NOT_RETRIED, 0));
    }

    @Test
    void afterAFailureTheNearRhythmMovesTheStoredOffsetsUpToWhatFailed()
    {
        assertTrue(due(1, intervalMs, BOOTSTRAPPING, RETRIED, 0));
        assertTrue(due(records, 0, CAUGHT_UP, RETRIED, records * 100));
        assertFalse(due(1, intervalMs - 1, CAUGHT_UP, RETRIED, records * 100));
    }

    @Test
    void testsThatPersistOftenKeepDoingSoBehindToo()
    {
        final ReplicaSettings often = settings.withPersist(20, 5_000);
        assertTrue(ReplicaFollower.checkpointDue(often, 1, 20, BOOTSTRAPPING, NOT_RETRIED, 0),
            "withPersist sets the catch-up rhythm too");
        assertFalse(ReplicaFollower.checkpointDue(often.withCatchUpPersist(60_000), 1, 20, BOOTSTRAPPING,
            NOT_RETRIED, 0));
    }

    private boolean due(
        final long read, final long sinceMs, final boolean bootstrapping, final boolean retried, final long lag)
    {
        return ReplicaFollower.checkpointDue(settings, read, sinceMs, bootstrapping, retried, lag);
    }
}
