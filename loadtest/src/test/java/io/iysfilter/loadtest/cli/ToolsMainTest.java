package io.iysfilter.loadtest.cli;

import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.emulator.PushDelivery;
import io.iysfilter.server.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tools' main runs every command the server's main names as a developer tool, and lists each.
 */
class ToolsMainTest
{
    @Test
    void shouldDescribeEveryToolTheServerSendsHere()
    {
        for (final String tool : Main.TOOLS)
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int exit = ToolsMain.run(new String[]{tool, "--help"}, print(out), print(err));
            final String help = out.toString(StandardCharsets.UTF_8);
            assertEquals(Main.EXIT_OK, exit, err.toString(StandardCharsets.UTF_8));
            assertTrue(help.startsWith("usage: iys-filter " + tool), help);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, ToolsMain.run(new String[]{"--help"}, print(out), print(out)));
        final String usage = out.toString(StandardCharsets.UTF_8);
        for (final String tool : Main.TOOLS)
        {
            assertTrue(usage.contains("\n  " + tool + " "), usage);
        }
    }

    @Test
    void shouldRejectAnEmulatorOptionItDoesNotKnow()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = ToolsMain.run(new String[]{"emulator", "--prot", "1"}, print(new ByteArrayOutputStream()),
            print(err));
        assertEquals(Main.EXIT_ERROR, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("iys-filter emulator: Unknown options: '--prot'"),
            err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseAWrongPushOptionBeforeStartingTheEmulator()
    {
        for (final String[] wrong : new String[][]{
            {"--push-duplicates", "1.5", "push-duplicates: 1.5 (expected: 0..1)"},
            {"--push-attempts", "0", "push-attempts: 0 (expected: 1..100)"},
            {"--push-delay-ms", "-1", "push-delay-ms: -1 (expected: 0..3600000)"},
            {"--push-concurrency", "0", "push-concurrency: 0 (expected: 1..64)"}})
        {
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int exit = ToolsMain.run(new String[]{"emulator", "--port", "0", wrong[0], wrong[1]},
                print(new ByteArrayOutputStream()), print(err));
            assertEquals(Main.EXIT_ERROR, exit, err.toString(StandardCharsets.UTF_8));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains(wrong[2]), err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldGiveTheEmulatorsPushTheBehaviourAsked() throws Exception
    {
        final ToolsMain.EmulatorCommand command = new ToolsMain.EmulatorCommand(print(new ByteArrayOutputStream()));
        new CommandLine(command).parseArgs("--port", "0", "--recipients", "10", "--push-delay-ms", "250",
            "--push-duplicates", "0.5", "--push-reorder", "--push-attempts", "5", "--push-retry-ms", "20",
            "--push-require-https", "--push-concurrency", "3");
        try (IysEmulator emulator = command.start())
        {
            assertEquals(new PushDelivery.Behaviour(250, 0.5, true, 5, 20), emulator.pushes().behaviour());
            assertTrue(emulator.pushes().httpsRequired());
            assertEquals(3, emulator.pushes().concurrency());
        }
        final ToolsMain.EmulatorCommand plain = new ToolsMain.EmulatorCommand(print(new ByteArrayOutputStream()));
        new CommandLine(plain).parseArgs("--port", "0", "--recipients", "10");
        try (IysEmulator emulator = plain.start())
        {
            assertEquals(PushDelivery.Behaviour.PROMPT, emulator.pushes().behaviour());
            assertFalse(emulator.pushes().httpsRequired());
            assertEquals(1, emulator.pushes().concurrency());
        }
    }

    @Test
    void shouldDescribeEachLoadTestCommandAndRefuseAnUnknownOne()
    {
        for (final String command : new String[]{"prepare", "open-loop", "max", "compare-redis", "abuse", "bulk",
            "receipts", "replication", "push"})
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(Main.EXIT_OK, ToolsMain.run(new String[]{"loadtest", command, "--help"}, print(out),
                print(new ByteArrayOutputStream())));
            assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("usage: iys-filter loadtest " + command),
                out.toString(StandardCharsets.UTF_8));
        }
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, ToolsMain.run(new String[]{"loadtest", "maximum"},
            print(new ByteArrayOutputStream()), print(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("iys-filter loadtest: unknown command 'maximum'"),
            err.toString(StandardCharsets.UTF_8));
        final ByteArrayOutputStream range = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, ToolsMain.run(new String[]{"loadtest", "max", "--connections", "0"},
            print(new ByteArrayOutputStream()), print(range)));
        assertTrue(range.toString(StandardCharsets.UTF_8).startsWith("iys-filter loadtest max: connections: 0 " +
            "(expected: 1.."), range.toString(StandardCharsets.UTF_8));
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
