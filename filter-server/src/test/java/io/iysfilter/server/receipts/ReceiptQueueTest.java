package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.protocol.receipts.ReceiptDecoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.concurrent.AtomicBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReceiptQueueTest
{
    private static final long DAY_MS = 86_400_000L;
    private static final long NOW_MS = 1_764_547_200_000L + 12_345_678L; // 2025-12-01 03:25:45.678 UTC

    @TempDir
    Path dir;

    /** What a replay handed over: ids, days and the receipts' bytes, in order. */
    private static final class Replayed implements ReceiptQueue.Replay
    {
        final List<Long> ids = new ArrayList<>();
        final List<Long> days = new ArrayList<>();
        final List<byte[]> receipts = new ArrayList<>();
        int replayedCalls;

        @Override
        public void receipt(final org.agrona.DirectBuffer buffer, final int offset, final long epochDay)
        {
            ids.add(buffer.getLong(offset, ReceiptEncoder.BYTE_ORDER));
            days.add(epochDay);
            final byte[] bytes = new byte[ReceiptEncoder.BLOCK_LENGTH];
            buffer.getBytes(offset, bytes);
            receipts.add(bytes);
        }

        @Override
        public void replayed()
        {
            replayedCalls++;
        }
    }

    private ReceiptQueue queue(final int slots, final int run, final long lastDecisionId,
        final ReceiptQueue.Replay replay) throws Exception
    {
        return ReceiptQueue.open(dir.resolve("queue"), slots, run, lastDecisionId, replay);
    }

    private ReceiptRecorder recorder(final ReceiptQueue queue, final boolean allowsUnrecorded, final int run)
        throws Exception
    {
        return ReceiptRecorder.overQueue(queue, new Parties(dir, run), allowsUnrecorded);
    }

    private static DecisionFacts facts(final long timeMs, final Reason reason)
    {
        return new DecisionFacts().begin(timeMs, 600_001, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL).asker(Door.BINARY, 1).answer(reason, timeMs - 1_000);
    }

    @Test
    void shouldCreateTheFileAtItsFullSizeWithNoHoles() throws Exception
    {
        queue(1024, 1, 0, new Replayed());
        final Path file = dir.resolve("queue");
        assertEquals(ReceiptQueue.HEADER_LENGTH + 1024L * ReceiptQueue.SLOT_LENGTH, Files.size(file));
        // st_blocks counts the 512-byte units allocated: a sparse file would have fewer
        final Process stat = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        final String blocks = new String(stat.getInputStream().readAllBytes()).trim();
        assertTrue(stat.waitFor(30, TimeUnit.SECONDS) && stat.exitValue() == 0, "stat: " + blocks);
        assertTrue(Long.parseLong(blocks) * 512 >= Files.size(file), "allocated, not sparse: " + blocks);
    }

    @Test
    void shouldGiveEveryDecisionOfTwoProducersAUniqueIdAndDrainThemInIdOrder() throws Exception
    {
        final int run = 3;
        final ReceiptQueue queue = queue(1024, run, 0, new Replayed());
        final ReceiptRecorder recorder = recorder(queue, false, run);
        final int perProducer = 20_000;
        final ExecutorService producers = Executors.newFixedThreadPool(2);
        final CountDownLatch start = new CountDownLatch(1);
        final List<Future<long[]>> given = new ArrayList<>();
        for (int p = 0; p < 2; p++)
        {
            given.add(producers.submit(() ->
            {
                final DecisionFacts facts = facts(NOW_MS, Reason.CONSENT);
                final long[] ids = new long[perProducer];
                start.await();
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                for (int i = 0; i < perProducer; i++)
                {
                    long id;
                    // a full queue answers NOT_RECORDED at once; the test asks again until the drain catches up
                    while ((id = recorder.record(facts)) == DecisionRecorder.NOT_RECORDED)
                    {
                        assertTrue(System.nanoTime() - deadlineNs < 0, "the drain never caught up");
                        Thread.onSpinWait();
                    }
                    ids[i] = id;
                }
                return ids;
            }));
        }
        start.countDown();
        final List<Long> drained = new ArrayList<>();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long next = 1;
        while (drained.size() < 2 * perProducer)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "drained only " + drained.size());
            if (queue.isCommitted(next))
            {
                drained.add(queue.buffer().getLong(queue.offset(next), ReceiptEncoder.BYTE_ORDER));
                queue.release(next++);
            }
            else
            {
                Thread.onSpinWait();
            }
        }
        producers.shutdown();
        final Set<Long> ids = new HashSet<>();
        for (final Future<long[]> future : given)
        {
            for (final long id : future.get(60, TimeUnit.SECONDS))
            {
                assertTrue(ids.add(id), "id given twice: " + DecisionIds.text(id));
                assertEquals(run, DecisionIds.run(id));
            }
        }
        assertEquals(2 * perProducer, ids.size());
        for (int i = 0; i < drained.size(); i++)
        {
            assertEquals(((long)run << 48) | (i + 1), drained.get(i), "drained in id order, no gap");
        }
        assertEquals(ids, new HashSet<>(drained), "every id given was drained");
        assertEquals(2L * perProducer, recorder.recorded());
    }

    @Test
    void shouldAnswerNotRecordedAfterOneBoundedWaitWhenFullAndCountIt() throws Exception
    {
        final ReceiptQueue queue = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder deny = recorder(queue, false, 1);
        for (int i = 0; i < 1024; i++)
        {
            assertNotEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.CONSENT)));
        }
        assertEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.CONSENT)));
        assertEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.NO_CONSENT)));
        assertEquals(1, deny.unrecordedDenied(), "an ALLOW under policy deny");
        assertEquals(1, deny.unrecordedServed(), "a DENY is served as decided");
        assertEquals(1024, deny.recorded());
        assertTrue(deny.trouble().contains("queue full"), deny.trouble());

        queue.release(1);
        assertEquals(((long)1 << 48) | 1025, deny.record(facts(NOW_MS, Reason.CONSENT)), "the freed slot is taken");
        assertEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.CONSENT)));
    }

    @Test
    void shouldWaitForTheDrainWhenFullAndRecordInsteadOfRefusing() throws Exception
    {
        final ReceiptQueue queue = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder deny = recorder(queue, false, 1).fullWait(TimeUnit.SECONDS.toNanos(60));
        for (int i = 0; i < 1024; i++)
        {
            assertNotEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.CONSENT)));
        }
        final ExecutorService asker = Executors.newSingleThreadExecutor();
        try
        {
            final Future<Long> waiting = asker.submit(() -> deny.record(facts(NOW_MS, Reason.CONSENT)));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (deny.fullWaits() == 0)
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the decision never waited");
                Thread.onSpinWait();
            }
            queue.release(1);
            assertEquals(((long)1 << 48) | 1025, waiting.get(30, TimeUnit.SECONDS), "recorded once a slot freed");
            assertEquals(0, deny.unrecordedDenied() + deny.unrecordedServed());
        }
        finally
        {
            asker.shutdownNow();
        }
    }

    @Test
    void shouldNotWaitAgainUntilTheDrainReleasesSomethingAfterAWaitRanOut() throws Exception
    {
        final ReceiptQueue queue = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder deny = recorder(queue, false, 1).fullWait(TimeUnit.MILLISECONDS.toNanos(5));
        for (int i = 0; i < 1024; i++)
        {
            deny.record(facts(NOW_MS, Reason.CONSENT));
        }
        for (int i = 0; i < 100; i++)
        {
            assertEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.CONSENT)));
        }
        assertEquals(1, deny.fullWaits(), "a stalled drain costs one wait, not one per decision");
        assertEquals(100, deny.unrecordedDenied());

        queue.release(1);
        assertNotEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.CONSENT)));
        assertEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts(NOW_MS, Reason.CONSENT)));
        assertEquals(2, deny.fullWaits(), "the drain moved: worth waiting once more");
    }

    @Test
    void shouldCountEveryUnrecordedDecisionOfManyThreadsExactly() throws Exception
    {
        final ReceiptQueue queue = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder deny = recorder(queue, false, 1);
        while (deny.record(facts(NOW_MS, Reason.CONSENT)) != DecisionRecorder.NOT_RECORDED)
        {
            assertTrue(deny.recorded() <= 1024);
        }
        final long deniedBefore = deny.unrecordedDenied();
        final int threads = 4;
        final int perThread = 50_000;
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final CountDownLatch start = new CountDownLatch(1);
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final Reason reason = t % 2 == 0 ? Reason.CONSENT : Reason.REJECTED;
                done.add(pool.submit(() ->
                {
                    start.await();
                    final DecisionFacts facts = facts(NOW_MS, reason);
                    for (int i = 0; i < perThread; i++)
                    {
                        assertEquals(DecisionRecorder.NOT_RECORDED, deny.record(facts));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (final Future<?> future : done)
            {
                future.get(60, TimeUnit.SECONDS);
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        assertEquals(deniedBefore + (long)threads / 2 * perThread, deny.unrecordedDenied(), "ALLOWs, exactly");
        assertEquals((long)threads / 2 * perThread, deny.unrecordedServed(), "DENYs, exactly");
        assertEquals(1024, deny.recorded());
    }

    @Test
    void shouldServeUnrecordedAllowsUnderPolicyAllow() throws Exception
    {
        final ReceiptQueue queue = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder allow = recorder(queue, true, 1);
        assertTrue(allow.allowsUnrecorded());
        for (int i = 0; i < 1024; i++)
        {
            allow.record(facts(NOW_MS, Reason.CONSENT));
        }
        assertEquals(DecisionRecorder.NOT_RECORDED, allow.record(facts(NOW_MS, Reason.CONSENT)));
        assertEquals(0, allow.unrecordedDenied());
        assertEquals(1, allow.unrecordedServed());
        assertTrue(!recorder(queue, false, 1).allowsUnrecorded(), "policy deny");
    }

    @Test
    void shouldRecordNothingOnceClosed() throws Exception
    {
        final ReceiptRecorder recorder = recorder(queue(1024, 1, 0, new Replayed()), false, 1);
        recorder.close();
        assertEquals(DecisionRecorder.NOT_RECORDED, recorder.record(facts(NOW_MS, Reason.CONSENT)));
        assertEquals(1, recorder.unrecordedDenied());
        assertEquals(0, recorder.recorded());
    }

    @Test
    void shouldReplayCommittedSlotsAboveTheJournalExactlyOnceAfterACrash() throws Exception
    {
        final ReceiptQueue first = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder recorder = recorder(first, false, 1);
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            ids.add(recorder.record(facts(NOW_MS + i, Reason.CONSENT)));
        }
        final byte[] third = new byte[ReceiptEncoder.BLOCK_LENGTH];
        first.buffer().getBytes(first.offset(3), third);
        // the process dies here: nothing closed; the journal holds ids 1 and 2
        final Replayed replayed = new Replayed();
        final ReceiptQueue second = queue(1024, 2, ids.get(1), replayed);
        assertEquals(ids.subList(2, 5), replayed.ids, "committed slots above the journal's last id, in order");
        assertEquals(List.of(NOW_MS / DAY_MS, NOW_MS / DAY_MS, NOW_MS / DAY_MS), replayed.days);
        assertArrayEquals(third, replayed.receipts.get(0), "the receipt as recorded");
        assertEquals(1, replayed.replayedCalls);
        assertEquals(0, second.claimed(), "the new run starts at sequence 1");
        assertEquals(((long)2 << 48) | 1, recorder(second, false, 2).record(facts(NOW_MS, Reason.CONSENT)));

        // and the next start replays what the second run committed, never the first run's again
        final Replayed again = new Replayed();
        queue(1024, 3, ids.get(4), again);
        assertEquals(List.of(((long)2 << 48) | 1), again.ids);
    }

    @Test
    void shouldIgnoreATornSlot() throws Exception
    {
        final ReceiptQueue first = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder recorder = recorder(first, false, 1);
        for (int i = 0; i < 4; i++)
        {
            recorder.record(facts(NOW_MS, Reason.CONSENT));
        }
        final AtomicBuffer buffer = first.buffer();
        // 2: claimed, receipt written, the marker not yet (absent)
        buffer.putLong(first.offset(2) + ReceiptQueue.MARKER_OFFSET, 0);
        // 3: being rewritten for a later wrap when the process died: the receipt's id is new, the marker still old
        buffer.putLong(first.offset(3), first.decisionId(3 + 1024), ReceiptEncoder.BYTE_ORDER);
        // 4: a marker that is not this slot's sequence
        buffer.putLong(first.offset(4) + ReceiptQueue.MARKER_OFFSET, first.decisionId(5));
        final Replayed replayed = new Replayed();
        queue(1024, 2, 0, replayed);
        assertEquals(List.of(first.decisionId(1)), replayed.ids);
    }

    @Test
    void shouldRecreateTheFileAtANewSizeAfterReplayingIt() throws Exception
    {
        final ReceiptQueue first = queue(1024, 1, 0, new Replayed());
        final long id = recorder(first, false, 1).record(facts(NOW_MS, Reason.CONSENT));
        final Replayed replayed = new Replayed();
        final ReceiptQueue bigger = queue(2048, 2, 0, replayed);
        assertEquals(List.of(id), replayed.ids);
        assertEquals(2048, bigger.capacity());
        assertEquals(ReceiptQueue.HEADER_LENGTH + 2048L * ReceiptQueue.SLOT_LENGTH, Files.size(dir.resolve("queue")));
    }

    @Test
    void shouldLeaveTheFileAsItWasWhenTheReplayFails() throws Exception
    {
        final ReceiptQueue first = queue(1024, 1, 0, new Replayed());
        final long id = recorder(first, false, 1).record(facts(NOW_MS, Reason.CONSENT));
        assertThrows(java.io.IOException.class, () -> queue(1024, 2, 0, (buffer, offset, day) ->
        {
            throw new java.io.IOException("disk failed");
        }));
        final Replayed replayed = new Replayed();
        queue(1024, 3, 0, replayed);
        assertEquals(List.of(id), replayed.ids, "still there for the next start");
    }

    @Test
    void shouldMoveAQueueWhoseHeaderDoesNotValidateAsideAndKeepItsBytes() throws Exception
    {
        final ReceiptQueue first = queue(1024, 1, 0, new Replayed());
        final long id = recorder(first, false, 1).record(facts(NOW_MS, Reason.CONSENT));
        final Path file = dir.resolve("queue");
        final byte[] damaged = Files.readAllBytes(file);
        damaged[0] ^= 0x5A; // the magic: no longer a queue this build reads
        Files.write(file, damaged);

        final Replayed replayed = new Replayed();
        final ReceiptQueue second = queue(1024, 2, 0, replayed);
        assertEquals(List.of(), replayed.ids, "nothing replayed from a file that is not a queue");
        assertEquals(1024, second.capacity());
        final List<Path> aside;
        try (java.util.stream.Stream<Path> files = Files.list(dir))
        {
            aside = files.filter(f -> f.getFileName().toString().matches("queue\\.bad-\\d+")).toList();
        }
        assertEquals(1, aside.size(), "moved aside, not deleted: " + aside);
        assertArrayEquals(damaged, Files.readAllBytes(aside.get(0)), "the evidence kept as it was");
        final int slot = ReceiptQueue.HEADER_LENGTH + (int)(id & 1023) * ReceiptQueue.SLOT_LENGTH;
        assertEquals(id, java.nio.ByteBuffer.wrap(damaged).order(ReceiptEncoder.BYTE_ORDER).getLong(slot),
            "the committed receipt is in it");
        assertEquals(ReceiptQueue.HEADER_LENGTH + 1024L * ReceiptQueue.SLOT_LENGTH, Files.size(file), "a new queue");
    }

    @Test
    void shouldRefuseASizeThatIsNoPowerOfTwo()
    {
        assertThrows(IllegalArgumentException.class, () -> queue(1000, 1, 0, new Replayed()));
        assertThrows(IllegalArgumentException.class, () -> queue(512, 1, 0, new Replayed()));
    }

    @Test
    void shouldEncodeTheFactsAsTheBriefSays() throws Exception
    {
        final ReceiptQueue queue = queue(1024, 7, 0, new Replayed());
        final ReceiptRecorder recorder = recorder(queue, false, 7);
        final long emailKey0 = 0x0102030405060708L;
        final long emailKey1 = 0x1112131415161718L;
        final DecisionFacts facts = new DecisionFacts()
            .begin(NOW_MS, 600_001, Channel.EPOSTA, RecipientType.TACIR, MessageKind.COMMERCIAL)
            .asker(Door.MILTER, 42)
            .answer(Reason.REJECTED, NOW_MS - 5_000)
            .recipient(DecisionFacts.RECIPIENT_EMAIL, emailKey0, emailKey1)
            .record(io.iysfilter.server.decision.ConsentStatus.RET, 1_700_000_000L, 0x0000_A1B2_C3D4_E5F6L);
        final long id = recorder.record(facts);
        assertEquals(((long)7 << 48) | 1, id);
        final ReceiptDecoder decoder = new ReceiptDecoder().wrap(queue.buffer(), queue.offset(1),
            ReceiptDecoder.BLOCK_LENGTH, ReceiptDecoder.SCHEMA_VERSION);
        assertEquals(id, decoder.decisionId());
        assertEquals(12_345_678L, decoder.dayMillis());
        assertEquals(NOW_MS / DAY_MS, queue.epochDay(1));
        assertEquals(600_001, decoder.brand());
        final byte[] recipient = new byte[12];
        decoder.getRecipient(recipient, 0, 12);
        assertArrayEquals(new byte[]{8, 7, 6, 5, 4, 3, 2, 1, 0x18, 0x17, 0x16, 0x15}, recipient,
            "key0 little-endian, then key1's low 32 bits little-endian");
        assertEquals(5_000, decoder.asOfLag());
        assertEquals(1_700_000_000L, decoder.recordCreation());
        final byte[] tx = new byte[6];
        decoder.getRecordTx(tx, 0, 6);
        assertArrayEquals(new byte[]{(byte)0xF6, (byte)0xE5, (byte)0xD4, (byte)0xC3, (byte)0xB2, (byte)0xA1}, tx);
        assertEquals(42, decoder.party());
        assertEquals(io.iysfilter.protocol.receipts.Door.MILTER, decoder.door());
        assertEquals(io.iysfilter.protocol.receipts.Channel.EPOSTA, decoder.channel());
        assertTrue(decoder.flags().tacir());
        assertTrue(!decoder.flags().transactional());
        assertTrue(decoder.flags().recordRet());
        assertTrue(!decoder.flags().recordOnay());
        assertTrue(decoder.flags().emailKey());
        assertTrue(!decoder.flags().requestInvalid());
        assertEquals(Reason.REJECTED.wire().value(), decoder.reason());
    }

    @Test
    void shouldEncodeAnInvalidRequestWithNoRecipientAndNoAsOf() throws Exception
    {
        final ReceiptQueue queue = queue(1024, 1, 0, new Replayed());
        final ReceiptRecorder recorder = recorder(queue, false, 1);
        // the same facts object refilled: the previous decision's recipient and record must not leak
        final DecisionFacts facts = new DecisionFacts();
        facts.begin(NOW_MS, 600_001, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.TRANSACTIONAL)
            .answer(Reason.CONSENT, NOW_MS).recipient(DecisionFacts.RECIPIENT_PHONE, -1L, 0)
            .record(io.iysfilter.server.decision.ConsentStatus.ONAY, 1, 1);
        recorder.record(facts);
        facts.begin(-1, 5_000_000_000L, null, RecipientType.BIREYSEL, null).answer(Reason.INVALID_REQUEST, 0);
        recorder.record(facts);
        final ReceiptDecoder phone = new ReceiptDecoder().wrap(queue.buffer(), queue.offset(1),
            ReceiptDecoder.BLOCK_LENGTH, ReceiptDecoder.SCHEMA_VERSION);
        final byte[] recipient = new byte[12];
        phone.getRecipient(recipient, 0, 12);
        assertArrayEquals(new byte[]{-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0}, recipient, "a phone key");
        assertEquals(0, phone.asOfLag(), "as-of now: no lag");
        assertTrue(phone.flags().transactional() && phone.flags().recordOnay() && !phone.flags().emailKey());

        final ReceiptDecoder invalid = new ReceiptDecoder().wrap(queue.buffer(), queue.offset(2),
            ReceiptDecoder.BLOCK_LENGTH, ReceiptDecoder.SCHEMA_VERSION);
        assertEquals(DAY_MS - 1, invalid.dayMillis(), "1969-12-31 23:59:59.999 is the last millisecond of its day");
        assertEquals(-1, queue.epochDay(2));
        assertEquals(0, invalid.brand(), "not a uint32 brand code");
        invalid.getRecipient(recipient, 0, 12);
        assertArrayEquals(new byte[12], recipient, "no recipient");
        assertEquals(0xFFFF_FFFFL, invalid.asOfLag(), "as-of unknown");
        assertEquals(0, invalid.recordCreation());
        assertEquals(io.iysfilter.protocol.receipts.Channel.UNKNOWN, invalid.channel());
        assertTrue(invalid.flags().requestInvalid());
        assertTrue(!invalid.flags().recordOnay() && !invalid.flags().recordRet());
        assertEquals(Reason.INVALID_REQUEST.wire().value(), invalid.reason());
    }
}
