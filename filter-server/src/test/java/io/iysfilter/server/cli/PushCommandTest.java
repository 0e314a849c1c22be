package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code push register|unregister}'s argument errors: each a usage error (exit 2) naming what is wrong, before any
 * file is written or İYS is called.
 */
class PushCommandTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRefuseABadType() throws Exception
    {
        final String text = refused("register", "--type", "SMS", "--url", "https://push.example.com/iys/push");
        assertTrue(text.contains("--type: 'SMS'") && text.contains("MESAJ, ARAMA or EPOSTA"), text);
    }

    @Test
    void shouldRefuseAMissingUrl() throws Exception
    {
        final String text = refused("register", "--type", "MESAJ");
        assertTrue(text.contains("--url: missing"), text);
    }

    @Test
    void shouldRefuseAUrlThatIsNoHttpUrl() throws Exception
    {
        final String text = refused("unregister", "--type", "EPOSTA", "--url", "ftp://push.example.com/x",
            "--user", "iys-push");
        assertTrue(text.contains("--url: 'ftp://push.example.com/x'"), text);
    }

    @Test
    void shouldRefuseAnUnknownAction() throws Exception
    {
        final String text = refused("renew", "--type", "MESAJ", "--url", "https://push.example.com/iys/push");
        assertTrue(text.contains("unknown action 'renew'"), text);
    }

    @Test
    void shouldRefuseRotateOutsideRegister() throws Exception
    {
        final String text = refused("unregister", "--type", "MESAJ", "--url", "https://push.example.com/iys/push",
            "--user", "a", "--rotate", "b");
        assertTrue(text.contains("--rotate: only with register"), text);
    }

    private String refused(final String action, final String... args) throws Exception
    {
        final Path config = dir.resolve("missing.properties");
        final Path credentials = dir.resolve("push.credentials");
        final String[] argv = new String[args.length + 8];
        argv[0] = "push";
        argv[1] = action;
        argv[2] = "--config";
        argv[3] = config.toString();
        argv[4] = "--brand";
        argv[5] = "600001";
        argv[6] = "--file";
        argv[7] = credentials.toString();
        System.arraycopy(args, 0, argv, 8, args.length);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_ERROR, exit, text);
        assertFalse(Files.exists(credentials), "nothing written");
        return text;
    }
}
