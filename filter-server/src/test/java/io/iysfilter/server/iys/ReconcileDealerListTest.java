package io.iysfilter.server.iys;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daily file carries no dealer fields: reconciling it against records the feed delivered with their dealer list
 * finds them matched, not conflicting, and leaves their lists.
 */
class ReconcileDealerListTest
{
    private static final long BRAND = 600_001;
    private static final String CREATION = "2020-10-29 23:58:53";
    private static final String TX = "f26ab9".repeat(10) + "e89a";

    @TempDir
    Path dataDir;

    @Test
    void shouldFindAFeedRecordWithItsDealerListMatchedByTheFilesCopyAndKeepTheList() throws Exception
    {
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 1024))
        {
            pipeline.createBrand(BRAND).get();
            final ConsentChange fromFeed = new ConsentChange();
            assertNull(new ConsentRecordParser().parse(BRAND, CREATION, TX, "+905321234567", "BIREYSEL", "MESAJ",
                "ONAY", "2017-06-28 19:39:28", "HS_WEB", "", "[22233344]", fromFeed));
            pipeline.publish(fromFeed, 1, new IngestListener()
            {
                @Override
                public void onApplied(final long tag)
                {
                }

                @Override
                public void onSuperseded(final long tag)
                {
                }

                @Override
                public void onFailed(final long tag, final String reason)
                {
                }
            });
            pipeline.barrier().get();

            final String file = String.join(",", DailyFileImporter.COLUMNS) + "\n" + CREATION + "," + TX +
                ",+905321234567,BIREYSEL,MESAJ,ONAY,2017-06-28 19:39:28,HS_WEB\n";
            final Reconciler.Report report = new Reconciler(store, pipeline, BRAND, LocalDate.parse("2020-10-29"))
                .reconcile(new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8)));
            assertEquals(1, report.matched(), report.toString());
            assertEquals(0, report.conflicting(), report.toString());

            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, lookup.status(store.brand(BRAND), Channel.MESAJ, RecipientType.BIREYSEL,
                new ParsedRecipient().phone(905_321_234_567L)));
            assertTrue(lookup.dealerListed(22_233_344L), "the file's copy of the record does not clear its list");
        }
    }
}
