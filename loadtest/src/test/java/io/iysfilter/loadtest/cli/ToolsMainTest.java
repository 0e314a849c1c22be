package io.iysfilter.loadtest.cli;

import io.iysfilter.server.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
