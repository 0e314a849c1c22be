package io.iysfilter.client;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckBatchEncoder;
import io.iysfilter.protocol.codecs.GroupSizeEncodingEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;

/**
 * A reusable CHECK_BATCH request: one brand (and dealer), one channel, recipient type and message kind, and up to
 * {@code capacity} recipients held as ASCII bytes in one array. Filled by {@link #add}, sent by
 * {@link FilterClient#checkBatchInto}, then {@link #clear cleared} and filled again: nothing is allocated per
 * recipient.
 * <p>
 * Not thread-safe; it must not be changed while a request made from it is being encoded (that is, until
 * {@link FilterClient#checkBatchInto} returns). It may be changed while the answer is awaited: the request was
 * already written.
 */
public final class RecipientBatch
{
    private final int capacity;
    private final int[] offsets;
    private final int[] lengths;
    private byte[] bytes;
    private int size;
    private int used;
    private long brandCode;
    private long dealerCode = FilterClient.NO_DEALER;
    private Channel channel = Channel.MESAJ;
    private RecipientType recipientType = RecipientType.UNSPECIFIED;
    private MessageKind kind = MessageKind.COMMERCIAL;

    /**
     * @param capacity the most recipients it holds, 1..{@value Limits#MAX_BATCH_ENTRIES}.
     */
    public RecipientBatch(final int capacity)
    {
        if (capacity < 1 || capacity > Limits.MAX_BATCH_ENTRIES)
        {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1.." +
                Limits.MAX_BATCH_ENTRIES + ")");
        }
        this.capacity = capacity;
        offsets = new int[capacity];
        lengths = new int[capacity];
        bytes = new byte[capacity * 16];
    }

    /**
     * Set what every recipient of the batch is asked about; the recipients are kept.
     *
     * @param brandCode     İYS brand code, 1..2^32-1 (checked when sent).
     * @param dealerCode    the dealer's İYS number, or {@link FilterClient#NO_DEALER} when the brand sends.
     * @param channel       ARAMA, MESAJ or EPOSTA.
     * @param recipientType BIREYSEL, TACIR or UNSPECIFIED.
     * @param kind          COMMERCIAL or TRANSACTIONAL.
     * @return this.
     */
    public RecipientBatch ask(
        final long brandCode,
        final long dealerCode,
        final Channel channel,
        final RecipientType recipientType,
        final MessageKind kind)
    {
        if (channel == null || recipientType == null || kind == null)
        {
            throw new NullPointerException("channel, recipientType and kind are required");
        }
        this.brandCode = brandCode;
        this.dealerCode = dealerCode;
        this.channel = channel;
        this.recipientType = recipientType;
        this.kind = kind;
        return this;
    }

    /**
     * Add one recipient, copying its bytes.
     *
     * @param source where its bytes are.
     * @param offset where it starts.
     * @param length its length, 1..{@value Limits#MAX_ADDRESS_LENGTH} bytes.
     * @return its index in the batch.
     * @throws IllegalArgumentException when it is empty, too long or not ASCII.
     * @throws IllegalStateException    when the batch is full.
     */
    public int add(final byte[] source, final int offset, final int length)
    {
        if (size == capacity)
        {
            throw new IllegalStateException("batch is full: capacity=" + capacity);
        }
        if (length < 1 || length > Limits.MAX_ADDRESS_LENGTH)
        {
            throw new IllegalArgumentException("recipient length: " + length + " (expected: 1.." +
                Limits.MAX_ADDRESS_LENGTH + " bytes)");
        }
        for (int i = offset, end = offset + length; i < end; i++)
        {
            if (source[i] < 0)
            {
                throw new IllegalArgumentException("recipient is not ASCII: byte " + (i - offset) + " is 0x" +
                    Integer.toHexString(source[i] & 0xFF));
            }
        }
        if (used + length > bytes.length)
        {
            final byte[] grown = new byte[Math.max(bytes.length * 2, used + length)];
            System.arraycopy(bytes, 0, grown, 0, used);
            bytes = grown;
        }
        System.arraycopy(source, offset, bytes, used, length);
        offsets[size] = used;
        lengths[size] = length;
        used += length;
        return size++;
    }

    /**
     * Drop the recipients; what is asked stays.
     */
    public void clear()
    {
        size = 0;
        used = 0;
    }

    /**
     * @return how many recipients it holds.
     */
    public int size()
    {
        return size;
    }

    /**
     * @return the most recipients it holds.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * @return total bytes of its recipients.
     */
    public int recipientBytes()
    {
        return used;
    }

    /**
     * @return the length of the CHECK_BATCH frame this batch makes, which the server's {@code maxFrameLength}
     * bounds.
     */
    public long frameLength()
    {
        return frameLength(size, used);
    }

    /**
     * The length of a CHECK_BATCH frame, for a sender that must keep its batches within the server's
     * {@code maxFrameLength}: a fixed part, and per entry its fixed fields, its length byte and its recipient.
     *
     * @param entries        how many recipients.
     * @param recipientBytes their bytes in all.
     * @return the frame's length in bytes.
     */
    public static long frameLength(final int entries, final long recipientBytes)
    {
        return FrameDescriptor.MESSAGE_OFFSET + CheckBatchEncoder.BLOCK_LENGTH +
            GroupSizeEncodingEncoder.ENCODED_LENGTH +
            (long)entries * (CheckBatchEncoder.EntriesEncoder.sbeBlockLength() + 1) + recipientBytes;
    }

    /**
     * @return the brand asked about.
     */
    public long brandCode()
    {
        return brandCode;
    }

    /**
     * @return the dealer asked about, or {@link FilterClient#NO_DEALER}.
     */
    public long dealerCode()
    {
        return dealerCode;
    }

    /**
     * @return the channel.
     */
    public Channel channel()
    {
        return channel;
    }

    /**
     * @return the recipient type.
     */
    public RecipientType recipientType()
    {
        return recipientType;
    }

    /**
     * @return the message kind.
     */
    public MessageKind kind()
    {
        return kind;
    }

    /**
     * @param index 0..size-1.
     * @return the length of that recipient, in bytes.
     */
    public int recipientLength(final int index)
    {
        return lengths[index];
    }

    /**
     * @param index 0..size-1.
     * @return where that recipient starts in {@link #recipientBytesArray()}.
     */
    public int recipientOffset(final int index)
    {
        return offsets[index];
    }

    /**
     * @return the array holding the recipients' bytes (valid until the next {@link #add}).
     */
    public byte[] recipientBytesArray()
    {
        return bytes;
    }

    /**
     * @param index 0..size-1.
     * @return that recipient as a String (for messages and tests; allocates).
     */
    public String recipient(final int index)
    {
        return new String(bytes, offsets[index], lengths[index], java.nio.charset.StandardCharsets.US_ASCII);
    }
}
