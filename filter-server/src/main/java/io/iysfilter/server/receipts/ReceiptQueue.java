package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.protocol.receipts.FlagsEncoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.index.DurableFiles;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The receipts' queue: a fixed number of slots in a memory-mapped file ({@code <receipts-dir>/queue}) that any
 * number of deciders write into and the one drain thread reads in sequence order. The file is created at its full
 * size by writing zeros (never sparse), so a full disk cannot fault a producer's store later.
 * <p>
 * Layout (little-endian): a 4096-byte header (magic, version, slot count, then on lines of their own the last
 * sequence claimed and the last sequence released), then the slots, 64 bytes each:
 * <pre>
 *   0..51   the Receipt (receipt schema 7701 version 3, no message header), its decisionId first
 *  52..55   the UTC epoch day it is filed under (int)
 *  56..63   the commit marker: the decision id, stored last with an ordered store
 * </pre>
 * A file of version 1 (48-byte receipts, the day a long at 48) left by an older build is still replayed at
 * {@link #open}, each receipt flagged {@code dealerUnknown} (that build did not keep the dealer), then re-created at
 * version 2.
 * <p>
 * A producer {@link #claim claims} the next sequence with one compare-and-set on the header's claim counter, which
 * succeeds only while the slot it gives has been released by the drain (else the queue is full and nothing is
 * claimed: a claimed sequence is always filled, so the drain never waits on a hole). It writes the receipt and the
 * day, then the marker ({@link #commit}). The drain reads a slot only once its marker equals the id it expects, and
 * {@link #release releases} slots only once the journal has sealed the block holding them, so that a slot is not
 * overwritten while a kill -9 could still cut its receipt from the journal.
 * <p>
 * At start the file left by the previous run is {@link #open opened}: every committed slot whose marker is above the
 * journal's last decision id, is the id its slot holds (its place is the sequence's and its receipt's decisionId the
 * marker; a slot being rewritten when the process died fails this) is handed over in id order, then every slot is
 * zeroed. Slots past the sequence a producer had claimed but not committed were never answered.
 * <p>
 * The mapping is not unmapped on {@link #close()}: a producer that raced the close would fault on an unmapped page;
 * the garbage collector unmaps it once nothing refers to it.
 */
public final class ReceiptQueue implements AutoCloseable
{
    /** Bytes of one slot. */
    public static final int SLOT_LENGTH = 64;
    /** Offset within a slot of the UTC epoch day (an int). */
    public static final int DAY_OFFSET = 52;
    /** Offset within a slot of the commit marker. */
    public static final int MARKER_OFFSET = 56;
    /** Fewest slots. */
    public static final int MIN_SLOTS = 1024;
    /** Most slots: 1 GiB of file. */
    public static final int MAX_SLOTS = 1 << 24;
    /** Bits of a decision id below the run. */
    public static final int SEQUENCE_BITS = DecisionIds.SEQUENCE_BITS;
    /** The greatest sequence of a run. */
    public static final long MAX_SEQUENCE = DecisionIds.MAX_SEQUENCE;

    static final int HEADER_LENGTH = 4096;
    private static final long MAGIC = 0x3130305152535949L; // "IYSRQ001", little-endian
    private static final int VERSION = 2;
    /** Slots of 48-byte receipts, the day a long at 48: replayed, never written. */
    private static final int VERSION_LEGACY = 1;
    private static final int LEGACY_DAY_OFFSET = 48;
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int SLOTS_OFFSET = 12;
    private static final int CLAIMED_OFFSET = 128;
    private static final int LIMIT_CACHE_OFFSET = 256;
    private static final int RELEASED_OFFSET = 384;
    private static final int ZEROS_CHUNK = 1 << 20;

    private final Path file;
    private final MappedByteBuffer mapping;
    private final AtomicBuffer buffer;
    private final int slots;
    private final long mask;
    private final long runBits;

    /**
     * Receives the committed receipts of a previous run, in id order, at {@link #open}.
     */
    @FunctionalInterface
    public interface Replay
    {
        /**
         * @param buffer   holding the receipt.
         * @param offset   of it.
         * @param epochDay the day it is filed under.
         * @throws IOException when it cannot be kept.
         */
        void receipt(DirectBuffer buffer, int offset, long epochDay) throws IOException;

        /**
         * Every receipt to replay is handed over: make them durable, for the slots are zeroed next.
         *
         * @throws IOException when they cannot be; the file is then left as it was.
         */
        default void replayed() throws IOException
        {
        }
    }

    private ReceiptQueue(final Path file, final MappedByteBuffer mapping, final int slots, final int run)
    {
        this.file = file;
        this.mapping = mapping;
        this.buffer = new UnsafeBuffer(mapping);
        this.slots = slots;
        this.mask = slots - 1;
        this.runBits = (long)run << SEQUENCE_BITS;
    }

    /**
     * Open the queue for a run: replay what the previous run committed and the journal does not hold, then start
     * empty (every slot zero, sequence 0). The file is created, or re-created at a new size, as needed.
     *
     * @param file           the queue file.
     * @param slots          slots, a power of two in {@link #MIN_SLOTS}..{@link #MAX_SLOTS}.
     * @param run            this run, 1..65535.
     * @param lastDecisionId the journal's greatest decision id: slots up to it are not replayed.
     * @param replay         takes the receipts to replay; when it throws, the file is left as it was.
     * @return the queue.
     * @throws IOException when the file cannot be created or mapped, or the replay fails.
     */
    public static ReceiptQueue open(
        final Path file, final int slots, final int run, final long lastDecisionId, final Replay replay)
        throws IOException
    {
        if (!BitUtil.isPowerOfTwo(slots) || slots < MIN_SLOTS || slots > MAX_SLOTS)
        {
            throw new IllegalArgumentException("receipts-queue-size: " + slots + " (expected: a power of two, " +
                MIN_SLOTS + ".." + MAX_SLOTS + ")");
        }
        if (run < 1 || run > 0xFFFF)
        {
            throw new IllegalArgumentException("run: " + run + " (expected: 1..65535)");
        }
        if (Files.exists(file))
        {
            final MappedByteBuffer old = map(file);
            final UnsafeBuffer oldBuffer = new UnsafeBuffer(old);
            final int oldSlots = validSlots(oldBuffer, old.capacity());
            final boolean legacy = oldSlots > 0 && oldBuffer.getInt(VERSION_OFFSET) == VERSION_LEGACY;
            if (oldSlots > 0)
            {
                replay(oldBuffer, oldSlots, legacy, lastDecisionId, replay);
            }
            if (!legacy && oldSlots == slots && old.capacity() == length(slots))
            {
                final UnsafeBuffer buffer = new UnsafeBuffer(old);
                buffer.setMemory(HEADER_LENGTH, slots * SLOT_LENGTH, (byte)0);
                buffer.putLong(CLAIMED_OFFSET, 0);
                buffer.putLong(LIMIT_CACHE_OFFSET, 0);
                buffer.putLongVolatile(RELEASED_OFFSET, 0);
                old.force();
                return new ReceiptQueue(file, old, slots, run);
            }
            if (oldSlots > 0)
            {
                Files.delete(file);
            }
            else
            {
                // not a queue this build reads (damaged, or another version's): it may hold committed receipts the
                // journal lacks, so it is kept as evidence, never deleted
                final Path aside = file.resolveSibling(file.getFileName() + ".bad-" + System.currentTimeMillis());
                Files.move(file, aside, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                DurableFiles.forceDirectory(file.getParent());
                org.slf4j.LoggerFactory.getLogger(ReceiptQueue.class).warn("receipts: the queue file's header " +
                    "does not validate: moved aside to {} ({} bytes), nothing replayed from it; a new queue is " +
                    "created. It may hold answered decisions the journal lacks: keep it with the journal", aside,
                    old.capacity());
            }
        }
        create(file, slots);
        return new ReceiptQueue(file, map(file), slots, run);
    }

    private static long length(final int slots)
    {
        return HEADER_LENGTH + (long)slots * SLOT_LENGTH;
    }

    /**
     * @return the slot count of a queue file's header, or 0 when it is not one (then nothing is replayed from it).
     */
    private static int validSlots(final DirectBuffer buffer, final int capacity)
    {
        if (capacity < HEADER_LENGTH || buffer.getLong(MAGIC_OFFSET) != MAGIC ||
            buffer.getInt(VERSION_OFFSET) != VERSION && buffer.getInt(VERSION_OFFSET) != VERSION_LEGACY)
        {
            return 0;
        }
        final int slots = buffer.getInt(SLOTS_OFFSET);
        return BitUtil.isPowerOfTwo(slots) && slots <= MAX_SLOTS && length(slots) == capacity ? slots : 0;
    }

    private static void replay(
        final AtomicBuffer buffer, final int slots, final boolean legacy, final long lastDecisionId,
        final Replay replay) throws IOException
    {
        final long mask = slots - 1;
        long[] ids = new long[64];
        int count = 0;
        for (int slot = 0; slot < slots; slot++)
        {
            final int offset = HEADER_LENGTH + slot * SLOT_LENGTH;
            final long marker = buffer.getLongVolatile(offset + MARKER_OFFSET);
            if (marker != 0 && Long.compareUnsigned(marker, lastDecisionId) > 0 &&
                ((marker & MAX_SEQUENCE) & mask) == slot &&
                buffer.getLong(offset + ReceiptEncoder.decisionIdEncodingOffset(), ReceiptEncoder.BYTE_ORDER) ==
                marker)
            {
                if (count == ids.length)
                {
                    ids = Arrays.copyOf(ids, count * 2);
                }
                // flipped sign bit: a signed sort of these is the unsigned order of the ids
                ids[count++] = marker ^ Long.MIN_VALUE;
            }
        }
        Arrays.sort(ids, 0, count);
        final UnsafeBuffer legacyReceipt = new UnsafeBuffer(new byte[SLOT_LENGTH]);
        final FlagsEncoder legacyFlags = new FlagsEncoder();
        for (int i = 0; i < count; i++)
        {
            final long id = ids[i] ^ Long.MIN_VALUE;
            final int offset = HEADER_LENGTH + (int)((id & MAX_SEQUENCE) & mask) * SLOT_LENGTH;
            if (legacy)
            {
                // a 48-byte receipt: copied out, so that the day stored after it is not read as its dealer, and the
                // file is left as it was should the replay fail; marked as not saying who sent (that build decided
                // dealers' requests but did not keep the dealer), so that its dealer 0 is not read as the brand's own
                legacyReceipt.setMemory(0, SLOT_LENGTH, (byte)0);
                legacyReceipt.putBytes(0, buffer, offset, JournalFormat.LEGACY_RECEIPT_LENGTH);
                legacyFlags.wrap(legacyReceipt, ReceiptEncoder.flagsEncodingOffset()).dealerUnknown(true);
                replay.receipt(legacyReceipt, 0, buffer.getLong(offset + LEGACY_DAY_OFFSET));
            }
            else
            {
                replay.receipt(buffer, offset, buffer.getInt(offset + DAY_OFFSET));
            }
        }
        replay.replayed();
    }

    private static void create(final Path file, final int slots) throws IOException
    {
        final Path temporary = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(temporary);
        final long length = length(slots);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE))
        {
            DurableFiles.ownerOnly(temporary);
            final ByteBuffer zeros = ByteBuffer.allocateDirect(ZEROS_CHUNK);
            long written = 0;
            while (written < length)
            {
                zeros.clear().limit((int)Math.min(ZEROS_CHUNK, length - written));
                written += channel.write(zeros, written);
            }
            final ByteBuffer header = ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            header.putLong(MAGIC).putInt(VERSION).putInt(slots).flip();
            channel.write(header, 0);
            channel.force(true);
        }
        Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        DurableFiles.forceDirectory(file.getParent());
    }

    private static MappedByteBuffer map(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long size = channel.size();
            if (size > Integer.MAX_VALUE)
            {
                throw new IOException(file + ": " + size + " bytes, larger than any queue");
            }
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
        }
    }

    /**
     * Claim the next sequence and its slot, unless the slot has not been released yet (the queue is full) or the
     * run's sequences are spent. Lock-free: one compare-and-set, retried only when another producer claimed first.
     *
     * @return the sequence, or 0 when nothing was claimed.
     */
    public long claim()
    {
        final AtomicBuffer buffer = this.buffer;
        long limit = buffer.getLong(LIMIT_CACHE_OFFSET) + slots;
        long claimed;
        do
        {
            claimed = buffer.getLongVolatile(CLAIMED_OFFSET);
            if (claimed >= limit)
            {
                final long released = buffer.getLongVolatile(RELEASED_OFFSET);
                if (released + slots != limit)
                {
                    // written only when it moved: while the queue is full, refusals leave the line shared
                    buffer.putLong(LIMIT_CACHE_OFFSET, released);
                    limit = released + slots;
                }
                if (claimed >= limit)
                {
                    return 0;
                }
            }
            if (claimed >= MAX_SEQUENCE)
            {
                return 0;
            }
        }
        while (!buffer.compareAndSetLong(CLAIMED_OFFSET, claimed, claimed + 1));
        return claimed + 1;
    }

    /**
     * @param sequence a sequence of this run.
     * @return its decision id: the run, then the sequence.
     */
    public long decisionId(final long sequence)
    {
        return runBits | sequence;
    }

    /**
     * @param sequence a claimed sequence.
     * @return the offset of its slot in {@link #buffer()}.
     */
    public int offset(final long sequence)
    {
        return HEADER_LENGTH + (int)(sequence & mask) * SLOT_LENGTH;
    }

    /**
     * @return the mapped file, in which slots are written and read.
     */
    public AtomicBuffer buffer()
    {
        return buffer;
    }

    /**
     * Commit a slot whose receipt (decisionId included) is written: the day, then the marker with an ordered store.
     *
     * @param sequence   the claimed sequence.
     * @param decisionId its decision id.
     * @param epochDay   the day its receipt is filed under.
     */
    public void commit(final long sequence, final long decisionId, final long epochDay)
    {
        final int offset = offset(sequence);
        buffer.putInt(offset + DAY_OFFSET, (int)epochDay);
        buffer.putLongOrdered(offset + MARKER_OFFSET, decisionId);
    }

    /**
     * For the drain: whether a sequence's slot is committed.
     *
     * @param sequence a sequence.
     * @return true when its receipt may be read.
     */
    public boolean isCommitted(final long sequence)
    {
        return buffer.getLongVolatile(offset(sequence) + MARKER_OFFSET) == decisionId(sequence);
    }

    /**
     * For the drain: the day a committed slot's receipt is filed under.
     *
     * @param sequence a committed sequence.
     * @return its epoch day.
     */
    public long epochDay(final long sequence)
    {
        return buffer.getInt(offset(sequence) + DAY_OFFSET);
    }

    /**
     * For the drain: let producers reuse the slots of every sequence up to one.
     *
     * @param sequence the last sequence whose receipt the journal keeps through a kill -9.
     */
    public void release(final long sequence)
    {
        buffer.putLongOrdered(RELEASED_OFFSET, sequence);
    }

    /**
     * @return the last sequence claimed.
     */
    public long claimed()
    {
        return buffer.getLongVolatile(CLAIMED_OFFSET);
    }

    /**
     * @return the last sequence released.
     */
    public long released()
    {
        return buffer.getLongVolatile(RELEASED_OFFSET);
    }

    /**
     * @return the number of slots.
     */
    public int capacity()
    {
        return slots;
    }

    /**
     * @return the queue file.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Write the mapped pages to the device: what a power loss would otherwise take of slots not yet in the journal.
     */
    public void force()
    {
        mapping.force();
    }

    @Override
    public void close()
    {
        // not unmapped: see the class comment
    }
}
