package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.Change;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Scrape;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.iys.FeedSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.iysfilter.server.replication.FetcherIT.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two fetchers and a replica on the İYS emulator and a real broker (docs/REPLICATION.md §4): exactly one fetcher is
 * elected, follows İYS and publishes while the other stands by and answers as a replica; a kill -9 of the active
 * fetcher mid-stream hands office to the standby, which resumes from the topic's cursors, and every change made in
 * the emulator before and after reaches the replica; a paused zombie whose session lapsed cannot publish after the
 * standby took over, its late records never reach the replica, and it stands by again.
 */
@Timeout(300)
class FetcherFailoverIT
{
    /** The İYS code of the emulated provider. */
    static final long IYS_CODE = 700_001;
    /** A session short enough for a quick fail-over, within the broker's minimum (6 s). */
    static final long SESSION_TIMEOUT_MS = 6_000;
    private static final long BRAND = 600_001;
    private static final int PARTITIONS = 3;
    private static final int RECIPIENTS = 300;

    @TempDir
    static Path kafkaDir;

    private static KafkaBroker broker;

    @TempDir
    Path dir;

    private IysEmulator emulator;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeAll
    static void startBroker() throws Exception
    {
        broker = KafkaBroker.start(kafkaDir);
    }

    @AfterAll
    static void stopBroker()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @AfterEach
    void stop() throws Exception
    {
        for (int i = opened.size() - 1; i >= 0; i--)
        {
            opened.get(i).close();
        }
        if (emulator != null)
        {
            emulator.close();
        }
    }

    /**
     * @return a fetcher's settings, as every node of these tests has them (one index key, the short session).
     */
    static FilterServer.Context fetcherContext(final Path dataDir, final String bootstrap, final String topic,
        final FeedSettings feed)
    {
        return context(dataDir, bootstrap, topic, Role.FETCHER).feed(feed).fetcherSessionTimeoutMs(SESSION_TIMEOUT_MS);
    }

    private static FilterServer.Context context(final Path dataDir, final String bootstrap, final String topic,
        final Role role)
    {
        return new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000))
            .replication(new ReplicationSettings(role, bootstrap, null, topic, PARTITIONS, (short)1));
    }

    private FilterServer fetcher(final String name, final String topic) throws Exception
    {
        return open(FilterServer.start(fetcherContext(dir.resolve(name), broker.bootstrapServers(), topic, feed())));
    }

    private FilterServer replica(final String name, final String topic) throws Exception
    {
        return open(FilterServer.start(context(dir.resolve(name), broker.bootstrapServers(), topic, Role.REPLICA)));
    }

    private FeedSettings feed()
    {
        return FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret",
            List.of(BRAND), 50, 64, 0, true);
    }

    private <T extends AutoCloseable> T open(final T closeable)
    {
        opened.add(closeable);
        return closeable;
    }

    private void startEmulator() throws Exception
    {
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), RECIPIENTS, 42,
            "iys-user", "secret", 0, 7_200_000));
    }

    @Test
    void exactlyOneFetcherFollowsIysAndPublishesWhileTheOtherStandsByAndAnswersAsAReplica() throws Exception
    {
        final String topic = "two-fetchers";
        startEmulator();
        final FilterServer first = fetcher("first", topic);
        awaitState(first.election(), FetcherElection.State.ACTIVE);
        final FilterServer second = fetcher("second", topic);
        awaitCaughtUp(second);
        final FilterServer replica = replica("replica", topic);

        emulator.change(BRAND, "HS", phone(1), "BIREYSEL", "MESAJ", "RET");
        emulator.change(BRAND, "HS", phone(2), "BIREYSEL", "MESAJ", "ONAY");
        awaitAnswers(first, ownChanges());
        converge(first, second, replica);
        awaitAnswers(second, ownChanges());
        awaitAnswers(replica, ownChanges());
        assertSameAnswers(first, second);
        assertSameAnswers(first, replica);

        assertEquals(FetcherElection.State.ACTIVE, first.election().state(), "the first stays in office");
        assertEquals(FetcherElection.State.STANDBY, second.election().state());
        assertEquals(0, second.election().elections(), "the second joined a group whose partition was held");
        assertNull(second.publisher(), "the standby publishes nothing");
        assertNull(second.feed().status(BRAND), "the standby follows no İYS feed");
        final Map<String, Double> standby = Scrape.series(second.httpPort());
        assertEquals(0.0, standby.get("iys_feed_polls_total{brand=\"" + BRAND + "\"}"), "it never polled İYS");
        assertEquals(0.0, standby.get("iys_replication_published_total{kind=\"consent\"}"));
        assertEquals(1.0, standby.get("iys_replication_fetcher_state{state=\"standby\"}"));
        assertTrue(standby.get("iys_replication_consumed_total{kind=\"consent\"}") >= RECIPIENTS, standby.toString());
        final Map<String, Double> active = Scrape.series(first.httpPort());
        assertEquals(1.0, active.get("iys_replication_fetcher_state{state=\"active\"}"));
        assertEquals(1.0, active.get("iys_replication_elections_total"));

        final String brands = get(second, "/v1/brands").body();
        assertTrue(brands.contains("\"role\":\"fetcher\",\"fetcher\":\"standby\",\"offset\":"), brands);
        assertTrue(get(first, "/v1/brands").body().contains("\"fetcher\":\"active\""));
        final HttpResponse<String> ready = get(second, "/health/ready");
        assertEquals(200, ready.statusCode(), "a caught-up standby is ready as a replica is: " + ready.body());
        assertTrue(ready.body().contains("\"fetcher\":\"standby\""), ready.body());
        final HttpResponse<String> optOut = optOut(second, "05321111111");
        assertEquals(503, optOut.statusCode(), optOut.body());
        assertTrue(optOut.body().contains("\"error\":\"replication\"") && optOut.body().contains("standby:"),
            optOut.body());
    }

    @Test
    void aKill9OfTheActiveFetcherMidStreamHandsOfficeToTheStandbyWhichResumesFromTheTopicsCursors() throws Exception
    {
        final String topic = "kill-fetcher";
        startEmulator();
        final Process child = startChild(dir.resolve("child"), topic);
        final int childHttp = childHttpPort(child);
        awaitActive(childHttp);
        final FilterServer standby = fetcher("standby", topic);
        final FilterServer replica = replica("replica", topic);
        awaitCaughtUp(standby);
        emulator.change(BRAND, "HS", phone(1), "BIREYSEL", "MESAJ", "RET");
        awaitAnswers(replica, ownChanges());

        // changes flow while the active fetcher is killed: some before, the kill, some after
        long killedNs = 0;
        for (int i = 10; i < 40; i++)
        {
            emulator.change(BRAND, i % 2 == 0 ? "HS" : "IYS", phone(i), "BIREYSEL", "MESAJ",
                i % 3 == 0 ? "ONAY" : "RET");
            if (i == 25)
            {
                child.destroyForcibly();
                killedNs = System.nanoTime();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                assertEquals(137, child.exitValue(), "killed with SIGKILL");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
        }
        awaitState(standby.election(), FetcherElection.State.ACTIVE);
        final long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
        for (int i = 40; i < 50; i++)
        {
            emulator.change(BRAND, "HS", phone(i), "BIREYSEL", "MESAJ", i % 3 == 0 ? "ONAY" : "RET");
        }
        // the same recipient changed again after the takeover: the newest must win everywhere
        emulator.change(BRAND, "IYS", phone(11), "BIREYSEL", "MESAJ", "ONAY");
        awaitAnswers(standby, ownChanges());
        converge(standby, replica);
        awaitAnswers(replica, ownChanges());
        assertSameAnswers(standby, replica);

        // it resumed from the topic's cursors: the standby never held a cursor file, yet it did not read İYS's window
        // from its start (every generated consent) but only what followed the killed fetcher's last commit
        final double received = Scrape.series(standby.httpPort()).get("iys_feed_records_total{brand=\"" + BRAND +
            "\"}");
        assertTrue(received < RECIPIENTS, "the new fetcher read " + received + " records from İYS, where the whole " +
            "window holds " + RECIPIENTS + " and more");
        assertEquals(0, replica.replica().quarantined());
        System.out.println("fail-over: SIGKILL to active standby in " + failoverMs + " ms (session timeout " +
            SESSION_TIMEOUT_MS + " ms)");
    }

    @Test
    void aPausedZombieCannotPublishAfterTheStandbyTookOverAndStandsByAgain() throws Exception
    {
        final String topic = "zombie";
        startEmulator();
        final FilterServer zombie = fetcher("zombie", topic);
        awaitState(zombie.election(), FetcherElection.State.ACTIVE);
        final FilterServer standby = fetcher("standby", topic);
        final FilterServer replica = replica("replica", topic);
        awaitCaughtUp(standby);
        awaitAnswers(replica, ownChanges());

        // the zombie pauses: its publisher holds what its writer applies (an opt-out only it takes), and its session
        // in the election group lapses while it still believes it is in office
        final FetcherPublisher paused = zombie.publisher();
        paused.hold(true);
        final String optedOut = "05321111111";
        // it applies the opt-out, but the held publisher commits nothing: no acknowledgement, send it again
        final HttpResponse<String> taken = optOut(zombie, optedOut);
        assertEquals(503, taken.statusCode(), taken.body());
        assertTrue(taken.body().contains("\"retry\":true"), taken.body());
        final Reason zombieAnswer = check(zombie, "+905321111111");
        final long pendingDeadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (paused.pending() == 0)
        {
            assertTrue(System.nanoTime() - pendingDeadlineNs < 0, "the opt-out never reached the zombie's hand-off");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        zombie.election().lapse(true);
        awaitState(standby.election(), FetcherElection.State.ACTIVE);

        // the zombie wakes up: it sends and commits what it held, and Kafka refuses it
        paused.hold(false);
        final long fencedDeadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (paused.trouble() == null)
        {
            assertTrue(System.nanoTime() - fencedDeadlineNs < 0, "the zombie's publisher was never refused");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        // fenced, or, when the takeover aborted the zombie's open transaction first, refused as in an invalid state
        // (its abort then fails: "stopped:"); either way Kafka refused it
        assertTrue(paused.trouble().startsWith("fenced") || paused.trouble().startsWith("stopped:"),
            paused.trouble());
        zombie.election().lapse(false);
        awaitState(zombie.election(), FetcherElection.State.STANDBY);
        assertTrue(zombie.election().lastEnd().equals(paused.trouble()), zombie.election().lastEnd());

        // the new fetcher publishes on; once the replica has its newest change, the zombie's opt-out is still absent
        emulator.change(BRAND, "HS", phone(5), "BIREYSEL", "MESAJ", "RET");
        awaitAnswers(replica, ownChanges());
        awaitAnswers(zombie, ownChanges());
        final Reason replicaAnswer = check(replica, "+905321111111");
        assertNotEquals(zombieAnswer, replicaAnswer, "the zombie's late opt-out never reached the replica");
        assertEquals(check(standby, "+905321111111"), replicaAnswer, "the replica answers as the active fetcher");
        final Map<String, Double> series = Scrape.series(zombie.httpPort());
        assertEquals(1.0, series.get("iys_replication_stepdowns_total{reason=\"fenced\"}") +
            series.get("iys_replication_stepdowns_total{reason=\"stopped\"}"), series.toString());
        assertEquals(FetcherElection.State.ACTIVE, standby.election().state(), "the zombie never took office back");
    }

    private Process startChild(final Path dataDir, final String topic) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.addAll(List.of(FetcherKillChild.class.getName(), dataDir.toString(), broker.bootstrapServers(), topic,
            emulator.baseUrl(), Long.toString(BRAND)));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile()).start();
        opened.add(child::destroyForcibly);
        return child;
    }

    private int childHttpPort(final Process child) throws Exception
    {
        final Pattern http = Pattern.compile("(?m)^http=(\\d+)$");
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true)
        {
            final Path log = dir.resolve("child.log");
            final Matcher port = http.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (port.find())
            {
                return Integer.parseInt(port.group(1));
            }
            assertTrue(child.isAlive(), "the child died: " + Files.readString(log));
            assertTrue(System.nanoTime() - deadlineNs < 0, "the child did not start");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static void awaitActive(final int httpPort) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!get(httpPort, "/v1/brands").body().contains("\"fetcher\":\"active\""))
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the child fetcher was never elected");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private static void awaitCaughtUp(final FilterServer standby)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (standby.election().follower() == null || !standby.election().follower().isCaughtUp())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the standby did not catch up with the topic");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * What İYS says of the recipients these tests changed: the newest movement of each, in İYS order.
     */
    private Map<String, Reason> ownChanges()
    {
        final Map<String, Change> newest = new LinkedHashMap<>();
        for (final Change change : emulator.movements(BRAND))
        {
            if (change.recipient().startsWith("+9053299") && "MESAJ".equals(change.type()))
            {
                newest.merge(change.recipient(), change, (known, next) -> next.creationMs() > known.creationMs() ||
                    next.creationMs() == known.creationMs() && next.transactionId().compareTo(known.transactionId()) >
                    0 ? next : known);
            }
        }
        final Map<String, Reason> expected = new LinkedHashMap<>();
        newest.forEach((recipient, change) -> expected.put(recipient, "ONAY".equals(change.status()) ?
            Reason.CONSENT : Reason.REJECTED));
        return expected;
    }

    /**
     * Wait, boundedly, until the server answers each recipient as İYS says.
     */
    private static void awaitAnswers(final FilterServer server, final Map<String, Reason> expected) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Map<String, Reason> answered = Map.of();
        while (true)
        {
            answered = answers(server, expected.keySet());
            if (answered.equals(expected))
            {
                return;
            }
            assertTrue(System.nanoTime() - deadlineNs < 0, "not as İYS says: expected " + expected + ", answered " +
                answered);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /**
     * Wait, boundedly, until the active fetcher has polled both İYS sources to their end once more and every other
     * server has applied the watermark it published then (the watermark follows every change before it).
     */
    private static void converge(final FilterServer active, final FilterServer... others) throws Exception
    {
        active.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
        final long watermarkMs = active.store().brand(BRAND).watermarkMs();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (final FilterServer other : others)
        {
            while (other.store().brand(BRAND) == null || other.store().brand(BRAND).watermarkMs() < watermarkMs)
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "a server did not reach the watermark " +
                    watermarkMs);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    private static Map<String, Reason> answers(final FilterServer server, final Iterable<String> recipients)
        throws Exception
    {
        final Map<String, Reason> answered = new LinkedHashMap<>();
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            for (final String recipient : recipients)
            {
                answered.put(recipient, client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, recipient).reason());
            }
        }
        return answered;
    }

    private static Reason check(final FilterServer server, final String recipient) throws Exception
    {
        return answers(server, List.of(recipient)).get(recipient);
    }

    /**
     * Every generated recipient of the emulator answers the same on both servers.
     */
    private void assertSameAnswers(final FilterServer one, final FilterServer other) throws Exception
    {
        final List<String> recipients = new ArrayList<>();
        for (final Change change : emulator.movements(BRAND))
        {
            if ("BIREYSEL".equals(change.recipientType()) && change.recipient().startsWith("+90") &&
                !recipients.contains(change.recipient()))
            {
                recipients.add(change.recipient());
            }
        }
        final Map<String, Reason> answered = answers(one, recipients);
        assertTrue(answered.containsValue(Reason.CONSENT) && answered.containsValue(Reason.REJECTED),
            "the data set has both answers: " + answered.values());
        final Map<String, Reason> theirs = answers(other, recipients);
        assertEquals(answered, theirs, "both servers answer alike");
    }

    private static HttpResponse<String> optOut(final FilterServer server, final String recipient) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/optouts"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"brand\":" + BRAND + ",\"channel\":\"MESAJ\"," +
                "\"recipient\":\"" + recipient + "\"}")).timeout(java.time.Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(final FilterServer server, final String path) throws Exception
    {
        return get(server.httpPort(), path);
    }

    private static HttpResponse<String> get(final int httpPort, final String path) throws Exception
    {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String phone(final int i)
    {
        return String.format(Locale.ROOT, "+9053299%05d", i);
    }
}
