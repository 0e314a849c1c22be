package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.RedisServer;
import io.iysfilter.server.cli.Main;
import org.junit.jupiter.api.Assumptions;
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
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code iys-filter loadtest receipts} end to end with a small brand and short runs: two real servers (receipts off,
 * on) in child processes, both endpoints, two rounds in swapped order, every run checked against the servers' own
 * counters (each decision recorded by the one with receipts on, none by the other, none unrecorded), the journal's
 * size per receipt reported, both servers stopped. Performance is never asserted. It needs redis-benchmark
 * installed or installable (root); on CI a machine without it fails the test, elsewhere it is skipped with the
 * reason.
 */
@Timeout(300)
class ReceiptsCostIT
{
    private static final Pattern PID = Pattern.compile("iys-filter \\(receipts (?:off|on)\\) pid (\\d+) on ");
    private static final Pattern RUN = Pattern.compile("(?m)^  \\S.* (receipts off|receipts on) +[0-9,]+ dec/s .*$");
    private static final Pattern PER_RECEIPT = Pattern.compile(
        "journal bytes per receipt on disk \\([^)]*\\) +([0-9.,]+)");

    @Test
    void measuresBothServersOnBothEndpointsAndChecksEveryReceipt(@TempDir final Path work) throws Exception
    {
        final boolean installed = RedisServer.which("redis-benchmark").isPresent() &&
            RedisServer.which("redis-cli").isPresent();
        if (!installed && !"root".equals(System.getProperty("user.name")))
        {
            final String why = "needs redis-benchmark and redis-cli, or root to install them (.ci/run installs them)";
            if (System.getenv("CI") != null)
            {
                fail(why);
            }
            Assumptions.abort(why);
        }
        final Path out = work.resolve("results");
        final LoadTestIT.Result result = LoadTestIT.cli("loadtest", "receipts", "--recipients", "20000", "--pool",
            "20000", "--connections", "2", "--depth", "4", "--batch", "10", "--batch-depth", "2", "--rounds", "2",
            "--warmup", "0", "--duration", "1", "--data-dir", work.resolve("data").toString(), "--out",
            out.toString());
        final String text = result.text();
        assertEquals(Main.EXIT_OK, result.status(), text);
        assertFalse(text.contains("FAIL"), text);
        assertTrue(text.contains("receipts on answers 8 recipients as the workload says, each with a decision id"),
            text);
        assertTrue(text.contains("receipts off answers 8 recipients as the workload says, without decision ids"),
            text);
        final Matcher pids = PID.matcher(text);
        int servers = 0;
        while (pids.find())
        {
            servers++;
            assertFalse(ProcessHandle.of(Long.parseLong(pids.group(1))).map(ProcessHandle::isAlive).orElse(false),
                "server " + pids.group(1) + " was stopped");
        }
        assertEquals(2, servers, text);
        // 2 rounds x 2 shapes x 2 endpoints x 2 servers, each checked: the one with receipts on recorded every
        // decision it counted, the other none
        final Matcher runs = RUN.matcher(text);
        int count = 0;
        while (runs.find())
        {
            count++;
            final Matcher checked = Pattern.compile("([0-9,]+) decisions, ([0-9,]+) recorded").matcher(runs.group());
            assertTrue(checked.find(), runs.group());
            final long decisions = Long.parseLong(checked.group(1).replace(",", ""));
            assertTrue(decisions > 0, runs.group());
            assertEquals(runs.group(1).equals("receipts on") ? decisions : 0,
                Long.parseLong(checked.group(2).replace(",", "")), runs.group());
        }
        assertEquals(16, count, text);
        final Matcher perReceipt = PER_RECEIPT.matcher(text);
        assertTrue(perReceipt.find(), text);
        assertTrue(Double.parseDouble(perReceipt.group(1).replace(",", "")) >= 48, "a receipt takes 48 bytes at " +
            "least: " + perReceipt.group());
        assertTrue(Files.readString(out.resolve("summary.json")).contains("on / off (median; target >= 0.85)"));
    }
}
