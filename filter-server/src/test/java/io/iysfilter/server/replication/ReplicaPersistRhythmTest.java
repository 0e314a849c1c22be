package io.iysfilter.server.replication;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a replica checkpoints (forces the maps and writes its offsets): every second or 200,000 records while near the
 * topic's end, every 30 s while further behind (a bootstrap forcing every second made nearly every change a page
 * fault).
 */
class ReplicaPersistRhythmTest
{
    private final ReplicaSettings settings = ReplicaSettings.of("127.0.0.1:9092", Map.of(), "topic");

    @Test
    void nearTheEndACheckpointIsDueAfterTheIntervalOrTheRecords()
    {
        final long records = settings.persistRecords();
        final long intervalMs = settings.persistIntervalMs();
        assertFalse(ReplicaFollower.checkpointDue(settings, 1, 0, intervalMs - 1));
        assertTrue(ReplicaFollower.checkpointDue(settings, 1, 0, intervalMs));
        assertTrue(ReplicaFollower.checkpointDue(settings, records, records, 0), "the records threshold");
        assertFalse(ReplicaFollower.checkpointDue(settings, 0, 0, intervalMs * 100), "nothing read, nothing to write");
    }

    @Test
    void farBehindACheckpointWaitsForTheCatchUpIntervalWhateverTheRecords()
    {
        final long behind = settings.persistRecords() + 1;
        final long catchUpMs = settings.catchUpPersistIntervalMs();
        assertTrue(catchUpMs >= 30_000, "the kernel's own writeback interval at least: " + catchUpMs);
        assertFalse(ReplicaFollower.checkpointDue(settings, settings.persistRecords() * 10, behind, catchUpMs - 1));
        assertFalse(ReplicaFollower.checkpointDue(settings, 1, behind, settings.persistIntervalMs()));
        assertTrue(ReplicaFollower.checkpointDue(settings, 1, behind, catchUpMs));
    }

    @Test
    void testsThatPersistOftenKeepDoingSoBehindToo()
    {
        final ReplicaSettings often = settings.withPersist(20, 5_000);
        assertTrue(ReplicaFollower.checkpointDue(often, 1, 1_000_000, 20), "withPersist sets the catch-up rhythm too");
        assertFalse(ReplicaFollower.checkpointDue(often.withCatchUpPersist(60_000), 1, 1_000_000, 20));
    }
}
