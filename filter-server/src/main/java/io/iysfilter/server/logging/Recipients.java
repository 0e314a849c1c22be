package io.iysfilter.server.logging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way a recipient is written to a log, a quarantine file or a milter audit line (docs/SECURITY.md): masked
 * by default, so that these files are no list of citizens' numbers and addresses, and whole when the operator sets
 * {@code log-recipients=full} ({@link #logWhole}).
 * <ul>
 *   <li>a phone number keeps its leading digits up to the operator code and its last two digits, the five digits
 *       before those masked: {@code +905321234567} → {@code +90532*****67}, {@code 05321234567} →
 *       {@code 0532*****67};</li>
 *   <li>an e-mail address keeps the first character of its local part and its domain: {@code ayse@example.com} →
 *       {@code a***@example.com};</li>
 *   <li>anything else of a recipient's place (it did not parse) keeps only its first and last character.</li>
 * </ul>
 * {@link #maskText} masks every number- or address-shaped token in free text (a quarantined record, a parser's
 * message that quotes its input).
 */
public final class Recipients
{
    private static final int MASKED_DIGITS = 5;
    private static final int KEPT_TAIL = 2;
    private static final Pattern PHONE = Pattern.compile("\\+?[0-9]{7,15}");
    private static final Pattern IN_TEXT = Pattern.compile(
        "(?<![0-9A-Za-z])\\+?[0-9]{10,15}(?![0-9A-Za-z])|[^\\s\"',;:<>()\\[\\]{}=]+@[^\\s\"',;:<>()\\[\\]{}=]+");
    private static volatile boolean whole;

    private Recipients()
    {
    }

    /**
     * @param on true to log recipients whole ({@code log-recipients=full}), false to mask them (the default).
     */
    public static void logWhole(final boolean on)
    {
        whole = on;
    }

    /**
     * @return whether recipients are logged whole.
     */
    public static boolean loggedWhole()
    {
        return whole;
    }

    /**
     * @param recipient a phone number or e-mail address as given (valid or not), or null.
     * @return it as logs may show it: masked, unless {@link #logWhole} is on.
     */
    public static String mask(final String recipient)
    {
        return recipient == null || whole ? recipient : masked(recipient);
    }

    /**
     * @param text free text that may quote recipients, or null.
     * @return it with every phone number (10 to 15 digits) and e-mail address masked, unless {@link #logWhole} is on.
     */
    public static String maskText(final String text)
    {
        if (text == null || whole)
        {
            return text;
        }
        final Matcher matcher = IN_TEXT.matcher(text);
        final StringBuilder out = new StringBuilder(text.length());
        while (matcher.find())
        {
            matcher.appendReplacement(out, Matcher.quoteReplacement(masked(matcher.group())));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /**
     * @param recipient a phone number or e-mail address.
     * @return it masked, whatever {@link #logWhole} says.
     */
    static String masked(final String recipient)
    {
        final String trimmed = recipient.trim();
        final int at = trimmed.lastIndexOf('@');
        if (at >= 0)
        {
            return (at == 0 ? "" : trimmed.substring(0, 1)) + "***" + trimmed.substring(at);
        }
        if (PHONE.matcher(trimmed).matches())
        {
            final int length = trimmed.length();
            final int kept = Math.max(0, length - MASKED_DIGITS - KEPT_TAIL);
            return trimmed.substring(0, kept) + "*".repeat(length - kept - KEPT_TAIL) +
                trimmed.substring(length - KEPT_TAIL);
        }
        if (trimmed.length() <= 2)
        {
            return "*".repeat(trimmed.length());
        }
        return trimmed.charAt(0) + "*".repeat(trimmed.length() - 2) + trimmed.charAt(trimmed.length() - 1);
    }
}
