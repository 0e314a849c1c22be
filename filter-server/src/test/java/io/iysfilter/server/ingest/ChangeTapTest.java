package io.iysfilter.server.ingest;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.ConsentRecordParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The single writer tells its tap of every change its index now holds (applied, or exactly equal to what the key
 * held: a page fetched again after a crash) and every watermark, and of nothing else; the hand-off to the publisher
 * is bounded, makes the writer wait when full, and loses nothing until its consumer stops.
 */
@Timeout(60)
class ChangeTapTest
{
    private static final long BRAND = 600_001;

    @TempDir
    Path dir;

    private final ConsentRecordParser parser = new ConsentRecordParser();

    /** What the tap heard, copied on the writer thread. */
    private static final class Recording implements ChangeTap
    {
        final List<String> heard = new ArrayList<>();

        @Override
        public synchronized void onChange(final ConsentChange change)
        {
            heard.add("change " + change.brandCode() + " " + change.keyKind() + ":" + change.key0() + ":" +
                change.key1() + " " + change.word0() + ":" + change.word1());
        }

        @Override
        public synchronized void onWatermark(final long brandCode, final long watermarkMs)
        {
            heard.add("watermark " + brandCode + " " + watermarkMs);
        }

        synchronized List<String> heard()
        {
            return new ArrayList<>(heard);
        }
    }

    /** The listener's outcome of one change. */
    private static final class Outcome implements IngestListener
    {
        final CompletableFuture<String> said = new CompletableFuture<>();

        @Override
        public void onApplied(final long tag)
        {
            said.complete("APPLIED");
        }

        @Override
        public void onSuperseded(final long tag)
        {
            said.complete("SUPERSEDED");
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            said.complete("FAILED " + reason);
        }

        @Override
        public void onFromTheFuture(final long tag, final String reason)
        {
            said.complete("FUTURE");
        }

        @Override
        public void onStoreFailure(final long tag, final String reason)
        {
            said.complete("STORE " + reason);
        }
    }

    private ConsentChange change(final String creationDate, final String status)
    {
        final ConsentChange change = new ConsentChange();
        final String error = parser.parse(BRAND, creationDate, "ab".repeat(32), "+905321234567", "BIREYSEL", "MESAJ",
            status, "2020-01-01 00:00:00", "HS_WEB", change);
        assertNull(error, error);
        return change;
    }

    private static String publish(final IngestPipeline pipeline, final ConsentChange change) throws Exception
    {
        final Outcome outcome = new Outcome();
        pipeline.publish(change, 1, outcome);
        return outcome.said.get(30, TimeUnit.SECONDS);
    }

    @Test
    void shouldTellTheTapOfAppliedAndExactlyEqualChangesAndWatermarksButNotOfOlderOnes() throws Exception
    {
        final Recording tap = new Recording();
        try (ConsentStore store = ConsentStore.open(dir, TestKeys.options(1_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64, tap))
        {
            pipeline.createBrand(BRAND).get(30, TimeUnit.SECONDS);
            final ConsentChange ret = change("2025-01-02 10:00:00", "RET");
            assertEquals("APPLIED", publish(pipeline, ret));
            assertEquals(1, tap.heard().size());
            final String heard = tap.heard().get(0);
            assertTrue(heard.startsWith("change " + BRAND + " " + ConsentChange.KEY_PHONE + ":"), heard);
            assertFalse(heard.contains(":0:0 "), "the writer filled the protected key: " + heard);

            // the same change again (a page fetched again after a crash): listeners hear SUPERSEDED as always,
            // the tap hears it again, since what was applied before the crash may never have been published
            assertEquals("SUPERSEDED", publish(pipeline, change("2025-01-02 10:00:00", "RET")));
            assertEquals(List.of(heard, heard), tap.heard());
            assertEquals(2, pipeline.superseded() + pipeline.applied());

            // an older change is SUPERSEDED and never published: the topic holds the newer one
            assertEquals("SUPERSEDED", publish(pipeline, change("2025-01-01 10:00:00", "ONAY")));
            assertEquals(2, tap.heard().size());

            pipeline.advanceWatermark(BRAND, 1_700_000_000_000L).get(30, TimeUnit.SECONDS);
            assertEquals("watermark " + BRAND + " 1700000000000", tap.heard().get(2));

            // a writer task's changes (an opt-out log replayed at start) are told too, and an equal one answers
            // SUPERSEDED to the task as before
            final int replayed = pipeline.runOnWriter(index -> index.apply(change("2025-01-02 10:00:00", "RET")))
                .get(30, TimeUnit.SECONDS);
            assertEquals(ConsentIndexWriter.SUPERSEDED, replayed);
            assertEquals(List.of(heard, heard, "watermark " + BRAND + " 1700000000000", heard), tap.heard());
        }
    }

    @Test
    void shouldHandOffInOrderAndReadAgainWhatWasNotReleased()
    {
        final ChangeHandOff handOff = new ChangeHandOff(8);
        final ConsentChange change = new ConsentChange();
        change.setKeyed(BRAND, ConsentChange.KEY_EMAIL, 11, 12, 13, 14);
        handOff.onChange(change);
        handOff.onWatermark(BRAND, 99);
        final ConsentChange read = new ConsentChange();
        assertEquals(ChangeHandOff.CONSENT, handOff.poll(read));
        assertEquals(List.of(BRAND, (long)ConsentChange.KEY_EMAIL, 11L, 12L, 13L, 14L),
            List.of(read.brandCode(), (long)read.keyKind(), read.key0(), read.key1(), read.word0(), read.word1()));
        assertEquals(ChangeHandOff.WATERMARK, handOff.poll(read));
        assertEquals(List.of(BRAND, 99L), List.of(handOff.watermarkBrand(), handOff.watermarkMs()));
        assertEquals(0, handOff.poll(read));

        // the transaction failed: both are read again
        handOff.rewind();
        assertEquals(ChangeHandOff.CONSENT, handOff.poll(read));
        assertEquals(ChangeHandOff.WATERMARK, handOff.poll(read));
        assertEquals(2, handOff.pending());
        handOff.release(handOff.readPosition());
        assertEquals(0, handOff.pending());
        handOff.rewind();
        assertEquals(0, handOff.poll(read), "released records are gone");
    }

    @Test
    void shouldHandOffEachChangesDealerListAndNoListWhereTheChangeHadNone()
    {
        final ChangeHandOff handOff = new ChangeHandOff(2);
        final ConsentChange listed = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 1, 0, 3, 4)
            .dealers(new int[] {22_233_344, 7}, 2);
        final ConsentChange fetched = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 2, 0, 3, 4)
            .dealerAccess(new int[0], 0, 1_700_000_000_000L);
        final ConsentChange plain = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 3, 0, 3, 4);
        final ConsentChange read = new ConsentChange();

        handOff.onChange(listed);
        handOff.onChange(fetched);
        assertEquals(ChangeHandOff.CONSENT, handOff.poll(read));
        assertEquals(2, read.dealerCount());
        assertEquals(List.of(22_233_344, 7), List.of(read.dealerCodes()[0], read.dealerCodes()[1]));
        assertEquals(listed.word1(), read.word1());
        assertEquals(0, read.accessFetchedMs());
        assertEquals(ChangeHandOff.CONSENT, handOff.poll(read));
        assertEquals(0, read.dealerCount());
        assertEquals(1_700_000_000_000L, read.accessFetchedMs(), "an access list keeps its read time");
        assertEquals(fetched.word1(), read.word1());
        handOff.release(handOff.readPosition());

        // the slot that held a list now holds a change without one
        handOff.onChange(plain);
        assertEquals(ChangeHandOff.CONSENT, handOff.poll(read));
        assertEquals(0, read.dealerCount());
        assertEquals(0, read.accessFetchedMs());
        assertEquals(4L, read.word1());
    }

    @Test
    void shouldAnswerATicketOnlyOnceTheCommittedPositionReachesWhatWasHandedOverBeforeIt() throws Exception
    {
        final ChangeHandOff handOff = new ChangeHandOff(8);
        assertTrue(handOff.published().isDone(), "nothing handed over: nothing to wait for");
        final ConsentChange change = new ConsentChange();
        change.setKeyed(BRAND, ConsentChange.KEY_PHONE, 1, 2, 3, 4);
        handOff.onChange(change);
        handOff.onChange(change);
        final CompletableFuture<Void> ticket = handOff.published();
        handOff.onWatermark(BRAND, 7);
        final CompletableFuture<Void> later = handOff.published();
        assertFalse(ticket.isDone(), "handed over, not committed");

        final ConsentChange read = new ConsentChange();
        handOff.poll(read);
        handOff.release(handOff.readPosition());
        assertEquals(1, handOff.committed());
        assertFalse(ticket.isDone(), "the second change is not committed yet");

        // the transaction holding the rest fails: read again, nothing answered
        handOff.poll(read);
        handOff.poll(read);
        handOff.rewind();
        assertFalse(ticket.isDone(), "an aborted transaction answers no ticket");

        handOff.poll(read);
        handOff.release(handOff.readPosition());
        ticket.get(5, TimeUnit.SECONDS);
        assertFalse(later.isDone(), "the watermark after it is not committed");
        handOff.poll(read);
        handOff.release(handOff.readPosition());
        later.get(5, TimeUnit.SECONDS);
        assertEquals(3, handOff.committed());
        assertTrue(handOff.published().isDone(), "everything handed over is committed: answered at once");
    }

    @Test
    void shouldFailATicketWhenThePublisherStopsFirstOrAChangeWasDiscarded() throws Exception
    {
        final ChangeHandOff handOff = new ChangeHandOff(8);
        handOff.onWatermark(BRAND, 1);
        final CompletableFuture<Void> waiting = handOff.published();
        final CompletableFuture<Void> timedOut = handOff.published().orTimeout(10, TimeUnit.MILLISECONDS);
        final ExecutionException timeout = assertThrows(ExecutionException.class,
            () -> timedOut.get(5, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, timeout.getCause());
        assertFalse(waiting.isDone());

        handOff.close();
        final ExecutionException stopped = assertThrows(ExecutionException.class,
            () -> waiting.get(5, TimeUnit.SECONDS));
        assertInstanceOf(ChangeTap.NotPublishedException.class, stopped.getCause());

        // after the stop the writer's next record is discarded: a ticket now may cover it, it is refused at once
        handOff.onWatermark(BRAND, 2);
        assertEquals(1, handOff.discarded());
        final CompletableFuture<Void> afterDiscard = handOff.published();
        assertTrue(afterDiscard.isCompletedExceptionally());

        // a tap that sends nowhere answers at once
        assertTrue(ChangeTap.NONE.published().isDone());
    }

    @Test
    void shouldMakeTheWriterWaitWhenFullCountItAndGoOnWhenReleasedOrWhenTheConsumerStops() throws Exception
    {
        final ChangeHandOff handOff = new ChangeHandOff(4);
        for (int i = 0; i < 4; i++)
        {
            handOff.onWatermark(BRAND, i);
        }
        assertEquals(0, handOff.waits());
        final CompletableFuture<Void> fifth = CompletableFuture.runAsync(() -> handOff.onWatermark(BRAND, 4));
        awaitWaits(handOff, 1);
        assertFalse(fifth.isDone(), "the writer waits while the ring is full, nothing is dropped");
        final ConsentChange read = new ConsentChange();
        assertEquals(ChangeHandOff.WATERMARK, handOff.poll(read));
        assertFalse(fifth.isDone(), "a slot read is not yet free: its transaction has not committed");
        handOff.release(handOff.readPosition());
        fifth.get(30, TimeUnit.SECONDS);
        for (int expected = 1; expected <= 4; expected++)
        {
            assertEquals(ChangeHandOff.WATERMARK, handOff.poll(read));
            assertEquals(expected, handOff.watermarkMs());
        }
        assertEquals(0, handOff.discarded());

        final CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> handOff.onWatermark(BRAND, 5));
        awaitWaits(handOff, 2);
        handOff.close();
        blocked.get(30, TimeUnit.SECONDS);
        assertEquals(1, handOff.discarded(), "after the consumer stopped the writer goes on; what it hands over " +
            "is counted as discarded");
        handOff.onWatermark(BRAND, 6);
        assertEquals(2, handOff.discarded());
    }

    private static void awaitWaits(final ChangeHandOff handOff, final long waits) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (handOff.waits() < waits)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the writer never waited");
            Thread.sleep(1);
        }
    }

    @Test
    void shouldLetAWriterWaitingOnAFullHandOffFinishWhenTheServerClosesAndCountWhatItDiscards() throws Exception
    {
        // the publisher cannot commit (Kafka down): nothing is ever released, the ring stays full
        final ChangeHandOff handOff = new ChangeHandOff(2);
        handOff.onChange(change("2025-01-01 10:00:00", "ONAY"));
        handOff.onChange(change("2025-01-01 11:00:00", "ONAY"));
        try (ConsentStore store = ConsentStore.open(dir, TestKeys.options(1_000)))
        {
            final IngestPipeline pipeline = new IngestPipeline(store.writer(), 64, handOff);
            pipeline.createBrand(BRAND).get(30, TimeUnit.SECONDS);
            final Outcome outcome = new Outcome();
            pipeline.publish(change("2025-01-02 10:00:00", "RET"), 1, outcome);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (handOff.waits() == 0)
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the writer never reached the full hand-off");
                Thread.onSpinWait();
            }
            assertFalse(outcome.said.isDone(), "the writer waits on the full hand-off");

            // the close order of FilterServer: release the writer first, then join it
            handOff.stopWaiting();
            final CompletableFuture<Void> closed = CompletableFuture.runAsync(pipeline::close);
            closed.get(30, TimeUnit.SECONDS);
            assertEquals("APPLIED", outcome.said.getNow("not told"), "the index holds the RET");
            assertEquals(1, handOff.discarded(), "the change the full ring could not take is counted");
            assertFalse(handOff.closed(), "the consumer may still commit what the ring holds");
            assertTrue(handOff.discarding());

            // the publisher commits what the ring held: room again, but nothing after the discarded RET goes in,
            // or the brand's watermark would reach the replicas past a RET they never get
            final long handedOver = handOff.handedOver();
            handOff.release(handedOver);
            handOff.onWatermark(BRAND, 7);
            assertEquals(2, handOff.discarded(), "a watermark after a discarded change is discarded too");
            assertEquals(handedOver, handOff.handedOver(), "nothing handed over after the first discard");
        }
    }
}
