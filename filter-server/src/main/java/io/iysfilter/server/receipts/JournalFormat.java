package io.iysfilter.server.receipts;

import io.iysfilter.server.index.DurableFiles;
import io.iysfilter.protocol.receipts.BlockHeaderDecoder;
import io.iysfilter.protocol.receipts.MessageHeaderDecoder;
import io.iysfilter.protocol.receipts.PartyReceiptDecoder;
import io.iysfilter.protocol.receipts.ReceiptDecoder;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The journal's layout on disk, shared by the writer ({@link ReceiptJournal}) and the reader
 * ({@link ReceiptReader}): names, sizes, the root file.
 */
final class JournalFormat
{
    static final int FORMAT = 1;
    static final long DAY_MS = 86_400_000L;
    static final long NO_DAY = Long.MIN_VALUE;
    static final int SEGMENT_HEADER_LENGTH = 64;
    static final int BLOCK_HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH + BlockHeaderDecoder.BLOCK_LENGTH;
    static final int DIGEST_LENGTH = 32;
    /**
     * Bytes per receipt in the segments this build writes: a {@code PartyReceipt} (receipt schema version 4: the
     * party, the dealer, the door and the channel in one day party word).
     */
    static final int RECEIPT_LENGTH = PartyReceiptDecoder.BLOCK_LENGTH;
    /** The receipt schema version of the segments this build writes (its header's {@code receiptVersion}). */
    static final int RECEIPT_VERSION = PartyReceiptDecoder.SCHEMA_VERSION;
    /**
     * Bytes of a {@code Receipt} as the queue holds it and {@link ReceiptJournal#append} takes it, and as segments
     * of receipt schema version 3 hold it.
     */
    static final int DEALER_RECEIPT_LENGTH = ReceiptDecoder.BLOCK_LENGTH;
    /** Bytes per receipt in segments of receipt schema versions 1 and 2, which this build still reads. */
    static final int LEGACY_RECEIPT_LENGTH = 48;
    /** The receipt schema version that appended the dealer. */
    static final int DEALER_VERSION = 3;
    /** The receipt schema version that files receipts as {@code PartyReceipt}s, naming day parties. */
    static final int DAY_PARTY_VERSION = 4;
    /** Bytes a {@code PartyReceipt} shares with a {@code Receipt}: all up to the party. */
    static final int COMMON_LENGTH = PartyReceiptDecoder.partyDoorChannelEncodingOffset();
    /** The day party's bits in a {@code PartyReceipt}'s {@code partyDoorChannel}. */
    static final int DAY_PARTY_MASK = 0xFF_FFFF;
    /** Where the door's 3 bits start in {@code partyDoorChannel}. */
    static final int DOOR_SHIFT = 24;
    static final int DOOR_MASK = 0x7;
    /** Where the channel's 2 bits start in {@code partyDoorChannel}. */
    static final int CHANNEL_SHIFT = 27;
    static final int CHANNEL_MASK = 0x3;
    /** Most day parties a day numbers (24 bits, 0 meaning unknown). */
    static final int MAX_DAY_PARTIES = DAY_PARTY_MASK;
    /** Most day parties naming a dealer (not 0) a day numbers; past that, a receipt keeps its party, not its dealer. */
    static final int MAX_DEALER_PARTIES = 1 << 20;
    static final int MAX_RECEIPTS_PER_BLOCK = 1024;
    static final int MAX_NAME_BYTES = 1024;
    static final String ROOT_FILE = "root.json";
    static final String SEGMENT_SUFFIX = ".seg";
    static final String TEMPORARY_SUFFIX = ".tmp";
    /**
     * A segment's torn tail, kept beside it when cut ({@code NNNNNN.seg.torn-<epoch ms>}): outside the chain.
     */
    static final String TORN_SUFFIX = ".torn-";

    private static final Pattern DAY_NAME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern SEGMENT_NAME = Pattern.compile("(\\d{6})\\.seg");
    private static final Pattern ROOT_FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"?([0-9a-zA-Z-]*)\"?");
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JournalFormat()
    {
    }

    static Path dayDirectory(final Path directory, final long epochDay)
    {
        return directory.resolve(LocalDate.ofEpochDay(epochDay).toString());
    }

    static Path segmentFile(final Path dayDirectory, final int segment)
    {
        return dayDirectory.resolve(String.format("%06d", segment) + SEGMENT_SUFFIX);
    }

    /**
     * @return the day directories under the receipts directory, as epoch days, oldest first.
     */
    static List<Long> days(final Path directory) throws IOException
    {
        final List<Long> days = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory))
        {
            for (final Path entry : entries)
            {
                final String name = entry.getFileName().toString();
                if (DAY_NAME.matcher(name).matches() && Files.isDirectory(entry))
                {
                    try
                    {
                        days.add(LocalDate.parse(name).toEpochDay());
                    }
                    catch (final RuntimeException ex)
                    {
                        // not a day (e.g. 2026-13-40): not the journal's
                    }
                }
            }
        }
        days.sort(null);
        return days;
    }

    /**
     * @return the segment numbers present in a day directory, ascending.
     */
    static int[] segments(final Path dayDirectory) throws IOException
    {
        final List<Integer> numbers = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dayDirectory))
        {
            for (final Path entry : entries)
            {
                final Matcher matcher = SEGMENT_NAME.matcher(entry.getFileName().toString());
                if (matcher.matches())
                {
                    numbers.add(Integer.parseInt(matcher.group(1)));
                }
            }
        }
        final int[] result = numbers.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(result);
        return result;
    }

    static String hex(final byte[] bytes)
    {
        final char[] chars = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++)
        {
            chars[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            chars[2 * i + 1] = HEX[bytes[i] & 0xF];
        }
        return new String(chars);
    }

    static byte[] unhex(final String text)
    {
        if (text == null || text.length() != DIGEST_LENGTH * 2)
        {
            throw new IllegalArgumentException("not a digest: " + text);
        }
        final byte[] bytes = new byte[DIGEST_LENGTH];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    /**
     * @return a decision id's text form: 16 lowercase hex digits.
     */
    static String decisionId(final long id)
    {
        final char[] chars = new char[16];
        for (int i = 15; i >= 0; i--)
        {
            chars[i] = HEX[(int)((id >>> (4 * (15 - i))) & 0xF)];
        }
        return new String(chars);
    }

    /**
     * Write a day's root file durably: to a temporary file, forced, renamed over the root file, the directory
     * forced.
     */
    static void writeRoot(final Path dayDirectory, final DayRoot root, final int segments, final long closedMs)
        throws IOException
    {
        final String json = "{\n" +
            "  \"day\": \"" + root.day() + "\",\n" +
            "  \"root\": \"" + root.digest() + "\",\n" +
            "  \"previous\": \"" + root.previousDigest() + "\",\n" +
            "  \"receipts\": " + root.receipts() + ",\n" +
            "  \"blocks\": " + root.blocks() + ",\n" +
            "  \"segments\": " + segments + ",\n" +
            "  \"firstDecisionId\": \"" + decisionId(root.firstDecisionId()) + "\",\n" +
            "  \"lastDecisionId\": \"" + decisionId(root.lastDecisionId()) + "\",\n" +
            "  \"closedMs\": " + closedMs + "\n" +
            "}\n";
        final Path temporary = dayDirectory.resolve(ROOT_FILE + TEMPORARY_SUFFIX);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
        {
            DurableFiles.ownerOnly(temporary);
            final java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining())
            {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temporary, dayDirectory.resolve(ROOT_FILE), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(dayDirectory);
    }

    /**
     * @return the day's root file, or null when the day has none (it is open).
     * @throws IOException when it cannot be read or is malformed.
     */
    static DayRoot readRoot(final Path dayDirectory, final long epochDay) throws IOException
    {
        final Path file = dayDirectory.resolve(ROOT_FILE);
        if (!Files.exists(file))
        {
            return null;
        }
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        String digest = null;
        String previous = null;
        long receipts = -1;
        long blocks = -1;
        long first = 0;
        long last = 0;
        final Matcher matcher = ROOT_FIELD.matcher(text);
        try
        {
            while (matcher.find())
            {
                final String value = matcher.group(2);
                switch (matcher.group(1))
                {
                    case "root" -> digest = value;
                    case "previous" -> previous = value;
                    case "receipts" -> receipts = Long.parseLong(value);
                    case "blocks" -> blocks = Long.parseLong(value);
                    case "firstDecisionId" -> first = Long.parseUnsignedLong(value, 16);
                    case "lastDecisionId" -> last = Long.parseUnsignedLong(value, 16);
                    default ->
                    {
                    }
                }
            }
            unhex(digest);
            unhex(previous);
        }
        catch (final RuntimeException ex)
        {
            throw new IOException("malformed root file " + file + ": " + ex.getMessage(), ex);
        }
        if (receipts < 0 || blocks < 0)
        {
            throw new IOException("malformed root file " + file + ": no receipts or blocks count");
        }
        return new DayRoot(LocalDate.ofEpochDay(epochDay), true, digest, previous, receipts, blocks, first, last);
    }

    static void forceDirectory(final Path directory)
    {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
        catch (final IOException ex)
        {
            // not every platform opens a directory to force it; the rename itself is atomic
        }
    }
}
