package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's main knows the developer tools only by name: asked for one it says where the tool is, not that the
 * command is unknown, and its usage lists no tool as one of its commands.
 */
class MainTest
{
    @Test
    void shouldSendEveryDeveloperToolToTheSourceCheckout()
    {
        for (final String tool : Main.TOOLS)
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int exit = Main.run(new String[]{tool, "--help"}, print(out), print(err));
            final String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(Main.EXIT_ERROR, exit, text);
            assertTrue(text.contains("'" + tool + "' is a developer tool") && text.contains("source checkout"), text);
            assertFalse(text.contains("unknown command"), text);
        }
    }

    @Test
    void shouldListTheServersCommandsAndNameTheToolsApart()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, Main.run(new String[]{"--help"}, print(out), print(new ByteArrayOutputStream())));
        final String usage = out.toString(StandardCharsets.UTF_8);
        for (final String command : new String[]{"serve", "import", "check", "scrub", "reconcile"})
        {
            assertTrue(usage.contains("\n  " + command + " "), usage);
        }
        for (final String tool : Main.TOOLS)
        {
            assertFalse(usage.contains("\n  " + tool + " "), usage);
        }
        assertTrue(usage.contains("developer tools, from a source checkout only"), usage);

        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, Main.run(new String[]{"frobnicate"}, print(out), print(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown command 'frobnicate'"));
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
