package io.iysfilter.server.milter;

import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.MessageKind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Which İYS brand is sending, from what the MTA knows. A text file of lines ({@code #} starts a comment)
 * <pre>
 *   auth:&lt;SMTP AUTH user&gt;       = &lt;brandCode&gt; [COMMERCIAL|TRANSACTIONAL] [dealer=&lt;dealerCode&gt;]
 *   sender:&lt;envelope sender&gt;    = &lt;brandCode&gt; [COMMERCIAL|TRANSACTIONAL] [dealer=&lt;dealerCode&gt;]
 *   domain:&lt;sender domain&gt;      = &lt;brandCode&gt; [COMMERCIAL|TRANSACTIONAL] [dealer=&lt;dealerCode&gt;]
 * </pre>
 * looked up in that order: the authenticated user ({@code {auth_authen}}), the exact envelope sender, then its domain
 * and each parent domain. A kind given here fixes the message kind for that sender (e.g. a billing sender that only
 * sends TRANSACTIONAL mail); otherwise the {@code X-IYS-Kind} header decides, COMMERCIAL when absent.
 * A {@code dealer=} names the İYS dealer (bayi) that sends through that sender: every decision for it is that
 * dealer's (docs/INDEX.md §11), never the brand's. Addresses and domains are matched lower-cased. A malformed line
 * (a dealer code that is no İYS dealer number, a kind or dealer given twice) is an error naming its line.
 */
final class MilterBrandMap
{
    /**
     * A brand, when the mapping fixes it the kind of everything that sender sends, and the dealer that sends.
     *
     * @param brandCode  the İYS brand code.
     * @param kind       the kind, or null when the message's header (or COMMERCIAL) decides.
     * @param dealerCode the İYS dealer number that sends, {@link ConsentFilter#NO_DEALER} when the brand does.
     */
    record Mapping(long brandCode, MessageKind kind, long dealerCode)
    {
        Mapping(final long brandCode, final MessageKind kind)
        {
            this(brandCode, kind, ConsentFilter.NO_DEALER);
        }

        /**
         * @return {@code " dealer=N"} for a dealer's mapping, else nothing: what headers and log lines add.
         */
        String dealerText()
        {
            return dealerCode == ConsentFilter.NO_DEALER ? "" : " dealer=" + dealerCode;
        }
    }

    private static final String DEALER = "dealer=";
    private static final long MAX_CODE = 0xFFFF_FFFFL;

    private final Map<String, Mapping> entries;

    MilterBrandMap(final Map<String, Mapping> entries)
    {
        this.entries = Map.copyOf(entries);
    }

    static MilterBrandMap empty()
    {
        return new MilterBrandMap(Map.of());
    }

    /**
     * @param file the mapping file.
     * @return the map.
     * @throws IOException when the file cannot be read.
     * @throws IllegalArgumentException naming the bad entry.
     */
    static MilterBrandMap load(final Path file) throws IOException
    {
        final Map<String, Mapping> entries = new HashMap<>();
        int lineNumber = 0;
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            lineNumber++;
            final String text = line.strip();
            if (text.isEmpty() || text.startsWith("#"))
            {
                continue;
            }
            final int equals = text.indexOf('=');
            if (equals < 0)
            {
                throw new IllegalArgumentException("milter brand map " + file + ", line " + lineNumber + ": '" +
                    text + "' (expected: KEY = BRAND [KIND])");
            }
            final String key = text.substring(0, equals);
            entries.put(key(key, file), mapping(key, text.substring(equals + 1), file, lineNumber));
        }
        return new MilterBrandMap(entries);
    }

    private static String key(final String key, final Path file)
    {
        final String lower = key.trim().toLowerCase(Locale.ROOT);
        if (!lower.startsWith("auth:") && !lower.startsWith("sender:") && !lower.startsWith("domain:"))
        {
            throw new IllegalArgumentException("milter brand map " + file + ": '" + key +
                "' (expected: auth:USER, sender:ADDRESS or domain:DOMAIN)");
        }
        return lower;
    }

    private static Mapping mapping(final String key, final String value, final Path file, final int lineNumber)
    {
        final String[] parts = value.trim().split("\\s+");
        try
        {
            final long brand = Long.parseLong(parts[0]);
            MessageKind kind = null;
            long dealer = ConsentFilter.NO_DEALER;
            for (int i = 1; i < parts.length; i++)
            {
                if (parts[i].regionMatches(true, 0, DEALER, 0, DEALER.length()))
                {
                    final long code = dealer == ConsentFilter.NO_DEALER ?
                        dealerCode(parts[i].substring(DEALER.length())) : -1;
                    if (code < 0)
                    {
                        throw new IllegalArgumentException("milter brand map " + file + ", line " + lineNumber +
                            ": " + key.trim() + " = '" + value.trim() + "': bad dealer '" + parts[i] + "'" +
                            (dealer == ConsentFilter.NO_DEALER ? "" : " (a second dealer)") + " (expected: " + DEALER +
                            "CODE once, CODE an İYS dealer number 1.." + MAX_CODE + ")");
                    }
                    dealer = code;
                }
                else if (kind == null && MessageKind.fromName(parts[i]) != null)
                {
                    kind = MessageKind.fromName(parts[i]);
                }
                else
                {
                    throw new NumberFormatException();
                }
            }
            if (brand < 1 || brand > MAX_CODE)
            {
                throw new NumberFormatException();
            }
            return new Mapping(brand, kind, dealer);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("milter brand map " + file + ", line " + lineNumber + ": " + key +
                " = '" + value + "' (expected: an İYS brand code, optionally followed by COMMERCIAL or " +
                "TRANSACTIONAL and by " + DEALER + "CODE)", ex);
        }
    }

    /**
     * @return the dealer number, 1..2^32-1, or -1 when the text is not one.
     */
    private static long dealerCode(final String text)
    {
        if (text.isEmpty() || text.length() > 10 || !text.chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            return -1;
        }
        final long code = Long.parseLong(text);
        return code >= 1 && code <= MAX_CODE ? code : -1;
    }

    /**
     * @param authUser the SMTP AUTH user, or null.
     * @param sender   the envelope sender without angle brackets, or null/empty for the null sender.
     * @return the mapping, or null when nothing maps this sender.
     */
    Mapping resolve(final String authUser, final String sender)
    {
        if (authUser != null && !authUser.isEmpty())
        {
            final Mapping byAuth = entries.get("auth:" + authUser.toLowerCase(Locale.ROOT));
            if (byAuth != null)
            {
                return byAuth;
            }
        }
        if (sender == null || sender.isEmpty())
        {
            return null;
        }
        final String address = sender.toLowerCase(Locale.ROOT);
        final Mapping bySender = entries.get("sender:" + address);
        if (bySender != null)
        {
            return bySender;
        }
        String domain = address.substring(address.lastIndexOf('@') + 1);
        while (!domain.isEmpty())
        {
            final Mapping byDomain = entries.get("domain:" + domain);
            if (byDomain != null)
            {
                return byDomain;
            }
            final int dot = domain.indexOf('.');
            domain = dot < 0 ? "" : domain.substring(dot + 1);
        }
        return null;
    }

    int size()
    {
        return entries.size();
    }
}
