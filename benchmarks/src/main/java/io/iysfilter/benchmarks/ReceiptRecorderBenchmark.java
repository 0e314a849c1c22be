package io.iysfilter.benchmarks;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.receipts.Parties;
import io.iysfilter.server.receipts.ReceiptQueue;
import io.iysfilter.server.receipts.ReceiptRecorder;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a decider pays to record one decision as a receipt ({@link ReceiptRecorder#record}): claim a sequence and a
 * slot of the memory-mapped queue (one compare-and-set), encode the 48-byte receipt into it, commit it. One and two
 * deciding threads. The slots are released by the recording threads themselves every 256 sequences, as the drain
 * thread does after each seal, so the queue never fills: with a consumer thread of its own, on this 2-core machine
 * the producers outran it and most calls measured the refusal of a full queue instead (see
 * {@link Unrecorded#unrecorded}, which must stay near zero). Left out, then: the drain thread pulling the slots' lines
 * to its core, which the next lap's writes pay for; the journal's append is the drain's cost, on its own thread.
 * The budget is 50 ns and 0 B/op ({@code -prof gc}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dagrona.disable.bounds.checks=true",
    "-Dsbe.enable.precedence.checks=false"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ReceiptRecorderBenchmark
{
    private static final int RELEASE_EVERY = 256;
    private static final long BUSY_TOKENS = 64;

    /**
     * Slots of the queue: the default (16 MiB, larger than the caches, so each slot is written cold) and one that
     * fits a core's cache, to tell the cost of the memory traffic from that of the code.
     */
    @Param({"262144", "4096"})
    public int slots;

    private Path directory;
    private ReceiptQueue queue;
    private ReceiptRecorder recorder;

    /**
     * Per deciding thread: its facts (one per decider, as in the server) and the count of unrecorded decisions.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Unrecorded
    {
        /** Decisions the queue could not take. */
        public long unrecorded;
        final DecisionFacts facts = new DecisionFacts();

        /**
         * A commercial SMS check answered from an ONAY record.
         */
        @Setup(Level.Trial)
        public void fill()
        {
            final long nowMs = System.currentTimeMillis();
            facts.begin(nowMs, 600_001, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL)
                .asker(Door.BINARY, 1)
                .answer(Reason.CONSENT, nowMs - 30_000)
                .recipient(DecisionFacts.RECIPIENT_PHONE, 0x1234_5678_9ABC_DEF0L, 0)
                .record(ConsentStatus.ONAY, nowMs / 1000 - 86_400, 0x0000_A1B2_C3D4_E5F6L);
        }
    }

    /**
     * Map a fresh queue.
     *
     * @throws IOException when the queue cannot be created.
     */
    @Setup(Level.Trial)
    public void open() throws IOException
    {
        directory = Files.createTempDirectory("receipt-benchmark");
        queue = ReceiptQueue.open(directory.resolve("queue"), slots, 1, 0, (buffer, offset, epochDay) ->
        {
        });
        recorder = ReceiptRecorder.overQueue(queue, new Parties(directory, 1), false);
    }

    /**
     * Remove the queue.
     *
     * @throws Exception when the directory cannot be removed.
     */
    @TearDown(Level.Trial)
    public void close() throws Exception
    {
        recorder.close();
        try (Stream<Path> paths = Files.walk(directory))
        {
            paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
        }
    }

    /**
     * @param thread the deciding thread's facts and counter.
     * @return the decision id.
     */
    @Benchmark
    @Threads(1)
    public long recordOneThread(final Unrecorded thread)
    {
        return record(thread);
    }

    /**
     * @param thread the deciding thread's facts and counter.
     * @return the decision id.
     */
    @Benchmark
    @Threads(2)
    public long recordTwoThreads(final Unrecorded thread)
    {
        return record(thread);
    }

    /**
     * Two deciding threads that, as event loops do, decode and decide between records: {@value #BUSY_TOKENS} tokens
     * of {@link Blackhole#consumeCPU} (about 100-200 ns) then a record. Minus {@link #busyOnlyTwoThreads}, what record
     * costs when the two threads meet on the claim counter only as often as real traffic makes them.
     *
     * @param thread the deciding thread's facts and counter.
     * @return the decision id.
     */
    @Benchmark
    @Threads(2)
    public long recordTwoThreadsBusy(final Unrecorded thread)
    {
        Blackhole.consumeCPU(BUSY_TOKENS);
        return record(thread);
    }

    /**
     * As {@link #recordTwoThreadsBusy} with one thread: the record's cost between other work, uncontended.
     *
     * @param thread the deciding thread's facts and counter.
     * @return the decision id.
     */
    @Benchmark
    @Threads(1)
    public long recordOneThreadBusy(final Unrecorded thread)
    {
        Blackhole.consumeCPU(BUSY_TOKENS);
        return record(thread);
    }

    /**
     * The other work alone, on one thread: the baseline {@link #recordOneThreadBusy} is read against.
     *
     * @return nothing of use.
     */
    @Benchmark
    @Threads(1)
    public long busyOnlyOneThread()
    {
        Blackhole.consumeCPU(BUSY_TOKENS);
        return BUSY_TOKENS;
    }

    /**
     * The other work alone, on two threads: the baseline {@link #recordTwoThreadsBusy} is read against.
     *
     * @return nothing of use.
     */
    @Benchmark
    @Threads(2)
    public long busyOnlyTwoThreads()
    {
        Blackhole.consumeCPU(BUSY_TOKENS);
        return BUSY_TOKENS;
    }

    /**
     * The queue's part alone, for comparison within one run: claim, commit, no receipt encoded.
     *
     * @param thread the deciding thread's counter.
     * @return the sequence.
     */
    @Benchmark
    @Threads(1)
    public long claimAndCommitOnly(final Unrecorded thread)
    {
        final long sequence = queue.claim();
        if (sequence == 0)
        {
            thread.unrecorded++;
            return 0;
        }
        queue.commit(sequence, queue.decisionId(sequence), 20_000);
        if ((sequence & (RELEASE_EVERY - 1)) == 0)
        {
            queue.release(sequence);
        }
        return sequence;
    }

    private long record(final Unrecorded thread)
    {
        final long id = recorder.record(thread.facts);
        if (id == DecisionRecorder.NOT_RECORDED)
        {
            thread.unrecorded++;
        }
        else if ((id & (RELEASE_EVERY - 1)) == 0)
        {
            queue.release(id & ReceiptQueue.MAX_SEQUENCE);
        }
        return id;
    }
}
