package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A writer process is killed with SIGKILL while it holds the index open; reopening must recover the maps, keep
 * every change it applied and recompute the as-of time it never got to persist.
 */
class UncleanShutdownTest
{
    private static final long BRAND = 600_001;
    private static final int CHANGES = 2_000;

    @TempDir
    Path dataDir;

    @Test
    @Timeout(60)
    void shouldRecoverEverythingAppliedBeforeAKill() throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Writer.class.getName());
        command.add(dataDir.toString());
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = out.readLine()) != null && !line.equals("APPLIED"))
            {
                assertTrue(child.isAlive(), "writer died: " + line);
            }
            assertEquals("APPLIED", line, "the writer never said it had applied its changes");
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertTrue(brand.wasRecovered(), "the index was left open: it must be recovered");
            assertEquals(CHANGES, brand.entries());
            assertEquals(IysTime.parseSeconds(Writer.creation(CHANGES - 1)) * 1000, brand.asOfMs(),
                "the as-of time comes back from the data, not from the stale metadata");
            final IndexLookup lookup = store.newLookup();
            final BrandState state = lookup.brand(BRAND);
            final RecipientParser parser = new RecipientParser();
            final ParsedRecipient parsed = new ParsedRecipient();
            for (int i = 0; i < CHANGES; i++)
            {
                parser.parse(Writer.recipient(i), parsed);
                assertEquals(i % 2 == 0 ? ConsentStatus.ONAY : ConsentStatus.RET,
                    lookup.status(state, Channel.MESAJ, RecipientType.BIREYSEL, parsed), Writer.recipient(i));
            }
        }
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            assertTrue(!store.brand(BRAND).wasRecovered(), "closed cleanly after recovery");
        }
    }

    /**
     * The child process: applies changes, says so, and waits to be killed.
     */
    public static final class Writer
    {
        static String recipient(final int i)
        {
            return String.format(Locale.ROOT, "+90532%07d", i);
        }

        static String creation(final int i)
        {
            return String.format(Locale.ROOT, "2025-02-01 %02d:%02d:%02d", i / 3600, i / 60 % 60, i % 60);
        }

        public static void main(final String[] args) throws Exception
        {
            final ConsentStore store = ConsentStore.open(Path.of(args[0]), TestKeys.options(1_000));
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            writer.checkpoint();
            final TestChanges changes = new TestChanges();
            for (int i = 0; i < CHANGES; i++)
            {
                writer.apply(changes.change(BRAND, creation(i), String.format(Locale.ROOT, "%064x", i),
                    recipient(i), "BIREYSEL", "MESAJ", i % 2 == 0 ? "ONAY" : "RET"));
            }
            System.out.println("APPLIED");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
