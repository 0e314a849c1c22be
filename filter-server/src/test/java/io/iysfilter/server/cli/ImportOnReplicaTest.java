package io.iysfilter.server.cli;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.replication.FetcherPublisher;
import io.iysfilter.server.replication.ReplicaFollower;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImportOnReplicaTest
{
    @TempDir
    Path dir;

    @Test
    void aReplicasDataDirectoryTakesNoImport() throws Exception
    {
        Files.writeString(dir.resolve(ReplicaFollower.OFFSETS_FILE), "topic=t\npartitions=1\noffset.0=5\n");
        final Path file = Files.writeString(dir.resolve("day.csv"), "");
        final UsageException refused = assertThrows(UsageException.class, () -> ImportCommand.importFile(dir, 600_001,
            10_000, TestKeys.KEY, file, new PrintStream(OutputStream.nullOutputStream())));
        assertTrue(refused.getMessage().contains("is a replica's") && refused.getMessage().contains("feed"),
            refused.getMessage());
        assertFalse(Files.exists(dir.resolve("brands")), "nothing was opened");
    }

    @Test
    void aFetchersDataDirectoryTakesNoImport() throws Exception
    {
        FetcherPublisher.markDataDirectory(dir, "iys-filter.changes");
        assertTrue(Files.readString(dir.resolve(FetcherPublisher.MARKER_FILE)).contains("iys-filter.changes"));
        final Path file = Files.writeString(dir.resolve("day.csv"), "");
        final UsageException refused = assertThrows(UsageException.class, () -> ImportCommand.importFile(dir, 600_001,
            10_000, TestKeys.KEY, file, new PrintStream(OutputStream.nullOutputStream())));
        assertTrue(refused.getMessage().contains("is a fetcher's") && refused.getMessage().contains("reconcile") &&
            refused.getMessage().contains("standalone"), refused.getMessage());
        assertFalse(Files.exists(dir.resolve("brands")), "nothing was opened");
    }
}
