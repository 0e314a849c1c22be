package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.RedisServer;
import io.iysfilter.server.cli.Main;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code iys-filter loadtest compare-redis} end to end with a small brand and short runs: a real Redis and a real
 * server in child processes, every answer of both checked, both stopped by PID at the end. It needs Redis
 * installed or installable (root); on CI ({@code CI} set) a machine without it fails the test, elsewhere it is
 * skipped with the reason.
 */
@Timeout(300)
class RedisComparisonIT
{
    private static final Pattern FAILURES = Pattern.compile("FAIL \\[([^\\]]*)]");
    private static final Pattern PIDS = Pattern.compile("iys-filter pid (\\d+) on .*; .* pid (\\d+) on ");

    @Test
    void comparesBothServersOnTheSameKeysAndStopsThem(@TempDir final Path work) throws Exception
    {
        final boolean installed = RedisServer.which("redis-server").isPresent() &&
            RedisServer.which("redis-benchmark").isPresent();
        final boolean root = "root".equals(System.getProperty("user.name"));
        if (!installed && !root)
        {
            final String why = "needs Redis installed, or root to install it (.ci/run installs it)";
            if (System.getenv("CI") != null)
            {
                fail(why);
            }
            Assumptions.abort(why);
        }
        final Path out = work.resolve("results");
        final LoadTestIT.Result result = LoadTestIT.cli("loadtest", "compare-redis", "--recipients", "20000", "--pool",
            "20000", "--connections", "2", "--depth", "4", "--batch", "10", "--batch-depth", "2", "--warmup", "0",
            "--duration", "1", "--data-dir", work.resolve("data").toString(), "--out", out.toString(), "--port",
            Integer.toString(freePort()), "--http-port", Integer.toString(freePort()), "--redis-port",
            Integer.toString(freePort()), "--io-threads", "1");
        final String text = result.text();

        // Whether a rate was held depends on the machine, not on the code: that verdict is the benchmark's to give
        // (exit 1), and is no test failure. Every other failure (a wrong answer, a lost request) is.
        assertTrue(result.status() == Main.EXIT_OK || result.status() == Main.EXIT_DENY, text);
        final Matcher failures = FAILURES.matcher(text);
        while (failures.find())
        {
            assertTrue(failures.group(1).startsWith("rate not held"), "only a rate may be missed: " +
                failures.group() + "\n" + text);
        }
        final Matcher pids = PIDS.matcher(text);
        assertTrue(pids.find(), text);
        for (final String pid : new String[]{pids.group(1), pids.group(2)})
        {
            assertFalse(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false),
                "process " + pid + " was stopped");
        }
        for (final String line : new String[]{"pipelined ratio (target >= 3)", "batch ratio (target >= 3)",
            "open-loop p99 redis us", "in-server CHECK time: % within 2 us"})
        {
            assertTrue(text.contains(line), "prints " + line + "\n" + text);
        }
        final String summary = Files.readString(out.resolve("summary.json"));
        for (final String run : new String[]{"unpipelined-1x1", "pipelined-2x4", "batch-2x2x10",
            "open-loop-iys-filter", "open-loop-redis"})
        {
            assertTrue(summary.contains("\"name\" : \"" + run + "\""), "summary has run " + run);
            assertTrue(Files.exists(out.resolve(run + ".hlog")), run + ".hlog");
        }
        assertFalse(summary.contains("differ from the expected") || summary.contains("requests failed") ||
            summary.contains("answers missing") || summary.contains("no answer in the measurement"), summary);
        assertTrue(Pattern.compile("\"redis pipelined GET requests/s\" : [1-9]").matcher(summary).find(), summary);
        assertTrue(Pattern.compile("\"in-server CHECKs counted\" : [1-9]").matcher(summary).find(), summary);
        assertTrue(Files.readString(out.resolve("latency.html")).contains("open-loop-redis"));
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}
