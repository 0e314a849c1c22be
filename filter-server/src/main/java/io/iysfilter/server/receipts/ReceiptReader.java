package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.BlockKind;
import io.iysfilter.protocol.receipts.FlagsEncoder;
import io.iysfilter.protocol.receipts.PartyReceiptDecoder;
import io.iysfilter.protocol.receipts.ReceiptDecoder;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the journal on disk (docs/RECEIPTS.md), read only: the days present, each day's receipts in order with
 * their party names, each day's root, and verification of the hash chain. Receipts are handed on as the receipt
 * schema's {@code Receipt} whatever version wrote them: a version 4 receipt (a {@code PartyReceipt}) is given its
 * day party's run party and dealer back, from the day's {@code PARTIES} blocks, which a scan reads by the rules
 * verification checks them by (a day they could be read two ways for is refused, never resolved one way). Safe to use
 * while a server appends: of the open day it reads sealed blocks only. Not for several threads at once.
 */
public final class ReceiptReader implements AutoCloseable
{
    private static final String UNKNOWN = "unknown";

    private final Path directory;
    private final MessageDigest sha;
    private final BlockCursor cursor = new BlockCursor();
    private final ReceiptDecoder receipt = new ReceiptDecoder();
    private final FlagsEncoder flags = new FlagsEncoder();
    private final UnsafeBuffer receiptCopy = new UnsafeBuffer(new byte[JournalFormat.DEALER_RECEIPT_LENGTH]);
    private final Int2ObjectHashMap<String> names = new Int2ObjectHashMap<>();
    private final DayPartyCheck dayPartyCheck = new DayPartyCheck();
    /**
     * A search's reading of the {@code PARTIES} entries: each first checked as verification checks it (a search
     * reads no name or day party that verification would refuse), then a name kept for the receipts after it; the
     * check itself keeps the day parties.
     */
    private final BlockCursor.PartyEntries entries = new BlockCursor.PartyEntries()
    {
        @Override
        public String name(final int run, final int party, final UnsafeBuffer buffer, final int nameOffset,
            final int nameLength)
        {
            final String refused = dayPartyCheck.name(run, party, buffer, nameOffset, nameLength);
            if (refused == null)
            {
                names.put(run << 16 | party, buffer.getStringWithoutLengthUtf8(nameOffset, nameLength));
            }
            return refused;
        }

        @Override
        public String dayParty(final int dayParty, final int run, final int party, final long dealer)
        {
            return dayPartyCheck.dayParty(dayParty, run, party, dealer);
        }
    };
    private ByteBuffer segmentBuffer;

    private ReceiptReader(final Path directory)
    {
        this.directory = directory;
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
     * @param receiptsDir the receipts directory (the server's {@code receipts-dir}).
     * @return a reader.
     * @throws IOException when it is not a directory.
     */
    public static ReceiptReader open(final Path receiptsDir) throws IOException
    {
        if (!Files.isDirectory(receiptsDir))
        {
            throw new NoSuchFileException(receiptsDir.toString(), null, "no receipts directory");
        }
        return new ReceiptReader(receiptsDir);
    }

    /**
     * @return the days the journal holds, oldest first.
     * @throws IOException when the directory cannot be listed.
     */
    public List<LocalDate> days() throws IOException
    {
        final List<LocalDate> days = new ArrayList<>();
        for (final long day : JournalFormat.days(directory))
        {
            days.add(LocalDate.ofEpochDay(day));
        }
        return days;
    }

    /**
     * Scan a day's sealed receipts in journal (decision id) order, each with its party's name. Of an open day's last
     * segment, each block's digest is checked first and the scan stops at the first that does not verify (a block
     * being written). The chain is not verified (that is {@link #verify}'s work), but what attributes a receipt to a
     * party and dealer is read by verification's rules ({@link DayPartyCheck}), since a search hands receipts on as
     * evidence: a {@code PARTIES} entry that names a party twice, numbers a day party twice or out of turn, gives a
     * (run, party, dealer) two day parties or numbers a party the day has not named, or a receipt naming a day party
     * the day has not numbered before it (or one of another run), fails the scan rather than be resolved one way.
     * The refusal comes where the scan meets the break, after the receipts before it were visited (finding it
     * first would read the day twice): those are of a day that cannot be attributed, so a visitor holds what it
     * keeps of a day until the scan returns, and a caller discards it when the scan throws ({@link ReceiptSearch}).
     *
     * @param day     the day.
     * @param visitor receives each receipt; returns false to stop.
     * @return the receipts visited.
     * @throws IOException when the day cannot be read, its blocks are malformed, or its parties and day parties are
     *     not as the journal writes them (saying where, and to run {@code receipts verify}).
     */
    public long scan(final LocalDate day, final ReceiptVisitor visitor) throws IOException
    {
        final long epochDay = day.toEpochDay();
        final Path dayPath = JournalFormat.dayDirectory(directory, epochDay);
        if (!Files.isDirectory(dayPath))
        {
            return 0;
        }
        final boolean open = !Files.exists(dayPath.resolve(JournalFormat.ROOT_FILE));
        final int[] segments = JournalFormat.segments(dayPath);
        names.clear();
        // day parties are numbered per day: a day is read on its own, as verification reads it
        dayPartyCheck.reset();
        final long dayStartMs = epochDay * JournalFormat.DAY_MS;
        long visited = 0;
        for (int j = 0; j < segments.length; j++)
        {
            final Path file = JournalFormat.segmentFile(dayPath, segments[j]);
            final ByteBuffer bytes = read(file);
            cursor.wrap(bytes, bytes.limit());
            final String wrongHeader = cursor.checkSegmentHeader(epochDay, segments[j]);
            if (wrongHeader != null)
            {
                throw new IOException(file + ": " + wrongHeader);
            }
            final boolean checkDigests = open && j == segments.length - 1;
            while (true)
            {
                final int state = cursor.read();
                if (state == BlockCursor.END || (checkDigests &&
                    (state == BlockCursor.MALFORMED || !cursor.computeDigest(sha))))
                {
                    break;
                }
                if (state == BlockCursor.MALFORMED)
                {
                    throw new IOException(file + " offset " + cursor.position + ": " + cursor.malformed);
                }
                if (cursor.header.kind() == BlockKind.PARTIES)
                {
                    dayPartyCheck.expected = "";
                    dayPartyCheck.found = "";
                    final String wrong = cursor.readParties(entries);
                    if (wrong != null)
                    {
                        throw unattributable(day, segments[j], cursor.entryOffset, "PARTIES entry: " + wrong, file);
                    }
                }
                else
                {
                    final int count = (int)cursor.header.count();
                    for (int r = 0; r < count; r++)
                    {
                        final int at = cursor.bodyOffset + r * cursor.receiptLength;
                        // a copy on the heap: a decoder kept past the call never reads a reused buffer's bytes
                        final String wrong = receipt(at);
                        if (wrong != null)
                        {
                            throw unattributable(day, segments[j], at, wrong, file);
                        }
                        final long id = receipt.decisionId();
                        final int run = (int)(id >>> 48);
                        final String name = receipt.party() == 0 ? UNKNOWN :
                            names.getOrDefault(run << 16 | receipt.party(), UNKNOWN);
                        visited++;
                        if (!visitor.receipt(id, dayStartMs + receipt.dayMillis(), name, receipt))
                        {
                            return visited;
                        }
                    }
                }
                cursor.advance();
            }
        }
        return visited;
    }

    /**
     * The failure of a scan at a {@code PARTIES} entry or a receipt that {@link #dayPartyCheck} refused: where, what
     * (with what the day called for and what was there), and what to do, in one line for an operator.
     */
    private IOException unattributable(final LocalDate day, final int segment, final int offset, final String what,
        final Path file)
    {
        final String expectedFound = dayPartyCheck.expected.isEmpty() && dayPartyCheck.found.isEmpty() ? "" :
            " (expected " + dayPartyCheck.expected + ", found " + dayPartyCheck.found + ")";
        return new IOException("day " + day + " segment " + segment + " block " + cursor.header.block() +
            " offset " + offset + ": " + what + expectedFound + "; the day's PARTIES blocks do not name one party " +
            "and dealer for each of its receipts, so none is attributed: run iys-filter receipts verify --day " +
            day + " (" + file + ")");
    }

    /**
     * Copy the receipt at an offset of the cursor's segment into {@link #receiptCopy} and wrap {@link #receipt} over
     * it: as long as the segment's receipts are (48 bytes before the dealer, version 3), read as the version they
     * were written with (an older receipt has no dealer to read); a version 4 receipt is written back as the
     * {@code Receipt} it was filed from, its day party's run party and dealer in their places (party 0 and the
     * dealer unknown for day party 0, unknown), once {@link #dayPartyCheck} accepts the day party it names.
     *
     * @return null, or what is wrong with the day party it names (with {@link DayPartyCheck#expected} and
     *     {@link DayPartyCheck#found}).
     */
    private String receipt(final int at)
    {
        if (cursor.receiptVersion < JournalFormat.DAY_PARTY_VERSION)
        {
            receiptCopy.putBytes(0, cursor.buffer, at, Math.min(cursor.receiptLength,
                JournalFormat.DEALER_RECEIPT_LENGTH));
            receipt.wrap(receiptCopy, 0, cursor.receiptLength, cursor.receiptVersion);
            return null;
        }
        final int word = cursor.buffer.getInt(at + PartyReceiptDecoder.partyDoorChannelEncodingOffset(),
            ByteOrder.LITTLE_ENDIAN);
        final int dayParty = word & JournalFormat.DAY_PARTY_MASK;
        final String wrong = dayPartyCheck.receipt(dayParty, (int)(cursor.buffer.getLong(at,
            ByteOrder.LITTLE_ENDIAN) >>> 48));
        if (wrong != null)
        {
            return wrong;
        }
        final boolean named = dayParty != 0;
        receiptCopy.putBytes(0, cursor.buffer, at, JournalFormat.COMMON_LENGTH);
        receiptCopy.putShort(ReceiptDecoder.partyEncodingOffset(),
            (short)(named ? dayPartyCheck.party(dayParty) : 0), ByteOrder.LITTLE_ENDIAN);
        receiptCopy.putByte(ReceiptDecoder.doorEncodingOffset(),
            (byte)(word >>> JournalFormat.DOOR_SHIFT & JournalFormat.DOOR_MASK));
        receiptCopy.putByte(ReceiptDecoder.channelEncodingOffset(),
            (byte)(word >>> JournalFormat.CHANNEL_SHIFT & JournalFormat.CHANNEL_MASK));
        receiptCopy.putByte(ReceiptDecoder.flagsEncodingOffset(),
            cursor.buffer.getByte(at + PartyReceiptDecoder.flagsEncodingOffset()));
        receiptCopy.putByte(ReceiptDecoder.reasonEncodingOffset(),
            cursor.buffer.getByte(at + PartyReceiptDecoder.reasonEncodingOffset()));
        receiptCopy.putInt(ReceiptDecoder.dealerEncodingOffset(), named ? (int)dayPartyCheck.dealer(dayParty) : 0,
            ByteOrder.LITTLE_ENDIAN);
        if (!named)
        {
            flags.wrap(receiptCopy, ReceiptDecoder.flagsEncodingOffset()).dealerUnknown(true);
        }
        receipt.wrap(receiptCopy, 0, JournalFormat.DEALER_RECEIPT_LENGTH, JournalFormat.DEALER_VERSION);
        return null;
    }

    /**
     * @param day the day.
     * @return its root (closed) or chain head (open); null when the journal has no such day.
     * @throws IOException when it cannot be read.
     */
    public DayRoot root(final LocalDate day) throws IOException
    {
        final long epochDay = day.toEpochDay();
        final Path dayPath = JournalFormat.dayDirectory(directory, epochDay);
        if (!Files.isDirectory(dayPath))
        {
            return null;
        }
        final DayRoot closed = JournalFormat.readRoot(dayPath, epochDay);
        if (closed != null)
        {
            return closed;
        }
        final Walk walk = new Walk(epochDay, previousHead(epochDay));
        walk.sealedOnly = true;
        walk(walk);
        return new DayRoot(day, false, JournalFormat.hex(walk.head), JournalFormat.hex(walk.start), walk.receipts,
            walk.blocks, walk.firstId, walk.lastId);
    }

    /**
     * The torn tails the server cut at its starts and kept beside their segments ({@code NNNNNN.seg.torn-<epoch
     * ms>}): outside the chain, so never verified, but evidence an operator may want to look at.
     *
     * @param day the day, or null for every day.
     * @return the files, in name order.
     * @throws IOException when a day directory cannot be listed.
     */
    public List<Path> tornTails(final LocalDate day) throws IOException
    {
        final List<Path> kept = new ArrayList<>();
        for (final long epochDay : JournalFormat.days(directory))
        {
            if (day != null && day.toEpochDay() != epochDay)
            {
                continue;
            }
            try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(
                JournalFormat.dayDirectory(directory, epochDay), "*" + JournalFormat.SEGMENT_SUFFIX +
                JournalFormat.TORN_SUFFIX + "*"))
            {
                for (final Path entry : entries)
                {
                    if (!entry.getFileName().toString().endsWith(JournalFormat.TEMPORARY_SUFFIX))
                    {
                        kept.add(entry);
                    }
                }
            }
        }
        kept.sort(null);
        return kept;
    }

    /**
     * Recompute one day's chain from the previous day's root (or from the day's own first link when no earlier day
     * is present) and compare it with every stored digest, link and the day's root file.
     *
     * @param day the day.
     * @return OK or the first break.
     * @throws IOException when the day cannot be read at all.
     */
    public Verification verify(final LocalDate day) throws IOException
    {
        final long epochDay = day.toEpochDay();
        if (!Files.isDirectory(JournalFormat.dayDirectory(directory, epochDay)))
        {
            return new Verification(false, day, -1, -1, -1, "", "", "the journal holds no such day", 0);
        }
        final Walk walk = new Walk(epochDay, previousHead(epochDay));
        walk(walk);
        return walk.result();
    }

    /**
     * Verify every day, oldest first, with the links between days.
     *
     * @return OK or the first break.
     * @throws IOException when a day cannot be read at all.
     */
    public Verification verifyAll() throws IOException
    {
        byte[] head = null;
        long lastId = 0;
        long receipts = 0;
        String tail = null;
        for (final long epochDay : JournalFormat.days(directory))
        {
            final Walk walk = new Walk(epochDay, head);
            walk.lastId = lastId;
            walk(walk);
            final Verification verification = walk.result();
            receipts += walk.receipts;
            if (!verification.ok())
            {
                return new Verification(false, verification.day(), verification.segment(), verification.block(),
                    verification.offset(), verification.expected(), verification.found(), verification.what(),
                    receipts);
            }
            if (walk.tail != null)
            {
                tail = walk.tail;
            }
            head = walk.head;
            lastId = walk.lastId;
        }
        return new Verification(true, null, -1, -1, -1, "", "", tail == null ? "OK" : "OK; " + tail, receipts);
    }

    @Override
    public void close()
    {
    }

    /**
     * The head the day's chain starts from: the nearest earlier day's root (or its chain head when open), null
     * when no earlier day is present.
     */
    private byte[] previousHead(final long epochDay) throws IOException
    {
        long previous = JournalFormat.NO_DAY;
        for (final long other : JournalFormat.days(directory))
        {
            if (other < epochDay)
            {
                previous = other;
            }
        }
        if (previous == JournalFormat.NO_DAY)
        {
            return null;
        }
        final DayRoot root = root(LocalDate.ofEpochDay(previous));
        return JournalFormat.unhex(root.digest());
    }

    /**
     * Read a segment whole into the reader's buffer. Read, not mapped: the server cuts the open day's last segment
     * to its length when it closes the day, and a mapping past a file's new end would fault.
     */
    private ByteBuffer read(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size > Integer.MAX_VALUE - 8)
            {
                throw new IOException(file + ": " + size + " bytes is not a segment");
            }
            if (segmentBuffer == null || segmentBuffer.capacity() < size)
            {
                segmentBuffer = ByteBuffer.allocateDirect((int)Math.max(size, 1 << 20));
            }
            segmentBuffer.clear().limit((int)size);
            while (segmentBuffer.hasRemaining())
            {
                if (channel.read(segmentBuffer, segmentBuffer.position()) < 0)
                {
                    break;
                }
            }
            segmentBuffer.flip();
            return segmentBuffer;
        }
    }

    /**
     * One day's walk through its blocks: recomputing (or, with {@link #sealedOnly}, stopping at the first block
     * whose digest does not verify), and the first break.
     */
    private final class Walk
    {
        final long epochDay;
        final Path dayPath;
        final byte[] head = new byte[JournalFormat.DIGEST_LENGTH];
        final byte[] start = new byte[JournalFormat.DIGEST_LENGTH];
        final byte[] link = new byte[JournalFormat.DIGEST_LENGTH];
        final byte[] stored = new byte[JournalFormat.DIGEST_LENGTH];
        boolean anchored;
        boolean sealedOnly;
        long blocks;
        long receipts;
        long firstId;
        long lastId;
        Verification broken;
        String tail;

        Walk(final long epochDay, final byte[] previous)
        {
            this.epochDay = epochDay;
            this.dayPath = JournalFormat.dayDirectory(directory, epochDay);
            if (previous != null)
            {
                System.arraycopy(previous, 0, head, 0, head.length);
                System.arraycopy(previous, 0, start, 0, start.length);
                anchored = true;
            }
        }

        void breakAt(final int segment, final long block, final long offset, final String expected,
            final String found, final String what)
        {
            if (broken == null)
            {
                broken = new Verification(false, LocalDate.ofEpochDay(epochDay), segment, block, offset, expected,
                    found, what, receipts);
            }
        }

        Verification result()
        {
            if (broken != null)
            {
                return broken;
            }
            return new Verification(true, null, -1, -1, -1, "", "", tail == null ? "OK" : "OK; " + tail, receipts);
        }
    }

    private void walk(final Walk walk) throws IOException
    {
        final int[] segments = JournalFormat.segments(walk.dayPath);
        final DayRoot root = walk.sealedOnly ? null : readRootOrBreak(walk);
        if (walk.broken != null)
        {
            return;
        }
        if (!walk.sealedOnly)
        {
            // day parties are numbered per day: each day's are checked on their own
            dayPartyCheck.reset();
        }
        for (int j = 0; j < segments.length && walk.broken == null; j++)
        {
            if (segments[j] != j)
            {
                walk.breakAt(j, walk.blocks, -1, "segment " + j, "segment " + segments[j],
                    "a segment is missing");
                return;
            }
            final Path file = JournalFormat.segmentFile(walk.dayPath, j);
            final ByteBuffer bytes = read(file);
            cursor.wrap(bytes, bytes.limit());
            final boolean last = j == segments.length - 1;
            walkSegment(walk, j, last && root == null && !Files.exists(walk.dayPath.resolve(
                JournalFormat.ROOT_FILE)));
        }
        if (walk.broken == null && root != null)
        {
            checkRoot(walk, root);
        }
    }

    private DayRoot readRootOrBreak(final Walk walk)
    {
        try
        {
            return JournalFormat.readRoot(walk.dayPath, walk.epochDay);
        }
        catch (final IOException ex)
        {
            walk.breakAt(-1, -1, -1, "", "", ex.getMessage());
            return null;
        }
    }

    private void walkSegment(final Walk walk, final int segment, final boolean openTail)
    {
        final String wrongHeader = cursor.checkSegmentHeader(walk.epochDay, segment);
        if (wrongHeader != null)
        {
            walk.breakAt(segment, walk.blocks, 0, "day " + LocalDate.ofEpochDay(walk.epochDay) + " segment " +
                segment, "", "segment header: " + wrongHeader);
            return;
        }
        while (true)
        {
            final int blockAt = cursor.position;
            final int state = cursor.read();
            if (state == BlockCursor.END)
            {
                final int dirty = cursor.firstNonZero(blockAt);
                if (dirty >= 0)
                {
                    walk.breakAt(segment, walk.blocks, dirty, "zero bytes after the last block", "data",
                        "data after the segment's last block (a block removed or a header wiped?)");
                }
                return;
            }
            final boolean sealed = state == BlockCursor.BLOCK && cursor.computeDigest(sha);
            if (!sealed && (walk.sealedOnly || openTail && unsealedTail(blockAt)))
            {
                walk.tail = "unsealed tail of open day " + LocalDate.ofEpochDay(walk.epochDay) + " at segment " +
                    segment + " offset " + blockAt + " not verified (being written, or torn: cut off at the " +
                    "server's next start)";
                return;
            }
            if (state == BlockCursor.MALFORMED)
            {
                walk.breakAt(segment, walk.blocks, blockAt, "", "", cursor.malformed);
                return;
            }
            if (!checkBlock(walk, segment, blockAt, sealed))
            {
                return;
            }
            cursor.advance();
        }
    }

    /**
     * @return whether the block at the cursor may be the open day's block being written: nothing beyond the
     *     receipts its header claims, one receipt more and its digest's place.
     */
    private boolean unsealedTail(final int blockAt)
    {
        final long claimed = cursor.buffer.getInt(blockAt + io.iysfilter.protocol.receipts.MessageHeaderDecoder
            .ENCODED_LENGTH + io.iysfilter.protocol.receipts.BlockHeaderDecoder.bodyLengthEncodingOffset(),
            ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL;
        final long from = blockAt + JournalFormat.BLOCK_HEADER_LENGTH + claimed + cursor.receiptLength +
            JournalFormat.MAX_NAME_BYTES;
        return from >= cursor.limit || cursor.firstNonZero((int)from) < 0;
    }

    private boolean checkBlock(final Walk walk, final int segment, final int blockAt, final boolean sealed)
    {
        final long number = cursor.header.block();
        if (number != walk.blocks)
        {
            walk.breakAt(segment, walk.blocks, blockAt, "block " + walk.blocks, "block " + number,
                "block number (a block missing, repeated or moved?)");
            return false;
        }
        cursor.previousDigest(walk.link);
        if (!walk.anchored)
        {
            System.arraycopy(walk.link, 0, walk.head, 0, walk.head.length);
            System.arraycopy(walk.link, 0, walk.start, 0, walk.start.length);
            walk.anchored = true;
        }
        if (!Arrays.equals(walk.link, walk.head))
        {
            walk.breakAt(segment, walk.blocks, blockAt, JournalFormat.hex(walk.head), JournalFormat.hex(walk.link),
                walk.blocks == 0 ? "link to the previous day's root (a day or block missing before it?)" :
                "link to the previous block (a block missing, or segments out of order?)");
            return false;
        }
        if (!sealed)
        {
            cursor.storedDigest(walk.stored);
            walk.breakAt(segment, walk.blocks, blockAt, JournalFormat.hex(cursor.digest),
                JournalFormat.hex(walk.stored), "block digest (the block's header, body or digest altered)");
            return false;
        }
        if (cursor.header.kind() == BlockKind.RECEIPTS ? !checkReceipts(walk, segment) :
            !walk.sealedOnly && !checkParties(walk, segment))
        {
            return false;
        }
        System.arraycopy(cursor.digest, 0, walk.head, 0, walk.head.length);
        walk.blocks++;
        return true;
    }

    /**
     * The receipts of the sealed block at the cursor: decision ids rising, and (verifying, of receipt schema version
     * 4 on) each day party one the day numbered before it, of the receipt's run.
     */
    private boolean checkReceipts(final Walk walk, final int segment)
    {
        final boolean dayParties = !walk.sealedOnly && cursor.receiptVersion >= JournalFormat.DAY_PARTY_VERSION;
        final int count = (int)cursor.header.count();
        for (int r = 0; r < count; r++)
        {
            final int at = cursor.bodyOffset + r * cursor.receiptLength;
            final long id = cursor.buffer.getLong(at, ByteOrder.LITTLE_ENDIAN);
            if (Long.compareUnsigned(id, walk.lastId) <= 0 || (r == 0 && id != cursor.header.firstDecisionId()))
            {
                walk.breakAt(segment, walk.blocks, at, "a decision id above " + JournalFormat.decisionId(walk.lastId) +
                    (r == 0 ? " equal to the header's " + JournalFormat.decisionId(cursor.header.firstDecisionId()) :
                    ""), JournalFormat.decisionId(id), "decision ids out of order");
                return false;
            }
            if (dayParties)
            {
                final String wrong = dayPartyCheck.receipt(cursor.buffer.getInt(at +
                    PartyReceiptDecoder.partyDoorChannelEncodingOffset(), ByteOrder.LITTLE_ENDIAN) &
                    JournalFormat.DAY_PARTY_MASK, (int)(id >>> 48));
                if (wrong != null)
                {
                    walk.breakAt(segment, walk.blocks, at, dayPartyCheck.expected, dayPartyCheck.found, wrong);
                    return false;
                }
            }
            walk.lastId = id;
            if (walk.firstId == 0)
            {
                walk.firstId = id;
            }
        }
        walk.receipts += count;
        return true;
    }

    /**
     * The entries of the sealed {@code PARTIES} block at the cursor: well formed, and numbering the day's parties as
     * the journal does ({@link DayPartyCheck}).
     */
    private boolean checkParties(final Walk walk, final int segment)
    {
        dayPartyCheck.expected = "";
        dayPartyCheck.found = "";
        final String wrong = cursor.readParties(dayPartyCheck);
        if (wrong != null)
        {
            walk.breakAt(segment, walk.blocks, cursor.entryOffset, dayPartyCheck.expected, dayPartyCheck.found,
                "PARTIES entry: " + wrong);
            return false;
        }
        return true;
    }

    private void checkRoot(final Walk walk, final DayRoot root)
    {
        final String head = walk.blocks == 0 && !walk.anchored ? root.previousDigest() : JournalFormat.hex(walk.head);
        final String start = walk.anchored ? JournalFormat.hex(walk.start) : root.previousDigest();
        if (!root.digest().equals(head))
        {
            walk.breakAt(-1, -1, -1, head, root.digest(), "the root file's digest (the day's last blocks " +
                "removed, or the root file altered)");
        }
        else if (!root.previousDigest().equals(start))
        {
            walk.breakAt(-1, -1, -1, start, root.previousDigest(), "the root file's previous digest");
        }
        else if (root.receipts() != walk.receipts || root.blocks() != walk.blocks)
        {
            walk.breakAt(-1, -1, -1, root.receipts() + " receipts in " + root.blocks() + " blocks",
                walk.receipts + " receipts in " + walk.blocks + " blocks", "the root file's counts");
        }
        else if (root.lastDecisionId() != (walk.receipts == 0 ? 0 : walk.lastId) ||
            root.firstDecisionId() != walk.firstId)
        {
            walk.breakAt(-1, -1, -1, JournalFormat.decisionId(root.firstDecisionId()) + ".." +
                JournalFormat.decisionId(root.lastDecisionId()), JournalFormat.decisionId(walk.firstId) + ".." +
                JournalFormat.decisionId(walk.lastId), "the root file's decision ids");
        }
    }
}
