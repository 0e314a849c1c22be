package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Layout of the frame every message travels in. The limits a frame is checked against are in {@link Limits}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  frameLength (uint32, little-endian)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          blockLength          |          templateId           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        schemaId (7700)        |            version            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  message body (SBE, little-endian)          ...
 * </pre>
 * {@code frameLength} counts the whole frame, itself included, so the smallest frame is 12 bytes.
 */
public final class FrameDescriptor
{
    /** Byte order of the frame header and of every SBE field. */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    /** Offset of the uint32 frame length. */
    public static final int FRAME_LENGTH_OFFSET = 0;
    /** Length of the frame header, which is just the frame length. */
    public static final int HEADER_LENGTH = 4;
    /** Offset of the SBE message header inside a frame. */
    public static final int MESSAGE_HEADER_OFFSET = HEADER_LENGTH;
    /** Offset of the SBE message body (root block) inside a frame. */
    public static final int MESSAGE_OFFSET = HEADER_LENGTH + MessageHeaderDecoder.ENCODED_LENGTH;
    /** Smallest legal frame: frame header plus SBE message header. */
    public static final int MIN_FRAME_LENGTH = MESSAGE_OFFSET;
    /** Schema id every message header must carry. */
    public static final int SCHEMA_ID = MessageHeaderDecoder.SCHEMA_ID;
    /** Schema version this build encodes with. */
    public static final int SCHEMA_VERSION = MessageHeaderDecoder.SCHEMA_VERSION;

    private FrameDescriptor()
    {
    }

    /**
     * Read the frame length of the frame starting at {@code frameOffset}.
     *
     * @param buffer      holding at least the 4 header bytes.
     * @param frameOffset where the frame starts.
     * @return the frame length, as an unsigned value in a long so that garbage cannot look negative.
     */
    public static long frameLength(final DirectBuffer buffer, final int frameOffset)
    {
        return buffer.getInt(frameOffset + FRAME_LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    /**
     * Write the frame length of the frame starting at {@code frameOffset}.
     *
     * @param buffer      to write into.
     * @param frameOffset where the frame starts.
     * @param frameLength whole frame length, header included.
     */
    public static void frameLength(final MutableDirectBuffer buffer, final int frameOffset, final int frameLength)
    {
        buffer.putInt(frameOffset + FRAME_LENGTH_OFFSET, frameLength, BYTE_ORDER);
    }
}
