package io.iysfilter.server.milter;

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
 *   auth:&lt;SMTP AUTH user&gt;       = &lt;brandCode&gt; [COMMERCIAL|TRANSACTIONAL]
 *   sender:&lt;envelope sender&gt;    = &lt;brandCode&gt; [COMMERCIAL|TRANSACTIONAL]
 *   domain:&lt;sender domain&gt;      = &lt;brandCode&gt; [COMMERCIAL|TRANSACTIONAL]
 * </pre>
 * looked up in that order: the authenticated user ({@code {auth_authen}}), the exact envelope sender, then its domain
 * and each parent domain. A kind given here fixes the message kind for that sender (e.g. a billing sender that only
 * sends TRANSACTIONAL mail); otherwise the {@code X-IYS-Kind} header decides, COMMERCIAL when absent.
 * Addresses and domains are matched lower-cased.
 */
final class MilterBrandMap
{
    /** A brand and, when the mapping fixes it, the kind of everything that sender sends. */
    record Mapping(long brandCode, MessageKind kind)
    {
    }

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
            entries.put(key(key, file), mapping(key, text.substring(equals + 1), file));
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

    private static Mapping mapping(final String key, final String value, final Path file)
    {
        final String[] parts = value.trim().split("\\s+");
        try
        {
            final long brand = Long.parseLong(parts[0]);
            final MessageKind kind = parts.length > 1 ? MessageKind.fromName(parts[1]) : null;
            if (brand < 1 || brand > 0xFFFF_FFFFL || parts.length > 2 || parts.length == 2 && kind == null)
            {
                throw new NumberFormatException();
            }
            return new Mapping(brand, kind);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("milter brand map " + file + ": " + key + " = '" + value +
                "' (expected: an İYS brand code, optionally followed by COMMERCIAL or TRANSACTIONAL)", ex);
        }
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
