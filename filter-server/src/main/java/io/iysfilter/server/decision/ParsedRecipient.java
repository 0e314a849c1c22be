package io.iysfilter.server.decision;

import io.iysfilter.protocol.Limits;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A recipient address after normalisation: a phone as the digits of its E.164 form, or an e-mail address trimmed
 * and lower-cased. Mutable and reused: one instance per thread, filled by {@link RecipientParser}.
 */
public final class ParsedRecipient
{
    /** The address did not parse. */
    public static final int INVALID = 0;
    /** The address is a phone number. */
    public static final int PHONE = 1;
    /** The address is an e-mail address. */
    public static final int EMAIL = 2;

    private final byte[] emailBytes = new byte[Limits.MAX_ADDRESS_LENGTH];
    private final UnsafeBuffer emailBuffer = new UnsafeBuffer(emailBytes);
    int kind;
    long phoneDigits;
    int emailLength;

    /**
     * @return {@link #INVALID}, {@link #PHONE} or {@link #EMAIL}.
     */
    public int kind()
    {
        return kind;
    }

    /**
     * @return for a phone, its E.164 digits as a number, e.g. 905321234567 for {@code +905321234567}.
     */
    public long phoneDigits()
    {
        return phoneDigits;
    }

    /**
     * @return for an e-mail, its normalised bytes start at index 0 of this buffer.
     */
    public DirectBuffer emailBuffer()
    {
        return emailBuffer;
    }

    /**
     * @return for an e-mail, the length of its normalised form.
     */
    public int emailLength()
    {
        return emailLength;
    }

    byte[] emailBytes()
    {
        return emailBytes;
    }

    /**
     * Make this a phone recipient directly, for callers that already hold E.164 digits.
     *
     * @param e164Digits the digits of the E.164 form, e.g. 905321234567.
     * @return this.
     */
    public ParsedRecipient phone(final long e164Digits)
    {
        phoneDigits = e164Digits;
        kind = PHONE;
        return this;
    }

    /**
     * Copy another parsed recipient into this one.
     *
     * @param other to copy.
     */
    public void copyFrom(final ParsedRecipient other)
    {
        kind = other.kind;
        phoneDigits = other.phoneDigits;
        emailLength = other.emailLength;
        if (other.kind == EMAIL)
        {
            System.arraycopy(other.emailBytes, 0, emailBytes, 0, other.emailLength);
        }
    }

    /**
     * @param channel the channel a message would go out on.
     * @return whether the channel fits this address: phones for ARAMA and MESAJ, e-mail for EPOSTA.
     */
    public boolean fits(final Channel channel)
    {
        return channel.isPhone() ? kind == PHONE : kind == EMAIL;
    }

    /**
     * Allocates: for logs, reports and tests, never the hot path.
     *
     * @return the normalised address, {@code +90…} or the e-mail, or {@code "invalid"}.
     */
    @Override
    public String toString()
    {
        if (kind == PHONE)
        {
            return "+" + phoneDigits;
        }
        if (kind == EMAIL)
        {
            return new String(emailBytes, 0, emailLength, java.nio.charset.StandardCharsets.US_ASCII);
        }
        return "invalid";
    }
}
