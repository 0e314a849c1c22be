package io.iysfilter.server.index;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentLookup;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.values.Values;

/**
 * One thread's read access to a {@link ConsentStore}: reusable key and value instances, so a lookup allocates
 * nothing and takes no lock the writer holds beyond Chronicle's per-segment read lock.
 */
public final class IndexLookup implements ConsentLookup
{
    private final ConsentStore store;
    private final LongValue phoneKey = Values.newHeapInstance(LongValue.class);
    private final EmailKey emailKey = Values.newHeapInstance(EmailKey.class);
    private final ConsentValue value = Values.newHeapInstance(ConsentValue.class);
    private final Murmur3 hasher = new Murmur3();
    private boolean phone;

    IndexLookup(final ConsentStore store)
    {
        this.store = store;
    }

    @Override
    public BrandState brand(final long brandCode)
    {
        return store.brand(brandCode);
    }

    @Override
    public int status(
        final BrandState brand, final Channel channel, final RecipientType type, final ParsedRecipient recipient)
    {
        final BrandIndex index = (BrandIndex)brand;
        prepareKey(index, channel, type, recipient);
        return index.status(this);
    }

    private void prepareKey(
        final BrandIndex index, final Channel channel, final RecipientType type, final ParsedRecipient recipient)
    {
        phone = recipient.kind() == ParsedRecipient.PHONE;
        if (phone)
        {
            phoneKey.setValue(ConsentKeyDescriptor.phoneKey(channel, type, recipient.phoneDigits()));
        }
        else
        {
            ConsentKeyDescriptor.emailKey(emailKey, hasher, index.hashSeed(), type, recipient.emailBuffer(), 0,
                recipient.emailLength());
        }
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
        final BrandIndex index = store.brand(change.brandCode());
        if (index == null)
        {
            return false;
        }
        prepareKey(index, change.channel(), change.type(), change.recipient());
        final ConsentValue stored = phone ? index.phoneValue(phoneKey, value) : index.emailValue(emailKey, value);
        if (stored == null)
        {
            return false;
        }
        words[0] = stored.getWord0();
        words[1] = stored.getWord1();
        return true;
    }

    boolean isPhone()
    {
        return phone;
    }

    LongValue phoneKey()
    {
        return phoneKey;
    }

    EmailKey emailKey()
    {
        return emailKey;
    }

    ConsentValue value()
    {
        return value;
    }
}
