package io.iysfilter.server.iys;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reconcile as the HTTP edge calls it: checked first, then run with a given file or (with a feed) a fetched one.
 */
@Timeout(60)
class ReconcileServiceTest
{
    @TempDir
    Path dataDir;

    @Test
    void shouldCheckTheBrandTheDayAndWhereTheFileComesFrom() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            final ReconcileService service = new ReconcileService(store, pipeline, null);
            final String today = LocalDate.now(IysTime.TURKEY).toString();
            assertEquals(ReconcileService.Outcome.INVALID, service.check(-1, today, true).outcome());
            assertEquals(ReconcileService.Outcome.UNKNOWN_BRAND, service.check(123, today, true).outcome());
            assertEquals(ReconcileService.Outcome.INVALID,
                service.check(Fixtures.BRAND, LocalDate.now(IysTime.TURKEY).plusDays(2).toString(), true).outcome());
            final ReconcileService.Result noFeed = service.check(Fixtures.BRAND, today, false);
            assertEquals(ReconcileService.Outcome.INVALID, noFeed.outcome());
            assertTrue(noFeed.message().startsWith("body: empty and this server follows no İYS feed"),
                noFeed.message());
            assertNull(service.check(Fixtures.BRAND, today, true));
        }
    }

    @Test
    void shouldReconcileAGivenFileAndReportAFileItCannotRead() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            final ReconcileService service = new ReconcileService(store, pipeline, null);
            final String today = LocalDate.now(IysTime.TURKEY).toString();
            final Path empty = Files.writeString(dataDir.resolve("day.csv"), "");
            final ReconcileService.Result noHeader = service.reconcile(Fixtures.BRAND, today, empty);
            assertEquals(ReconcileService.Outcome.FAILED, noHeader.outcome(), "a file without a header");
            assertNull(noHeader.report());

            final ReconcileService.Result absent = service.reconcile(Fixtures.BRAND, today,
                dataDir.resolve("absent.csv"));
            assertEquals(ReconcileService.Outcome.FAILED, absent.outcome());

            final Path day = Files.writeString(dataDir.resolve("2020-10-29.csv"),
                "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
                "2020-10-29 23:59:00," + "f26ab9" + "0".repeat(58) + ",05321234567,BIREYSEL,MESAJ,RET," +
                "2020-10-29 23:00:00,HS_MESAJ\n");
            final ReconcileService.Result reconciled = service.reconcile(Fixtures.BRAND, "2020-10-29", day);
            assertEquals(ReconcileService.Outcome.RECONCILED, reconciled.outcome(), reconciled.message());
            assertFalse(reconciled.fetched(), "the file was given");
            assertEquals(1, reconciled.report().lines());
            assertEquals(1, reconciled.report().missing(), "the index did not hold it: applied");
            assertEquals(0, reconciled.report().rejected());
        }
    }
}
