package io.iysfilter.loadtest.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository's {@code ./iys-filter} launcher sends the developer tools to {@link ToolsMain} and the rest to the
 * server's main, as a user runs it from a checkout.
 */
@Timeout(180)
class ToolsLauncherIT
{
    private static final Path ROOT = Path.of(System.getProperty("iys.repository.root", "..")).toAbsolutePath();

    @Test
    void shouldRunEachToolAndTheServersCommandsFromTheCheckout() throws Exception
    {
        for (final String tool : new String[]{"demo", "emulator", "loadtest"})
        {
            final String help = run(tool, "--help");
            assertTrue(help.startsWith("usage: iys-filter " + tool), help);
        }
        final String usage = run("--help");
        assertTrue(usage.contains("\n  serve ") && usage.contains("\n  reconcile "), usage);
    }

    @Test
    void shouldStartTheEmulatorThroughTheLauncher() throws Exception
    {
        final Process process = new ProcessBuilder(ROOT.resolve("iys-filter").toString(), "emulator", "--port", "0",
            "--recipients", "10").directory(ROOT.toFile()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8)))
        {
            final String line = out.readLine();
            assertNotNull(line, "the emulator exited without a word");
            assertTrue(line.startsWith("İYS emulator on http://127.0.0.1:"), line);
        }
        finally
        {
            process.destroy();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the emulator stops on SIGTERM");
        }
    }

    private static String run(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("iys-filter").toString());
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
            .start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "command did not finish: " + command);
        assertEquals(0, process.exitValue(), command + "\n" + output);
        return output;
    }
}
