package io.iysfilter.server.resp;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Reason;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * RESP reply encoding into a Netty buffer: the constant parts made once, integers written digit by digit, so a
 * decision's reply allocates nothing.
 */
final class RespReplies
{
    static final byte[] CRLF = ascii("\r\n");
    static final byte[] OK = ascii("+OK\r\n");
    static final byte[] PONG = ascii("+PONG\r\n");
    static final byte[] NULL2 = ascii("$-1\r\n");
    static final byte[] NULL3 = ascii("_\r\n");

    /** Per reason, the RESP2 reply up to its as-of digits: {@code *4 +VERDICT +REASON :}. */
    private static final byte[][] DECISION2 = new byte[Reason.values().length][];
    /** Per reason, the RESP3 reply up to its as-of digits: {@code %4 verdict +VERDICT reason +REASON asof :}. */
    private static final byte[][] DECISION3 = new byte[Reason.values().length][];
    /** After the as-of digits, up to the decision id's: RESP2's 4th element, RESP3's key {@code id}. */
    private static final byte[] ID2 = ascii("\r\n+");
    private static final byte[] ID3 = ascii("\r\n$2\r\nid\r\n+");

    static
    {
        for (final Reason reason : Reason.values())
        {
            DECISION2[reason.ordinal()] = ascii("*4\r\n+" + reason.verdict() + "\r\n+" + reason.name() + "\r\n:");
            DECISION3[reason.ordinal()] = ascii("%4\r\n$7\r\nverdict\r\n+" + reason.verdict() +
                "\r\n$6\r\nreason\r\n+" +
                reason.name() + "\r\n$4\r\nasof\r\n:");
        }
    }

    private RespReplies()
    {
    }

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * One decision: {@code [verdict, reason, asOf, decisionId]} in RESP2, {@code {verdict, reason, asof, id}} in
     * RESP3; the decision id a simple string of 16 hex digits.
     */
    static void decision(
        final ByteBuf out, final boolean resp3, final Reason reason, final long asOfMs, final long decisionId)
    {
        out.writeBytes(resp3 ? DECISION3[reason.ordinal()] : DECISION2[reason.ordinal()]);
        digits(out, asOfMs);
        out.writeBytes(resp3 ? ID3 : ID2);
        for (int i = 0; i < DecisionIds.TEXT_LENGTH; i++)
        {
            out.writeByte(DecisionIds.hexDigit(decisionId, i));
        }
        out.writeBytes(CRLF);
    }

    /**
     * An integer reply {@code :n}.
     */
    static void integer(final ByteBuf out, final long value)
    {
        out.writeByte(':');
        digits(out, value);
        out.writeBytes(CRLF);
    }

    /**
     * An aggregate's header: {@code type} ({@code *} array, {@code %} map, ...) and its count.
     */
    static void header(final ByteBuf out, final char type, final long count)
    {
        out.writeByte(type);
        digits(out, count);
        out.writeBytes(CRLF);
    }

    /**
     * A map's header: {@code %n} in RESP3, an array of {@code 2n} in RESP2.
     */
    static void mapHeader(final ByteBuf out, final boolean resp3, final int entries)
    {
        header(out, resp3 ? '%' : '*', resp3 ? entries : 2L * entries);
    }

    /**
     * A bulk string holding {@code length} bytes of {@code source} from {@code index}, copied buffer to buffer.
     */
    static void bulk(final ByteBuf out, final ByteBuf source, final int index, final int length)
    {
        header(out, '$', length);
        out.writeBytes(source, index, length);
        out.writeBytes(CRLF);
    }

    /**
     * A bulk string of text.
     */
    static void bulk(final ByteBuf out, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        header(out, '$', bytes.length);
        out.writeBytes(bytes);
        out.writeBytes(CRLF);
    }

    /**
     * A simple string {@code +text}; the text must hold no CR or LF.
     */
    static void simple(final ByteBuf out, final String text)
    {
        out.writeByte('+');
        out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(CRLF);
    }

    /**
     * An error {@code -CODE message}: CR and LF in it become spaces, so a client's bytes quoted back cannot break the
     * reply.
     */
    static void error(final ByteBuf out, final String text)
    {
        out.writeByte('-');
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++)
        {
            if (bytes[i] == '\r' || bytes[i] == '\n')
            {
                bytes[i] = ' ';
            }
        }
        out.writeBytes(bytes);
        out.writeBytes(CRLF);
    }

    /**
     * The null reply: {@code $-1} in RESP2, {@code _} in RESP3.
     */
    static void nil(final ByteBuf out, final boolean resp3)
    {
        out.writeBytes(resp3 ? NULL3 : NULL2);
    }

    /**
     * The decimal digits of a value, without allocating.
     */
    static void digits(final ByteBuf out, final long value)
    {
        if (value < 0)
        {
            if (value == Long.MIN_VALUE)
            {
                out.writeBytes(ascii(Long.toString(value)));
                return;
            }
            out.writeByte('-');
            digits(out, -value);
            return;
        }
        if (value < 10)
        {
            out.writeByte('0' + (int)value);
            return;
        }
        long scale = 1;
        int count = 1;
        while (count < 19 && value / scale >= 10)
        {
            scale *= 10;
            count++;
        }
        long rest = value;
        for (int i = 0; i < count; i++)
        {
            final long digit = rest / scale;
            out.writeByte('0' + (int)digit);
            rest -= digit * scale;
            scale /= 10;
        }
    }
}
