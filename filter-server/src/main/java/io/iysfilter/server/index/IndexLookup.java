package io.iysfilter.server.index;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentLookup;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;
import net.openhft.chronicle.values.Values;

/**
 * One thread's read access to a {@link ConsentStore}: a reusable key and value instance, so a lookup allocates
 * nothing and takes no lock the writer holds beyond Chronicle's per-segment read lock. {@link #brand(long)} resolves
 * the brand to its {@link BrandView} and keeps it; {@link #status} reads through that view when handed back what
 * {@link #brand(long)} returned, which is what a decision does, and otherwise resolves the brand again by its code.
 */
public final class IndexLookup implements ConsentLookup
{
    private final ConsentStore store;
    private final ConsentKey key = new ConsentKey();
    private final ConsentValue value = Values.newHeapInstance(ConsentValue.class);
    private final EmailKey dealerKey = Values.newHeapInstance(EmailKey.class);
    private final DealerList dealerList = new DealerList();
    private BrandView resolved;
    private BrandView lastView;
    private boolean lastListed;
    private long lastWord0;
    private long lastFetchedMs;

    IndexLookup(final ConsentStore store)
    {
        this.store = store;
    }

    @Override
    public BrandState brand(final long brandCode)
    {
        final BrandView view = store.view(brandCode);
        resolved = view;
        return view;
    }

    @Override
    public int status(
        final BrandState brand, final Channel channel, final RecipientType type, final ParsedRecipient recipient)
    {
        final BrandView view = brand == resolved ? resolved : resolve(brand.brandCode());
        key.set(view.keys(), channel, type, recipient);
        final ConsentValue found = view.record(key, value);
        return found(view, found);
    }

    private int found(final BrandView view, final ConsentValue found)
    {
        lastView = view;
        if (found == null)
        {
            lastListed = false;
            return ConsentStatus.NONE;
        }
        final long word1 = found.getWord1();
        lastWord0 = found.getWord0();
        lastListed = (ConsentValueDescriptor.flags(word1) & ConsentValueDescriptor.FLAG_DEALERS) != 0;
        return ConsentValueDescriptor.status(word1);
    }

    /**
     * {@inheritDoc} Reads the brand's dealer map only when the record found is flagged
     * {@link ConsentValueDescriptor#FLAG_DEALERS}, into this lookup's own list: no allocation.
     */
    @Override
    public boolean dealerListed(final long dealerCode)
    {
        final BrandView view = lastView;
        lastFetchedMs = 0;
        if (!lastListed || view == null)
        {
            return false;
        }
        final boolean listed = view.dealerListed(key, lastWord0, dealerCode, dealerKey, dealerList);
        // the list read is the record's own when its word0 is the record's, whether or not it names the dealer
        lastFetchedMs = dealerList.recordWord0() == lastWord0 ? dealerList.fetchedMs() : 0;
        return listed;
    }

    /**
     * {@inheritDoc} From the list {@link #dealerListed} just read into this lookup's own list.
     */
    @Override
    public long dealerListFetchedMs()
    {
        return lastFetchedMs;
    }

    /**
     * {@inheritDoc} The protected recipient is the key derived for the read ({@link ConsentKey}); the record is the
     * stored value's status, creationDate and transaction id digest ({@link ConsentValueDescriptor}), or none.
     */
    @Override
    public int status(
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final ParsedRecipient recipient,
        final DecisionFacts facts)
    {
        final BrandView view = brand == resolved ? resolved : resolve(brand.brandCode());
        key.set(view.keys(), channel, type, recipient);
        key.protect(facts);
        final ConsentValue found = view.record(key, value);
        final int status = found(view, found);
        if (found == null)
        {
            facts.record(ConsentStatus.NONE, 0, 0);
            return ConsentStatus.NONE;
        }
        final long word0 = found.getWord0();
        final long word1 = found.getWord1();
        facts.record(status, ConsentValueDescriptor.creationSec(word0), ConsentValueDescriptor.txDigest(word0, word1));
        return status;
    }

    /**
     * {@inheritDoc} Fills nothing for a brand damaged beyond opening, which has no keys.
     */
    @Override
    public void protect(
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final ParsedRecipient recipient,
        final DecisionFacts facts)
    {
        final BrandView view = brand == resolved ? resolved : store.view(brand.brandCode());
        if (view != null && view.keys() != null)
        {
            key.set(view.keys(), channel, type, recipient);
            key.protect(facts);
        }
    }

    private BrandView resolve(final long brandCode)
    {
        final BrandView view = store.view(brandCode);
        if (view == null)
        {
            throw new IllegalStateException("no index for brand: brand=" + brandCode);
        }
        resolved = view;
        return view;
    }

    /**
     * Read the stored value of the key a change is about.
     *
     * @param change a change.
     * @param words  receives word0 and word1 when the key holds a record.
     * @return whether the key holds a record.
     */
    public boolean storedValue(final ConsentChange change, final long[] words)
    {
        final BrandView view = store.view(change.brandCode());
        if (view == null)
        {
            return false;
        }
        if (change.keyed())
        {
            key.set(change.keyKind(), change.key0(), change.key1());
        }
        else
        {
            key.set(view.keys(), change.channel(), change.type(), change.recipient());
        }
        final ConsentValue stored = view.value(key, value);
        if (stored == null)
        {
            return false;
        }
        words[0] = stored.getWord0();
        words[1] = stored.getWord1();
        return true;
    }
}
