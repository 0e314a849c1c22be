package io.iysfilter.server.index;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;

import java.util.HashMap;
import java.util.Map;

/**
 * The protected recipient of a receipt, computed away from a running server (the {@code receipts find} command):
 * the brand's index key of the recipient, derived from the data directory's {@link IndexKey} by the same rule the
 * index and the {@link IndexLookup} of a decision use ({@link ConsentKey}), so that a receipt is found by the key it
 * recorded and the recipient is never written in plain. The recipient type is taken as a decision takes it
 * ({@link RecipientType#effective()}: UNSPECIFIED is BIREYSEL).
 * <p>
 * Each brand's keys are derived once and kept. Not thread-safe.
 */
public final class RecipientProtection
{
    private final IndexKey indexKey;
    private final Map<Long, BrandKeys> brands = new HashMap<>();
    private final ConsentKey key = new ConsentKey();

    private RecipientProtection(final IndexKey indexKey)
    {
        this.indexKey = indexKey;
    }

    /**
     * @param key the data directory's index key (its key file).
     * @return a protection under that key.
     */
    public static RecipientProtection of(final IndexKey key)
    {
        return new RecipientProtection(key);
    }

    /**
     * Fill the facts' recipient ({@link DecisionFacts#recipient}) as a decision of the brand would have: a phone
     * key or an e-mail key, or {@link DecisionFacts#RECIPIENT_NONE} when the recipient is not valid, does not fit
     * the channel, or the channel or type is missing.
     *
     * @param brandCode İYS brand code.
     * @param channel   the channel asked.
     * @param type      the recipient type asked.
     * @param recipient the parsed recipient.
     * @param facts     receives the protected recipient.
     */
    public void protect(
        final long brandCode,
        final Channel channel,
        final RecipientType type,
        final ParsedRecipient recipient,
        final DecisionFacts facts)
    {
        if (channel == null || type == null || !recipient.fits(channel))
        {
            facts.recipient(DecisionFacts.RECIPIENT_NONE, 0, 0);
            return;
        }
        final BrandKeys keys = brands.computeIfAbsent(brandCode, indexKey::brandKeys);
        key.set(keys, channel, type.effective(), recipient);
        key.protect(facts);
    }
}
