package io.iysfilter.server.receipts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PartiesTest
{
    @TempDir
    Path dir;

    @Test
    void shouldNumberEachNameOncePerRunFromOneAndWriteItBeforeAnsweringIt() throws Exception
    {
        try (Parties parties = new Parties(dir, 4))
        {
            assertEquals(1, parties.party("client:acme"));
            assertEquals(2, parties.party("peer:127.0.0.1"));
            assertEquals(1, parties.party("client:acme"));
            // already in the file when the number is handed out: a crash now cannot leave it unnamed
            assertEquals(List.of("client:acme", "peer:127.0.0.1"), Parties.read(Parties.file(dir, 4)));
            assertEquals("client:acme", parties.name(4, 1));
            assertEquals(Parties.UNKNOWN, parties.name(4, 3));
            assertEquals(Parties.UNKNOWN, parties.name(4, 0));
        }
    }

    @Test
    void shouldNameThePartiesOfEarlierRunsFromTheirFilesIgnoringATornLine() throws Exception
    {
        try (Parties run1 = new Parties(dir, 1))
        {
            run1.party("client:acme");
            run1.party("peer:10.0.0.7");
        }
        Files.writeString(Parties.file(dir, 1), "3\tclient:to", StandardOpenOption.APPEND);
        try (Parties run2 = new Parties(dir, 2))
        {
            assertEquals(1, run2.party("peer:10.0.0.7"), "numbers are per run");
            assertEquals("peer:10.0.0.7", run2.name(1, 2));
            assertEquals("client:acme", run2.name(1, 1));
            assertEquals(Parties.UNKNOWN, run2.name(1, 3), "a line a crash tore was never handed out");
            assertEquals(Parties.UNKNOWN, run2.name(9, 1), "a run with no file");
        }
    }

    @Test
    void shouldGiveZeroPastTheMostARunMayNumber() throws Exception
    {
        try (Parties parties = new Parties(dir, 1, 2))
        {
            assertEquals(1, parties.party("peer:10.0.0.1"));
            assertEquals(2, parties.party("peer:10.0.0.2"));
            assertEquals(0, parties.party("peer:10.0.0.3"), "unknown: still recorded, with no name");
            assertEquals(2, parties.party("peer:10.0.0.2"), "names already numbered keep their number");
        }
    }

    @Test
    void shouldKeepANameWithALineBreakOnOneLine() throws Exception
    {
        try (Parties parties = new Parties(dir, 1))
        {
            parties.party("client:evil\n2\tclient:forged");
            assertEquals(List.of("client:evil?2?client:forged"), Parties.read(Parties.file(dir, 1)));
        }
    }
}
