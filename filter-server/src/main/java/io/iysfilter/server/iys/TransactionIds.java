package io.iysfilter.server.iys;

/**
 * The 48-bit digest of an İYS transactionId kept in a consent value to break ties between records created in the
 * same second. İYS's ids are hexadecimal (64 hex digits in the feed and daily file, a UUID from single adds), so
 * the digest is the first 12 hex digits, dashes skipped, read as a number: for ids of one form this keeps their
 * lexicographic order. An id with other characters, or fewer than 12 hex digits, is digested by FNV-1a instead.
 */
public final class TransactionIds
{
    private static final int DIGITS = 12;
    private static final long MASK48 = (1L << 48) - 1;

    private TransactionIds()
    {
    }

    /**
     * @param transactionId as İYS sent it.
     * @return a 48-bit digest.
     */
    public static long digest(final CharSequence transactionId)
    {
        long value = 0;
        int digits = 0;
        final int length = transactionId.length();
        for (int i = 0; i < length && digits < DIGITS; i++)
        {
            final char c = transactionId.charAt(i);
            final int nibble = Character.digit(c, 16);
            if (nibble >= 0 && c < 0x80)
            {
                value = value << 4 | nibble;
                digits++;
            }
            else if (c != '-')
            {
                return fnv(transactionId);
            }
        }
        return digits == DIGITS ? value : fnv(transactionId);
    }

    private static long fnv(final CharSequence text)
    {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++)
        {
            hash ^= text.charAt(i);
            hash *= 0x100000001b3L;
        }
        return hash & MASK48;
    }
}
