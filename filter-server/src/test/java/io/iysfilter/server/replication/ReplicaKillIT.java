package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica process is killed with SIGKILL while it applies the topic: started again on the same data directory it
 * resumes from its stored offsets (it does not read the topic from the beginning) and converges, every key answering
 * as the topic's newest record for it says.
 */
class ReplicaKillIT
{
    /** Map sizing of the replica's brand. */
    static final long ENTRIES = 50_000;
    private static final long BRAND = 600_001;
    private static final int PARTITIONS = 2;
    private static final int PHONES = 20_000;
    private static final int ROUNDS = 8;
    private static final String TOPIC = "changes";

    @TempDir
    Path dir;

    @Test
    void aKill9MidStreamLosesNothingAndTheRestartResumesFromTheStoredOffsets() throws Exception
    {
        final Path dataDir = dir.resolve("replica");
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker"));
            TopicFiller filler = new TopicFiller(broker.bootstrapServers(), TOPIC, PARTITIONS, dir.resolve("fetcher")))
        {
            final Process child = startChild(dataDir, broker.bootstrapServers());
            final long nowSec = System.currentTimeMillis() / 1000;
            final int partition = TopicRecords.partition(BRAND, PARTITIONS);
            for (int round = 0; round < ROUNDS; round++)
            {
                final String creation = IysTime.format(nowSec - 3600 + round * 10L);
                for (int i = 0; i < PHONES; i++)
                {
                    filler.consent(BRAND, creation, phone(i), "BIREYSEL", "MESAJ", status(i, round));
                }
                filler.commit();
                if (round == 1)
                {
                    // the child has stored offsets past the first round: the third is published and the child
                    // killed at once, while it applies it
                    final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (storedOffset(dataDir, partition) < PHONES)
                    {
                        assertTrue(child.isAlive(), "the child died: " + Files.readString(dir.resolve("child.log")));
                        assertTrue(System.nanoTime() - deadlineNs < 0, "the child stored no offsets past round 0");
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                    }
                }
                if (round == 2)
                {
                    assertTrue(child.isAlive(), Files.readString(dir.resolve("child.log")));
                    child.destroyForcibly();
                    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                    assertEquals(137, child.exitValue(), "killed with SIGKILL");
                }
            }
            final long storedAtKill = storedOffset(dataDir, partition);
            assertTrue(storedAtKill >= PHONES, "stored " + storedAtKill);

            try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(ENTRIES));
                IngestPipeline pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE);
                ReplicaFollower follower = new ReplicaFollower(ReplicaSettings.of(broker.bootstrapServers(), Map.of(),
                    TOPIC), store, pipeline, System::currentTimeMillis).start())
            {
                follower.caughtUp().get(120, TimeUnit.SECONDS);
                final long total = (long)PHONES * ROUNDS;
                assertTrue(follower.consents() <= total - storedAtKill + ROUNDS,
                    "resumed from the stored offsets: read " + follower.consents() + " of " + total);
                assertEquals(0, follower.quarantined());
                final IndexLookup lookup = store.newLookup();
                final BrandState brand = lookup.brand(BRAND);
                final RecipientParser parser = new RecipientParser();
                final ParsedRecipient parsed = new ParsedRecipient();
                final List<String> wrong = new ArrayList<>();
                for (int i = 0; i < PHONES; i++)
                {
                    parser.parse(phone(i), parsed);
                    final int expected = "ONAY".equals(status(i, ROUNDS - 1)) ? ConsentStatus.ONAY : ConsentStatus.RET;
                    if (lookup.status(brand, Channel.MESAJ, RecipientType.BIREYSEL, parsed) != expected &&
                        wrong.size() < 10)
                    {
                        wrong.add(phone(i));
                    }
                }
                assertEquals(List.of(), wrong, "keys not as the topic's newest record says");
            }
        }
    }

    private Process startChild(final Path dataDir, final String bootstrap) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.addAll(List.of(ReplicaKillChild.class.getName(), dataDir.toString(), bootstrap, TOPIC));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile())
            .start();
    }

    private static long storedOffset(final Path dataDir, final int partition) throws Exception
    {
        final Path file = dataDir.resolve(ReplicaOffsets.FILE);
        if (!Files.exists(file))
        {
            return -1;
        }
        final Matcher offset = Pattern.compile("(?m)^offset\\." + partition + "=(\\d+)$").matcher(
            Files.readString(file));
        return offset.find() ? Long.parseLong(offset.group(1)) : -1;
    }

    private static String phone(final int i)
    {
        return String.format(Locale.ROOT, "+9055%08d", i);
    }

    private static String status(final int i, final int round)
    {
        return (i + round) % 2 == 0 ? "ONAY" : "RET";
    }
}
