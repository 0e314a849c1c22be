package io.iysfilter.server.cli;

import io.iysfilter.server.SmallTmpfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iys-filter import} onto a file system that fills up, as a user runs it: it must stop with a clear error,
 * never hang, and close the index.
 */
@Timeout(300)
class ImportDiskFullIT
{
    private static final Path ROOT = Path.of(System.getProperty("iys.repository.root", "..")).toAbsolutePath();
    private static final int LINES = 400_000;

    @TempDir
    Path work;

    @Test
    void shouldStopWithDiskFullAtTheReserveAndCloseTheIndex() throws Exception
    {
        final Path file = changes();
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(work.resolve("mnt"), 8))
        {
            final Path dataDir = tmpfs.directory().resolve("data");
            final String errors = importExpectingFailure(dataDir, file, "2");
            assertTrue(errors.contains("disk full") && errors.contains("below the reserve of 2.0 MiB"), errors);
            assertTrue(errors.contains("the import stopped there"), errors);
            assertTrue(Files.readString(dataDir.resolve("brands/600001/brand.meta")).contains("state=closed"),
                "the reserve leaves room to close the index cleanly");
        }
    }

    @Test
    void shouldSurviveAFaultInAMappedFileWithTheGuardOff() throws Exception
    {
        final Path file = changes();
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(work.resolve("mnt"), 8))
        {
            final String errors = importExpectingFailure(tmpfs.directory().resolve("data"), file, "0");
            assertTrue(errors.contains("disk full"), errors);
        }
    }

    /**
     * Run the import as a user does; it must end (not hang) with exit status 2.
     *
     * @return what it printed on stderr.
     */
    private String importExpectingFailure(final Path dataDir, final Path file, final String reserveMib)
        throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("iys-filter").toString(), "import",
            "--data-dir", dataDir.toString(), "--brand", "600001", "--entries-per-map", "20000",
            "--disk-reserve-mb", reserveMib, file.toString()));
        final Path out = work.resolve("out.txt");
        final Path err = work.resolve("err.txt");
        final Process process = new ProcessBuilder(command).directory(ROOT.toFile())
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        final boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        if (!finished)
        {
            process.destroyForcibly().waitFor();
        }
        final String errors = Files.readString(err);
        assertTrue(finished, "import hung on a full disk: " + errors);
        assertEquals(2, process.exitValue(), "stdout: " + Files.readString(out) + "\nstderr: " + errors);
        return errors;
    }

    private Path changes() throws Exception
    {
        final Path file = work.resolve("changes.csv");
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            out.write("creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n");
            for (int i = 0; i < LINES; i++)
            {
                out.write(String.format(Locale.ROOT,
                    "2025-11-20 10:00:00,%08x,+9055%08d,BIREYSEL,MESAJ,ONAY,2025-11-20 09:00:00,HS_WEB%n", i, i));
            }
        }
        return file;
    }
}
