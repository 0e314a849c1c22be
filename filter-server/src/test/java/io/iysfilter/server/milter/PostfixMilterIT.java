package io.iysfilter.server.milter;

import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Postfix 3.7 on 127.0.0.1:2525 (installed by .ci/run), using our milter endpoint, delivering to Maildirs.
 * Messages are sent with swaks. On CI ({@code CI} set) a missing Postfix fails the test; elsewhere it is skipped
 * with that reason, since it needs root and the Debian packages.
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostfixMilterIT
{
    private static final int SMTP_PORT = 2525;
    private static final long DELIVERY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final Path POSTFIX_LOG = Path.of("/var/log/postfix-iys-testbed.log");
    private static final Pattern QUEUED = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9A-F]+)");

    private static Path work;
    private static FilterServer server;
    private static Path testbed;

    @BeforeAll
    static void start() throws Exception
    {
        final boolean postfix = Files.isExecutable(Path.of("/usr/sbin/postfix")) &&
            Files.isExecutable(Path.of("/usr/bin/swaks"));
        final boolean root = "root".equals(System.getProperty("user.name"));
        if (!postfix || !root)
        {
            final String why = "needs root and Debian's postfix and swaks (.ci/run installs them): postfix=" +
                postfix + ", root=" + root;
            if (System.getenv("CI") != null)
            {
                fail(why);
            }
            Assumptions.abort(why);
        }
        work = Files.createTempDirectory("iys-postfix");
        final Path dataDir = work.resolve("data");
        Fixtures.write(dataDir);
        final Path brandMap = Files.writeString(work.resolve("milter-brands.properties"),
            "domain:brand.example = " + Fixtures.BRAND + "\n");
        server = FilterServer.start(Fixtures.context(dataDir)
            .milter(MilterSettings.of(brandMap, false, false)));
        testbed = resource("/postfix/testbed.sh");
        final Process process = new ProcessBuilder("bash", testbed.toString(), "start", work.toString(),
            Integer.toString(SMTP_PORT), Integer.toString(server.milterPort())).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), "Postfix test bed did not start: " + output);
    }

    @AfterAll
    static void stop() throws Exception
    {
        if (testbed != null)
        {
            new ProcessBuilder("bash", testbed.toString(), "stop").inheritIO().start().waitFor();
        }
        if (server != null)
        {
            server.close();
        }
        if (work != null)
        {
            try (Stream<Path> paths = Files.walk(work))
            {
                paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void shouldDeliverOnlyToTheRecipientWithConsentWithTheDecisionHeader() throws Exception
    {
        final Swaks sent = swaks("news@brand.example", "ci one of three", "alice@test.local", "bob@test.local",
            "carol@test.local");
        assertEquals(0, sent.exit, sent.log);
        final String queueId = sent.queueId();
        awaitLog(queueId + ": removed");

        final List<Path> alice = mailbox("alice");
        assertEquals(1, alice.size(), "alice has consent");
        final String mail = Files.readString(alice.get(0));
        assertTrue(mail.contains("Subject: ci one of three"), mail);
        // the header names the decision id of each of the three recipients, in RCPT order
        assertTrue(mail.matches("(?s).*\nX-IYS-Filter: brand=600001 kind=COMMERCIAL kept=1 removed=2 asOf=\\S+Z " +
            "ids=[0-9a-f]{16},[0-9a-f]{16},[0-9a-f]{16}\n.*"), mail);
        assertTrue(mailbox("bob").isEmpty(), "bob's latest record is RET");
        assertTrue(mailbox("carol").isEmpty(), "carol has no record");
        final String log = Files.readString(POSTFIX_LOG);
        assertTrue(log.matches("(?s).*" + queueId + ": to=<alice@test.local>.*status=sent.*"), log);
        assertFalse(log.contains(queueId + ": to=<bob@test.local>"), log);
        assertFalse(log.contains(queueId + ": to=<carol@test.local>"), log);
    }

    @Test
    @Order(2)
    void shouldRejectAMessageNoRecipientMayReceive() throws Exception
    {
        final Swaks refused = swaks("news@brand.example", "ci all denied", "bob@test.local", "carol@test.local");
        assertEquals(26, refused.exit, "swaks: the final dot was refused\n" + refused.log);
        assertTrue(refused.log.contains("550 5.7.1 No IYS consent for any recipient (brand 600001)"), refused.log);
    }

    @Test
    @Order(3)
    void shouldTempfailASenderWithoutBrand() throws Exception
    {
        final Swaks deferred = swaks("news@unmapped.example", "ci unmapped", "alice@test.local");
        assertEquals(26, deferred.exit, deferred.log);
        assertTrue(deferred.log.contains("451 4.7.1 Sender is not mapped to an IYS brand"), deferred.log);
    }

    @Test
    @Order(4)
    void shouldDeliverABounceFromTheNullSenderUnchecked() throws Exception
    {
        final Swaks sent = swaks("<>", "ci bounce", "bob@test.local", "carol@test.local");
        assertEquals(0, sent.exit, "a bounce is not commercial: neither tempfailed nor refused\n" + sent.log);
        final String queueId = sent.queueId();
        awaitLog(queueId + ": to=<bob@test.local>");
        awaitLog(queueId + ": to=<carol@test.local>");
        assertEquals(1, mailbox("bob").size(), "delivered although bob's record is RET");
        assertTrue(Files.readString(mailbox("bob").get(0)).contains(
            "X-IYS-Filter: null-sender kind=NOT_COMMERCIAL kept=2 removed=0"));
    }

    @Test
    @Order(5)
    void shouldLetPostfixTempfailWhenTheFilterIsDown() throws Exception
    {
        server.close();
        final Swaks deferred = swaks("news@brand.example", "ci filter down", "alice@test.local");
        assertEquals(23, deferred.exit, "swaks: MAIL FROM was refused\n" + deferred.log);
        assertTrue(deferred.log.contains("451 4.7.1"), deferred.log);
        final String log = Files.readString(POSTFIX_LOG);
        assertTrue(log.contains("connect to Milter service inet:127.0.0.1:" + server.milterPort()) ||
            log.contains("Connection refused"), log);
    }

    private record Swaks(int exit, String log)
    {
        String queueId()
        {
            final Matcher matcher = QUEUED.matcher(log);
            assertTrue(matcher.find(), log);
            return matcher.group(1);
        }
    }

    private static Swaks swaks(final String from, final String subject, final String... to) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + SMTP_PORT,
            "--from", from, "--to", String.join(",", to), "--h-Subject", subject, "--body", "hello"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Swaks(process.exitValue(), log);
    }

    /**
     * Wait, bounded, for Postfix to log a line: delivery is asynchronous and its log is the only signal.
     */
    private static void awaitLog(final String text) throws IOException, InterruptedException
    {
        final long deadlineNs = System.nanoTime() + DELIVERY_TIMEOUT_NS;
        final Path log = POSTFIX_LOG;
        while (!Files.readString(log).contains(text))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("Postfix never logged '" + text + "':\n" + Files.readString(log));
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private static List<Path> mailbox(final String user) throws IOException
    {
        final Path dir = work.resolve("mail/test.local/" + user + "/new");
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.toList();
        }
    }

    private static Path resource(final String name) throws URISyntaxException
    {
        return Path.of(PostfixMilterIT.class.getResource(name).toURI());
    }
}
