package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Beside a running server the open day's digest is the head its journal published at the last seal, not a walk of
 * the day's files; other days, and every day without a live journal, are read from the files.
 */
class JournalReceiptSourceTest
{
    private static final long NOW = Instant.parse("2026-11-30T10:00:00Z").toEpochMilli();

    @TempDir
    Path dir;

    @Test
    void shouldTakeTheOpenDaysHeadFromTheLiveJournal() throws Exception
    {
        final long day = Math.floorDiv(NOW, FoundReceipt.DAY_MS);
        final long id;
        try (JournalFiller filler = JournalFiller.open(dir, MemoryReceipts.FAKE_PROTECTION, NOW))
        {
            id = filler.add(NOW, 1, Channel.MESAJ, RecipientType.BIREYSEL, "+905321111111", Reason.CONSENT);
        }
        final ReceiptSource.DayDigest walked = JournalReceiptSource.open(dir).digest(day);
        assertEquals(id, walked.covers());

        // a head the files do not hold yet (sealed after the files were last looked at): it is the one answered
        final AtomicReference<DayRoot> head = new AtomicReference<>(new DayRoot(LocalDate.ofEpochDay(day), false,
            "ab".repeat(32), "00".repeat(32), 5, 3, id, id + 4));
        final JournalReceiptSource live = JournalReceiptSource.open(dir, head::get);
        final ReceiptSource.DayDigest digest = live.digest(day);
        assertEquals(new ReceiptSource.DayDigest(day, false, "ab".repeat(32), id + 4), digest);
        assertFalse(digest.hex().equals(walked.hex()));

        // the live journal is on a later day: this one is read from its files
        head.set(new DayRoot(LocalDate.ofEpochDay(day + 1), false, "cd".repeat(32), "00".repeat(32), 1, 1, id + 5,
            id + 5));
        assertEquals(walked, live.digest(day));
        head.set(null);
        assertEquals(walked, live.digest(day));
    }
}
