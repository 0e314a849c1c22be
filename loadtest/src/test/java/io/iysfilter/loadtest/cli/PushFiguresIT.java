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
 * {@code iys-filter loadtest push} end to end, small: an İYS emulator in this JVM withholding its newest hour, a
 * server in a child process taking its pushes; every pushed recipient ends DENY in each phase and the server's applied
 * counter rises by exactly the number pushed; every figure reported and written to summary.json, the server stopped.
 * Performance is never asserted.
 */
@Timeout(600)
class PushFiguresIT
{
    private static final Pattern PID = Pattern.compile("server pid (\\d+) on ");
    private static final Pattern PROBES = Pattern.compile("(idle|busy): pushed RET to DENY: (\\d+) probes, p50 " +
        "[0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms, timed out 0");

    @Test
    void timesEachPushedRetToItsDenyAndCountsEveryPushApplied(@TempDir final Path work) throws Exception
    {
        final Path out = work.resolve("results");
        final LoadTestIT.Result result = LoadTestIT.cli("loadtest", "push", "--warmup", "5", "--changes", "20",
            "--pushes", "100", "--deliveries", "4", "--busy-connections", "1", "--out", out.toString());
        final String text = result.text();
        assertEquals(Main.EXIT_OK, result.status(), text);
        assertFalse(text.contains("FAILED"), text);
        assertTrue(text.contains("registered http://127.0.0.1:"), text);
        final Matcher probes = PROBES.matcher(text);
        int phases = 0;
        while (probes.find())
        {
            assertEquals(20, Integer.parseInt(probes.group(2)), probes.group());
            phases++;
        }
        assertEquals(2, phases, text);
        for (final String phase : new String[]{"warm-up: 5 of 5", "idle: 20 of 20", "busy: 20 of 20",
            "applied rate: 100 of 100"})
        {
            assertTrue(text.contains(phase + " pushed recipients answer DENY REJECTED"), phase + " in " + text);
        }
        assertTrue(text.contains("warm-up: 5 of 5 pushed recipients answer DENY REJECTED; applied counter +5"), text);
        assertTrue(text.contains("idle: 20 of 20 pushed recipients answer DENY REJECTED; applied counter +20"), text);
        assertTrue(text.contains("busy: 20 of 20 pushed recipients answer DENY REJECTED; applied counter +20"), text);
        assertTrue(text.contains("applied rate: 100 of 100 pushed recipients answer DENY REJECTED; applied counter " +
            "+100"), text);
        assertTrue(Pattern.compile("CHECK load: 1 connections, [0-9,]+ checks in [0-9.]+ s \\([0-9,]+ a second\\), " +
            "0 errors").matcher(text).find(), text);
        final Matcher pid = PID.matcher(text);
        assertTrue(pid.find(), text);
        assertFalse(ProcessHandle.of(Long.parseLong(pid.group(1))).map(ProcessHandle::isAlive).orElse(false),
            "the server was stopped");
        final String summary = Files.readString(out.resolve("summary.json"));
        for (final String figure : new String[]{"idle: pushed RET to DENY p50, ms", "idle: pushed RET to DENY p99, ms",
            "busy: pushed RET to DENY p99, ms", "applied rate: pushes applied/s, median second",
            "busy: checks/s while pushes were applied", "load average at start"})
        {
            assertTrue(summary.contains(figure), figure + " in " + summary);
        }
    }
}
