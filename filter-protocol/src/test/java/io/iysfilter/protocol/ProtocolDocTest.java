package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.Reason;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/PROTOCOL.md restates the schema for readers; this keeps it from drifting: its reason table gives every
 * reason the schema's code and the verdict of {@link Verdicts}, it states the allow rule once, and its limits table
 * gives the values of {@link Limits}.
 */
class ProtocolDocTest
{
    private static final Pattern REASON_ROW = Pattern.compile("^\\| ([A-Z_]+) \\| (\\d+) \\| (ALLOW|DENY) \\|");

    @Test
    void shouldListEveryReasonWithItsCodeAndTheVerdictOfTheRule() throws IOException
    {
        final Set<Reason> listed = EnumSet.noneOf(Reason.class);
        for (final String line : protocolDoc())
        {
            final Matcher row = REASON_ROW.matcher(line);
            if (row.find())
            {
                final Reason reason = Reason.valueOf(row.group(1));
                assertEquals(reason.value(), Integer.parseInt(row.group(2)), line);
                assertEquals(Verdicts.verdictOf(reason).name(), row.group(3), line);
                assertTrue(listed.add(reason), "listed twice: " + line);
            }
        }
        final Set<Reason> expected = EnumSet.allOf(Reason.class);
        expected.remove(Reason.SBE_UNKNOWN);
        expected.remove(Reason.NULL_VAL);
        assertEquals(expected, listed);
    }

    @Test
    void shouldStateTheAllowRuleOnce() throws IOException
    {
        final String doc = String.join("\n", protocolDoc());
        final String rule = "Reasons 1.." + (Verdicts.FIRST_DENY_REASON - 1) + " come with ALLOW and " +
            Verdicts.FIRST_DENY_REASON + ".. with DENY";
        assertEquals(1, count(doc, rule), "the rule, as the schema's Reason description words it");
        assertEquals(1, count(doc, "1.." + (Verdicts.FIRST_DENY_REASON - 1)), "the rule is stated once");
    }

    @Test
    void shouldGiveTheLimitsOfTheProtocol() throws IOException
    {
        final String doc = String.join("\n", protocolDoc());
        assertLimit(doc, "\\| frame length \\| " + FrameDescriptor.MIN_FRAME_LENGTH + " \\.\\. ([\\d,]+) bytes \\|",
            Limits.MAX_FRAME_LENGTH);
        assertLimit(doc, "\\| entries per CHECK_BATCH \\| ([\\d,]+) \\|", Limits.MAX_BATCH_ENTRIES);
        assertLimit(doc, "\\| recipient length \\| ([\\d,]+) bytes \\|", Limits.MAX_ADDRESS_LENGTH);
    }

    private static void assertLimit(final String doc, final String pattern, final int expected)
    {
        final Matcher matcher = Pattern.compile(pattern).matcher(doc);
        assertTrue(matcher.find(), "docs/PROTOCOL.md has no row matching " + pattern);
        assertEquals(expected, Integer.parseInt(matcher.group(1).replace(",", "")), matcher.group());
    }

    private static int count(final String text, final String part)
    {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1))
        {
            count++;
        }
        return count;
    }

    private static List<String> protocolDoc() throws IOException
    {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("docs/PROTOCOL.md")))
        {
            dir = dir.getParent();
        }
        assertNotNull(dir, "docs/PROTOCOL.md not found above " + Path.of("").toAbsolutePath());
        return Files.readAllLines(dir.resolve("docs/PROTOCOL.md"), StandardCharsets.UTF_8);
    }
}
