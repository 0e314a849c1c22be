package io.iysfilter.server.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code ./iys-filter} launcher at the repository root, as a user runs it.
 */
@Timeout(180)
class CliIT
{
    private static final Path ROOT = Path.of(System.getProperty("iys.repository.root", "..")).toAbsolutePath();
    private static final String HEADER =
        "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n";
    private static final Pattern SERVING = Pattern.compile("binary 127\\.0\\.0\\.1:(\\d+), http");

    @TempDir
    Path work;

    private record Result(int exit, String out, String err)
    {
    }

    @Test
    void shouldDescribeEveryCommand() throws Exception
    {
        for (final String command : new String[]{"serve", "import", "check", "scrub", "reconcile"})
        {
            final Result help = run(command, "--help");
            assertEquals(0, help.exit(), command);
            assertTrue(help.out().startsWith("usage: iys-filter " + command), help.out());
        }
        final Result overview = run("--help");
        assertEquals(0, overview.exit());
        assertTrue(overview.out().contains("commands:"), overview.out());

        final Result typo = run("check", "--brnad", "1");
        assertEquals(2, typo.exit());
        assertTrue(typo.err().startsWith("iys-filter check: Unknown option: '--brnad'"), typo.err());
        final Result version = run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().matches("(?s)iys-filter \\d.*") && !version.out().contains("development build"),
            "the packaged jar knows its version: " + version.out());
        assertEquals(2, run("frobnicate").exit());
    }

    @Test
    void shouldImportServeAndCheck() throws Exception
    {
        final Path dataDir = work.resolve("data");
        final Path file = work.resolve("changes.csv");
        Files.writeString(file, HEADER +
            "2025-11-20 10:00:00,aaaa0001,05321111111,BIREYSEL,MESAJ,ONAY,2025-11-20 09:00:00,HS_WEB\n" +
            "2025-11-20 10:00:00,aaaa0002,05322222222,BIREYSEL,MESAJ,ONAY,2025-11-20 09:00:00,HS_WEB\n" +
            "2025-11-20 11:00:00,aaaa0003,05322222222,BIREYSEL,MESAJ,RET,2025-11-20 10:59:00,IYS_WEB\n" +
            "2025-11-20 11:00:00,aaaa0004,not-a-phone,BIREYSEL,MESAJ,ONAY,2025-11-20 10:59:00,HS_WEB\n");
        final Result imported = run("import", "--data-dir", dataDir.toString(), "--brand", "600001",
            "--entries-per-map", "10000", file.toString());
        assertEquals(1, imported.exit(), "a rejected line makes the exit status 1: " + imported.err());
        assertTrue(imported.out().contains("4 lines, 3 applied, 0 superseded, 1 rejected"), imported.out());
        assertTrue(imported.out().contains("rejected line 5: invalid recipient: 'not-a-phone'"), imported.out());

        final Result again = run("import", "--data-dir", dataDir.toString(), "--brand", "600001",
            "--entries-per-map", "10000", file.toString());
        assertTrue(again.out().contains("4 lines, 0 applied, 3 superseded, 1 rejected"), again.out());

        final Process server = start("serve", "--data-dir", dataDir.toString(), "--port", "0", "--http-port", "0",
            "--milter-port", "0", "--resp-port", "0", "--freshness-bound", "off");
        try
        {
            final int port = awaitServing(server);
            final Result allow = run("check", "--port", Integer.toString(port), "--brand", "600001", "--channel",
                "MESAJ", "--recipient", "+90 532 111 11 11");
            assertEquals(0, allow.exit(), allow.err());
            assertTrue(allow.out().startsWith("ALLOW CONSENT (brand 600001"), allow.out());

            final Result deny = run("check", "--port", Integer.toString(port), "--brand", "600001", "--channel",
                "MESAJ", "--recipient", "05322222222");
            assertEquals(1, deny.exit(), deny.err());
            assertTrue(deny.out().startsWith("DENY REJECTED"), deny.out());

            final Result exempt = run("check", "--port", Integer.toString(port), "--brand", "600001", "--channel",
                "MESAJ", "--recipient", "05322222222", "--kind", "TRANSACTIONAL");
            assertEquals(0, exempt.exit());
            assertTrue(exempt.out().startsWith("ALLOW EXEMPT"), exempt.out());

            final Result busy = run("import", "--data-dir", dataDir.toString(), "--brand", "600001",
                file.toString());
            assertEquals(2, busy.exit(), "import needs the server stopped");
            assertTrue(busy.err().contains("data directory is in use by another process"), busy.err());
        }
        finally
        {
            server.destroy();
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the server stops on SIGTERM");
        }
        final String meta = Files.readString(dataDir.resolve("brands/600001/brand.meta"));
        assertTrue(meta.contains("state=closed"), "SIGTERM closes the index cleanly: " + meta);
    }

    @Test
    void shouldExitTwoWhenNoServerAnswers() throws Exception
    {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            closedPort = socket.getLocalPort();
        }
        final Result result = run("check", "--port", Integer.toString(closedPort), "--brand", "600001",
            "--channel", "MESAJ", "--recipient", "05321111111", "--timeout-ms", "2000");
        assertEquals(2, result.exit());
        assertTrue(result.err().contains("cannot connect"), result.err());
    }

    @Test
    void shouldRefuseToServeOnEveryInterfaceWithoutTlsAndAuthenticationNamingTheWayOut() throws Exception
    {
        final Path dataDir = work.resolve("data");
        final Path err = work.resolve("wide.err");
        final Process server = new ProcessBuilder(ROOT.resolve("iys-filter").toString(), "serve", "--data-dir",
            dataDir.toString(), "--bind", "0.0.0.0", "--port", "0", "--http-port", "0", "--milter-port", "0",
            "--resp-port", "0")
            .directory(ROOT.toFile()).redirectOutput(work.resolve("wide.out").toFile()).redirectError(err.toFile())
            .start();
        try
        {
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "serve did not refuse: it is serving on 0.0.0.0");
            final String message = Files.readString(err);
            assertEquals(2, server.exitValue(), message);
            assertTrue(message.startsWith("iys-filter serve: refusing to listen beyond loopback without protection " +
                "on bind=0.0.0.0, bind (resp-port)=0.0.0.0, bind (milter-port)=0.0.0.0"), message);
            for (final String wayOut : new String[]{"tls-cert-file and clients-file", "milter-allow",
                "127.0.0.1", "insecure-plaintext=true"})
            {
                assertTrue(message.contains(wayOut), wayOut + " in: " + message);
            }
            assertTrue(!Files.exists(dataDir), "refused before the data directory was made");
        }
        finally
        {
            server.destroyForcibly();
        }
    }

    private static int awaitServing(final Process server) throws IOException
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
            StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null)
        {
            final Matcher matcher = SERVING.matcher(line);
            if (matcher.find())
            {
                return Integer.parseInt(matcher.group(1));
            }
        }
        throw new AssertionError("serve ended without serving, exit " + server.exitValue());
    }

    private Process start(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("iys-filter").toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(ROOT.toFile())
            .redirectError(work.resolve("serve.err").toFile()).start();
    }

    private Result run(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("iys-filter").toString());
        command.addAll(List.of(args));
        final Path out = Files.createTempFile(work, "out", ".txt");
        final Path err = Files.createTempFile(work, "err", ".txt");
        final Process process = new ProcessBuilder(command).directory(ROOT.toFile())
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "command did not finish: " + command);
        final Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        assertNotNull(result.out());
        return result;
    }
}
