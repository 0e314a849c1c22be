package io.iysfilter.benchmarks;

import io.iysfilter.protocol.receipts.Channel;
import io.iysfilter.protocol.receipts.Door;
import io.iysfilter.protocol.receipts.PartyReceiptEncoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.receipts.ReceiptJournal;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The journal's append as the drain thread runs it: {@value #BATCH} receipts appended (each copied into the mapped
 * segment) then one seal, so the time per receipt includes its share of its block's SHA-256, header and digest.
 * {@code sealEvery} sets the block size: 1024 (a loaded server: blocks fill) or 64 (a drain that seals small
 * batches). Segments are allocated and rolled as in service (64 MiB); to bound the disk, every
 * {@value #RECEIPTS_PER_DAY} receipts the journal moves to the next day (closing the last: root file, force) and
 * deletes the day before it, and those costs are in the figure too. The directory is under {@code /dev/shm} when it
 * exists (memory, so the figure is the journal's CPU, not the device's). {@code dealers} sets how many dealers the
 * receipts name in turn (one party): 1, every receipt the previous one's (party, dealer), found by one compare; 64,
 * every receipt a different pair's than the previous, so each looks its day party up in the journal's map (each
 * pair's first receipt of a day also writes a PARTIES block, 64 a day). Run with {@code -prof gc}: ~0 B/op (a
 * segment's roll allocates a few objects per 1.4 M receipts).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ReceiptJournalBenchmark
{
    private static final int BATCH = 1024;
    private static final long RECEIPTS_PER_DAY = 16_000_000;
    private static final long DAY_MS = 86_400_000L;
    private static final long FIRST_DAY = 20_000;
    private static final long FIRST_DEALER = 5_000_000;
    private static final int DEALER_OFFSET = ReceiptEncoder.dealerEncodingOffset();

    @Param({"1024", "64"})
    int sealEvery;

    @Param({"1", "64"})
    int dealers;

    private final UnsafeBuffer receipt = new UnsafeBuffer(
        ByteBuffer.allocateDirect(ReceiptEncoder.BLOCK_LENGTH).order(ByteOrder.LITTLE_ENDIAN));
    private final ByteBuffer hashed = ByteBuffer.allocateDirect(64 + BATCH * PartyReceiptEncoder.BLOCK_LENGTH);
    private final byte[] digest = new byte[32];
    private final MessageDigest sha = sha256();
    private Path directory;
    private ReceiptJournal journal;
    private long sequence;
    private long day;
    private long dayReceipts;

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException
    {
        final Path shm = Path.of("/dev/shm");
        directory = Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "receipt-journal-bench") :
            Files.createTempDirectory("receipt-journal-bench");
        day = FIRST_DAY;
        journal = ReceiptJournal.open(directory, (run, party) -> "client:bench", day * DAY_MS);
        new ReceiptEncoder().wrap(receipt, 0)
            .decisionId(1L << 48)
            .dayMillis(1000)
            .brand(600_001)
            .asOfLag(250)
            .recordCreation(1_700_000_000)
            .party(1)
            .door(Door.BINARY)
            .channel(Channel.MESAJ)
            .reason((short)1);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException
    {
        journal.close();
        try (Stream<Path> walk = Files.walk(directory))
        {
            final List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (final Path path : paths)
            {
                Files.delete(path);
            }
        }
    }

    /**
     * @return the last decision id appended.
     * @throws IOException when the journal fails.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long append() throws IOException
    {
        if (dayReceipts >= RECEIPTS_PER_DAY)
        {
            day++;
            dayReceipts = 0;
            journal.seal(day * DAY_MS);
            journal.deleteDaysBefore(day);
        }
        for (int i = 0; i < BATCH; i++)
        {
            receipt.putLong(0, 1L << 48 | ++sequence, ByteOrder.LITTLE_ENDIAN);
            receipt.putInt(DEALER_OFFSET, (int)(FIRST_DEALER + sequence % dealers), ByteOrder.LITTLE_ENDIAN);
            journal.append(receipt, 0, day);
            if ((i + 1) % sealEvery == 0)
            {
                journal.seal(day * DAY_MS + 1000);
            }
        }
        dayReceipts += BATCH;
        return sequence;
    }

    /**
     * The SHA-256 alone of what {@link #append} hashes per {@value #BATCH} receipts (blocks of {@code sealEvery}
     * receipts with their 64-byte headers), off-heap as the mapped segment is: the share of the figure that is
     * the digest, measured in the same run.
     *
     * @return a byte of the last digest.
     * @throws DigestException never.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public byte digestOnly() throws DigestException
    {
        final int blockBytes = 64 + sealEvery * PartyReceiptEncoder.BLOCK_LENGTH;
        for (int i = 0; i < BATCH / sealEvery; i++)
        {
            hashed.clear().limit(blockBytes);
            sha.update(hashed);
            sha.digest(digest, 0, digest.length);
        }
        return digest[0];
    }
}
