package io.iysfilter.server.milter;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Milter packets as an MTA sends them, for the milter endpoint's tests: a 4-byte big-endian length, the command
 * letter, then its data.
 */
final class MilterPackets
{
    private MilterPackets()
    {
    }

    /**
     * SMFIC_MACRO: 'D', the stage letter (no NUL), then name/value pairs.
     *
     * @param stage the command the macros come with.
     * @param pairs names and values, each sent NUL-terminated.
     * @return the packet.
     */
    static byte[] macro(final char stage, final String... pairs)
    {
        return packet('D', String.valueOf(stage), pairs);
    }

    /**
     * @param command the command letter.
     * @param strings its arguments, each sent NUL-terminated.
     * @return the packet.
     */
    static byte[] frame(final char command, final String... strings)
    {
        return packet(command, "", strings);
    }

    /**
     * @param command the command letter.
     * @param prefix  bytes sent right after it, not NUL-terminated.
     * @param strings arguments, each sent NUL-terminated.
     * @return the packet.
     */
    static byte[] packet(final char command, final String prefix, final String... strings)
    {
        final ByteArrayOutputStream payload = new ByteArrayOutputStream();
        payload.write(command);
        payload.writeBytes(prefix.getBytes(StandardCharsets.US_ASCII));
        for (final String string : strings)
        {
            payload.writeBytes(string.getBytes(StandardCharsets.UTF_8));
            payload.write(0);
        }
        final byte[] body = payload.toByteArray();
        final ByteArrayOutputStream packet = new ByteArrayOutputStream(4 + body.length);
        packet.writeBytes(ByteBuffer.allocate(4).putInt(body.length).array());
        packet.writeBytes(body);
        return packet.toByteArray();
    }
}
