package io.iysfilter.server.decision;

/**
 * The text form of a decision id (docs/RECEIPTS.md): 16 lowercase hex digits, {@code 0001000000000001}; a decision
 * not recorded is {@code 0000000000000000}. One form everywhere the id is written as text (JSON, RESP, headers,
 * logs): never a decimal number, which JavaScript would round above 2^53.
 */
public final class DecisionIds
{
    /** Characters in the text form. */
    public static final int TEXT_LENGTH = 16;
    /** Bits of the sequence within a run: the low 48; the run is the high 16. */
    public static final int SEQUENCE_BITS = 48;
    /** The greatest sequence, and the mask of the sequence's bits. */
    public static final long MAX_SEQUENCE = (1L << SEQUENCE_BITS) - 1;
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private DecisionIds()
    {
    }

    /**
     * Allocates: not for the hot path of a binary or RESP answer ({@link #hexDigit}).
     *
     * @param decisionId a decision id, unsigned.
     * @return its 16 hex digits.
     */
    public static String text(final long decisionId)
    {
        final char[] text = new char[TEXT_LENGTH];
        for (int i = 0; i < TEXT_LENGTH; i++)
        {
            text[i] = (char)hexDigit(decisionId, i);
        }
        return new String(text);
    }

    /**
     * @param decisionId a decision id, unsigned.
     * @param index      0..15, most significant digit first.
     * @return the ASCII byte of that digit of its text form.
     */
    public static byte hexDigit(final long decisionId, final int index)
    {
        return HEX[(int)(decisionId >>> (60 - 4 * index)) & 0xF];
    }

    /**
     * @param decisionId a decision id.
     * @return its run (high 16 bits).
     */
    public static int run(final long decisionId)
    {
        return (int)(decisionId >>> SEQUENCE_BITS);
    }

    /**
     * @param decisionId a decision id.
     * @return its sequence within the run (low 48 bits).
     */
    public static long sequence(final long decisionId)
    {
        return decisionId & MAX_SEQUENCE;
    }

    /**
     * @param text a decision id's text form.
     * @return the id.
     * @throws IllegalArgumentException when it is not 16 hex digits.
     */
    public static long parse(final String text)
    {
        if (text == null || text.length() != TEXT_LENGTH)
        {
            throw new IllegalArgumentException("a decision id is 16 hex digits: '" + text + "'");
        }
        try
        {
            return Long.parseUnsignedLong(text, 16);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("a decision id is 16 hex digits: '" + text + "'", ex);
        }
    }
}
