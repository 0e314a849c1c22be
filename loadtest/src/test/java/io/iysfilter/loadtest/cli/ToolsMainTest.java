package io.iysfilter.loadtest.cli;

import com.sun.net.httpserver.HttpServer;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.emulator.PushDelivery;
import io.iysfilter.server.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tools' main runs every command the server's main names as a developer tool, and lists each.
 */
class ToolsMainTest
{
    /** The emulator command's default service provider and brand. */
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;

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
    void shouldLoseWhatThePushLoseOptionsSayAndNoMore() throws Exception
    {
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final HttpServer receiver = receiver(received);
        final ToolsMain.EmulatorCommand command = new ToolsMain.EmulatorCommand(print(new ByteArrayOutputStream()));
        new CommandLine(command).parseArgs("--port", "0", "--recipients", "10", "--push-lose-registration-answers",
            "1", "--push-lose", "1", "--push-attempts", "2", "--push-retry-ms", "0");
        try (IysEmulator emulator = command.start())
        {
            final HttpClient http = HttpClient.newHttpClient();
            final String token = token(http, emulator);
            final String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/push";

            // the first registration is made (İYS posted its test record, the connection exists) but unanswered
            assertThrows(IOException.class, () -> register(http, emulator, token, url, "first"));
            assertEquals("first test", received.poll(10, TimeUnit.SECONDS));
            assertEquals(List.of("first"), usernames(emulator), "made, though its answer was lost");
            // one answer only: the next is answered
            assertEquals(200, register(http, emulator, token, url, "second"));
            assertEquals("second test", received.poll(10, TimeUnit.SECONDS));
            assertEquals(List.of("first", "second"), usernames(emulator));
            assertEquals(0, emulator.pushes().attempts(), "test records are not push attempts");

            // a citizen's RET goes to both connections: the first attempt (to "first") is lost and retried, once
            emulator.change(BRAND, "IYS", "+905321234567", "BIREYSEL", "MESAJ", "RET");
            final List<String> pushes = List.of(received.poll(10, TimeUnit.SECONDS),
                received.poll(10, TimeUnit.SECONDS));
            assertTrue(pushes.containsAll(List.of("first push", "second push")), pushes.toString());
            assertEquals(3, emulator.pushes().attempts(), "two connections, and the lost attempt again");
            assertEquals(1, emulator.pushes().failedAttempts(), "the one lost");
            assertEquals(0, emulator.pushes().abandoned());
        }
        finally
        {
            receiver.stop(0);
        }
        assertNull(received.poll(), "nothing more was posted: " + received);
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

    /**
     * A push receiver on 127.0.0.1 that answers every POST 200 and tells, for each, the connection's username and
     * whether it was İYS's test record or a push.
     */
    private static HttpServer receiver(final BlockingQueue<String> received) throws IOException
    {
        final HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/push", (exchange) ->
        {
            final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            final String basic = exchange.getRequestHeaders().getFirst("Authorization").substring("Basic ".length());
            final String user = new String(Base64.getDecoder().decode(basic), StandardCharsets.UTF_8).split(":")[0];
            received.add(user + (body.contains("pushtest@iys.org.tr") ? " test" : " push"));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        return receiver;
    }

    private static String token(final HttpClient http, final IysEmulator emulator) throws Exception
    {
        final HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(emulator.baseUrl() +
            "/oauth2/token")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"grant_type\":\"password\",\"username\":\"iys-user\",\"password\":\"iys-password\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        final Matcher token = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(answer.body());
        assertTrue(token.find(), answer.body());
        return token.group(1);
    }

    private static int register(final HttpClient http, final IysEmulator emulator, final String token,
        final String url, final String username) throws Exception
    {
        final String connection = "{\"connection\":[{\"url\":\"" + url + "\",\"type\":\"MESAJ\",\"username\":\"" +
            username + "\",\"password\":\"secret-" + username + "\"}]}";
        return http.send(HttpRequest.newBuilder(URI.create(emulator.baseUrl() + "/sps/" + IYS_CODE + "/brands/" +
            BRAND + "/push/registration")).header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(connection)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static List<String> usernames(final IysEmulator emulator)
    {
        return emulator.pushes().connections(BRAND).stream().map(PushDelivery.Connection::username).toList();
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
