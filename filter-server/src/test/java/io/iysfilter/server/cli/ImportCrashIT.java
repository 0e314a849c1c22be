package io.iysfilter.server.cli;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iys-filter import} killed with SIGKILL part-way: the brand must not be served as complete afterwards, and
 * importing the file again makes it whole.
 */
@Timeout(120)
class ImportCrashIT
{
    private static final long BRAND = 600_001;
    private static final int LINES = 200_000;

    @TempDir
    Path dir;

    @Test
    void aBrandWhoseImportWasKilledIsDamagedUntilTheImportIsRunAgain() throws Exception
    {
        final Path file = dir.resolve("2026-11-29.csv");
        final String creation = IysTime.format(System.currentTimeMillis() / 1000 - 86_400);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            out.write("creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n");
            for (int i = 0; i < LINES; i++)
            {
                out.write(creation + "," + String.format(Locale.ROOT, "%064x", i) + "," +
                    String.format(Locale.ROOT, "+90532%07d", i) + ",BIREYSEL,MESAJ," + (i % 2 == 0 ? "ONAY" : "RET") +
                    "," + creation + ",HS_WEB\n");
            }
        }
        final Path dataDir = dir.resolve("data");
        TestKeys.writeKeyFile(IndexKey.defaultFile(dataDir));
        final Path marker = dataDir.resolve("brands").resolve(Long.toString(BRAND)).resolve("import.inprogress");

        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.addAll(List.of(Main.class.getName(), "import", "--data-dir", dataDir.toString(), "--brand",
            Long.toString(BRAND), "--entries-per-map", Integer.toString(LINES), file.toString()));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve("import.log").toFile()).start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(marker) && child.isAlive() && System.nanoTime() < deadlineNs)
        {
            Thread.onSpinWait();
        }
        assertTrue(Files.exists(marker), "the import marks the brand before its first change: " +
            Files.readString(dir.resolve("import.log")));
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), "killed mid-import: " + Files.readString(dir.resolve("import.log")));

        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(LINES)))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason(), "half a brand is never served as whole");
            assertTrue(brand.damage().contains("an import did not finish: import of " + file.toAbsolutePath()),
                brand.damage());
        }

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"import", "--data-dir", dataDir.toString(), "--brand",
            Long.toString(BRAND), "--entries-per-map", Integer.toString(LINES), file.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(LINES)))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertNull(brand.unreadyReason(), "the same file imported to the end: " + brand.damage());
            assertEquals(LINES, brand.entries());
        }
    }
}
