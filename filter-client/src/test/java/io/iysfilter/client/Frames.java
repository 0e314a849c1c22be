package io.iysfilter.client;

import io.iysfilter.protocol.FrameDescriptor;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Frames read off a blocking stream, for tests that speak the wire by hand: {@link ScriptedFilterServer} reading
 * what a client sends, and tests of the real server reading what it answers.
 */
public final class Frames
{
    private Frames()
    {
    }

    /**
     * Read one whole frame: its length field, then the rest of it.
     *
     * @param in a stream at the start of a frame.
     * @return the frame, its length field included.
     * @throws java.io.EOFException when the stream ends before the frame does.
     * @throws IOException          when reading fails.
     */
    public static byte[] read(final InputStream in) throws IOException
    {
        final DataInputStream data = new DataInputStream(in);
        final byte[] length = new byte[FrameDescriptor.HEADER_LENGTH];
        data.readFully(length);
        final int frameLength = (int)FrameDescriptor.frameLength(new UnsafeBuffer(length), 0);
        final byte[] frame = Arrays.copyOf(length, frameLength);
        data.readFully(frame, length.length, frameLength - length.length);
        return frame;
    }
}
