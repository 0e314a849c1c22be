package io.iysfilter.server.ingest;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.iys.ConsentRecordParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A run of changes handed to the single writer in one claim of the ring (a replica's bootstrap) is applied exactly as
 * the same changes published one at a time: in order, each last-writer-wins in İYS order, each told under its own tag,
 * and all of it before a barrier published behind the run.
 */
@Timeout(60)
class IngestPipelineRunTest
{
    private static final long BRAND = 600_001;
    private static final String PHONE = "+905321234567";

    @TempDir
    Path dir;

    private final ConsentRecordParser parser = new ConsentRecordParser();

    /** Each outcome as "tag outcome", in the order the writer told them. */
    private static final class Told implements IngestListener
    {
        final List<String> heard = new CopyOnWriteArrayList<>();

        @Override
        public void onApplied(final long tag)
        {
            heard.add(tag + " APPLIED");
        }

        @Override
        public void onSuperseded(final long tag)
        {
            heard.add(tag + " SUPERSEDED");
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            heard.add(tag + " FAILED");
        }
    }

    @Test
    void shouldApplyARunInOrderEachChangeLastWriterWinsAndAllOfItBeforeTheBarrierBehindIt() throws Exception
    {
        final Told told = new Told();
        try (ConsentStore store = ConsentStore.open(dir, TestKeys.options(1_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            pipeline.createBrand(BRAND).get(30, TimeUnit.SECONDS);
            final ConsentChange[] run = {
                change("2025-01-02 10:00:00", "RET"),
                // older than the RET before it in the same run: never overwrites it
                change("2025-01-01 10:00:00", "ONAY"),
                change("2025-01-03 10:00:00", "RET"),
                // the same record again
                change("2025-01-03 10:00:00", "RET"),
                // older again, last in the run
                change("2025-01-02 12:00:00", "ONAY"),
            };
            pipeline.publish(run, new long[] {11, 12, 13, 14, 15}, run.length, told);
            pipeline.barrier().get(30, TimeUnit.SECONDS);

            assertEquals(List.of("11 APPLIED", "12 SUPERSEDED", "13 APPLIED", "14 SUPERSEDED", "15 SUPERSEDED"),
                told.heard, "every change of the run told, in order, before the barrier behind it completed");
            assertEquals(ConsentStatus.RET, status(store), "the newest record of the run stands");
            assertEquals(2, pipeline.applied());
            assertEquals(3, pipeline.superseded());
        }
    }

    @Test
    void shouldApplyOnlyTheFirstCountChangesAndRefuseARunTheRingCannotHold() throws Exception
    {
        final Told told = new Told();
        try (ConsentStore store = ConsentStore.open(dir, TestKeys.options(1_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64))
        {
            pipeline.createBrand(BRAND).get(30, TimeUnit.SECONDS);
            final ConsentChange[] run = new ConsentChange[65];
            for (int i = 0; i < run.length; i++)
            {
                run[i] = change("2025-01-01 10:00:00", "ONAY");
            }
            run[1] = change("2025-01-02 10:00:00", "RET");
            final long[] tags = new long[run.length];
            assertThrows(IllegalArgumentException.class, () -> pipeline.publish(run, tags, 65, told));
            assertThrows(IllegalArgumentException.class, () -> pipeline.publish(run, tags, 0, told));

            // a run of one: the RET behind it is not handed over
            pipeline.publish(run, new long[] {7, 8}, 1, told);
            pipeline.barrier().get(30, TimeUnit.SECONDS);
            assertEquals(List.of("7 APPLIED"), told.heard);
            assertEquals(ConsentStatus.ONAY, status(store));
        }
    }

    private ConsentChange change(final String creationDate, final String status)
    {
        final ConsentChange change = new ConsentChange();
        final String error = parser.parse(BRAND, creationDate, "ab".repeat(32), PHONE, "BIREYSEL", "MESAJ",
            status, "2020-01-01 00:00:00", "HS_WEB", change);
        assertNull(error, error);
        return change;
    }

    private static int status(final ConsentStore store)
    {
        final IndexLookup lookup = store.newLookup();
        final BrandState brand = lookup.brand(BRAND);
        final ParsedRecipient recipient = new ParsedRecipient();
        new RecipientParser().parse(PHONE, recipient);
        return lookup.status(brand, Channel.MESAJ, RecipientType.BIREYSEL, recipient);
    }
}
