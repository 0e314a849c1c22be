package io.iysfilter.server.cli;

import com.sun.net.httpserver.HttpServer;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.emulator.PushDelivery;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.iys.PushRegistrations;
import io.iysfilter.server.push.PushSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code push register|list|unregister} against the emulator with a running receiver: the connection registered
 * with the feed's login and accepted by the receiver, a rotation whose old and new credentials are both accepted
 * until the old connection is removed, then only the new, and the connection removed. The plain passwords are read
 * from the emulator, which holds what İYS was given: the credentials file has hashes only.
 */
@Timeout(120)
class PushRegistrationIT
{
    private static final long IYS_CODE = 700_002;
    private static final long BRAND = 600_002;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dataDir;
    @TempDir
    static Path etc;
    private static IysEmulator emulator;
    private static FilterServer server;
    private static Path credentials;
    private static Path config;

    @BeforeAll
    static void start() throws Exception
    {
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 10, 5, "iys-user",
            "secret", 3_600_000, 7_200_000));
        credentials = etc.resolve("push.credentials");
        Files.writeString(credentials, "# push credentials\n");
        server = FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000))
            .push(PushSettings.OFF.withPort(0, credentials)));
        final Path password = etc.resolve("iys.password");
        Files.writeString(password, "secret\n");
        config = etc.resolve("iys-filter.properties");
        Files.writeString(config, "iys-base-url=" + emulator.baseUrl() + "\niys-allow-insecure-http=true\n" +
            "iys-code=" + IYS_CODE + "\niys-brands=" + BRAND + "\niys-username=iys-user\n" +
            "iys-password-file=" + password + "\npush-credentials-file=" + credentials + "\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterAll
    static void stop() throws Exception
    {
        server.close();
        emulator.close();
    }

    @Test
    void shouldRegisterRotateWithoutAGapAndUnregister() throws Exception
    {
        // register: İYS lists it, and the receiver took İYS's test record with the new credentials
        final long testRecordsBefore = server.push().testRecords();
        final Result registered = push("register", "--config", config.toString(), "--brand", "" + BRAND,
            "--type", "MESAJ", "--url", pushUrl(), "--user", "first");
        assertEquals(Main.EXIT_OK, registered.exit, registered.text);
        assertEquals(testRecordsBefore + 1, server.push().testRecords());
        final PushDelivery.Connection first = only("first");
        assertEquals(200, post("first", first.password()));
        assertFalse(Files.readString(credentials).contains(first.password()), "the file holds the hash only");
        final Result listed = push("list", "--config", config.toString(), "--brand", "" + BRAND);
        assertEquals(Main.EXIT_OK, listed.exit, listed.text);
        assertTrue(listed.text.contains("1 push connection") && listed.text.contains("MESAJ " + pushUrl()),
            listed.text);

        // a rotation stopped half way (the old URL given is wrong, İYS refuses the unregistration): both registered,
        // both accepted
        final Path firstPassword = secret("first", first.password());
        final Result half = push("register", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "MESAJ", "--url", pushUrl(), "--user", "second", "--rotate", "first", "--old-url", pushUrl() + "/gone",
            "--password-file", firstPassword.toString());
        assertEquals(Main.EXIT_DENY, half.exit, half.text);
        assertTrue(half.text.contains("H533") && half.text.contains("both are accepted"), half.text);
        final PushDelivery.Connection second = connection("second");
        assertEquals(2, emulator.pushes().connections(BRAND).size());
        assertEquals(200, post("first", first.password()), "the old is accepted during the rotation");
        assertEquals(200, post("second", second.password()), "and the new");

        // the rotation finished: the old one removed from İYS and from the file
        final Result removed = push("unregister", "--config", config.toString(), "--brand", "" + BRAND,
            "--type", "MESAJ", "--url", pushUrl(), "--user", "first", "--password-file", firstPassword.toString());
        assertEquals(Main.EXIT_OK, removed.exit, removed.text);
        assertEquals(401, post("first", first.password()), "the old is refused afterwards");
        assertEquals(200, post("second", second.password()));
        assertEquals(second, only("second"));

        // a whole rotation in one command: afterwards İYS lists only the new and the receiver accepts only it
        final Result rotated = push("register", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "MESAJ", "--url", pushUrl(), "--rotate", "second", "--password-file",
            secret("second", second.password()).toString());
        assertEquals(Main.EXIT_OK, rotated.exit, rotated.text);
        final PushDelivery.Connection third = emulator.pushes().connections(BRAND).get(0);
        assertEquals(1, emulator.pushes().connections(BRAND).size());
        assertNotEquals("second", third.username());
        assertTrue(third.username().startsWith("iys-push-"), third.username());
        assertEquals(200, post(third.username(), third.password()));
        assertEquals(401, post("second", second.password()));
        final String file = Files.readString(credentials);
        assertFalse(file.contains("second:") || file.contains("first:"), file);

        // unregister: İYS lists nothing, the receiver refuses the last credentials
        final Result gone = push("unregister", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "MESAJ", "--url", pushUrl(), "--user", third.username(), "--password-file",
            secret("third", third.password()).toString());
        assertEquals(Main.EXIT_OK, gone.exit, gone.text);
        assertTrue(emulator.pushes().connections(BRAND).isEmpty());
        assertEquals(401, post(third.username(), third.password()));
        final Result empty = push("list", "--config", config.toString(), "--brand", "" + BRAND);
        assertTrue(empty.text.contains("0 push connection"), empty.text);
    }

    @Test
    void shouldTakeTheLineOutAgainWhenIysRefusesTheRegistration() throws Exception
    {
        // ARAMA at a URL where no receiver listens: İYS's test record fails, so does the registration
        final Result refused = push("register", "--config", config.toString(), "--brand", "" + BRAND,
            "--type", "ARAMA", "--url", "http://127.0.0.1:1/iys/push", "--user", "nowhere");
        assertEquals(Main.EXIT_DENY, refused.exit, refused.text);
        assertTrue(refused.text.contains("H191"), refused.text);
        assertFalse(Files.readString(credentials).contains("nowhere:"));
    }

    @Test
    void shouldUndoARegistrationWhoseAnswerWasLost() throws Exception
    {
        // İYS made the connection but its answer was lost: only the command knows the password, so it removes the
        // connection at once rather than leave one nobody can name
        emulator.loseNextRegistrationAnswers(1);
        final Result lost = push("register", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "EPOSTA", "--url", pushUrl(), "--user", "lost");
        assertEquals(Main.EXIT_DENY, lost.exit, lost.text);
        assertTrue(lost.text.contains("was lost") && lost.text.contains("run the registration again"), lost.text);
        assertTrue(emulator.pushes().connections(BRAND).stream().noneMatch((c) -> c.username().equals("lost")),
            "the connection made is removed again");
        assertFalse(Files.readString(credentials).contains("lost:"), "and its line");
        assertFalse(Files.exists(etc.resolve("push.credentials.lost.password")));
    }

    @Test
    void shouldTakeA5xxAnswerForALostOneNotARefusal() throws Exception
    {
        // a gateway answers 504 although İYS made the connection: a refusal would take the line out and leave a
        // live connection nobody can name; as a lost answer it is unregistered again
        emulator.failNextRegistrationAnswers(1, 504);
        final Result failed = push("register", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "EPOSTA", "--url", pushUrl(), "--user", "gateway");
        assertEquals(Main.EXIT_DENY, failed.exit, failed.text);
        assertTrue(failed.text.contains("status=504") && failed.text.contains("was lost") &&
            failed.text.contains("run the registration again"), failed.text);
        assertTrue(emulator.pushes().connections(BRAND).stream().noneMatch((c) -> c.username().equals("gateway")),
            "the connection İYS made is removed");
        assertFalse(Files.readString(credentials).contains("gateway:"));
    }

    @Test
    void shouldAskAgainWhenALostRegistrationIsStillBeingMade() throws Exception
    {
        // the answer is lost and İYS makes the connection only 2 s later (still posting its test record): the
        // undoing finds none at first (H533), and asks again once a registration must be done
        emulator.loseNextRegistrationAnswers(1, 2_000);
        final Result lost = push("register", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "ARAMA", "--url", pushUrl(), "--user", "late");
        assertEquals(Main.EXIT_DENY, lost.exit, lost.text);
        assertEquals(1, emulator.lateRegistrations(), "the registration was made, late");
        assertTrue(lost.text.contains("H533") && lost.text.contains("asking again"), lost.text);
        assertTrue(lost.text.contains("run the registration again"), lost.text);
        assertTrue(emulator.pushes().connections(BRAND).stream().noneMatch((c) -> c.username().equals("late")),
            "the late connection is removed: nobody could have named it");
        assertFalse(Files.readString(credentials).contains("late:"));
    }

    @Test
    void shouldKeepTheLineAndThePasswordWhenTheUndoIsLostToo() throws Exception
    {
        emulator.loseNextRegistrationAnswers(2);
        final Result lost = push("register", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "ARAMA", "--url", pushUrl(), "--user", "stranded");
        assertEquals(Main.EXIT_DENY, lost.exit, lost.text);
        final PushDelivery.Connection live = connection("stranded");
        assertTrue(Files.readString(credentials).contains("stranded:"), "the line is kept: the connection is live");
        assertEquals(200, post("stranded", live.password()), "and the receiver accepts it");
        final Path kept = etc.resolve("push.credentials.stranded.password");
        assertEquals(live.password(), Files.readString(kept).strip(), "the password İYS holds is kept");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
        assertTrue(lost.text.contains("--password-file " + kept), lost.text);

        // the command it printed removes it
        final Result removed = push("unregister", "--config", config.toString(), "--brand", "" + BRAND, "--type",
            "ARAMA", "--url", pushUrl(), "--user", "stranded", "--password-file", kept.toString());
        assertEquals(Main.EXIT_OK, removed.exit, removed.text);
        assertTrue(emulator.pushes().connections(BRAND).stream().noneMatch((c) -> c.username().equals("stranded")));
        assertFalse(Files.readString(credentials).contains("stranded:"));
        assertFalse(Files.exists(kept), "the kept password goes with the line");
        assertEquals(401, post("stranded", live.password()));
    }

    @Test
    void shouldUnregisterAConnectionMadeByHandWithoutTouchingTheFile() throws Exception
    {
        // a connection registered outside this command, to a receiver of its own (a stand-in that answers the test
        // record): its user is not in the credentials file
        final HttpServer stand = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stand.createContext("/", (exchange) ->
        {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        stand.start();
        try
        {
            final String standUrl = "http://127.0.0.1:" + stand.getAddress().getPort() + "/push";
            final Properties settings = ServeSettings.read(config.toString(), Map.of(), Map.of()).values();
            final PushRegistrations iys = new PushRegistrations(ServeSettings.feeds(settings).get(0));
            iys.register(BRAND, "EPOSTA", standUrl, "byhand", "hand-secret");
            connection("byhand");
            final String before = Files.readString(credentials);

            final Path wrong = secret("byhand-wrong", "not-it");
            final Result refused = push("unregister", "--config", config.toString(), "--brand", "" + BRAND,
                "--type", "EPOSTA", "--url", standUrl, "--user", "byhand", "--password-file", wrong.toString());
            assertEquals(Main.EXIT_DENY, refused.exit, refused.text);
            assertTrue(refused.text.contains("H533"), refused.text);
            connection("byhand");

            final Result removed = push("unregister", "--config", config.toString(), "--brand", "" + BRAND,
                "--type", "EPOSTA", "--url", standUrl, "--user", "byhand", "--password-file",
                secret("byhand", "hand-secret").toString());
            assertEquals(Main.EXIT_OK, removed.exit, removed.text);
            assertTrue(removed.text.contains("unchanged"), removed.text);
            assertTrue(emulator.pushes().connections(BRAND).stream().noneMatch((c) -> c.username().equals("byhand")));
            assertEquals(before, Files.readString(credentials), "the file is not touched");
        }
        finally
        {
            stand.stop(0);
        }
    }

    private record Result(int exit, String text)
    {
    }

    private static Result push(final String... args)
    {
        final List<String> argv = new ArrayList<>(List.of("push"));
        argv.addAll(List.of(args));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exit = Main.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(out, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8));
    }

    private static PushDelivery.Connection only(final String username)
    {
        final List<PushDelivery.Connection> connections = emulator.pushes().connections(BRAND);
        assertEquals(1, connections.size(), connections.toString());
        assertEquals(username, connections.get(0).username());
        return connections.get(0);
    }

    private static PushDelivery.Connection connection(final String username)
    {
        return emulator.pushes().connections(BRAND).stream().filter((c) -> c.username().equals(username))
            .findFirst().orElseThrow(() -> new AssertionError("İYS holds no connection of " + username));
    }

    private static Path secret(final String name, final String password) throws Exception
    {
        final Path file = etc.resolve(name + ".password");
        Files.writeString(file, password + "\n");
        return file;
    }

    /**
     * @return the receiver's status for İYS's test record sent with these credentials.
     */
    private static int post(final String username, final String password) throws Exception
    {
        final String now = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .format(ZonedDateTime.now(ZoneId.of("Europe/Istanbul")));
        final String body = "{\"list\":[{\"iysCode\":121212,\"brandCode\":121212,\"consentDate\":\"" + now +
            "\",\"creationDate\":\"" + now + "\",\"source\":\"IYS_MOBIL\",\"recipient\":\"pushtest@iys.org.tr\"," +
            "\"recipientType\":\"BIREYSEL\",\"status\":\"ONAY\",\"type\":\"EPOSTA\",\"transactionId\":\"t-" +
            System.nanoTime() + "\"}]}";
        final String basic = Base64.getEncoder().encodeToString((username + ":" + password)
            .getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(URI.create(pushUrl())).header("Authorization", "Basic " + basic)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String pushUrl()
    {
        return "http://127.0.0.1:" + server.pushPort() + PushSettings.PATH_DEFAULT + "/" + BRAND;
    }
}
