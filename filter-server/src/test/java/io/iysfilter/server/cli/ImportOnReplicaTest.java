package io.iysfilter.server.cli;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.iys.DailyFileImporter;
import io.iysfilter.server.replication.FetcherMarker;
import io.iysfilter.server.replication.FetcherPublisher;
import io.iysfilter.server.replication.ReplicaFollower;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void anImportIntoAFetchersDataDirectoryMarksItsIndexToBePublishedWholeAtTheFetchersNextStart() throws Exception
    {
        FetcherPublisher.markDataDirectory(dir, "iys-filter.changes");
        FetcherMarker.markPublished(dir, "iys-filter.changes", "Jm3xvQ5ZRaSx3Qf0Dk1q9A");
        FetcherPublisher.markDataDirectory(dir, "iys-filter.changes");
        assertEquals(new FetcherMarker.Marker("iys-filter.changes", "Jm3xvQ5ZRaSx3Qf0Dk1q9A", false),
            FetcherMarker.read(dir),
            "a fetcher starting again keeps the id of the topic its index was published to");
        final Path file = Files.writeString(dir.resolve("day.csv"), String.join(",", DailyFileImporter.COLUMNS) +
            "\n2025-01-02 10:00:00," + "ab".repeat(32) + ",+905321234567,BIREYSEL,MESAJ,RET,2025-01-02 10:00:00," +
            "HS_WEB\n");
        final DailyFileImporter.Report report = ImportCommand.importFile(dir, 600_001, 10_000, TestKeys.KEY, file,
            new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(1, report.applied(), report.toString());
        assertEquals(new FetcherMarker.Marker("iys-filter.changes", "Jm3xvQ5ZRaSx3Qf0Dk1q9A", true),
            FetcherMarker.read(dir), "imported offline, not published: the fetcher's next start publishes the index " +
            "whole");
    }
}
