package io.iysfilter.server.receipts;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * What a search asks: one brand's receipts of one recipient within a time range.
 *
 * @param brandCode the İYS brand code.
 * @param recipient the recipient as a sender writes it (a phone number or an e-mail address).
 * @param fromMs    the first instant included, epoch milliseconds ({@link Long#MIN_VALUE}: every day kept).
 * @param toMs      the first instant no longer included, epoch milliseconds ({@link Long#MAX_VALUE}: up to now).
 */
public record ReceiptQuery(long brandCode, String recipient, long fromMs, long toMs)
{
    /**
     * Read a bound of the range: an instant ({@code 2026-11-30T10:15:00Z}) or a UTC day ({@code 2026-11-30}),
     * which as {@code from} means its first millisecond and as {@code to} the first millisecond of the next day (so
     * {@code --from D --to D} is the whole day D).
     *
     * @param name  the parameter's name, for the message.
     * @param text  the text, or null.
     * @param isEnd whether it is the range's end.
     * @return epoch milliseconds; {@link Long#MIN_VALUE} or {@link Long#MAX_VALUE} when null.
     * @throws IllegalArgumentException naming the parameter and what it expects.
     */
    public static long parseBound(final String name, final String text, final boolean isEnd)
    {
        if (text == null)
        {
            return isEnd ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        try
        {
            if (text.length() == 10)
            {
                final LocalDate day = LocalDate.parse(text);
                return (isEnd ? day.plusDays(1) : day).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            }
            return Instant.parse(text).toEpochMilli();
        }
        catch (final DateTimeParseException | ArithmeticException ex)
        {
            throw new IllegalArgumentException(name + ": '" + text + "' (expected: an instant such as " +
                "2026-11-30T10:15:00Z, or a UTC day such as 2026-11-30)");
        }
    }

    /**
     * @return null when the query can be searched, else what is wrong with it.
     */
    public String problem()
    {
        if (brandCode <= 0 || brandCode > 0xFFFF_FFFFL)
        {
            return "brand: " + brandCode + " (expected: an İYS brand code, 1..4294967295)";
        }
        if (recipient == null || recipient.isBlank())
        {
            return "recipient: missing (expected: a phone number or e-mail address)";
        }
        if (fromMs >= toMs)
        {
            return "from must be before to";
        }
        return null;
    }
}
