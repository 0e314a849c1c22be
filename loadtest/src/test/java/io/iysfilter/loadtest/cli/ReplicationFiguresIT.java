package io.iysfilter.loadtest.cli;

import io.iysfilter.server.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iys-filter loadtest replication} end to end with a small topic: a broker in this JVM, the fetcher's writer
 * and publisher, a replica server in a child process that bootstraps from empty, answers a sample of recipients as
 * published and sees each probe's RET; every figure reported and written to summary.json, the replica stopped.
 * Performance is never asserted.
 */
@Timeout(600)
class ReplicationFiguresIT
{
    private static final Pattern PID = Pattern.compile("replica pid (\\d+) on ");
    private static final Pattern SAMPLED = Pattern.compile("checked ([0-9,]+) sampled recipients on the replica: " +
        "0 answered otherwise than published");
    private static final Pattern PROBES = Pattern.compile("latency probes: (\\d+), p50 [0-9.]+ ms, p99 [0-9.]+ ms, " +
        "max [0-9.]+ ms, timed out 0");

    @Test
    void publishesBootstrapsAReplicaFromEmptyAndTimesEachChangeToItsAnswer(@TempDir final Path work) throws Exception
    {
        final Path out = work.resolve("results");
        final LoadTestIT.Result result = LoadTestIT.cli("loadtest", "replication", "--changes", "22000", "--brands",
            "2", "--partitions", "4", "--probes", "20", "--compaction-wait", "15", "--out", out.toString());
        final String text = result.text();
        assertEquals(Main.EXIT_OK, result.status(), text);
        assertFalse(text.contains("FAILED"), text);
        assertTrue(text.contains("published and committed 22,000 consent records"), text);
        assertTrue(text.contains("replica caught up: "), text);
        final Matcher sampled = SAMPLED.matcher(text);
        assertTrue(sampled.find(), text);
        assertTrue(Long.parseLong(sampled.group(1).replace(",", "")) >= 1_000, sampled.group());
        final Matcher probes = PROBES.matcher(text);
        assertTrue(probes.find(), text);
        assertEquals(20, Integer.parseInt(probes.group(1)), probes.group());
        final Matcher pid = PID.matcher(text);
        assertTrue(pid.find(), text);
        assertFalse(ProcessHandle.of(Long.parseLong(pid.group(1))).map(ProcessHandle::isAlive).orElse(false),
            "the replica was stopped");
        final String summary = Files.readString(out.resolve("summary.json"));
        for (final String figure : new String[]{"fetcher publish throughput, changes/s",
            "topic MB per million consents after compaction", "bootstrap rate, records/s",
            "bootstrap: seconds from the follower's start to its first record",
            "change to replica answer p50, ms", "change to replica answer p99, ms"})
        {
            assertTrue(summary.contains(figure), figure + " in " + summary);
        }
    }
}
