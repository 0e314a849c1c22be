package io.iysfilter.loadtest.cli;

import io.iysfilter.server.cli.Main;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replication rig's plan says what it publishes (so its checks of the replica's answers are right), and its
 * options are checked before anything starts.
 */
class ReplicationFiguresTest
{
    @Test
    void shouldKnowTheLastStatusOfEveryKeyFromTheChangesItPublishes()
    {
        final ReplicationFigures.Plan plan = new ReplicationFigures.Plan(11_000, 3, 1_700_000_000L);
        assertEquals(11_000, plan.changes());
        assertEquals(10_000, plan.keys());
        final Map<Long, long[]> newest = new HashMap<>();
        for (long i = 0; i < plan.changes(); i++)
        {
            final long key = plan.key(i);
            final long[] last = newest.get(key);
            if (last == null || plan.creationSec(i) > last[0])
            {
                newest.put(key, new long[]{plan.creationSec(i), plan.status(i)});
            }
        }
        assertEquals(plan.keys(), newest.size(), "every key published");
        int rets = 0;
        int updated = 0;
        for (final Map.Entry<Long, long[]> entry : newest.entrySet())
        {
            assertEquals(entry.getValue()[1] == 2, plan.endsRet(entry.getKey()), "key " + entry.getKey());
            rets += plan.endsRet(entry.getKey()) ? 1 : 0;
            updated += plan.updated(entry.getKey()) ? 1 : 0;
        }
        assertEquals(1_000, updated);
        assertTrue(rets > 1_000 && rets < 3_000, "both statuses: " + rets);
    }

    @Test
    void shouldGiveEveryKeyItsOwnValidRecipient()
    {
        final RecipientParser parser = new RecipientParser();
        final ParsedRecipient parsed = new ParsedRecipient();
        final Set<String> seen = new HashSet<>();
        for (final long key : new long[]{0, 1, 9_999_999, 10_000_000, 45_454_545, 99_999_999})
        {
            final String recipient = ReplicationFigures.Plan.recipient(key);
            assertNotEquals(ParsedRecipient.INVALID, parser.parse(recipient, parsed), recipient);
            assertTrue(seen.add(recipient), recipient);
        }
    }

    @Test
    void shouldRefuseOptionsOutOfRangeBeforeStartingAnything()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_ERROR, ToolsMain.run(new String[]{"loadtest", "replication", "--changes", "10"},
            print(new ByteArrayOutputStream()), print(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("iys-filter loadtest replication: changes: 10 " +
            "(expected: 1000.."), err.toString(StandardCharsets.UTF_8));
        final ByteArrayOutputStream help = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, ToolsMain.run(new String[]{"loadtest", "replication", "--help"}, print(help),
            print(new ByteArrayOutputStream())));
        assertTrue(help.toString(StandardCharsets.UTF_8).startsWith("usage: iys-filter loadtest replication"),
            help.toString(StandardCharsets.UTF_8));
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
