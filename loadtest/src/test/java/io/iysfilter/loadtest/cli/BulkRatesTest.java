package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.Workload;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.server.cli.ImportCommand;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.iys.DailyFileImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bulk rig's inputs are what it claims (a daily file the import takes whole, a list whose expected answers
 * follow the workload) and its check of the scrub's outputs catches a wrong answer and a row out of order.
 */
class BulkRatesTest
{
    @TempDir
    Path dir;

    @Test
    void shouldWriteADailyFileTheImportTakesWithoutARejection() throws Exception
    {
        final Path file = dir.resolve("daily.csv");
        BulkRates.writeDailyFile(file, 2_000, 11);
        final DailyFileImporter.Report report = ImportCommand.importFile(dir.resolve("data"), 700_001, 10_000,
            IndexKey.generate(), file, null);
        assertEquals(2_000, report.lines());
        assertEquals(2_000, report.applied(), report.rejections().toString());
        assertEquals(0, report.rejected(), report.rejections().toString());
    }

    @Test
    void shouldAcceptOutputsInInputOrderAndCatchAWrongOrMisplacedRow() throws IOException
    {
        final Workload workload = new Workload(11, 1_000);
        final Path list = dir.resolve("list.csv");
        final byte[] expected = BulkRates.writeList(list, workload, 500, 11);
        final List<String> allowed = new ArrayList<>();
        final List<String> denied = new ArrayList<>();
        final List<String> rows = Files.readAllLines(list, StandardCharsets.UTF_8);
        for (final String row : rows)
        {
            final long index = Long.parseLong(row.substring(0, row.indexOf(',')));
            final Reason reason = workload.expected(index, MessageKind.COMMERCIAL);
            if (reason == Reason.CONSENT)
            {
                allowed.add(row);
            }
            else
            {
                denied.add(row + "," + reason.name());
            }
        }
        assertTrue(allowed.size() > 100 && denied.size() > 100, allowed.size() + " / " + denied.size());
        assertTrue(denied.stream().anyMatch(row -> row.endsWith(",NO_CONSENT")), "rows without a record");
        assertNull(check(list, allowed, denied, expected));

        final List<String> swapped = new ArrayList<>(allowed);
        swapped.set(0, allowed.get(1));
        swapped.set(1, allowed.get(0));
        assertNotNull(check(list, swapped, denied, expected), "two rows out of input order");

        final List<String> wrong = new ArrayList<>(denied);
        wrong.set(3, wrong.get(3).replaceAll(",[A-Z_]+$", ",INVALID_RECIPIENT"));
        assertNotNull(check(list, allowed, wrong, expected), "a wrong reason");

        final List<String> extra = new ArrayList<>(allowed);
        extra.add(allowed.get(0));
        assertNotNull(check(list, extra, denied, expected), "a row the list does not hold");
    }

    private String check(final Path list, final List<String> allowed, final List<String> denied,
        final byte[] expected) throws IOException
    {
        Files.write(dir.resolve("a.csv"), allowed, StandardCharsets.UTF_8);
        Files.write(dir.resolve("d.csv"), denied, StandardCharsets.UTF_8);
        return BulkRates.checkOutputs(list, dir.resolve("a.csv"), dir.resolve("d.csv"), expected);
    }
}
