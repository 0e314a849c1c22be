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

    @Test
    void shouldReportABadValueOnOneLineWithAHintAndExitTwo()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"check", "--brand", "abc", "--channel", "MESAJ", "--recipient", "x"},
            print(new ByteArrayOutputStream()), print(err));
        final String[] lines = err.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(Main.EXIT_ERROR, exit);
        assertEquals("iys-filter check: Invalid value for option '--brand': 'abc' (expected: a whole number, " +
            "1..4294967295)", lines[0]);
        assertEquals("try 'iys-filter check --help'", lines[1]);

        final ByteArrayOutputStream serveErr = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, Main.run(new String[]{"serve", "--data-dir", "x", "--port", "99999"},
            print(new ByteArrayOutputStream()), print(serveErr)));
        assertTrue(serveErr.toString(StandardCharsets.UTF_8).startsWith(
            "iys-filter serve: Invalid value for option '--port': port: 99999 (expected: 0..65535)\n"),
            serveErr.toString(StandardCharsets.UTF_8));

        final ByteArrayOutputStream typo = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, Main.run(new String[]{"scrub", "--brnad", "1"},
            print(new ByteArrayOutputStream()), print(typo)));
        assertTrue(typo.toString(StandardCharsets.UTF_8).contains("Unknown option: '--brnad'"),
            typo.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseABlankValueWhereAnEmptyOneWouldMeanSomethingElse()
    {
        // an empty --data-dir would be the current directory; an empty recipient a DENY instead of a usage error
        final String[][] commands = {
            {"import", "--data-dir", "", "--brand", "1", "x.csv"},
            {"check", "--brand", "1", "--channel", "MESAJ", "--recipient", " "},
            {"scrub", "--brand", "1", "--channel", "MESAJ", "--in", "", "--preview"}};
        for (final String[] command : commands)
        {
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(Main.EXIT_ERROR, Main.run(command, print(new ByteArrayOutputStream()), print(err)),
                String.join(" ", command));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("(expected: a value that is not blank)"),
                err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldReportAUsageErrorFoundAfterParsingTheSameWay()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"scrub", "--brand", "1", "--channel", "MESAJ", "--in", "x.csv"},
            print(new ByteArrayOutputStream()), print(err));
        assertEquals(Main.EXIT_ERROR, exit);
        assertEquals("iys-filter scrub: give --allowed and --denied, or --preview\ntry 'iys-filter scrub --help'\n",
            err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldGenerateEachCommandsHelpAndPrintTheVersion()
    {
        final ByteArrayOutputStream serve = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, Main.run(new String[]{"serve", "--help"}, print(serve),
            print(new ByteArrayOutputStream())));
        final String help = serve.toString(StandardCharsets.UTF_8);
        assertTrue(help.startsWith("usage: iys-filter serve"), help);
        assertTrue(help.contains("--busy-poll=B") && help.contains("--max-future-skew=D"), help);

        final ByteArrayOutputStream same = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, Main.run(new String[]{"help", "serve"}, print(same),
            print(new ByteArrayOutputStream())));
        assertEquals(help, same.toString(StandardCharsets.UTF_8));

        final ByteArrayOutputStream version = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, Main.run(new String[]{"--version"}, print(version),
            print(new ByteArrayOutputStream())));
        assertTrue(version.toString(StandardCharsets.UTF_8).startsWith("iys-filter "),
            version.toString(StandardCharsets.UTF_8));

        final ByteArrayOutputStream none = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, Main.run(new String[0], print(none), print(new ByteArrayOutputStream())));
        assertTrue(none.toString(StandardCharsets.UTF_8).startsWith("usage: iys-filter <command>"),
            none.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldTakeAnAtSignAsAValueAndTheLaterOfTwoValues() throws Exception
    {
        final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("main-test");
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(new String[]{"serve", "--data-dir", dir.toString(), "--print-config", "--port", "1",
            "--port", "2", "--milter-brand-header", "false", "--bind", "@nothing"}, print(out), print(err));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_OK, exit, err.toString(StandardCharsets.UTF_8));
        assertTrue(text.contains(String.format("%-24s = %-30s # flag --port", "port", "2")), text);
        assertTrue(text.contains(String.format("%-24s = %-30s # flag --bind", "bind", "@nothing")), text);
        java.nio.file.Files.delete(dir);
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
