package io.iysfilter.server.iys;

import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.Change;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.decision.FilterPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real server process following the emulator is killed with SIGKILL while it pages through the feed; a restarted
 * server must end with exactly İYS's truth: nothing lost, nothing doubled.
 */
@Timeout(120)
class FeedCrashIT
{
    private static final Path ROOT = Path.of(System.getProperty("iys.repository.root", "..")).toAbsolutePath();
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;

    @TempDir
    Path dataDir;

    @Test
    void shouldLoseAndDoubleNothingWhenKilledMidFeed() throws Exception
    {
        try (IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 4_000, 11,
            "iys-user", "secret", 0, 7_200_000)))
        {
            TestKeys.writeKeyFile(IndexKey.defaultFile(dataDir));
            final ProcessBuilder serve = new ProcessBuilder(ROOT.resolve("iys-filter").toString(), "serve",
                "--data-dir", dataDir.toString(), "--port", "0", "--http-port", "0", "--milter-port", "off",
                "--resp-port", "off",
                "--entries-per-map", "20000", "--iys-base-url", emulator.baseUrl(), "--iys-code",
                Long.toString(IYS_CODE), "--iys-brands", Long.toString(BRAND), "--iys-poll-interval", "1s",
                "--iys-page-size", "7", "--iys-recent-exclusion", "off", "--iys-allow-insecure-http", "true")
                .redirectErrorStream(true).redirectOutput(dataDir.resolveSibling("serve.log").toFile());
            serve.environment().put("IYS_USERNAME", "iys-user");
            serve.environment().put("IYS_PASSWORD", "secret");
            final Process server = serve.start();
            final Path cursor = dataDir.resolve("brands/" + BRAND + "/feed-HS.cursor");
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(cursor))
            {
                if (!server.isAlive() || System.nanoTime() - deadlineNs > 0)
                {
                    fail("the server never applied a page: " + Files.readString(dataDir.resolveSibling("serve.log")));
                }
                TimeUnit.MILLISECONDS.sleep(5);
            }
            server.destroyForcibly();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, server.exitValue(), "killed with SIGKILL");
            assertFalse(Files.readString(dataDir.resolve("brands/" + BRAND + "/brand.meta")).contains("state=closed"),
                "killed before it could close the index");

            try (FilterServer restarted = FilterServer.start(new FilterServer.Context()
                .dataDirectory(dataDir).binaryPort(0).httpPort(0).milterPort(-1).ioThreads(1)
                .policy(FilterPolicy.DEFAULT).indexOptions(TestKeys.options(20_000))
                .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret",
                    List.of(BRAND), 50, 999, 0, false))))
            {
                restarted.feed().nextCompletePoll(BRAND).get();
                assertTrue(restarted.store().brand(BRAND).wasRecovered(), "the index was recovered");
                final Map<String, Change> truth = latestPerKey(emulator.movements(BRAND));
                assertEquals(truth.size(), restarted.store().brand(BRAND).entries(), "one entry per key: no doubles");
                try (FilterClient client = FilterClient.connect("127.0.0.1", restarted.binaryPort()))
                {
                    for (final Change change : truth.values())
                    {
                        assertEquals("ONAY".equals(change.status()) ? Reason.CONSENT : Reason.REJECTED,
                            client.checkBlocking(BRAND, Channel.valueOf(change.type()), RecipientType.BIREYSEL,
                                MessageKind.COMMERCIAL, change.recipient()).reason(), change.toString());
                    }
                }
            }
        }
    }

    private static Map<String, Change> latestPerKey(final List<Change> movements)
    {
        final Map<String, Change> latest = new HashMap<>();
        for (final Change change : movements)
        {
            latest.merge(change.type() + "/" + change.recipient(), change, (a, b) ->
                a.creationMs() > b.creationMs() ||
                a.creationMs() == b.creationMs() && a.transactionId().compareTo(b.transactionId()) > 0 ? a : b);
        }
        return latest;
    }
}
