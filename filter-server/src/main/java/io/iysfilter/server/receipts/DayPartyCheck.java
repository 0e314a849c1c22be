package io.iysfilter.server.receipts;

import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What verification asks of one day's {@code PARTIES} entries and of its version 4 receipts (docs/RECEIPTS.md,
 * "Verification"): that they say what the journal writes and nothing a reader could take two ways. The journal names
 * a party at most once a day; it numbers the day's (run, party, dealer) triples 1, 2, 3, … in the order it meets
 * them, each triple once, each after its party was named (party 0, unknown, has no name); and a receipt names 0
 * (unknown) or a day party numbered before it, of its own decision id's run. A journal that breaks any of these can
 * still link and digest correctly (a tamperer who recomputes the digests), and a search would then name the wrong,
 * or an unknown, party or dealer.
 * <p>
 * One day at a time: {@link #reset} before each. Primitive collections, reused from day to day: a day of many
 * triples costs their table, not an object each. On a refusal {@link #expected} and {@link #found} say what the day
 * called for and what was there. What it accepted, a reader may resolve: {@link #run}, {@link #party} and
 * {@link #dealer} of a day party numbered so far (verification and a search read a day by the same rules, so that a
 * search never names a party or dealer that verification would refuse).
 */
final class DayPartyCheck implements BlockCursor.PartyEntries
{
    private static final String ALTERED = " (a PARTIES entry repeated, removed or altered?)";

    private final IntHashSet named = new IntHashSet();
    private final Long2LongHashMap numbered = new Long2LongHashMap(0);
    /**
     * The (run, party, dealer) triple of each day party numbered, at index day party - 1: day parties are numbered
     * without a gap.
     */
    private final LongArrayList triples = new LongArrayList();
    String expected = "";
    String found = "";

    /**
     * Start a day: nothing named, nothing numbered.
     */
    void reset()
    {
        named.clear();
        numbered.clear();
        triples.clear();
        expected = "";
        found = "";
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String name(final int run, final int party, final UnsafeBuffer buffer, final int nameOffset,
        final int nameLength)
    {
        if (!named.add(run << 16 | party))
        {
            expected = "run " + run + " party " + party + " named once a day";
            found = "named again";
            return "a party named twice in the day" + ALTERED;
        }
        return null;
    }

    /**
     * {@inheritDoc}
     */
    @Override
    public String dayParty(final int dayParty, final int run, final int party, final long dealer)
    {
        final int next = triples.size() + 1;
        if (dayParty != next)
        {
            expected = "day party " + next;
            found = "day party " + dayParty;
            return (dayParty < next ? "a day party numbered twice" : "day parties skipped") + ALTERED;
        }
        final long triple = (long)run << 48 | (long)party << 32 | dealer;
        final long earlier = numbered.get(triple);
        if (earlier != 0)
        {
            expected = "run " + run + " party " + party + " dealer " + dealer + " numbered once, as day party " +
                earlier;
            found = "numbered again as day party " + dayParty;
            return "a (run, party, dealer) numbered twice in the day" + ALTERED;
        }
        if (party != 0 && !named.contains(run << 16 | party))
        {
            expected = "run " + run + " party " + party + " named before day party " + dayParty;
            found = "not named";
            return "a day party of a party the day has not named" + ALTERED;
        }
        numbered.put(triple, dayParty);
        triples.addLong(triple);
        return null;
    }

    /**
     * @param dayParty the day party a version 4 receipt names.
     * @param run      the run of its decision id.
     * @return null when it is 0 (unknown) or a day party numbered so far of that run, else what is wrong (with
     *     {@link #expected} and {@link #found}).
     */
    String receipt(final int dayParty, final int run)
    {
        if (dayParty == 0)
        {
            return null;
        }
        if (dayParty > triples.size())
        {
            expected = triples.isEmpty() ? "day party 0 (none numbered yet)" : "day party 0.." + triples.size();
            found = "day party " + dayParty;
            return "a receipt names a day party the day has not numbered before it";
        }
        final int numberedRun = run(dayParty);
        if (numberedRun != run)
        {
            expected = "a day party of run " + run;
            found = "day party " + dayParty + " of run " + numberedRun;
            return "a receipt names a day party of another run than its decision id's";
        }
        return null;
    }

    /**
     * @param dayParty a day party from 1 to those numbered so far (one {@link #receipt} accepted).
     * @return the run it was numbered for.
     */
    int run(final int dayParty)
    {
        return (int)(triples.getLong(dayParty - 1) >>> 48);
    }

    /**
     * @param dayParty a day party from 1 to those numbered so far (one {@link #receipt} accepted).
     * @return the party, within its run, it was numbered for.
     */
    int party(final int dayParty)
    {
        return (int)(triples.getLong(dayParty - 1) >>> 32) & 0xFFFF;
    }

    /**
     * @param dayParty a day party from 1 to those numbered so far (one {@link #receipt} accepted).
     * @return the dealer it was numbered for, 0 for the brand itself.
     */
    long dealer(final int dayParty)
    {
        return triples.getLong(dayParty - 1) & 0xFFFF_FFFFL;
    }
}
