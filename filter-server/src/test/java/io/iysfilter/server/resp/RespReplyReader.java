package io.iysfilter.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads RESP2 and RESP3 replies, strictly, into plain values: a simple string or bulk string as {@link String}, an
 * integer as {@link Long}, an array or set as {@link List}, a map as {@link Map}, null as {@code null}, an error as
 * {@link Error}. A reply that is not well formed fails the test that reads it.
 */
final class RespReplyReader
{
    /** An error reply. */
    record Error(String text)
    {
        String code()
        {
            final int space = text.indexOf(' ');
            return space < 0 ? text : text.substring(0, space);
        }
    }

    private final byte[] bytes;
    private int position;

    RespReplyReader(final byte[] bytes)
    {
        this.bytes = bytes;
    }

    /**
     * @param channel a channel whose outbound messages are byte buffers.
     * @return every byte written to it so far, its buffers released.
     */
    static byte[] drain(final EmbeddedChannel channel)
    {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound())
        {
            final byte[] chunk = new byte[buf.readableBytes()];
            buf.readBytes(chunk);
            buf.release();
            all.writeBytes(chunk);
        }
        return all.toByteArray();
    }

    /**
     * @param bytes replies, whole.
     * @return each reply, in order.
     */
    static List<Object> all(final byte[] bytes)
    {
        final RespReplyReader reader = new RespReplyReader(bytes);
        final List<Object> replies = new ArrayList<>();
        while (reader.position < bytes.length)
        {
            replies.add(reader.read());
        }
        return replies;
    }

    Object read()
    {
        final byte type = bytes[position++];
        final String line = line();
        switch (type)
        {
            case '+':
                return line;
            case '-':
                return new Error(line);
            case ':':
                return Long.parseLong(line);
            case '$':
            {
                final int length = Integer.parseInt(line);
                if (length < 0)
                {
                    return null;
                }
                final String value = new String(bytes, position, length, StandardCharsets.UTF_8);
                position += length;
                expect('\r');
                expect('\n');
                return value;
            }
            case '_':
                if (!line.isEmpty())
                {
                    throw new AssertionError("RESP3 null with text: " + line);
                }
                return null;
            case '*':
            case '~':
            {
                final int count = Integer.parseInt(line);
                if (count < 0)
                {
                    return null;
                }
                final List<Object> items = new ArrayList<>();
                for (int i = 0; i < count; i++)
                {
                    items.add(read());
                }
                return items;
            }
            case '%':
            {
                final int count = Integer.parseInt(line);
                final Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < count; i++)
                {
                    map.put(read(), read());
                }
                return map;
            }
            default:
                throw new AssertionError("unexpected RESP type byte '" + (char)type + "' at " + (position - 1));
        }
    }

    private String line()
    {
        final int start = position;
        while (position + 1 < bytes.length && !(bytes[position] == '\r' && bytes[position + 1] == '\n'))
        {
            position++;
        }
        if (position + 1 >= bytes.length)
        {
            throw new AssertionError("reply line without CRLF from " + start);
        }
        final String line = new String(bytes, start, position - start, StandardCharsets.UTF_8);
        position += 2;
        return line;
    }

    private void expect(final char c)
    {
        if (bytes[position++] != c)
        {
            throw new AssertionError("expected " + (int)c + " at " + (position - 1));
        }
    }
}
