package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The periodic force of the journal runs on the journal's forcer thread: a device slow to take it never holds the
 * drain, a failed one fails the journal, and no segment's channel is closed under it.
 */
class ReceiptForceTest
{
    // room for every receipt of a test in one segment: a roll waits for the running force (the last test)
    private static final int SEGMENT_SIZE = 1024 * 1024;
    private static final int SLOTS = 1024;
    private static final long WAIT_S = 30;

    @TempDir
    Path dir;

    private final ExecutorService others = Executors.newSingleThreadExecutor();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception
    {
        others.shutdownNow();
        for (int i = closing.size() - 1; i >= 0; i--)
        {
            closing.get(i).close();
        }
    }

    /**
     * A segment force that blocks until released, counting its calls and keeping what it met: it forces the real
     * channel once released, so a channel closed under it fails it, or fails with {@link #failure} when set.
     */
    private static final class BlockingForce implements ReceiptJournal.ChannelForce
    {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean closedUnder;
        volatile IOException failure;

        @Override
        public void force(final FileChannel channel) throws IOException
        {
            calls.incrementAndGet();
            entered.countDown();
            try
            {
                if (!release.await(WAIT_S, TimeUnit.SECONDS))
                {
                    throw new IOException("never released");
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException(ex);
            }
            closedUnder |= !channel.isOpen();
            if (failure != null)
            {
                throw failure;
            }
            channel.force(false);
        }
    }

    private static DecisionFacts allow(final int party, final long nowMs)
    {
        return new DecisionFacts().begin(nowMs, 600_001, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL).asker(Door.HTTP, party).answer(Reason.CONSENT, nowMs);
    }

    /**
     * Receipts 1 to {@code receipts} of the day appended and sealed, and their force started on the journal's forcer
     * thread, where it is held.
     *
     * @return the force, holding until its {@code release} is counted down.
     */
    private static BlockingForce holdForce(final ReceiptJournal journal, final int receipts) throws Exception
    {
        final BlockingForce force = new BlockingForce();
        journal.channelForce(force);
        Receipts.append(journal, 1, receipts, Receipts.DAY);
        journal.seal(Receipts.DAY * Receipts.DAY_MS + 1000);
        assertTrue(journal.startForce(() ->
        {
        }));
        assertTrue(force.entered.await(WAIT_S, TimeUnit.SECONDS));
        return force;
    }

    private ReceiptQueue queue(final int run) throws IOException
    {
        final ReceiptQueue queue = ReceiptQueue.open(dir.resolve(ReceiptRecorder.QUEUE_FILE), SLOTS, run, 0,
            (buffer, offset, epochDay) ->
            {
            });
        closing.add(queue::close);
        return queue;
    }

    private Parties parties(final int run) throws IOException
    {
        final Parties parties = new Parties(dir, run);
        closing.add(parties);
        return parties;
    }

    @Test
    void shouldAppendSealAndReleaseSlotsWhileAForceBlocks() throws Exception
    {
        Files.createDirectories(dir);
        final int run = ReceiptRun.next(dir);
        final Parties parties = parties(run);
        final ReceiptQueue queue = queue(run);
        // no wait for a full queue: a drain held by the force would leave these unrecorded at once
        final ReceiptRecorder recorder = ReceiptRecorder.overQueue(queue, parties, false).fullWait(0);
        final int party = recorder.party(Door.BINARY, "peer:127.0.0.1");
        final long t0 = System.currentTimeMillis();
        final ReceiptJournal journal = ReceiptJournal.open(dir, parties, t0, SEGMENT_SIZE);
        final BlockingForce force = new BlockingForce();
        journal.channelForce(force);
        final ReceiptDrain drain = new ReceiptDrain(journal, parties, 730, (task) ->
        {
        });
        drain.attach(recorder, queue);

        for (int i = 0; i < 10; i++)
        {
            assertNotEquals(DecisionRecorder.NOT_RECORDED, recorder.record(allow(party, t0)));
        }
        drain.duty(t0);
        final long sealedMs = t0 + ReceiptDrain.IDLE_SEAL_MS;
        drain.duty(sealedMs);
        assertTrue(force.entered.await(WAIT_S, TimeUnit.SECONDS), "the seal's force handed off");
        assertTrue(journal.forcing());

        // five queues' worth of decisions over three force intervals, the force still held: each is recorded only if
        // the drain appends, seals and releases slots meanwhile
        long now = sealedMs;
        long last = 0;
        for (int i = 0; i < 5 * SLOTS; i++)
        {
            last = recorder.record(allow(party, now));
            assertNotEquals(DecisionRecorder.NOT_RECORDED, last, "decision " + i + " found the queue full");
            if (i % 64 == 63)
            {
                now += 3 * ReceiptDrain.FORCE_INTERVAL_MS / (5 * SLOTS / 64);
                drain.duty(now);
            }
        }
        drain.duty(now + ReceiptDrain.IDLE_SEAL_MS);
        assertEquals(last, journal.lastSealedId(), "sealed while the force ran");
        assertEquals(queue.claimed(), queue.released(), "every slot released while the force ran");
        assertEquals(1, force.calls.get(), "forces never queue up behind a running one");
        assertTrue(journal.forcing());
        assertEquals(2.5, drain.unforcedSeconds(sealedMs + 2_500), 1e-9,
            "the unforced age counts from the first seal the running force covers");

        force.release.countDown();
        // waits for the running force, then forces on this thread
        journal.force();
        assertFalse(journal.forcing());
        final long later = now + 2 * ReceiptDrain.FORCE_INTERVAL_MS;
        drain.duty(later);
        journal.force();
        assertEquals(2, force.calls.get(), "the force due started once the running one was done");
        drain.duty(later + 1);
        assertEquals(0.0, drain.unforcedSeconds(later + 1), "everything sealed is forced");
        journal.close();
        assertFalse(force.closedUnder);
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(10 + 5 * SLOTS, verification.receipts());
        }
    }

    @Test
    void shouldFailTheJournalAsThePolicySaysWhenAForceFails() throws Exception
    {
        Files.createDirectories(dir);
        final int run = ReceiptRun.next(dir);
        final Parties parties = parties(run);
        final ReceiptQueue queue = queue(run);
        final ReceiptRecorder recorder = ReceiptRecorder.overQueue(queue, parties, false);
        final int party = recorder.party(Door.BINARY, "peer:127.0.0.1");
        final long t0 = System.currentTimeMillis();
        final ReceiptJournal journal = ReceiptJournal.open(dir, parties, t0, SEGMENT_SIZE);
        final AtomicInteger calls = new AtomicInteger();
        journal.channelForce((channel) ->
        {
            calls.incrementAndGet();
            throw new IOException("No space left on device");
        });
        final ReceiptDrain drain = new ReceiptDrain(journal, parties, 730, (task) ->
        {
        });
        drain.attach(recorder, queue);
        final Thread thread = new Thread(drain, "iys-receipts");
        thread.setDaemon(true);
        thread.start();
        try
        {
            final long id = recorder.record(allow(party, t0));
            assertNotEquals(DecisionRecorder.NOT_RECORDED, id);
            assertTrue(journal.awaitSealed(id, WAIT_S, TimeUnit.SECONDS), "sealed, then forced");
            // woken, false, by the failure: the journal seals nothing more
            assertFalse(journal.awaitSealed(id + 1_000_000, WAIT_S, TimeUnit.SECONDS));
            assertEquals(ReceiptRecorder.FAILED, recorder.state(), "the failed force failed the journal");
            assertEquals(1, calls.get());
            assertTrue(recorder.trouble().contains("No space left on device"), recorder.trouble());
            assertEquals(DecisionRecorder.NOT_RECORDED, recorder.record(allow(party, t0 + 1)));
            assertEquals(1, recorder.unrecordedDenied(), "policy deny: the ALLOW is answered DENY");
        }
        finally
        {
            drain.stop();
            thread.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        }
        assertFalse(thread.isAlive());
    }

    @Test
    void shouldCloseOnlyOnceTheRunningForceIsDoneAndSealWhatCameMeanwhile() throws Exception
    {
        final ReceiptJournal journal = ReceiptJournal.open(dir, Receipts.NAMES, Receipts.DAY * Receipts.DAY_MS,
            SEGMENT_SIZE);
        final BlockingForce force = holdForce(journal, 100);
        assertFalse(journal.startForce(() ->
        {
        }), "one force at a time");
        Receipts.append(journal, 101, 200, Receipts.DAY);

        final Future<?> closed = others.submit(() ->
        {
            journal.close();
            return null;
        });
        // a close that did not wait would be done at once, its channel closed under the force
        assertThrows(TimeoutException.class, () -> closed.get(300, TimeUnit.MILLISECONDS));
        force.release.countDown();
        closed.get(WAIT_S, TimeUnit.SECONDS);
        assertFalse(force.closedUnder, "the channel stayed open for the force");
        assertEquals(1, force.calls.get());
        try (ReceiptReader reader = ReceiptReader.open(dir))
        {
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
            assertEquals(200, verification.receipts(), "what came during the force sealed at close");
        }
    }

    @Test
    void shouldFailACloseThatWaitedForTheRunningForceWithThatForcesFailure() throws Exception
    {
        final ReceiptJournal journal = ReceiptJournal.open(dir, Receipts.NAMES, Receipts.DAY * Receipts.DAY_MS,
            SEGMENT_SIZE);
        final BlockingForce force = new BlockingForce();
        force.failure = new IOException("Input/output error");
        journal.channelForce(force);
        Receipts.append(journal, 1, 100, Receipts.DAY);
        journal.seal(Receipts.DAY * Receipts.DAY_MS + 1000);
        assertTrue(journal.startForce(() ->
        {
        }));
        assertTrue(force.entered.await(WAIT_S, TimeUnit.SECONDS));

        final Future<?> closed = others.submit(() ->
        {
            journal.close();
            return null;
        });
        assertThrows(TimeoutException.class, () -> closed.get(300, TimeUnit.MILLISECONDS), "waits for the force");
        force.release.countDown();
        final ExecutionException failed = assertThrows(ExecutionException.class,
            () -> closed.get(WAIT_S, TimeUnit.SECONDS), "the force it waited for failed");
        assertTrue(failed.getCause() instanceof IOException &&
            failed.getCause().getMessage().contains("Input/output error"), String.valueOf(failed.getCause()));
        assertFalse(journal.forcing());
        assertFalse(force.closedUnder, "the channel stayed open for the force");
        assertThrows(IllegalStateException.class, journal::force, "released all the same");
    }

    @Test
    void shouldRollToTheNextSegmentOnlyOnceTheRunningForceIsDone() throws Exception
    {
        final ReceiptJournal journal = ReceiptJournal.open(dir, Receipts.NAMES, Receipts.DAY * Receipts.DAY_MS,
            Receipts.SMALL_SEGMENT);
        closing.add(journal);
        final BlockingForce force = holdForce(journal, 10);
        // 48 bytes a receipt: 400 fill more than one 8 KiB segment
        final Future<?> rolled = others.submit(() ->
        {
            Receipts.append(journal, 11, 400, Receipts.DAY);
            return null;
        });
        assertThrows(TimeoutException.class, () -> rolled.get(300, TimeUnit.MILLISECONDS),
            "the roll waits for the force of the segment it leaves");
        force.release.countDown();
        rolled.get(WAIT_S, TimeUnit.SECONDS);
        assertFalse(force.closedUnder, "the old segment's channel stayed open for the force");
        assertTrue(Files.exists(Receipts.segment(dir, Receipts.DAY, 1)), "rolled");
        // no failure kept: the force on the old channel succeeded
        journal.force();
    }
}
