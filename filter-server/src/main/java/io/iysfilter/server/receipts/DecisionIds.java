package io.iysfilter.server.receipts;

/**
 * The text form of decision ids, everywhere one is shown (JSON, RESP, logs, the command line, headers): 16 lowercase
 * hex digits, the run's 4 then the sequence's 12, e.g. {@code 0001000000000001}; {@code 0000000000000000} is "not
 * recorded".
 */
public final class DecisionIds
{
    private DecisionIds()
    {
    }

    /**
     * @param decisionId an unsigned 64-bit decision id.
     * @return its 16 hex digits.
     */
    public static String text(final long decisionId)
    {
        final String hex = Long.toHexString(decisionId);
        return "0".repeat(16 - hex.length()) + hex;
    }

    /**
     * @param decisionId a decision id.
     * @return its run (high 16 bits).
     */
    public static int run(final long decisionId)
    {
        return (int)(decisionId >>> ReceiptQueue.SEQUENCE_BITS);
    }

    /**
     * @param decisionId a decision id.
     * @return its sequence within the run (low 48 bits).
     */
    public static long sequence(final long decisionId)
    {
        return decisionId & ReceiptQueue.MAX_SEQUENCE;
    }
}
