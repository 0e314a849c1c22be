package io.iysfilter.server.decision;

import io.iysfilter.protocol.Limits;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Normalises recipient addresses without allocating. Not thread-safe: one instance per thread. Every door (binary,
 * HTTP, milter, scrub, the CLI) decides through it, so the rules below hold on all of them (docs/PROTOCOL.md §4;
 * a scrub row is a CSV field first, whose cutting strips every control character at its ends before this sees it):
 * <ul>
 *   <li>An address of more than {@link Limits#MAX_ADDRESS_LENGTH} bytes as sent, blanks included, is invalid
 *   (the binary protocol's length byte of 255 among them).</li>
 *   <li>Only four blanks are trimmed, and only at the ends: space, tab, CR and LF. Any other control character
 *   (NUL, VT, FF, DEL, ...) or byte outside ASCII, anywhere, makes the address invalid, as does a tab, CR or LF
 *   inside it.</li>
 *   <li>Phones become E.164 digits. Spaces, hyphens, dots and parentheses are ignored. Accepted forms:
 *   {@code +<8..15 digits>} and {@code 00<8..15 digits>} (international), {@code 05321234567} (national with
 *   trunk 0), {@code 5321234567} (10 digits), {@code 905321234567}. Anything under +90 must have 10 digits
 *   after the 90, the first not 0.</li>
 *   <li>An address with an {@code @} is an e-mail: trimmed, lower-cased, one {@code @}, a local part of 1..64
 *   characters from the RFC 5322 atom set and dots (not first, last or doubled), a domain of letters, digits,
 *   hyphens and at least one dot. Non-ASCII is refused, as İYS does.</li>
 *   <li>Anything else is invalid.</li>
 * </ul>
 */
public final class RecipientParser
{
    private static final int MAX_DIGITS = 17;
    private static final int MIN_E164_DIGITS = 8;
    private static final int MAX_E164_DIGITS = 15;
    private static final int TURKISH_NATIONAL_DIGITS = 10;
    private static final long TURKEY_PREFIX = 90L * 10_000_000_000L;
    private static final int MAX_LOCAL_PART = 64;
    private static final boolean[] LOCAL_CHARS = new boolean[128];
    private static final boolean[] DOMAIN_CHARS = new boolean[128];

    static
    {
        for (int c = 'a'; c <= 'z'; c++)
        {
            LOCAL_CHARS[c] = true;
            DOMAIN_CHARS[c] = true;
        }
        for (int c = '0'; c <= '9'; c++)
        {
            LOCAL_CHARS[c] = true;
            DOMAIN_CHARS[c] = true;
        }
        for (final char c : "!#$%&'*+/=?^_`{|}~.-".toCharArray())
        {
            LOCAL_CHARS[c] = true;
        }
        DOMAIN_CHARS['-'] = true;
        DOMAIN_CHARS['.'] = true;
    }

    private final byte[] digits = new byte[MAX_DIGITS];
    private final byte[] textBytes = new byte[Limits.MAX_ADDRESS_LENGTH];
    private final UnsafeBuffer textBuffer = new UnsafeBuffer(textBytes);

    /**
     * Parse an address held in a buffer.
     *
     * @param buffer holding the address bytes.
     * @param offset of the first byte.
     * @param length of the address in bytes.
     * @param out    filled with the result; {@link ParsedRecipient#kind()} says which.
     * @return the kind, as {@code out.kind()}.
     */
    public int parse(final DirectBuffer buffer, final int offset, final int length, final ParsedRecipient out)
    {
        out.kind = ParsedRecipient.INVALID;
        if (length > Limits.MAX_ADDRESS_LENGTH)
        {
            return out.kind;
        }
        int start = offset;
        int end = offset + length;
        while (start < end && isBlank(buffer.getByte(start)))
        {
            start++;
        }
        while (end > start && isBlank(buffer.getByte(end - 1)))
        {
            end--;
        }
        if (end == start)
        {
            return out.kind;
        }
        for (int i = start; i < end; i++)
        {
            if (buffer.getByte(i) == '@')
            {
                return parseEmail(buffer, start, end, out);
            }
        }
        return parsePhone(buffer, start, end, out);
    }

    /**
     * Parse an address given as text, for the cold paths (HTTP, import, CLI).
     *
     * @param text the address.
     * @param out  filled with the result.
     * @return the kind, as {@code out.kind()}.
     */
    public int parse(final CharSequence text, final ParsedRecipient out)
    {
        final int length = text.length();
        if (length > textBytes.length)
        {
            out.kind = ParsedRecipient.INVALID;
            return out.kind;
        }
        for (int i = 0; i < length; i++)
        {
            final char c = text.charAt(i);
            textBytes[i] = c < 0x80 ? (byte)c : (byte)0x80;
        }
        return parse(textBuffer, 0, length, out);
    }

    private int parsePhone(final DirectBuffer buffer, final int start, final int end, final ParsedRecipient out)
    {
        boolean plus = false;
        int count = 0;
        for (int i = start; i < end; i++)
        {
            final byte c = buffer.getByte(i);
            if (c >= '0' && c <= '9')
            {
                if (count == MAX_DIGITS)
                {
                    return ParsedRecipient.INVALID;
                }
                digits[count++] = (byte)(c - '0');
            }
            else if (c == '+' && count == 0 && !plus)
            {
                plus = true;
            }
            else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.')
            {
                return ParsedRecipient.INVALID;
            }
        }

        int first = 0;
        if (plus)
        {
            first = 0;
        }
        else if (count >= 2 && digits[0] == 0 && digits[1] == 0)
        {
            first = 2;
        }
        else if (count == TURKISH_NATIONAL_DIGITS + 1 && digits[0] == 0 && digits[1] != 0)
        {
            return phone(out, TURKEY_PREFIX + value(1, count));
        }
        else if (count == TURKISH_NATIONAL_DIGITS && digits[0] != 0)
        {
            return phone(out, TURKEY_PREFIX + value(0, count));
        }
        else if (count == TURKISH_NATIONAL_DIGITS + 2 && digits[0] == 9 && digits[1] == 0 && digits[2] != 0)
        {
            return phone(out, value(0, count));
        }
        else
        {
            return ParsedRecipient.INVALID;
        }

        final int significant = count - first;
        if (significant < MIN_E164_DIGITS || significant > MAX_E164_DIGITS || digits[first] == 0)
        {
            return ParsedRecipient.INVALID;
        }
        if (digits[first] == 9 && digits[first + 1] == 0 &&
            (significant != TURKISH_NATIONAL_DIGITS + 2 || digits[first + 2] == 0))
        {
            return ParsedRecipient.INVALID;
        }
        return phone(out, value(first, count));
    }

    private long value(final int from, final int to)
    {
        long value = 0;
        for (int i = from; i < to; i++)
        {
            value = value * 10 + digits[i];
        }
        return value;
    }

    private static int phone(final ParsedRecipient out, final long e164Digits)
    {
        out.phoneDigits = e164Digits;
        out.kind = ParsedRecipient.PHONE;
        return out.kind;
    }

    private static int parseEmail(final DirectBuffer buffer, final int start, final int end, final ParsedRecipient out)
    {
        final byte[] email = out.emailBytes();
        int at = -1;
        for (int i = start; i < end; i++)
        {
            int c = buffer.getByte(i);
            if (c < 0)
            {
                return ParsedRecipient.INVALID;
            }
            if (c >= 'A' && c <= 'Z')
            {
                c += 'a' - 'A';
            }
            if (c == '@')
            {
                if (at >= 0)
                {
                    return ParsedRecipient.INVALID;
                }
                at = i - start;
            }
            else if (!(at < 0 ? LOCAL_CHARS[c] : DOMAIN_CHARS[c]))
            {
                return ParsedRecipient.INVALID;
            }
            email[i - start] = (byte)c;
        }
        final int length = end - start;
        if (at < 1 || at > MAX_LOCAL_PART || !validDots(email, 0, at) || !validDomain(email, at + 1, length))
        {
            return ParsedRecipient.INVALID;
        }
        out.emailLength = length;
        out.kind = ParsedRecipient.EMAIL;
        return out.kind;
    }

    private static boolean validDots(final byte[] bytes, final int from, final int to)
    {
        if (to <= from || bytes[from] == '.' || bytes[to - 1] == '.')
        {
            return false;
        }
        for (int i = from + 1; i < to; i++)
        {
            if (bytes[i] == '.' && bytes[i - 1] == '.')
            {
                return false;
            }
        }
        return true;
    }

    private static boolean validDomain(final byte[] bytes, final int from, final int to)
    {
        if (!validDots(bytes, from, to) || bytes[from] == '-' || bytes[to - 1] == '-')
        {
            return false;
        }
        for (int i = from; i < to; i++)
        {
            if (bytes[i] == '.')
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isBlank(final byte b)
    {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }
}
