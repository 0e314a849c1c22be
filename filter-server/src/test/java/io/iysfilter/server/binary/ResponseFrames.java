package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a frame handler on an embedded channel wrote, split into whole frames: the tests of the binary endpoint read
 * its answers through here.
 */
final class ResponseFrames
{
    private ResponseFrames()
    {
    }

    /**
     * @param channel an embedded channel with the frame handler.
     * @return every frame written since the last call, in order; asserts that they are whole.
     */
    static List<byte[]> drain(final EmbeddedChannel channel)
    {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null)
        {
            final byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            all.writeBytes(bytes);
        }
        final byte[] stream = all.toByteArray();
        final List<byte[]> frames = new ArrayList<>();
        int offset = 0;
        while (offset < stream.length)
        {
            final int length = (int)FrameDescriptor.frameLength(new UnsafeBuffer(stream), offset);
            frames.add(Arrays.copyOfRange(stream, offset, Math.min(stream.length, offset + length)));
            offset += length;
        }
        assertEquals(stream.length, offset, "responses are whole frames");
        return frames;
    }

    /**
     * @param channel an embedded channel with the frame handler.
     * @return the one frame written since the last call; asserts there is exactly one.
     */
    static byte[] single(final EmbeddedChannel channel)
    {
        final List<byte[]> frames = drain(channel);
        assertEquals(1, frames.size());
        return frames.get(0);
    }

    /**
     * @param frame a whole frame.
     * @return its SBE message header.
     */
    static MessageHeaderDecoder header(final byte[] frame)
    {
        return new MessageHeaderDecoder().wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_HEADER_OFFSET);
    }
}
