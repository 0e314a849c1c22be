package io.iysfilter.loadtest.abuse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The hostile clients of the milter port (docs/MILTER-PROTOCOL.md §1 and the README's milter section say how the
 * server answers each). Packets: a 4-byte big-endian length counting the command byte and the payload, the command,
 * the payload.
 */
public final class MilterAbuse
{
    /** The sender the soak's brand map maps to the load-test brand. */
    public static final String SENDER = "abuse@loadtest.example";
    /** The answer to a message the server could only pass by removing a recipient, when no OPTNEG allowed it. */
    static final String NO_REMOVAL = "451 4.7.1 IYS consent filter cannot remove recipients";
    private static final int MAX_PACKET = 1024 * 1024;

    private MilterAbuse()
    {
    }

    /**
     * @param targets   the server.
     * @param threads   connections at a time.
     * @param rate      attempts per second per thread, at most.
     * @param consented a recipient of the load-test brand with consent on EPOSTA.
     * @param refused   one without.
     * @return the kind: MAIL, two RCPTs (one with consent, one without) and end of message, with no option
     * negotiation first: the server cannot remove the second recipient without the MTA's leave, so it must tempfail
     * the message (451) and count NO_NEGOTIATION, then close on QUIT.
     */
    public static HostileClient noNegotiation(
        final Targets targets, final int threads, final double rate, final String consented, final String refused)
    {
        final String answered = "451 cannot remove recipients, closed on QUIT";
        return new HostileClient("milter-no-optneg", "milter", Set.of(answered), threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                try (Socket socket = Wire.connect(targets.milterPort(), HostileClient.ANSWER_SLACK_MS))
                {
                    final OutputStream out = socket.getOutputStream();
                    final InputStream in = socket.getInputStream();
                    final String[] steps = {"M<" + SENDER + ">", "R<" + consented + ">", "R<" + refused + ">"};
                    for (final String step : steps)
                    {
                        send(out, step.charAt(0), step.substring(1));
                        final String reply = reply(in);
                        if (!"c".equals(reply))
                        {
                            return step.charAt(0) + " answered " + reply;
                        }
                    }
                    send(out, 'E', null);
                    final String reply = reply(in);
                    if (!reply.startsWith("y" + NO_REMOVAL))
                    {
                        return "end of message answered " + reply;
                    }
                    send(out, 'Q', null);
                    return "451 cannot remove recipients, " + Wire.awaitClose(socket) + " on QUIT";
                }
                catch (final SocketTimeoutException ex)
                {
                    return "no answer within " + HostileClient.ANSWER_SLACK_MS + " ms";
                }
                catch (final SocketException ex)
                {
                    return "reset";
                }
            }
        };
    }

    /**
     * @param targets the server.
     * @param threads connections at a time.
     * @param rate    attempts per second per thread, at most.
     * @return the kind: a packet header announcing 100 bytes and 10 of them, then nothing: closed after the packet
     * timeout, with nothing written.
     */
    public static HostileClient halfPacket(final Targets targets, final int threads, final double rate)
    {
        final byte[] half = ByteBuffer.allocate(14).putInt(100).put((byte)'M').array();
        final long waitMs = targets.milterPacketMs() + HostileClient.ANSWER_SLACK_MS;
        return new HostileClient("milter-half-packet", "milter", Set.of("closed after the packet timeout"), threads,
            rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                try (Socket socket = Wire.connect(targets.milterPort(), waitMs))
                {
                    final long startNs = System.nanoTime();
                    socket.getOutputStream().write(half);
                    sent(half.length);
                    final String closed = Wire.awaitClose(socket);
                    final long tookMs = (System.nanoTime() - startNs) / 1_000_000;
                    return !"closed".equals(closed) ? closed :
                        tookMs >= targets.milterPacketMs() * 9 / 10 ? "closed after the packet timeout" :
                        "closed after " + tookMs + " ms, before the packet timeout";
                }
            }
        };
    }

    /**
     * @param targets the server.
     * @param threads connections at a time.
     * @param rate    attempts per second per thread, at most.
     * @return the kind: a packet header announcing 1 MiB + 1 byte: closed at once, before its body (so before the
     * packet timeout could close it).
     */
    public static HostileClient oversizePacket(final Targets targets, final int threads, final double rate)
    {
        final byte[] header = ByteBuffer.allocate(5).putInt(MAX_PACKET + 1).put((byte)'L').array();
        return new HostileClient("milter-oversize-packet", "milter", Set.of("closed before the packet timeout"),
            threads, rate)
        {
            @Override
            protected String attempt() throws IOException
            {
                try (Socket socket = Wire.connect(targets.milterPort(), HostileClient.ANSWER_SLACK_MS))
                {
                    final long startNs = System.nanoTime();
                    socket.getOutputStream().write(header);
                    sent(header.length);
                    final String closed = Wire.awaitClose(socket);
                    final long tookMs = (System.nanoTime() - startNs) / 1_000_000;
                    return !"closed".equals(closed) && !"reset".equals(closed) ? closed :
                        tookMs < targets.milterPacketMs() * 9 / 10 ? "closed before the packet timeout" :
                        "closed after " + tookMs + " ms, not before the packet timeout";
                }
            }
        };
    }

    private static void send(final OutputStream out, final char command, final String argument) throws IOException
    {
        final byte[] payload = argument == null ? new byte[0] : (argument + "\0").getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(5 + payload.length).putInt(1 + payload.length).put((byte)command).put(payload)
            .array());
        out.flush();
    }

    /**
     * @return the reply's command and its text without the final NUL, e.g. {@code c} or {@code y451 4.7.1 …}.
     */
    private static String reply(final InputStream in) throws IOException
    {
        final byte[] head = Wire.readExactly(in, 4);
        if (head == null)
        {
            return "closed";
        }
        final int length = ByteBuffer.wrap(head).getInt();
        if (length < 1 || length > 64 * 1024)
        {
            return "a packet of " + length + " bytes";
        }
        final byte[] packet = Wire.readExactly(in, length);
        if (packet == null)
        {
            return "closed in the middle of a packet";
        }
        final ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (final byte b : packet)
        {
            if (b != 0)
            {
                text.write(b);
            }
        }
        return text.toString(StandardCharsets.UTF_8);
    }
}
