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
}
