package io.iysfilter.server.index;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.values.Values;

/**
 * The key of one consent in a brand's maps, derived from the channel, the recipient type and the recipient by the
 * one rule both sides use ({@link ConsentKeyDescriptor}): readers ({@link IndexLookup}) and the writer
 * ({@link StoreWriter}) each own one and refill it for every key, so deriving it allocates nothing.
 * Not thread-safe.
 */
final class ConsentKey
{
    private final LongValue phoneKey = Values.newHeapInstance(LongValue.class);
    private final EmailKey emailKey = Values.newHeapInstance(EmailKey.class);
    private final SipHash hasher = new SipHash();
    private boolean phone;

    /**
     * Derive the key.
     *
     * @param keys      the brand's keys.
     * @param channel   the channel, which fits the recipient: a phone channel makes a phone key.
     * @param type      BIREYSEL or TACIR.
     * @param recipient a valid, normalised recipient.
     */
    void set(final BrandKeys keys, final Channel channel, final RecipientType type, final ParsedRecipient recipient)
    {
        phone = channel.isPhone();
        if (phone)
        {
            phoneKey.setValue(ConsentKeyDescriptor.storedPhoneKey(keys, channel, type, recipient.phoneDigits()));
        }
        else
        {
            ConsentKeyDescriptor.emailKey(emailKey, hasher, keys, type, recipient.emailBuffer(), 0,
                recipient.emailLength());
        }
    }

    /**
     * Take a key already derived (a replica's change from the topic).
     *
     * @param keyKind {@link ConsentChange#KEY_PHONE} or {@link ConsentChange#KEY_EMAIL}.
     * @param key0    the phone key, or the e-mail key's high word.
     * @param key1    the e-mail key's low word, else ignored.
     */
    void set(final int keyKind, final long key0, final long key1)
    {
        phone = keyKind == ConsentChange.KEY_PHONE;
        if (phone)
        {
            phoneKey.setValue(key0);
        }
        else
        {
            emailKey.setHigh(key0);
            emailKey.setLow(key1);
        }
    }

    /**
     * Tell a change the key it is stored under.
     *
     * @param change the change just keyed from its recipient.
     */
    void describe(final ConsentChange change)
    {
        if (phone)
        {
            change.derivedKey(ConsentChange.KEY_PHONE, phoneKey.getValue(), 0);
        }
        else
        {
            change.derivedKey(ConsentChange.KEY_EMAIL, emailKey.getHigh(), emailKey.getLow());
        }
    }

    /**
     * @return whether the key is a phone key ({@link #phoneKey()}), else an e-mail key ({@link #emailKey()}).
     */
    boolean isPhone()
    {
        return phone;
    }

    /**
     * Hand the key just derived to a decision's facts as its protected recipient: the phone key's one word, or the
     * e-mail key's two (h1, then h2 with the type).
     *
     * @param facts the decision's facts.
     */
    void protect(final DecisionFacts facts)
    {
        if (phone)
        {
            facts.recipient(DecisionFacts.RECIPIENT_PHONE, phoneKey.getValue(), 0);
        }
        else
        {
            facts.recipient(DecisionFacts.RECIPIENT_EMAIL, emailKey.getHigh(), emailKey.getLow());
        }
    }

    /**
     * Fill the dealer map's key of this key: an e-mail key as it is, a phone key as the high word over 0 (no e-mail
     * key has 0 in its low 2 bits, so the two never meet).
     *
     * @param into the dealer key to fill.
     */
    void dealerKey(final EmailKey into)
    {
        if (phone)
        {
            into.setHigh(phoneKey.getValue());
            into.setLow(0);
        }
        else
        {
            into.setHigh(emailKey.getHigh());
            into.setLow(emailKey.getLow());
        }
    }

    LongValue phoneKey()
    {
        return phoneKey;
    }

    EmailKey emailKey()
    {
        return emailKey;
    }
}
