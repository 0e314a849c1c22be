package io.iysfilter.server.replication;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicaOffsetsTest
{
    @TempDir
    Path dir;

    @Test
    void offsetsAndCursorsRoundTripAndNoFileIsABootstrap() throws IOException
    {
        assertTrue(ReplicaOffsets.read(dir).empty(), "no file: from the beginning");
        final String odd = "1700000000000_a b=c%d\tf";
        ReplicaOffsets.write(dir, "iys-filter.changes", new long[] {7, 0, 12},
            Map.of(ReplicaOffsets.cursorKey(600_001, "HS"), new ReplicaOffsets.Cursor(odd, 42L)));

        final ReplicaOffsets.State state = ReplicaOffsets.read(dir);
        assertEquals("iys-filter.changes", state.topic());
        assertEquals(3, state.partitions());
        assertEquals(Map.of(0, 7L, 1, 0L, 2, 12L), state.offsets());
        assertEquals(new ReplicaOffsets.Cursor(odd, 42L), state.cursors().get("600001.HS"));
        assertEquals(null, state.topicId(), "a file without the id (older, or never known): none");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(dir.resolve(ReplicaOffsets.FILE))));
    }

    @Test
    void frozenBrandsAndPartitionsRoundTrip() throws IOException
    {
        final String why = "partition=1 offset=7: does not decode: key is not 32 bytes\n=%";
        ReplicaOffsets.write(dir, "t", "Jm3xvQ5ZRaSx3Qf0Dk1q9A", new long[] {1, 8, 3}, Map.of(),
            Map.of(600_001L, why), Map.of(2, "p2"));

        final ReplicaOffsets.State state = ReplicaOffsets.read(dir);
        assertEquals("Jm3xvQ5ZRaSx3Qf0Dk1q9A", state.topicId(), "the topic's id the offsets were read from");
        assertEquals(Map.of(600_001L, why), state.frozenBrands());
        assertEquals(Map.of(2, "p2"), state.frozenPartitions());
        assertEquals(Map.of(0, 1L, 1, 8L, 2, 3L), state.offsets());
    }

    @Test
    void aFileThatIsNotAReplicasOffsetsIsRefusedWithTheLine() throws IOException
    {
        Files.writeString(dir.resolve(ReplicaOffsets.FILE), "topic=t\npartitions=2\noffset.0=x\n");
        assertTrue(assertThrows(IOException.class, () -> ReplicaOffsets.read(dir)).getMessage()
            .contains("bad line 'offset.0=x'"));
        Files.writeString(dir.resolve(ReplicaOffsets.FILE), "topic=t\npartitions=2\noffset.2=1\n");
        assertTrue(assertThrows(IOException.class, () -> ReplicaOffsets.read(dir)).getMessage()
            .contains("offset of partition 2 in a topic of 2"));
        Files.writeString(dir.resolve(ReplicaOffsets.FILE), "offset.0=1\n");
        assertTrue(assertThrows(IOException.class, () -> ReplicaOffsets.read(dir)).getMessage()
            .contains("no topic or partition count"));
    }
}
