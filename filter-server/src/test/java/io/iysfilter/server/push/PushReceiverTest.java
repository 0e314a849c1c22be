package io.iysfilter.server.push;

import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The push receiver below the HTTP edge: the pull feed's validation and İYS order, the test record, the log forced
 * before the answer and replayed at start, the limits and the authentication.
 */
@Timeout(120)
class PushReceiverTest
{
    private static final String USER = "iys";
    private static final String PASSWORD = "s3cret-push-password";

    @TempDir
    Path dataDir;
    @TempDir
    Path otherDir;

    private final RecipientParser recipientParser = new RecipientParser();
    private final ParsedRecipient parsed = new ParsedRecipient();

    @Test
    void shouldApplyAPushedRetOnceAndCountTheSameRecordAgainAsADuplicate() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000))
        {
            assertEquals(ConsentStatus.ONAY, status(store, Fixtures.CONSENTED));
            final long nowSec = System.currentTimeMillis() / 1000;
            final String ret = record(Fixtures.CONSENTED, "RET", nowSec - 5, 1);

            final PushReceiver.Result first = receiver.receive(list(ret), -1);
            assertEquals(PushReceiver.Outcome.ACCEPTED, first.outcome(), first.message());
            assertEquals(1, first.taken());
            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(ConsentStatus.RET, status(store, Fixtures.CONSENTED), "the pushed RET is enforced");
            assertEquals(1, receiver.applied());

            final PushReceiver.Result again = receiver.receive(list(ret), -1);
            assertEquals(PushReceiver.Outcome.ACCEPTED, again.outcome());
            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(1, receiver.applied(), "the same transaction twice is one change");
            assertEquals(1, receiver.duplicates());

            // an older ONAY pushed late (reordered) loses to the RET, as in the pull feed
            receiver.receive(list(record(Fixtures.CONSENTED, "ONAY", nowSec - 60, 2)), -1);
            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(ConsentStatus.RET, status(store, Fixtures.CONSENTED), "İYS order, not arrival order");
            assertEquals(2, receiver.duplicates());
            assertEquals(3, receiver.brand(Fixtures.BRAND).records());
        }
    }

    @Test
    void shouldDropTheTestRecordQuarantineInvalidOnesAndRefuseTheFuture() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000))
        {
            final long nowSec = System.currentTimeMillis() / 1000;
            final String test = "{\"iysCode\":121212,\"brandCode\":121212,\"consentDate\":\"" +
                IysTime.format(nowSec - 10) + "\",\"creationDate\":\"" + IysTime.format(nowSec - 10) +
                "\",\"source\":\"IYS_MOBIL\",\"recipient\":\"pushtest@iys.org.tr\",\"recipientType\":\"BIREYSEL\"," +
                "\"status\":\"ONAY\",\"type\":\"EPOSTA\",\"transactionId\":\"t-test\"}";
            final String red = record(Fixtures.bulkPhone(0), "RED", nowSec - 5, 3).replace("\"RED\"",
                "\"RED\\ud800\"");
            final String future = record(Fixtures.bulkPhone(2), "RET", nowSec + 3_600, 4);
            final String good = record(Fixtures.bulkPhone(4), "RET", nowSec - 5, 5);

            final PushReceiver.Result result = receiver.receive(list(test, red, future, good), -1);
            assertEquals(PushReceiver.Outcome.ACCEPTED, result.outcome(), result.message());
            assertEquals(4, result.records());
            assertEquals(1, result.test());
            assertEquals(2, result.rejected(), "the invalid record and the one from the future, both before the log");
            assertEquals(1, result.taken());
            pipeline.barrier().get(10, TimeUnit.SECONDS);

            assertEquals(1, receiver.testRecords());
            assertEquals(ConsentStatus.RET, status(store, Fixtures.bulkPhone(4)));
            assertEquals(ConsentStatus.ONAY, status(store, Fixtures.bulkPhone(2)), "a record from the future never " +
                "wins");
            assertEquals(2, receiver.rejected(), "the invalid record and the one from the future");
            final String log = Files.readString(dataDir.resolve(PushLog.FILE_NAME));
            assertFalse(log.contains("pushtest"), "the test record is dropped, not logged");
            // the log keeps only the good record: the future one would be replayed at every start, and win once the
            // clock reached its date over a real change created before it
            assertEquals(1, new PushLog(dataDir, store.key()).read().records().size(),
                "the future record is not kept to be replayed");
            final String quarantine = Files.readString(dataDir.resolve(PushReceiver.QUARANTINE_FILE));
            assertTrue(quarantine.contains("invalid status: 'RED?'"), "a lone surrogate is quarantined, not a failed " +
                "push: " + quarantine);
            assertTrue(quarantine.contains("max-future-skew"), quarantine);
        }
    }

    @Test
    void shouldRefuseMalformedAndOversizedPushesWhole() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 2))
        {
            final long nowSec = System.currentTimeMillis() / 1000;
            assertEquals(PushReceiver.Outcome.MALFORMED,
                receiver.receive("[1,2]".getBytes(StandardCharsets.UTF_8), -1).outcome());
            assertEquals(PushReceiver.Outcome.MALFORMED,
                receiver.receive("{\"list\":[{\"a\":1}".getBytes(StandardCharsets.UTF_8), -1).outcome());
            assertEquals(PushReceiver.Outcome.TOO_MANY_RECORDS, receiver.receive(list(
                record(Fixtures.bulkPhone(0), "RET", nowSec - 5, 1),
                record(Fixtures.bulkPhone(2), "RET", nowSec - 5, 2),
                record(Fixtures.bulkPhone(4), "RET", nowSec - 5, 3)), -1).outcome());
            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(ConsentStatus.ONAY, status(store, Fixtures.bulkPhone(0)), "nothing of a refused push");
            assertFalse(Files.exists(dataDir.resolve(PushLog.FILE_NAME)));

            // a record for another brand than the URL names is set aside
            final PushReceiver.Result wrongUrl = receiver.receive(list(
                record(Fixtures.bulkPhone(0), "RET", nowSec - 5, 4)), Fixtures.STALE_BRAND);
            assertEquals(1, wrongUrl.rejected());
        }
    }

    @Test
    void shouldQuarantineAnInvalidRecordOnceWhenThePushIsRetriedAfterA503() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000))
        {
            final long nowSec = System.currentTimeMillis() / 1000;
            final byte[] push = list(record(Fixtures.bulkPhone(0), "RED", nowSec - 5, 1),
                record(Fixtures.bulkPhone(2), "RET", nowSec - 5, 2),
                record(Fixtures.bulkPhone(1), "ONAY", nowSec - 5, 3));
            // a directory where the log should be: the log cannot be opened, the push is answered 503
            Files.createDirectory(dataDir.resolve(PushLog.FILE_NAME));
            final PushReceiver.Result failed = receiver.receive(push, -1);
            assertEquals(PushReceiver.Outcome.FAILED, failed.outcome());
            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(ConsentStatus.RET, status(store, Fixtures.bulkPhone(2)), "the valid RET reached the " +
                "writer before the log was tried: it is enforced though the push is answered 503");
            assertEquals(ConsentStatus.RET, status(store, Fixtures.bulkPhone(1)), "an ONAY waits for the log: " +
                "no ALLOW rests on a record it did not keep");
            assertFalse(Files.exists(dataDir.resolve(PushReceiver.QUARANTINE_FILE)) &&
                Files.readString(dataDir.resolve(PushReceiver.QUARANTINE_FILE)).contains("RED"),
                "nothing of a push answered 503 is quarantined: İYS sends it again");
            assertEquals(0, receiver.rejected());

            Files.delete(dataDir.resolve(PushLog.FILE_NAME));
            final PushReceiver.Result retried = receiver.receive(push, -1);
            assertEquals(PushReceiver.Outcome.ACCEPTED, retried.outcome(), retried.message());
            final String quarantine = Files.readString(dataDir.resolve(PushReceiver.QUARANTINE_FILE));
            assertEquals(1, quarantine.split("invalid status", -1).length - 1, "quarantined once: " + quarantine);
            assertEquals(1, receiver.rejected());
            assertEquals(3, receiver.received(), "the retry's records, not the refused attempt's too");
            assertEquals(3, receiver.brand(Fixtures.BRAND).records());
            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(ConsentStatus.ONAY, status(store, Fixtures.bulkPhone(1)), "the ONAY once the log kept it");
        }
    }

    @Test
    void shouldReplayTheLogIntoAnIndexThatLostThePush() throws Exception
    {
        Fixtures.write(dataDir);
        Fixtures.write(otherDir);
        final long nowSec = System.currentTimeMillis() / 1000;
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000))
        {
            receiver.receive(list(record(Fixtures.CONSENTED, "RET", nowSec - 5, 9)), -1);
            pipeline.barrier().get(10, TimeUnit.SECONDS);
        }
        // the other directory's index never saw the push: as an index whose pages a crash took
        Files.copy(dataDir.resolve(PushLog.FILE_NAME), otherDir.resolve(PushLog.FILE_NAME));
        Files.writeString(otherDir.resolve(PushLog.FILE_NAME), "0badc0de {torn", StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.APPEND);
        try (ConsentStore store = ConsentStore.open(otherDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000))
        {
            assertEquals(ConsentStatus.ONAY, status(store, Fixtures.CONSENTED));
            assertEquals(1, receiver.replay());
            assertEquals(ConsentStatus.RET, status(store, Fixtures.CONSENTED), "the acknowledged RET is back");
            assertEquals(1, new PushLog(otherDir, store.key()).read().records().size(), "the torn tail is cut off");
            assertEquals(0, new PushLog(otherDir, store.key()).read().dropped());
            assertFalse(Files.readString(otherDir.resolve(PushLog.FILE_NAME)).contains("5321111111"),
                "sealed on disk");
        }
    }

    @Test
    void shouldLeaveOldRecordsOutOfTheLogOnceADayWhileRunning() throws Exception
    {
        Fixtures.write(dataDir);
        final AtomicLong clock = new AtomicLong(System.currentTimeMillis());
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000, clock::get))
        {
            final long nowSec = clock.get() / 1000;
            final long old = nowSec - TimeUnit.MILLISECONDS.toSeconds(PushReceiver.KEEP_MS) - 60;
            assertEquals(PushReceiver.Outcome.ACCEPTED,
                receiver.receive(list(record(Fixtures.bulkPhone(0), "RET", old, 1)), -1).outcome());
            clock.addAndGet(PushReceiver.PRUNE_EVERY_MS - 1_000);
            receiver.receive(list(record(Fixtures.bulkPhone(2), "RET", nowSec - 5, 2)), -1);
            assertEquals(2, new PushLog(dataDir, store.key()).read().records().size(), "not pruned within a day");

            clock.addAndGet(1_000);
            receiver.receive(list(record(Fixtures.bulkPhone(4), "RET", nowSec - 5, 3)), -1);
            assertEquals(2, new PushLog(dataDir, store.key()).read().records().size(),
                "a day on, the record older than the pull feed's window is left out of the log");
        }
    }

    @Test
    void shouldRefuseWrongCredentialsAndThenTheAddressUnchecked() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000))
        {
            final byte[] body = list();
            assertEquals(PushReceiver.Outcome.UNAUTHORIZED,
                receiver.push(null, "10.0.0.1", body, -1).get(30, TimeUnit.SECONDS).outcome());
            assertEquals(PushReceiver.Outcome.UNAUTHORIZED,
                receiver.push(basic(USER, "wrong"), "10.0.0.1", body, -1).get(30, TimeUnit.SECONDS).outcome());
            assertEquals(PushReceiver.Outcome.UNAUTHORIZED,
                receiver.push(basic("nobody", PASSWORD), "10.0.0.1", body, -1).get(30, TimeUnit.SECONDS).outcome());
            assertEquals(PushReceiver.Outcome.BLOCKED,
                receiver.push(basic(USER, PASSWORD), "10.0.0.1", body, -1).get(30, TimeUnit.SECONDS).outcome(),
                "past the limit the address is refused even with the right password");
            assertEquals(PushReceiver.Outcome.ACCEPTED,
                receiver.push(basic(USER, PASSWORD), "10.0.0.2", body, -1).get(30, TimeUnit.SECONDS).outcome());
            assertEquals(4, receiver.authFailures());
            assertFalse(Files.readString(dataDir.resolve("push.credentials")).contains(PASSWORD),
                "only a salted hash is kept");
        }
    }

    @Test
    void shouldCheckOnlyCredentialsVerifiedBeforeOnceManyAddressesFailed() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            PushReceiver receiver = receiver(store, pipeline, 1_000))
        {
            final byte[] body = list();
            assertEquals(PushReceiver.Outcome.ACCEPTED,
                receiver.push(basic(USER, PASSWORD), "10.0.0.1", body, -1).get(30, TimeUnit.SECONDS).outcome());
            // each address under its own limit (3), together past ten times it: each of these cost a key derivation
            final int flood = 3 * PushReceiver.ALL_ADDRESSES_FACTOR;
            for (int i = 0; i < flood; i++)
            {
                assertEquals(PushReceiver.Outcome.UNAUTHORIZED, receiver.push(basic(USER, "wrong-" + i),
                    "10.1." + i / 250 + "." + i % 250, body, -1).get(30, TimeUnit.SECONDS).outcome());
            }
            assertEquals(PushReceiver.Outcome.BLOCKED,
                receiver.push(basic(USER, "wrong"), "10.2.0.1", body, -1).get(30, TimeUnit.SECONDS).outcome(),
                "a fresh address is refused without a key derivation");
            assertEquals(PushReceiver.Outcome.ACCEPTED,
                receiver.push(basic(USER, PASSWORD), "10.2.0.2", body, -1).get(30, TimeUnit.SECONDS).outcome(),
                "İYS's credentials, verified before, are still taken");
            assertEquals(flood + 1, receiver.authFailures());
        }
    }

    private PushReceiver receiver(final ConsentStore store, final IngestPipeline pipeline, final int maxRecords)
        throws Exception
    {
        return receiver(store, pipeline, maxRecords, System::currentTimeMillis);
    }

    private PushReceiver receiver(final ConsentStore store, final IngestPipeline pipeline, final int maxRecords,
        final LongSupplier clock) throws Exception
    {
        final Path credentials = dataDir.resolve("push.credentials");
        if (!Files.exists(credentials))
        {
            PushCredentials.put(credentials, USER, PASSWORD);
        }
        return new PushReceiver(store, pipeline, new PushSettings(0, "127.0.0.1", PushSettings.PATH_DEFAULT,
            credentials, PushSettings.MAX_BODY_BYTES_DEFAULT, maxRecords, 100, 4, 30_000, 3_000, 3), clock);
    }

    private static String basic(final String user, final String password)
    {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String record(final String phone, final String status, final long creationSec, final int tx)
    {
        return "{\"brandCode\":" + Fixtures.BRAND + ",\"consentDate\":\"" + IysTime.format(creationSec - 1) +
            "\",\"creationDate\":\"" + IysTime.format(creationSec) + "\",\"source\":\"IYS_KISAMESAJ\"," +
            "\"recipient\":\"" + phone + "\",\"recipientType\":\"BIREYSEL\",\"status\":\"" + status +
            "\",\"type\":\"MESAJ\",\"transactionId\":\"" + String.format(Locale.ROOT, "%064x", 1_000_000L + tx) + "\"}";
    }

    private static byte[] list(final String... records)
    {
        return ("{\"list\":[" + String.join(",", records) + "]}").getBytes(StandardCharsets.UTF_8);
    }

    private int status(final ConsentStore store, final String phone)
    {
        final IndexLookup lookup = store.newLookup();
        final BrandState brand = lookup.brand(Fixtures.BRAND);
        recipientParser.parse(phone, parsed);
        return lookup.status(brand, Channel.MESAJ, RecipientType.BIREYSEL, parsed);
    }
}
