package io.iysfilter.server.iys;

import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.SmallTmpfs;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.DiskSpaceGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feed while the data directory's file system is below the writer's disk reserve: a page the index refuses
 * is not quarantined and its cursor does not move, so the RET in it is applied once space returns.
 */
@Timeout(120)
class FeedDiskFullIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final long MIB = 1024 * 1024;
    private static final String RECIPIENT = "+905329990007";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    void shouldRetryAPageTheIndexRefusedForLackOfSpaceInsteadOfQuarantiningIt() throws Exception
    {
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(work.resolve("mnt"), 32);
            IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 50, 3,
                "iys-user", "secret", 0, 7_200_000)))
        {
            final Path dataDir = tmpfs.directory().resolve("data");
            try (FilterServer server = FilterServer.start(new FilterServer.Context().dataDirectory(dataDir)
                .binaryPort(0).httpPort(0).milterPort(-1).ioThreads(1).policy(FilterPolicy.DEFAULT)
                .indexOptions(TestKeys.options(10_000).withDiskReserve(8 * MIB))
                .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret",
                    List.of(BRAND), 50, 64, 0, true))))
            {
                server.feed().nextCompletePoll(BRAND).get();
                emulator.change(BRAND, "HS", RECIPIENT, "BIREYSEL", "MESAJ", "ONAY");
                server.feed().nextCompletePoll(BRAND).get();
                assertEquals("ALLOW", verdict(server));
                final Path cursor = dataDir.resolve("brands/" + BRAND + "/feed-HS.cursor");
                final String cursorBefore = Files.readString(cursor);

                final Path filler = tmpfs.directory().resolve("filler");
                tmpfs.fill(filler, 4 * MIB);
                // the writer reads the free space at most every DiskSpaceGuard.CHECK_INTERVAL_NS while it was
                // plentiful: a change written within that interval of a reading taken before the fill would pass (the
                // reserve exists for that). Once the interval has run out since the fill, the RET's write reads it.
                final long filledNs = System.nanoTime();
                while (System.nanoTime() - filledNs <= DiskSpaceGuard.CHECK_INTERVAL_NS)
                {
                    LockSupport.parkNanos(DiskSpaceGuard.CHECK_INTERVAL_NS / 10);
                }
                emulator.change(BRAND, "HS", RECIPIENT, "BIREYSEL", "MESAJ", "RET");
                final FeedService.BrandStatus status = awaitBackingOff(server);
                assertTrue(status.lastError().contains("disk full"), status.lastError());
                assertEquals(cursorBefore, Files.readString(cursor), "the cursor does not pass the refused page");
                final Path quarantine = dataDir.resolve("brands/" + BRAND + "/quarantine.log");
                assertFalse(Files.exists(quarantine) && Files.readString(quarantine).contains(RECIPIENT),
                    "a record the index could not take for lack of space is not set aside");
                assertEquals("ALLOW", verdict(server), "the RET is not in the index yet");

                Files.delete(filler);
                server.feed().nextCompletePoll(BRAND).get();
                assertEquals("DENY", verdict(server), "applied once space returned");
            }
        }
    }

    private static FeedService.BrandStatus awaitBackingOff(final FilterServer server) throws Exception
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            server.feed().nextPollAttempt(BRAND).get();
            final FeedService.BrandStatus status = server.feed().status(BRAND);
            if ("BACKING_OFF".equals(status.state()))
            {
                return status;
            }
        }
        throw new AssertionError("no poll failed");
    }

    private static String verdict(final FilterServer server) throws Exception
    {
        final String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() +
            "/v1/check?brand=" + BRAND + "&channel=MESAJ&recipient=" + RECIPIENT.replace("+", "%2B"))).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body();
        return body.contains("\"verdict\":\"ALLOW\"") ? "ALLOW" : "DENY";
    }
}
