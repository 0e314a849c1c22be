package io.iysfilter.server.decision;

/**
 * Read-only access to the consent index as a decision sees it. An instance belongs to one thread.
 */
public interface ConsentLookup
{
    /**
     * @param brandCode İYS brand code.
     * @return the brand, or null when there is no index for it.
     */
    BrandState brand(long brandCode);

    /**
     * The one index lookup of a decision.
     *
     * @param brand     what this lookup's {@link #brand(long)} returned (the index resolves it to its read side there,
     *                  once, so that this call need not).
     * @param channel   the message's channel, which fits the recipient.
     * @param type      BIREYSEL or TACIR.
     * @param recipient a valid, normalised recipient.
     * @return a {@link ConsentStatus} constant.
     * @throws RuntimeException when the index cannot be read; the decision becomes LOOKUP_ERROR.
     */
    int status(BrandState brand, Channel channel, RecipientType type, ParsedRecipient recipient);

    /**
     * The one index lookup of a decision that is recorded: as {@link #status(BrandState, Channel, RecipientType,
     * ParsedRecipient)}, and it fills the facts with the protected recipient (the key it derived) and the record it
     * found ({@link DecisionFacts#recipient}, {@link DecisionFacts#record}). This default, for lookups with no keys
     * of their own (tests), records the status alone.
     *
     * @param brand     as for the four-argument form.
     * @param channel   the message's channel, which fits the recipient.
     * @param type      BIREYSEL or TACIR.
     * @param recipient a valid, normalised recipient.
     * @param facts     the decision's facts.
     * @return a {@link ConsentStatus} constant.
     * @throws RuntimeException when the index cannot be read; the decision becomes LOOKUP_ERROR.
     */
    default int status(
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final ParsedRecipient recipient,
        final DecisionFacts facts)
    {
        final int status = status(brand, channel, type, recipient);
        facts.record(status, 0, 0);
        return status;
    }

    /**
     * Fill the facts with the protected recipient of a decision that ends before the lookup (EXEMPT, INDEX_DAMAGED,
     * INDEX_VERIFYING, STALE), so that its receipt can still be found by recipient: the key the lookup would have
     * used. Nothing is read from the maps. This default fills nothing (the receipt names no recipient).
     *
     * @param brand     what this lookup's {@link #brand(long)} returned.
     * @param channel   the message's channel, which fits the recipient.
     * @param type      BIREYSEL or TACIR.
     * @param recipient a valid, normalised recipient.
     * @param facts     the decision's facts.
     */
    default void protect(
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final ParsedRecipient recipient,
        final DecisionFacts facts)
    {
    }

    /**
     * Whether the record the last {@link #status} call of this lookup found lists the dealer in its
     * retailerAccess. At most one more index read, and only when that record carries a dealer list; a record with
     * no list, no record, or a list that belongs to another record of the key answers false. Call it only right
     * after {@code status} on the same thread. This default, for lookups that hold no dealer lists (tests), lists
     * nobody.
     *
     * @param dealerCode the dealer's İYS number, above 0.
     * @return true only when the record found lists the dealer.
     * @throws RuntimeException when the index cannot be read; the decision becomes LOOKUP_ERROR.
     */
    default boolean dealerListed(final long dealerCode)
    {
        return false;
    }

    /**
     * When the list {@link #dealerListed} just read was read from İYS's access-list call: call it right after
     * {@code dealerListed} on the same thread. This default lists nothing so read.
     *
     * @return epoch ms; 0 when the list came with the record from the change feed, or there was none of the record.
     */
    default long dealerListFetchedMs()
    {
        return 0;
    }
}
