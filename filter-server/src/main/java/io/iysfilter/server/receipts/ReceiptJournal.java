package io.iysfilter.server.receipts;

import io.iysfilter.server.index.DurableFiles;
import io.iysfilter.protocol.receipts.BlockHeaderEncoder;
import io.iysfilter.protocol.receipts.BlockKind;
import io.iysfilter.protocol.receipts.DealerPartyEntryEncoder;
import io.iysfilter.protocol.receipts.FlagsEncoder;
import io.iysfilter.protocol.receipts.MessageHeaderEncoder;
import io.iysfilter.protocol.receipts.PartyEntryEncoder;
import io.iysfilter.protocol.receipts.PartyReceiptEncoder;
import io.iysfilter.protocol.receipts.ReceiptDecoder;
import io.iysfilter.protocol.receipts.SegmentHeaderEncoder;
import io.iysfilter.server.logging.LogLimiter;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import java.util.stream.Stream;

/**
 * The journal on disk: receipts filed by UTC day, one directory per day, in hash-chained segments
 * (docs/RECEIPTS.md, "Format"). Written by one thread only (the journal's drain thread), which hands the periodic
 * force to a thread of the journal's own ({@link #startForce}); readers use {@link ReceiptReader}.
 * {@link #diskBytes()}, {@link #head()}, {@link #awaitSealed} and retention ({@link #deleteExpired}) may be used
 * from any thread.
 * <p>
 * Each receipt is filed in 48 bytes (a {@code PartyReceipt}, receipt schema version 4): who asked and the dealer the
 * request named are one <em>day party</em>, a number the day gives each (run, party, dealer) triple in a
 * {@code PARTIES} block before the triple's first receipt of the day (with the party's name, when it is the party's
 * first of the day). A day numbers at most {@value JournalFormat#MAX_DEALER_PARTIES} triples naming a dealer; past
 * that a receipt keeps its party but not its dealer (flagged {@code dealerUnknown}, counted by
 * {@link #dealersUnkept()}, a warning once a day).
 * <p>
 * Receipts go into blocks of at most 1,024; {@link #seal} (or a full block, a full segment, a triple's first receipt of
 * the day, a later day) seals the open block by writing its SHA-256 digest after it, so that the chain's head covers
 * it. The writer builds the open segment in an image in memory and writes each block to the segment's file (pwrite) as
 * it seals it, so that a kill -9 leaves every sealed block in the file (the page cache) and the open one, unsealed,
 * nowhere (its receipts are still in the queue). Segments are not written through a shared mapping: forcing a file
 * mapped writable write-protects each of its dirty pages in every thread's page tables (a TLB shootdown per page on
 * every core, costly under a hypervisor) and the next store into each faults again, which cost as much CPU per receipt
 * as all the rest of the journal (docs/PERFORMANCE.md, section 11). Segments are allocated whole before they take
 * receipts ({@code fallocate(2)}, else by writing zeros), so a full disk fails that allocation with an {@link
 * IOException} instead of a later write; the next segment is made so ahead, on a thread of its own, so that the writer
 * only swaps it in.
 * <p>
 * After each seal the journal publishes the open day's head ({@link #head()}: its digest, receipts and last decision
 * id, an immutable snapshot), and wakes whoever {@link #awaitSealed waits} for a decision to be sealed; both may be
 * used from any thread.
 */
public final class ReceiptJournal implements AutoCloseable
{
    /**
     * Bytes a segment is allocated with, unless told otherwise.
     */
    public static final int DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
    /**
     * The next segment, made ahead by the segments' thread, in the journal's directory until a roll names it.
     */
    public static final String SPARE_FILE = "segment.spare" + JournalFormat.TEMPORARY_SUFFIX;
    private static final long SPARE_CLOSE_TIMEOUT_MS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(ReceiptJournal.class);
    private static final int ZEROS_LENGTH = 1024 * 1024;
    private static final int HEADER_COUNT = MessageHeaderEncoder.ENCODED_LENGTH +
        BlockHeaderEncoder.countEncodingOffset();
    private static final int HEADER_BODY_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH +
        BlockHeaderEncoder.bodyLengthEncodingOffset();
    private static final int RECEIPT_ID = ReceiptDecoder.decisionIdEncodingOffset();
    private static final int RECEIPT_PARTY = ReceiptDecoder.partyEncodingOffset();
    private static final int RECEIPT_DOOR = ReceiptDecoder.doorEncodingOffset();
    private static final int RECEIPT_CHANNEL = ReceiptDecoder.channelEncodingOffset();
    private static final int RECEIPT_FLAGS = ReceiptDecoder.flagsEncodingOffset();
    private static final int RECEIPT_REASON = ReceiptDecoder.reasonEncodingOffset();
    private static final int RECEIPT_DEALER = ReceiptDecoder.dealerEncodingOffset();
    private static final int FILED_DAY_MILLIS = PartyReceiptEncoder.dayMillisEncodingOffset();
    private static final int FILED_PARTY_DOOR_CHANNEL = PartyReceiptEncoder.partyDoorChannelEncodingOffset();
    private static final int FILED_FLAGS = PartyReceiptEncoder.flagsEncodingOffset();
    private static final int FILED_REASON = PartyReceiptEncoder.reasonEncodingOffset();
    private static final int COMMON_WORDS = JournalFormat.COMMON_LENGTH & ~(Long.BYTES - 1);
    /** In {@link #dayParty}'s answer: the receipt's dealer is not kept (the day numbered as many as it may). */
    private static final int UNKEPT = 1 << 30;
    private static final LogLimiter REFILED_LOG = LogLimiter.everyTenSeconds();

    private final Path directory;
    private final PartyNames partyNames;
    private final int segmentSize;
    private final MessageDigest sha;
    private final byte[] head = new byte[JournalFormat.DIGEST_LENGTH];
    private final byte[] dayPrevious = new byte[JournalFormat.DIGEST_LENGTH];
    private final IntHashSet parties = new IntHashSet();
    private final Long2LongHashMap dayParties = new Long2LongHashMap(0);
    private final int maxDealerParties;
    private final int maxDayParties;
    private final UnsafeBuffer segment = new UnsafeBuffer(0, 0);
    private final MessageHeaderEncoder messageHeader = new MessageHeaderEncoder();
    private final BlockHeaderEncoder blockHeader = new BlockHeaderEncoder();
    private final PartyEntryEncoder partyEntry = new PartyEntryEncoder();
    private final DealerPartyEntryEncoder dealerPartyEntry = new DealerPartyEntryEncoder();
    private final BlockCursor cursor = new BlockCursor();
    private final FlagsEncoder flags = new FlagsEncoder();
    private ExecutorService preparer;
    private long lastTriple;
    private int lastDayParty;
    private int nextDayParty = 1;
    private int dealerParties;
    private boolean unkeptWarned;
    private boolean dayPartiesWarned;
    private volatile long dealersUnkept;
    private Future<FileChannel> spare;

    private long day = JournalFormat.NO_DAY;
    private boolean dayClosed;
    private Path dayDirectory;
    private int segmentNumber = -1;
    private FileChannel channel;
    // the open segment's image: every write of the writer goes here, and each sealed block is written from it to the
    // file (writeOut); never mapped, so that forcing the file never write-protects pages a thread stores into
    private ByteBuffer image;
    private ByteBuffer imageView;
    private int position;
    private int blockStart = -1;
    private int blockCount;
    private long dayBlocks;
    private long dayReceipts;
    private long dayFirstId;
    private long dayLastId;
    private long lastAppendedId;
    private long lastSealedId;
    private boolean closed;
    private long keptBytes;
    private final AtomicLong diskBytes = new AtomicLong();
    private final Object deleting = new Object();
    private volatile long newestDay = JournalFormat.NO_DAY;
    private volatile long refiled;
    private String dayPreviousHex;
    // the head as of the last seal: written by the writer under headLock, read by head() from any thread, so that a
    // seal publishes without allocating
    private final StampedLock headLock = new StampedLock();
    private final byte[] publishedDigest = new byte[JournalFormat.DIGEST_LENGTH];
    private long publishedDay = JournalFormat.NO_DAY;
    private boolean publishedClosed;
    private String publishedPrevious;
    private long publishedReceipts;
    private long publishedBlocks;
    private long publishedFirstId;
    private long publishedLastId;
    private volatile long publishedSealedId;
    private volatile boolean ended;
    private final AtomicInteger waiters = new AtomicInteger();
    private final ReentrantLock sealLock = new ReentrantLock();
    private final Condition sealedCondition = sealLock.newCondition();
    // the periodic force, on a thread of its own (startForce): one at a time, never closed under (awaitForce)
    private ChannelForce channelForce = (forced) -> forced.force(false);
    private ExecutorService forcer;
    /**
     * The last force handed to the forcer, null before the first: running until its {@link ForceRun#done} is. One
     * that failed is never followed by another (the journal has failed), so its failure stays here for the writer.
     */
    private volatile ForceRun forceRun;
    private volatile long lastForceNs;

    private ReceiptJournal(final Path directory, final PartyNames partyNames, final int segmentSize,
        final int maxDealerParties, final int maxDayParties)
    {
        this.directory = directory;
        this.partyNames = partyNames;
        this.segmentSize = segmentSize;
        this.maxDealerParties = maxDealerParties;
        this.maxDayParties = maxDayParties;
        try
        {
            this.sha = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is required of every Java platform", ex);
        }
    }

    /**
     * Open the journal, creating its directory if needed: a torn tail (a block begun and not sealed, or a record
     * begun and not finished) is detected and cut off, its bytes kept beside the segment, so that what was sealed
     * before it still verifies. A broken block that a crash cannot leave (a sealed block or other data after it) is
     * damage: nothing is cut and open fails.
     * <p>
     * The last day on disk is left open even when it is before {@code nowMs}'s day, so that receipts of that day
     * still waiting in a queue are appended under it with their own times; the opener closes it after that, with
     * {@link #closeDaysBefore} (or the first {@link #seal}). Any earlier day left without a root is closed here.
     *
     * @param directory  the receipts directory.
     * @param partyNames names the parties of receipts appended.
     * @param nowMs      the time, epoch milliseconds (stamped on the roots of earlier days closed here).
     * @return the journal.
     * @throws IOException when it cannot be opened.
     */
    public static ReceiptJournal open(final Path directory, final PartyNames partyNames, final long nowMs)
        throws IOException
    {
        return open(directory, partyNames, nowMs, DEFAULT_SEGMENT_SIZE);
    }

    /**
     * As {@link #open(Path, PartyNames, long)}, with segments of a given size (the segments already on disk keep
     * theirs).
     *
     * @param directory   the receipts directory.
     * @param partyNames  names the parties of receipts appended.
     * @param nowMs       the time, epoch milliseconds.
     * @param segmentSize bytes a new segment is allocated with, at least 4 KiB.
     * @return the journal.
     * @throws IOException when it cannot be opened.
     */
    public static ReceiptJournal open(final Path directory, final PartyNames partyNames, final long nowMs,
        final int segmentSize) throws IOException
    {
        return open(directory, partyNames, nowMs, segmentSize, JournalFormat.MAX_DEALER_PARTIES,
            JournalFormat.MAX_DAY_PARTIES);
    }

    /**
     * As {@link #open(Path, PartyNames, long, int)}, with a day's day parties capped lower (tests).
     *
     * @param directory        the receipts directory.
     * @param partyNames       names the parties of receipts appended.
     * @param nowMs            the time, epoch milliseconds.
     * @param segmentSize      bytes a new segment is allocated with, at least 4 KiB.
     * @param maxDealerParties most day parties naming a dealer a day numbers.
     * @param maxDayParties    most day parties a day numbers.
     * @return the journal.
     * @throws IOException when it cannot be opened.
     */
    static ReceiptJournal open(final Path directory, final PartyNames partyNames, final long nowMs,
        final int segmentSize, final int maxDealerParties, final int maxDayParties) throws IOException
    {
        if (maxDealerParties < 0 || maxDealerParties > JournalFormat.MAX_DEALER_PARTIES || maxDayParties < 1 ||
            maxDayParties > JournalFormat.MAX_DAY_PARTIES)
        {
            throw new IllegalArgumentException("day parties capped at " + maxDayParties + ", with a dealer " +
                maxDealerParties + " (at most " + JournalFormat.MAX_DAY_PARTIES + " and " +
                JournalFormat.MAX_DEALER_PARTIES + ")");
        }
        final int minimum = JournalFormat.SEGMENT_HEADER_LENGTH + JournalFormat.BLOCK_HEADER_LENGTH +
            JournalFormat.DIGEST_LENGTH + JournalFormat.MAX_NAME_BYTES + 64;
        if (segmentSize < Math.max(4096, minimum))
        {
            throw new IllegalArgumentException("segment size " + segmentSize + " (at least 4096)");
        }
        DurableFiles.createPrivateDirectories(directory);
        // the native binding that allocates segments loads here, before anything is served (about half a second of
        // CPU): loaded by the first spare instead, it held the first roll while the queue filled
        DurableFiles.canPreallocate();
        final ReceiptJournal journal = new ReceiptJournal(directory, partyNames, segmentSize, maxDealerParties,
            maxDayParties);
        try
        {
            journal.recover(nowMs);
        }
        catch (final IOException | RuntimeException ex)
        {
            journal.release();
            throw ex;
        }
        return journal;
    }

    /**
     * @return the greatest decision id in a sealed block (what a kill -9 keeps), 0 when none; read by the writer's
     *     own thread.
     */
    public long lastSealedId()
    {
        return lastSealedId;
    }

    /**
     * @return the greatest decision id in the journal, 0 when empty. Just after {@link #open}, the last sealed
     *     receipt's: a queue replays what is above it.
     */
    public long lastDecisionId()
    {
        return lastAppendedId;
    }

    /**
     * The head of the journal's last day as of its last seal, published by the writer after every seal (and at
     * open, and when a day closes): the day, whether it is closed, its digest (the chain's head, or its root when
     * closed), its sealed receipts and blocks, its first and last decision ids. Any thread; never walks the day.
     *
     * @return the snapshot, or null when the journal holds no day yet.
     */
    public DayRoot head()
    {
        final byte[] digest = new byte[JournalFormat.DIGEST_LENGTH];
        long stamp = headLock.tryOptimisticRead();
        for (int attempt = 0; ; attempt++)
        {
            System.arraycopy(publishedDigest, 0, digest, 0, digest.length);
            final long epochDay = publishedDay;
            final boolean closed = publishedClosed;
            final String previous = publishedPrevious;
            final long receipts = publishedReceipts;
            final long blocks = publishedBlocks;
            final long firstId = publishedFirstId;
            final long lastId = publishedLastId;
            if (attempt > 0 || headLock.validate(stamp))
            {
                if (attempt > 0)
                {
                    headLock.unlockRead(stamp);
                }
                return epochDay == JournalFormat.NO_DAY ? null : new DayRoot(LocalDate.ofEpochDay(epochDay), closed,
                    JournalFormat.hex(digest), previous, receipts, blocks, firstId, lastId);
            }
            // a seal published meanwhile: read again under the read lock
            stamp = headLock.readLock();
        }
    }

    /**
     * Wait until a decision's receipt is sealed in this journal (what a kill -9 keeps), up to a deadline. Any thread
     * but the writer's; woken by the seal itself, no polling.
     *
     * @param decisionId the decision id.
     * @param timeout    longest wait.
     * @param unit       of the timeout.
     * @return true once a sealed block holds the decision id or a later one; false when the deadline passed first,
     *     or the journal was closed or failed (it seals nothing more) before.
     * @throws InterruptedException when interrupted while waiting.
     */
    public boolean awaitSealed(final long decisionId, final long timeout, final TimeUnit unit)
        throws InterruptedException
    {
        if (Long.compareUnsigned(publishedSealedId, decisionId) >= 0)
        {
            return true;
        }
        final long deadlineNs = System.nanoTime() + unit.toNanos(timeout);
        waiters.incrementAndGet();
        try
        {
            sealLock.lockInterruptibly();
            try
            {
                while (Long.compareUnsigned(publishedSealedId, decisionId) < 0)
                {
                    final long remainingNs = deadlineNs - System.nanoTime();
                    if (ended || remainingNs <= 0)
                    {
                        return false;
                    }
                    sealedCondition.awaitNanos(remainingNs);
                }
                return true;
            }
            finally
            {
                sealLock.unlock();
            }
        }
        finally
        {
            waiters.decrementAndGet();
        }
    }

    /**
     * The journal seals nothing more (its writer failed): wake every waiter, which then returns false.
     */
    void endWaits()
    {
        ended = true;
        wakeWaiters();
    }

    /**
     * @return the chain's head: the digest of the last sealed block, 64 hex digits (zeros for an empty journal).
     */
    public String chainHead()
    {
        return JournalFormat.hex(head);
    }

    /**
     * Append one receipt: the 52-byte {@code Receipt} block of the receipt schema (no message header), as the queue
     * holds it, filed as a 48-byte {@code PartyReceipt}: its party, dealer, door and channel become one word naming
     * the day party of its (run, party, dealer) triple, numbered in a {@code PARTIES} block before the triple's
     * first receipt of the day. The receipt's own triple is the previous receipt's most of the time: that costs one
     * compare, no lookup.
     * <p>
     * A receipt for a day already closed (it raced past midnight, or the clock stepped back) is filed under the
     * next day after the last closed one, or the open later day, at its first millisecond ({@code dayMillis} 0),
     * since a closed day cannot take more; its flag {@code refiled} says that this time is not the decision's own
     * (counted by {@link #refiled()}, logged at WARN, limited).
     *
     * @param buffer   holding it.
     * @param offset   of it.
     * @param epochDay the UTC day it is filed under (days since 1970-01-01); a later day than the last closes that.
     * @throws IOException when the disk fails.
     * @throws IllegalArgumentException when its decision id is not above the last one appended, or its door or
     *     channel is not one a {@code PartyReceipt} can hold.
     */
    public void append(final DirectBuffer buffer, final int offset, final long epochDay) throws IOException
    {
        ensureOpen();
        final long id = buffer.getLong(offset + RECEIPT_ID, ByteOrder.LITTLE_ENDIAN);
        if (Long.compareUnsigned(id, lastAppendedId) <= 0)
        {
            throw new IllegalArgumentException("decision id " + JournalFormat.decisionId(id) +
                " not above the last appended, " + JournalFormat.decisionId(lastAppendedId));
        }
        final int door = buffer.getByte(offset + RECEIPT_DOOR) & 0xFF;
        final int channel = buffer.getByte(offset + RECEIPT_CHANNEL) & 0xFF;
        if (door > JournalFormat.DOOR_MASK || channel > JournalFormat.CHANNEL_MASK)
        {
            throw new IllegalArgumentException("decision id " + JournalFormat.decisionId(id) + ": door " + door +
                " or channel " + channel + " out of a receipt's range");
        }
        final boolean early = dayClosed ? epochDay <= day : epochDay < day;
        if (day == JournalFormat.NO_DAY || epochDay > day || dayClosed)
        {
            if (!dayClosed && day != JournalFormat.NO_DAY)
            {
                closeDay(epochDay * JournalFormat.DAY_MS);
            }
            startDay(early ? day + 1 : epochDay);
        }
        final long triple = (id >>> 48) << 48 |
            (long)(buffer.getShort(offset + RECEIPT_PARTY, ByteOrder.LITTLE_ENDIAN) & 0xFFFF) << 32 |
            buffer.getInt(offset + RECEIPT_DEALER, ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL;
        // most receipts come from the triple just before: one compare instead of a map's lookup
        if (triple != lastTriple || lastDayParty == 0)
        {
            lastDayParty = dayParty(id, triple);
            lastTriple = triple;
        }
        final int dayParty = lastDayParty;
        if (blockStart >= 0 && (blockCount == JournalFormat.MAX_RECEIPTS_PER_BLOCK ||
            blockStart + JournalFormat.BLOCK_HEADER_LENGTH + (blockCount + 1) * JournalFormat.RECEIPT_LENGTH +
            JournalFormat.DIGEST_LENGTH > segment.capacity()))
        {
            sealBlock();
        }
        if (blockStart < 0)
        {
            beginBlock(BlockKind.RECEIPTS, id, JournalFormat.RECEIPT_LENGTH);
        }
        final int at = blockStart + JournalFormat.BLOCK_HEADER_LENGTH + blockCount * JournalFormat.RECEIPT_LENGTH;
        // the 42 bytes a PartyReceipt shares with the Receipt: five word moves and a short
        for (int i = 0; i < COMMON_WORDS; i += Long.BYTES)
        {
            segment.putLong(at + i, buffer.getLong(offset + i));
        }
        segment.putShort(at + COMMON_WORDS, buffer.getShort(offset + COMMON_WORDS));
        segment.putInt(at + FILED_PARTY_DOOR_CHANNEL, (dayParty & JournalFormat.DAY_PARTY_MASK) |
            door << JournalFormat.DOOR_SHIFT | channel << JournalFormat.CHANNEL_SHIFT, ByteOrder.LITTLE_ENDIAN);
        segment.putByte(at + FILED_FLAGS, buffer.getByte(offset + RECEIPT_FLAGS));
        segment.putByte(at + FILED_REASON, buffer.getByte(offset + RECEIPT_REASON));
        if ((dayParty & UNKEPT) != 0)
        {
            flags.wrap(segment, at + FILED_FLAGS).dealerUnknown(true);
            dealerUnkept(id);
        }
        if (early)
        {
            segment.putInt(at + FILED_DAY_MILLIS, 0, ByteOrder.LITTLE_ENDIAN);
            flags.wrap(segment, at + FILED_FLAGS).refiled(true);
            refiled(id, epochDay);
        }
        blockCount++;
        // the count after the receipt: a crash leaves a header that never claims an unwritten receipt
        segment.putInt(blockStart + HEADER_COUNT, blockCount, ByteOrder.LITTLE_ENDIAN);
        segment.putInt(blockStart + HEADER_BODY_LENGTH, blockCount * JournalFormat.RECEIPT_LENGTH,
            ByteOrder.LITTLE_ENDIAN);
        lastAppendedId = id;
    }

    /**
     * The day party of a (run, party, dealer) triple, numbering it in a {@code PARTIES} block (with the party's
     * name, when the day has not named it yet) when the day has not. Past the day's cap of triples naming a dealer,
     * the triple's party with dealer 0 stands for it, flagged {@link #UNKEPT}; past the day's cap of day parties, day
     * party 0 (unknown), flagged so too.
     *
     * @return the day party, with {@link #UNKEPT} when the receipt's dealer is not kept.
     */
    private int dayParty(final long id, final long triple) throws IOException
    {
        final int known = (int)dayParties.get(triple);
        if (known != 0)
        {
            return known;
        }
        long numbered = triple;
        int unkept = 0;
        if ((triple & 0xFFFF_FFFFL) != 0 && dealerParties >= maxDealerParties)
        {
            // the party is kept, the dealer not: the party's own day party (dealer 0) stands for it
            numbered = triple & ~0xFFFF_FFFFL;
            unkept = UNKEPT;
            final int party = (int)dayParties.get(numbered);
            if (party != 0)
            {
                return party | UNKEPT;
            }
        }
        if (nextDayParty > maxDayParties)
        {
            if (unkept == 0 && (triple & 0xFFFF_FFFFL) != 0)
            {
                // no number left for this pair, but its party may have one of its own: keep the party at least
                final int party = (int)dayParties.get(triple & ~0xFFFF_FFFFL);
                if (party != 0)
                {
                    return party | UNKEPT;
                }
            }
            if (!dayPartiesWarned)
            {
                dayPartiesWarned = true;
                LOG.warn("receipts: day {} has numbered {} day parties, the most a receipt can name; receipts of " +
                    "new (party, dealer) pairs today keep their party without the dealer when the party was " +
                    "numbered today, else carry day party 0 (neither the party nor the dealer kept) " +
                    "until the day ends; iys_receipts_dealers_unkept counts them", LocalDate.ofEpochDay(day),
                    maxDayParties);
            }
            return UNKEPT;
        }
        final int dayParty = nextDayParty++;
        if ((numbered & 0xFFFF_FFFFL) != 0)
        {
            dealerParties++;
        }
        numberDayParty(id, numbered, dayParty);
        dayParties.put(numbered, dayParty);
        return dayParty | unkept;
    }

    private void dealerUnkept(final long id)
    {
        dealersUnkept++;
        if (!unkeptWarned)
        {
            unkeptWarned = true;
            LOG.warn("receipts: day {} has numbered {} (party, dealer) pairs, the most a day keeps; receipts of new " +
                "pairs today keep their party but not their dealer (flagged dealerUnknown) until the day ends; " +
                "iys_receipts_dealers_unkept counts them: decisionId={}", LocalDate.ofEpochDay(day), dealerParties,
                JournalFormat.decisionId(id));
        }
    }

    /**
     * Seal the open block, so that the chain's head covers every receipt appended so far; when the time has passed
     * into a later day, close the open day (its root file, its log line).
     *
     * @param nowMs the time, epoch milliseconds.
     * @throws IOException when the disk fails.
     */
    public void seal(final long nowMs) throws IOException
    {
        ensureOpen();
        sealBlock();
        closeDaysBefore(nowMs);
    }

    /**
     * Close the open day (seal it, write its root file, log its root) when it is before {@code nowMs}'s day: after
     * {@link #open}, once the queue's receipts are appended, and from {@link #seal} when the time passes midnight.
     *
     * @param nowMs the time, epoch milliseconds.
     * @throws IOException when the disk fails.
     */
    public void closeDaysBefore(final long nowMs) throws IOException
    {
        ensureOpen();
        if (day != JournalFormat.NO_DAY && !dayClosed && Math.floorDiv(nowMs, JournalFormat.DAY_MS) > day)
        {
            closeDay(nowMs);
        }
    }

    /**
     * @return receipts whose dealer the journal did not keep since open, for the day had numbered as many (party,
     *     dealer) pairs, or day parties, as it may (flagged {@code dealerUnknown}); any thread.
     */
    public long dealersUnkept()
    {
        return dealersUnkept;
    }

    /**
     * @return receipts filed under a later day than their own since open, flagged {@code refiled}; any thread.
     */
    public long refiled()
    {
        return refiled;
    }

    /**
     * Force what is written to the storage device, on the caller's thread, once the force {@link #startForce started}
     * earlier, if any, is done.
     *
     * @throws IOException when the disk fails, or the force started earlier failed.
     */
    public void force() throws IOException
    {
        ensureOpen();
        awaitForce();
        if (channel != null)
        {
            channel.force(false);
        }
    }

    /**
     * Start forcing what is written so far to the device on the journal's forcer thread ({@code iys-receipts-force}),
     * running {@code first} there before it (the parties' names), so that the writer goes on appending and sealing
     * while the device takes seconds (another process's writes ahead of ours). The open segment is forced through
     * its file channel ({@code fdatasync}): every block sealed so far is in the file, and the writer goes on building
     * the next in its image meanwhile; the channel is closed only once the force is done ({@link #awaitForce}).
     * Forces never queue up: while one runs, this starts nothing. The writer's thread only.
     * <p>
     * Receipts appended while the segment is forced may reach the device with it, their parties' names perhaps not
     * yet forced in the run's parties file: the journal names each party itself, in the {@code PARTIES} block before
     * the party's first receipt of the day, written before the receipt and so forced by the same force at the latest.
     *
     * @param first forced first, on the forcer's thread.
     * @return true when started; false while the one started before still runs.
     * @throws IOException when a force started before failed (at every call after it: a journal whose force failed
     *                     has failed), or the forcer cannot take it.
     */
    boolean startForce(final ForceStep first) throws IOException
    {
        ensureOpen();
        checkForce();
        if (forcing())
        {
            return false;
        }
        if (forcer == null)
        {
            forcer = Executors.newSingleThreadExecutor((task) ->
            {
                final Thread thread = new Thread(task, "iys-receipts-force");
                thread.setDaemon(true);
                return thread;
            });
        }
        // captured here: the writer may roll to another segment while this one is forced
        final FileChannel forced = channel;
        final ChannelForce force = channelForce;
        final ForceRun run = new ForceRun(System.nanoTime(), new CompletableFuture<>());
        forceRun = run;
        try
        {
            forcer.execute(() -> runForce(run, first, force, forced));
        }
        catch (final RejectedExecutionException ex)
        {
            run.end(ex, 0);
            throw new IOException("receipt journal: the forcer refused a force", ex);
        }
        catch (final Throwable ex)
        {
            // the forcer's thread could not be made (an OutOfMemoryError for native threads): no force runs, so
            // none may be waited for (a roll, a day's close and close would wait for ever)
            run.end(ex, 0);
            throw new IOException("receipt journal: the forcer could not take a force", ex);
        }
        return true;
    }

    /**
     * On the forcer's thread: the names first (a receipt on the device never carries a party number its run's file
     * cannot name), then the segment. Any failure (a full disk, an I/O error, an error) is kept for the writer.
     */
    private void runForce(final ForceRun run, final ForceStep first, final ChannelForce force,
        final FileChannel forced)
    {
        Throwable failure = null;
        try
        {
            first.force();
            if (forced != null)
            {
                force.force(forced);
            }
        }
        catch (final Throwable ex)
        {
            failure = ex;
        }
        run.end(failure, System.nanoTime() - run.startNs);
    }

    /**
     * A force handed to the forcer: when it started, and its completion, failed with why when it failed; whoever
     * must not go on under it (a roll, a day's close, close) waits for it.
     */
    private final class ForceRun
    {
        final long startNs;
        final CompletableFuture<Void> done;

        ForceRun(final long startNs, final CompletableFuture<Void> done)
        {
            this.startNs = startNs;
            this.done = done;
        }

        /**
         * The force is over: how long it took is reported from now on, then whoever waits for it is woken.
         */
        void end(final Throwable failure, final long tookNs)
        {
            lastForceNs = tookNs;
            if (failure == null)
            {
                done.complete(null);
            }
            else
            {
                done.completeExceptionally(failure);
            }
        }

        /**
         * @return why it failed, or null when it did not (or still runs).
         */
        Throwable failure()
        {
            // the failure as the force threw it (join would wrap it); nothing is left waiting on a running force
            return done.isCompletedExceptionally() ? done.handle((ignored, failure) -> failure).getNow(null) : null;
        }
    }

    /**
     * Throw the failure of a force started by {@link #startForce}, if one failed: the writer's next pass fails the
     * journal with it, as it would a force of its own.
     *
     * @throws IOException when a force failed.
     */
    void checkForce() throws IOException
    {
        final ForceRun run = forceRun;
        final Throwable failure = run == null ? null : run.failure();
        if (failure != null)
        {
            throw new IOException("receipt journal: forcing the journal to the device failed: " + failure, failure);
        }
    }

    /**
     * Wait for the force running, if any, then throw its failure, if it failed: before the writer forces the
     * segment itself (a roll, a day's close, close) and before it closes the segment's channel.
     */
    private void awaitForce() throws IOException
    {
        awaitForceQuietly();
        checkForce();
    }

    /**
     * Wait, without bound, for the force running, if any: a channel closed under it would fail it (and an
     * interrupted forcer would close the channel), so the writer never closes one a force uses.
     */
    private void awaitForceQuietly()
    {
        final ForceRun run = forceRun;
        if (run != null)
        {
            // join waits through an interrupt, which it keeps for the caller; a failure is checkForce's to throw
            run.done.exceptionally((failure) -> null).join();
        }
    }

    /**
     * @return whether a force started by {@link #startForce} still runs; any thread.
     */
    boolean forcing()
    {
        final ForceRun run = forceRun;
        return run != null && !run.done.isDone();
    }

    /**
     * @return seconds the last force started by {@link #startForce} took, or the running one so far when longer;
     *     any thread.
     */
    double forceSeconds()
    {
        final long last = lastForceNs;
        final ForceRun run = forceRun;
        final long running = run != null && !run.done.isDone() ? System.nanoTime() - run.startNs : 0;
        return Math.max(last, running) / 1e9;
    }

    /**
     * Replace how a segment's channel is forced by {@link #startForce} (tests: a force that blocks or fails).
     *
     * @param force forces a channel.
     */
    void channelForce(final ChannelForce force)
    {
        channelForce = force;
    }

    /**
     * Retention: delete the days more than {@code retentionDays} before today by {@code nowMs}'s clock and before
     * the newest day written, whichever is earlier, so that a clock far ahead never deletes a day within retention
     * of what the journal holds. Any thread (the drain hands it to a thread of its own: deleting a large day takes
     * long); never deletes the newest day.
     *
     * @param nowMs         the time, epoch milliseconds.
     * @param retentionDays days kept.
     * @return the days deleted.
     * @throws IOException when a day cannot be deleted.
     */
    public int deleteExpired(final long nowMs, final int retentionDays) throws IOException
    {
        final long newest = newestDay;
        if (newest == JournalFormat.NO_DAY)
        {
            return 0;
        }
        return deleteDaysBefore(Math.min(Math.floorDiv(nowMs, JournalFormat.DAY_MS), newest) - retentionDays);
    }

    /**
     * Delete the days before one: whole day directories, never the newest day (which the writer may still write).
     * Any thread; one deletion at a time.
     *
     * @param epochDay the first day to keep.
     * @return the days deleted.
     * @throws IOException when a day cannot be deleted.
     */
    public int deleteDaysBefore(final long epochDay) throws IOException
    {
        synchronized (deleting)
        {
            final long firstKept = Math.min(epochDay, newestDay);
            int deleted = 0;
            for (final long old : JournalFormat.days(directory))
            {
                if (old >= firstKept)
                {
                    continue;
                }
                final Path oldDirectory = JournalFormat.dayDirectory(directory, old);
                final long bytes = bytesUnder(oldDirectory);
                deleted++;
                try (Stream<Path> walk = Files.walk(oldDirectory))
                {
                    final List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
                    for (final Path path : paths)
                    {
                        Files.delete(path);
                    }
                }
                diskBytes.addAndGet(-bytes);
                LOG.info("receipts day deleted by retention: day={}, bytes={}", LocalDate.ofEpochDay(old), bytes);
            }
            return deleted;
        }
    }

    /**
     * @return bytes the journal's files take on disk (allocated segments at their full size, roots, torn tails
     *     kept; not scrub proofs kept beside them); any thread.
     */
    public long diskBytes()
    {
        return diskBytes.get();
    }

    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        try
        {
            awaitForce();
            sealBlock();
            if (channel != null)
            {
                channel.force(false);
            }
        }
        finally
        {
            release();
        }
    }

    private void release()
    {
        closed = true;
        closeSegment();
        if (image != null)
        {
            IoUtil.unmap(image);
            image = null;
            imageView = null;
        }
        if (forcer != null)
        {
            // idle (closeSegment waited for it), so never interrupted: an interrupted force closes its channel
            forcer.shutdown();
        }
        dropSpare();
        endWaits();
    }

    /**
     * Publish the last day's head and the last sealed id, then wake the waiters if any (the writer's thread).
     */
    private void publish()
    {
        if (day == JournalFormat.NO_DAY || dayDirectory == null)
        {
            return;
        }
        if (dayPreviousHex == null)
        {
            dayPreviousHex = JournalFormat.hex(dayPrevious);
        }
        publish(day, dayClosed, dayPreviousHex, dayReceipts, dayBlocks, dayFirstId, dayLastId);
    }

    /**
     * Publish a day's head ({@link #head} the digest) and the last sealed id, then wake the waiters if any; no
     * allocation (the writer's thread, after every seal).
     */
    private void publish(final long epochDay, final boolean closed, final String previous, final long receipts,
        final long blocks, final long firstId, final long lastId)
    {
        final long stamp = headLock.writeLock();
        try
        {
            System.arraycopy(head, 0, publishedDigest, 0, publishedDigest.length);
            publishedDay = epochDay;
            publishedClosed = closed;
            publishedPrevious = previous;
            publishedReceipts = receipts;
            publishedBlocks = blocks;
            publishedFirstId = firstId;
            publishedLastId = lastId;
        }
        finally
        {
            headLock.unlockWrite(stamp);
        }
        publishedSealedId = lastSealedId;
        wakeWaiters();
    }

    private void wakeWaiters()
    {
        // a waiter counts itself before it checks the id under the lock: either it sees the id, or this sees it
        if (waiters.get() > 0)
        {
            sealLock.lock();
            try
            {
                sealedCondition.signalAll();
            }
            finally
            {
                sealLock.unlock();
            }
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("receipt journal closed");
        }
    }

    private void refiled(final long id, final long epochDay)
    {
        refiled++;
        final long suppressed = REFILED_LOG.tryAcquire(System.nanoTime());
        if (suppressed >= 0)
        {
            LOG.warn("receipts: a receipt of a closed day was filed under a later day at its first millisecond and " +
                "flagged refiled (its day's root cannot take it: a race past midnight or a clock stepped back): " +
                "decisionId={}, ownDay={}, filedUnder={}, refiledTotal={}, suppressedSinceLast={}",
                JournalFormat.decisionId(id), LocalDate.ofEpochDay(epochDay), LocalDate.ofEpochDay(day), refiled,
                suppressed);
        }
    }

    private void startDay(final long epochDay) throws IOException
    {
        day = epochDay;
        newestDay = Math.max(epochDay, newestDay);
        dayClosed = false;
        dayDirectory = JournalFormat.dayDirectory(directory, epochDay);
        DurableFiles.createPrivateDirectories(dayDirectory);
        System.arraycopy(head, 0, dayPrevious, 0, head.length);
        dayPreviousHex = JournalFormat.hex(dayPrevious);
        segmentNumber = -1;
        dayBlocks = 0;
        dayReceipts = 0;
        dayFirstId = 0;
        dayLastId = 0;
        parties.clear();
        dayParties.clear();
        // a day of many pairs leaves no large table behind it (once a day)
        dayParties.compact();
        lastTriple = 0;
        lastDayParty = 0;
        nextDayParty = 1;
        dealerParties = 0;
        unkeptWarned = false;
        dayPartiesWarned = false;
    }

    private void closeDay(final long nowMs) throws IOException
    {
        sealBlock();
        int segments = segmentNumber + 1;
        awaitForce();
        if (channel != null)
        {
            channel.force(false);
            final int used = position;
            final int size = segment.capacity();
            closeSegment();
            // the day's last segment keeps only what it holds: the rest was zeros
            try (FileChannel truncating = FileChannel.open(JournalFormat.segmentFile(dayDirectory, segments - 1),
                StandardOpenOption.WRITE))
            {
                truncating.truncate(used);
                truncating.force(true);
            }
            diskBytes.addAndGet(-(size - used));
        }
        final DayRoot root = new DayRoot(LocalDate.ofEpochDay(day), true, JournalFormat.hex(head),
            JournalFormat.hex(dayPrevious), dayReceipts, dayBlocks, dayFirstId, dayLastId);
        JournalFormat.writeRoot(dayDirectory, root, segments, nowMs);
        diskBytes.addAndGet(Files.size(dayDirectory.resolve(JournalFormat.ROOT_FILE)));
        dayClosed = true;
        publish(day, true, root.previousDigest(), root.receipts(), root.blocks(), root.firstDecisionId(),
            root.lastDecisionId());
        LOG.info("receipts day closed: day={}, root={}, receipts={}, blocks={}, firstDecisionId={}, " +
            "lastDecisionId={}", root.day(), root.digest(), root.receipts(), root.blocks(),
            JournalFormat.decisionId(root.firstDecisionId()), JournalFormat.decisionId(root.lastDecisionId()));
    }

    /**
     * Seal the open block and write a {@code PARTIES} block numbering a day party: the party's name first when the
     * day has not named the party yet (a party 0 has no name), then the day party's triple.
     */
    private void numberDayParty(final long id, final long triple, final int dayParty) throws IOException
    {
        sealBlock();
        final int run = (int)(triple >>> 48);
        final int party = (int)(triple >>> 32) & 0xFFFF;
        final int key = run << 16 | party;
        final byte[] name = party != 0 && !parties.contains(key) ? name(run, party) : null;
        final int dealerEntryLength = MessageHeaderEncoder.ENCODED_LENGTH + DealerPartyEntryEncoder.BLOCK_LENGTH;
        final int nameEntryLength = name == null ? 0 : MessageHeaderEncoder.ENCODED_LENGTH +
            PartyEntryEncoder.BLOCK_LENGTH + PartyEntryEncoder.nameHeaderLength() + name.length;
        final int bodyLength = nameEntryLength + dealerEntryLength;
        beginBlock(BlockKind.PARTIES, id, bodyLength);
        // the header claims the whole body before it is written: a process killed while writing it leaves nothing
        // after the unsealed block's digest place, a torn tail that the next open cuts (unlike a receipt, an entry
        // is never read before its block is sealed)
        blockCount = name == null ? 1 : 2;
        segment.putInt(blockStart + HEADER_BODY_LENGTH, bodyLength, ByteOrder.LITTLE_ENDIAN);
        segment.putInt(blockStart + HEADER_COUNT, blockCount, ByteOrder.LITTLE_ENDIAN);
        // the claim stored before any entry: plain stores may otherwise be reordered by the compiler (once per new
        // pair, not per receipt)
        VarHandle.storeStoreFence();
        int at = blockStart + JournalFormat.BLOCK_HEADER_LENGTH;
        if (name != null)
        {
            partyEntry.wrapAndApplyHeader(segment, at, messageHeader)
                .run(run)
                .party(party)
                .putName(name, 0, name.length);
            at += nameEntryLength;
        }
        dealerPartyEntry.wrapAndApplyHeader(segment, at, messageHeader)
            .dayParty(dayParty)
            .run(run)
            .party(party)
            .dealer(triple & 0xFFFF_FFFFL);
        sealBlock();
        if (name != null)
        {
            parties.add(key);
        }
    }

    private byte[] name(final int run, final int party)
    {
        String name;
        try
        {
            name = partyNames.name(run, party);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("receipts: no name for party {} of run {}: {}", party, run, ex.toString());
            name = null;
        }
        final byte[] bytes = (name == null ? "unknown" : name).getBytes(StandardCharsets.UTF_8);
        return bytes.length > JournalFormat.MAX_NAME_BYTES ? java.util.Arrays.copyOf(bytes,
            JournalFormat.MAX_NAME_BYTES) : bytes;
    }

    private void beginBlock(final BlockKind kind, final long firstId, final int firstBodyBytes) throws IOException
    {
        // a segment written by an older build (another receipt version, the last one left open before an upgrade)
        // takes no more blocks: its header says which version its receipts and party entries are
        if (channel == null || position + JournalFormat.BLOCK_HEADER_LENGTH + firstBodyBytes +
            JournalFormat.DIGEST_LENGTH > segment.capacity() ||
            cursor.receiptVersion != JournalFormat.RECEIPT_VERSION ||
            cursor.receiptLength != JournalFormat.RECEIPT_LENGTH)
        {
            nextSegment();
        }
        blockHeader.wrapAndApplyHeader(segment, position, messageHeader)
            .firstDecisionId(firstId)
            .count(0)
            .bodyLength(0)
            .block(dayBlocks)
            .kind(kind)
            .reserved((short)0)
            .reserved2(0)
            .putPreviousDigest(head, 0, head.length);
        blockStart = position;
        blockCount = 0;
    }

    private void sealBlock() throws IOException
    {
        if (blockStart < 0)
        {
            return;
        }
        cursor.position = blockStart;
        if (cursor.read() != BlockCursor.BLOCK)
        {
            throw new IOException("receipt journal: the open block at " + blockStart + " of " +
                JournalFormat.segmentFile(dayDirectory, segmentNumber) + " is malformed: " + cursor.malformed);
        }
        cursor.computeDigest(sha);
        segment.putBytes(cursor.digestOffset, cursor.digest);
        // in the file (the page cache) before anything says it is sealed: what a kill -9 leaves from here on
        writeOut(blockStart, cursor.digestOffset + JournalFormat.DIGEST_LENGTH);
        System.arraycopy(cursor.digest, 0, head, 0, head.length);
        dayBlocks++;
        if (cursor.header.kind() == BlockKind.RECEIPTS)
        {
            dayReceipts += blockCount;
            if (dayFirstId == 0)
            {
                dayFirstId = cursor.header.firstDecisionId();
            }
            dayLastId = segment.getLong(cursor.digestOffset - cursor.receiptLength + RECEIPT_ID,
                ByteOrder.LITTLE_ENDIAN);
            lastSealedId = dayLastId;
        }
        position = cursor.digestOffset + JournalFormat.DIGEST_LENGTH;
        blockStart = -1;
        blockCount = 0;
        publish();
    }

    private void nextSegment() throws IOException
    {
        // the old segment forced here, on the writer, before the next takes receipts: a power loss never keeps a
        // later segment and loses part of an earlier one (which recovery could only refuse as damage)
        awaitForce();
        if (channel != null)
        {
            channel.force(false);
            closeSegment();
        }
        final int number = segmentNumber + 1;
        final Path file = JournalFormat.segmentFile(dayDirectory, number);
        final FileChannel ready = takeSpare(file);
        try
        {
            ensureImage(segmentSize);
            segment.wrap(image, 0, segmentSize);
            new SegmentHeaderEncoder().wrapAndApplyHeader(segment, 0, new MessageHeaderEncoder())
                .format(JournalFormat.FORMAT)
                .receiptLength(JournalFormat.RECEIPT_LENGTH)
                .receiptVersion(JournalFormat.RECEIPT_VERSION)
                .reserved(0)
                .epochDay((int)day)
                .segment(number)
                .segmentSize(segmentSize)
                .reserved2(0)
                .createdMs(System.currentTimeMillis());
            // the header on the device before the file takes its name: a segment never has a zero header
            writeOut(ready, 0, JournalFormat.SEGMENT_HEADER_LENGTH);
            ready.force(false);
            Files.move(directory.resolve(SPARE_FILE), file, StandardCopyOption.ATOMIC_MOVE);
            JournalFormat.forceDirectory(dayDirectory);
        }
        catch (final IOException | RuntimeException ex)
        {
            segment.wrap(0, 0);
            closeQuietly(ready);
            Files.deleteIfExists(directory.resolve(SPARE_FILE));
            throw ex;
        }
        diskBytes.addAndGet(segmentSize);
        channel = ready;
        cursor.wrap(image, segmentSize);
        segmentNumber = number;
        position = JournalFormat.SEGMENT_HEADER_LENGTH;
        prepareSpare();
    }

    /**
     * The spare segment prepared ahead (waiting for it when it is still being made, making it here when none was
     * asked for), or the failure to allocate it.
     */
    private FileChannel takeSpare(final Path file) throws IOException
    {
        if (spare == null)
        {
            prepareSpare();
        }
        final Future<FileChannel> pending = spare;
        spare = null;
        try
        {
            return pending.get();
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            throw new IOException("receipt journal: cannot allocate segment " + file + " (" + segmentSize +
                " bytes): " + cause.getMessage(), cause);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("receipt journal: interrupted waiting for segment " + file, ex);
        }
    }

    /**
     * Ask the segments' thread ({@code iys-receipts-segments}) to make the next segment: a spare file in the
     * journal's directory allocated whole ({@link DurableFiles#preallocate}, else written whole with zeros) and forced
     * (a full disk fails that, never a later write), then opened, so that a roll on the writer's thread only writes
     * its header and renames it.
     */
    private void prepareSpare()
    {
        if (preparer == null)
        {
            preparer = Executors.newSingleThreadExecutor((task) ->
            {
                final Thread thread = new Thread(task, "iys-receipts-segments");
                thread.setDaemon(true);
                return thread;
            });
        }
        spare = preparer.submit(this::makeSpare);
    }

    private FileChannel makeSpare() throws IOException
    {
        final Path file = directory.resolve(SPARE_FILE);
        Files.deleteIfExists(file);
        try (FileChannel creating = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            DurableFiles.ownerOnly(file);
            // blocks allocated, not written: the segment is written once, by its receipts, not first with 64 MiB
            // of zeros the kernel must also write back; where the file system cannot, zeros are written
            if (!DurableFiles.preallocate(file, segmentSize))
            {
                allocate(creating);
            }
            creating.force(true);
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(file);
            throw ex;
        }
        try
        {
            return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(file);
            throw ex;
        }
    }

    /**
     * At close: wait (bounded) for a spare being made, then unmap and delete it.
     */
    private void dropSpare()
    {
        if (preparer == null)
        {
            return;
        }
        preparer.shutdown();
        final Future<FileChannel> pending = spare;
        spare = null;
        if (pending != null)
        {
            try
            {
                closeQuietly(pending.get(SPARE_CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
                Files.deleteIfExists(directory.resolve(SPARE_FILE));
            }
            catch (final ExecutionException | TimeoutException | IOException ex)
            {
                LOG.warn("receipt journal: the spare segment was not made or removed at close (the next open " +
                    "deletes it): {}", ex.toString());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Something the forcer forces before the segment: the parties' names.
     */
    @FunctionalInterface
    interface ForceStep
    {
        /**
         * @throws IOException when the device fails.
         */
        void force() throws IOException;
    }

    /**
     * How the forcer forces a segment's file channel.
     */
    @FunctionalInterface
    interface ChannelForce
    {
        /**
         * @param channel the segment's channel, open until this returns.
         * @throws IOException when the device fails.
         */
        void force(FileChannel channel) throws IOException;
    }

    /**
     * Write the whole file with zeros, so that its blocks are allocated now: a full disk fails here.
     */
    private void allocate(final FileChannel file) throws IOException
    {
        final ByteBuffer zeros = ByteBuffer.allocateDirect(ZEROS_LENGTH);
        try
        {
            long written = 0;
            while (written < segmentSize)
            {
                zeros.clear().limit((int)Math.min(ZEROS_LENGTH, segmentSize - written));
                while (zeros.hasRemaining())
                {
                    written += file.write(zeros, written);
                }
            }
        }
        finally
        {
            IoUtil.unmap(zeros);
        }
    }

    /**
     * Open a segment written before: its file read whole into the image, which the writer goes on from.
     */
    private void readSegment(final Path file, final int number, final int at) throws IOException
    {
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        final int length;
        try
        {
            final long size = channel.size();
            if (size > Integer.MAX_VALUE - JournalFormat.SEGMENT_HEADER_LENGTH)
            {
                throw new IOException("receipt journal: " + file + ": " + size + " bytes, larger than any segment");
            }
            length = (int)size;
            ensureImage(length);
            final ByteBuffer reading = imageView;
            reading.clear().limit(length);
            while (reading.hasRemaining())
            {
                if (channel.read(reading, reading.position()) < 0)
                {
                    throw new IOException("receipt journal: " + file + " ended at " + reading.position() +
                        " of its " + length + " bytes while read");
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(channel);
            channel = null;
            throw ex;
        }
        segment.wrap(image, 0, length);
        cursor.wrap(image, length);
        segmentNumber = number;
        position = at;
    }

    /**
     * The image, at least {@code length} bytes: allocated once, and again only for a longer segment (one an earlier
     * build or setting made longer than this journal's).
     */
    private void ensureImage(final int length)
    {
        if (image == null || image.capacity() < length)
        {
            final ByteBuffer previous = image;
            image = ByteBuffer.allocateDirect(Math.max(length, segmentSize));
            imageView = image.duplicate();
            if (previous != null)
            {
                IoUtil.unmap(previous);
            }
        }
    }

    private void writeOut(final int from, final int to) throws IOException
    {
        writeOut(channel, from, to);
    }

    /**
     * Write the image's bytes {@code from} up to {@code to} to the same place of a segment's file.
     */
    private void writeOut(final FileChannel file, final int from, final int to) throws IOException
    {
        final ByteBuffer bytes = imageView;
        bytes.clear().limit(to).position(from);
        while (bytes.hasRemaining())
        {
            file.write(bytes, bytes.position());
        }
    }

    private static void closeQuietly(final FileChannel file)
    {
        try
        {
            file.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("receipt journal: closing a segment failed: {}", ex.toString());
        }
    }

    private void closeSegment()
    {
        // a force running uses the channel: the channel is closed only after it
        awaitForceQuietly();
        segment.wrap(0, 0);
        if (channel != null)
        {
            closeQuietly(channel);
            channel = null;
        }
    }

    // ---- recovery at open

    private void recover(final long nowMs) throws IOException
    {
        Files.deleteIfExists(directory.resolve(SPARE_FILE));
        final List<Long> days = JournalFormat.days(directory);
        long bytes = 0;
        DayRoot lastRoot = null;
        for (int i = 0; i < days.size(); i++)
        {
            final long epochDay = days.get(i);
            final Path dayPath = JournalFormat.dayDirectory(directory, epochDay);
            deleteTemporaries(dayPath);
            bytes += bytesUnder(dayPath);
            final DayRoot root = JournalFormat.readRoot(dayPath, epochDay);
            if (root != null)
            {
                System.arraycopy(JournalFormat.unhex(root.digest()), 0, head, 0, head.length);
                if (root.lastDecisionId() != 0)
                {
                    lastSealedId = root.lastDecisionId();
                }
                day = epochDay;
                newestDay = epochDay;
                dayClosed = true;
                dayDirectory = dayPath;
                lastRoot = root;
                continue;
            }
            final boolean last = i == days.size() - 1;
            startDay(epochDay);
            recoverDay(last);
            bytes += keptBytes;
            keptBytes = 0;
            // the last day stays open, even when before today: the queue's receipts of it are appended first
            if (!last)
            {
                diskBytes.set(bytes);
                closeDay(nowMs);
                bytes = diskBytes.get();
            }
        }
        diskBytes.set(bytes);
        lastAppendedId = lastSealedId;
        if (dayClosed && lastRoot != null)
        {
            // head holds the root's digest
            publish(day, true, lastRoot.previousDigest(), lastRoot.receipts(), lastRoot.blocks(),
                lastRoot.firstDecisionId(), lastRoot.lastDecisionId());
        }
        else
        {
            publish();
        }
    }

    private void recoverDay(final boolean lastDay) throws IOException
    {
        final int[] numbers = JournalFormat.segments(dayDirectory);
        for (int j = 0; j < numbers.length; j++)
        {
            if (numbers[j] != j)
            {
                throw new IOException("receipt journal: " + dayDirectory + " lacks segment " + j +
                    " (run iys-filter receipts verify)");
            }
            final boolean lastSegment = j == numbers.length - 1;
            readSegment(JournalFormat.segmentFile(dayDirectory, j), j, JournalFormat.SEGMENT_HEADER_LENGTH);
            final String wrongHeader = cursor.checkSegmentHeader(day, j);
            if (wrongHeader != null)
            {
                throw new IOException("receipt journal: " + JournalFormat.segmentFile(dayDirectory, j) + ": " +
                    wrongHeader + " (run iys-filter receipts verify)");
            }
            walkSegment(lastDay && lastSegment);
            if (!lastSegment)
            {
                closeSegment();
            }
        }
    }

    /**
     * Walk a segment's blocks for the day's counts, its parties and the chain's head; in the journal's last segment
     * verify each digest and cut off a torn tail after the last sealed block, keeping its bytes beside the segment.
     */
    private void walkSegment(final boolean tail) throws IOException
    {
        final BlockCursor.PartyEntries entries = new BlockCursor.PartyEntries()
        {
            @Override
            public String name(final int run, final int party, final UnsafeBuffer buffer, final int nameOffset,
                final int nameLength)
            {
                // the journal names a party once a day: a second name would leave a reader two to choose from
                return parties.add(run << 16 | party) ? null : "party " + party + " of run " + run +
                    " named twice in the day";
            }

            @Override
            public String dayParty(final int dayParty, final int run, final int party, final long dealer)
            {
                return recoverDayParty(dayParty, run, party, dealer);
            }
        };
        cursor.position = JournalFormat.SEGMENT_HEADER_LENGTH;
        while (true)
        {
            final int state = cursor.read();
            if (state == BlockCursor.END)
            {
                if (cursor.firstNonZero(cursor.position) >= 0)
                {
                    if (!tail)
                    {
                        throw new IOException("receipt journal: " + JournalFormat.segmentFile(dayDirectory,
                            segmentNumber) + " offset " + cursor.position + ": data after the last block (run " +
                            "iys-filter receipts verify)");
                    }
                    checkTorn("a zero block header with data after it", -1);
                }
                break;
            }
            if (state == BlockCursor.MALFORMED || (tail && !cursor.computeDigest(sha)))
            {
                if (!tail)
                {
                    throw new IOException("receipt journal: " + JournalFormat.segmentFile(dayDirectory,
                        segmentNumber) + " offset " + cursor.position + ": " + (state == BlockCursor.MALFORMED ?
                        cursor.malformed : "block digest") + " (run iys-filter receipts verify)");
                }
                checkTorn(state == BlockCursor.MALFORMED ? cursor.malformed : "block digest",
                    state == BlockCursor.MALFORMED ? -1 : cursor.digestOffset);
                break;
            }
            if (tail && !cursor.linksTo(head) && !(dayBlocks == 0 && isZero(head)))
            {
                throw new IOException("receipt journal: " + JournalFormat.segmentFile(dayDirectory, segmentNumber) +
                    " offset " + cursor.position + ": the block does not link to the one before it (run " +
                    "iys-filter receipts verify)");
            }
            if (dayBlocks == 0)
            {
                cursor.previousDigest(dayPrevious);
            }
            cursor.storedDigest(head);
            dayBlocks++;
            if (cursor.header.kind() == BlockKind.RECEIPTS)
            {
                dayReceipts += cursor.header.count();
                if (dayFirstId == 0)
                {
                    dayFirstId = cursor.header.firstDecisionId();
                }
                dayLastId = segment.getLong(cursor.digestOffset - cursor.receiptLength + RECEIPT_ID,
                    ByteOrder.LITTLE_ENDIAN);
                lastSealedId = dayLastId;
            }
            else
            {
                final String malformed = cursor.readParties(entries);
                if (malformed != null)
                {
                    // a sealed block, so not a torn tail: refused as other damage is, never cut
                    throw new IOException("receipt journal: " + JournalFormat.segmentFile(dayDirectory,
                        segmentNumber) + " block " + (dayBlocks - 1) + " offset " + cursor.position + " (entry at " +
                        cursor.entryOffset + "): " + malformed + " (run iys-filter receipts verify)");
                }
            }
            cursor.advance();
        }
        position = cursor.position;
        if (tail)
        {
            final int last = cursor.lastNonZero(position);
            if (last >= 0)
            {
                final Path kept = keepTornTail(position, last + 1);
                LOG.warn("receipt journal: torn tail cut off: segment={}, offset={}, bytes={}, kept={}",
                    JournalFormat.segmentFile(dayDirectory, segmentNumber), position, last + 1 - position, kept);
                segment.setMemory(position, last + 1 - position, (byte)0);
                writeOut(position, last + 1);
                channel.force(false);
            }
        }
    }

    /**
     * A day party the open day numbered before this open: numbered again the same, so that the day goes on from it
     * (and its caps count it). It must be as the journal numbers them: the day's next number (they run 1, 2, 3, …
     * without a gap), of a triple not numbered yet, whose party (but 0, unknown) the day has named. Anything else
     * would give a number two meanings, or a triple two numbers, and the receipts appended after it would be
     * ambiguous: refused, as other damage of a sealed block is.
     *
     * @return null, or what is wrong.
     */
    private String recoverDayParty(final int dayParty, final int run, final int party, final long dealer)
    {
        final long triple = (long)run << 48 | (long)party << 32 | dealer;
        if (dayParty != nextDayParty)
        {
            return "day party " + dayParty + " numbered where the day's next is " + nextDayParty + " (" +
                (dayParty < nextDayParty ? "a day party numbered twice" : "day parties skipped") + ")";
        }
        final int earlier = (int)dayParties.get(triple);
        if (earlier != 0)
        {
            return "party " + party + " of run " + run + " with dealer " + dealer + " numbered twice in the day, " +
                "as day parties " + earlier + " and " + dayParty;
        }
        if (party != 0 && !parties.contains(run << 16 | party))
        {
            return "day party " + dayParty + " of party " + party + " of run " + run + ", which the day has not named";
        }
        dayParties.put(triple, dayParty);
        nextDayParty = dayParty + 1;
        if (dealer != 0)
        {
            dealerParties++;
        }
        return null;
    }

    /**
     * Whether the first block of the last segment that fails (at the cursor) is a torn tail, which a crash can
     * leave: only when no sealed block follows it, and, for a well-formed block whose digest does not match, only
     * when nothing was written after it but the next receipt (appended over the digest's place before the count
     * claims it; nothing at all after a party block). Anything else is damage, which is never cut.
     *
     * @param why          what fails.
     * @param digestOffset where the well-formed block's digest is, -1 for a malformed block.
     * @throws IOException when it is damage, naming where.
     */
    private void checkTorn(final String why, final int digestOffset) throws IOException
    {
        final int at = cursor.position;
        final int after = digestOffset < 0 ? -1 : digestOffset + (cursor.header.kind() == BlockKind.RECEIPTS ?
            cursor.receiptLength : JournalFormat.DIGEST_LENGTH);
        final int sealed = cursor.findSealed(at + 1, sha);
        String damage = null;
        if (sealed >= 0)
        {
            damage = "a sealed block follows at offset " + sealed;
        }
        else if (after >= 0 && after < segment.capacity() && cursor.firstNonZero(after) >= 0)
        {
            damage = "data follows it at offset " + cursor.firstNonZero(after) + ", so it is not the last block " +
                "written";
        }
        if (damage != null)
        {
            throw new IOException("receipt journal: day " + LocalDate.ofEpochDay(day) + " segment " +
                segmentNumber + " block " + dayBlocks + " offset " + at + " (" +
                JournalFormat.segmentFile(dayDirectory, segmentNumber) + "): " + why + ", and " + damage +
                ": damage, not a torn tail; nothing cut (run iys-filter receipts verify; docs/OPERATIONS.md)");
        }
    }

    /**
     * Copy the bytes of a torn tail to a file beside the segment ({@code NNNNNN.seg.torn-<epoch ms>}), forced with
     * its directory before anything is cut: the journal never destroys what it cannot verify.
     *
     * @return the file.
     */
    private Path keepTornTail(final int from, final int to) throws IOException
    {
        final Path segmentPath = JournalFormat.segmentFile(dayDirectory, segmentNumber);
        long ms = System.currentTimeMillis();
        Path kept = segmentPath.resolveSibling(segmentPath.getFileName() + JournalFormat.TORN_SUFFIX + ms);
        while (Files.exists(kept))
        {
            ms++;
            kept = segmentPath.resolveSibling(segmentPath.getFileName() + JournalFormat.TORN_SUFFIX + ms);
        }
        final Path temporary = kept.resolveSibling(kept.getFileName() + JournalFormat.TEMPORARY_SUFFIX);
        Files.deleteIfExists(temporary);
        try (FileChannel writing = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE))
        {
            DurableFiles.ownerOnly(temporary);
            final ByteBuffer bytes = image.duplicate();
            bytes.clear().position(from).limit(to);
            long written = 0;
            while (bytes.hasRemaining())
            {
                written += writing.write(bytes, written);
            }
            writing.force(true);
        }
        Files.move(temporary, kept, StandardCopyOption.ATOMIC_MOVE);
        JournalFormat.forceDirectory(dayDirectory);
        keptBytes += to - from;
        return kept;
    }

    private static boolean isZero(final byte[] bytes)
    {
        for (final byte b : bytes)
        {
            if (b != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static void deleteTemporaries(final Path dayPath) throws IOException
    {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dayPath, "*" + JournalFormat.TEMPORARY_SUFFIX))
        {
            for (final Path entry : entries)
            {
                Files.delete(entry);
            }
        }
    }

    /**
     * The bytes of the journal's own files of a day (segments, root, torn tails kept: the files directly in its
     * directory), which the writer counts as it makes them; not what others keep beside them (scrub proofs).
     */
    private static long bytesUnder(final Path path) throws IOException
    {
        try (Stream<Path> walk = Files.list(path))
        {
            long total = 0;
            for (final Path file : (Iterable<Path>)walk::iterator)
            {
                if (Files.isRegularFile(file))
                {
                    total += Files.size(file);
                }
            }
            return total;
        }
    }
}
