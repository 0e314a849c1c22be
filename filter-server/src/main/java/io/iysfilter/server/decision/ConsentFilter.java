package io.iysfilter.server.decision;

/**
 * The send-time decision: may this brand send this kind of message on this channel to this recipient now?
 * Pure and allocation-free; thread-safe as long as each thread passes its own {@link ConsentLookup}.
 * <p>
 * Rules, first match wins:
 * <ol>
 *   <li>channel, recipient type or kind not known: DENY / INVALID_REQUEST;</li>
 *   <li>address does not parse, or the channel does not fit it: DENY / INVALID_RECIPIENT;</li>
 *   <li>no index for the brand: DENY / UNKNOWN_BRAND, whatever the kind (a brand this server was never given is
 *   a mistake in the request or the configuration, not something a transactional message may pass over);</li>
 *   <li>TRANSACTIONAL: ALLOW / EXEMPT, whatever the brand's index holds or however it is (damaged, verifying,
 *   stale: a transactional answer reads nothing from it);</li>
 *   <li>the brand's index is damaged or not yet verified: DENY / INDEX_DAMAGED or INDEX_VERIFYING;</li>
 *   <li>the brand's as-of time is unknown or older than its freshness bound: DENY / STALE;</li>
 *   <li>the lookup fails: DENY / LOOKUP_ERROR;</li>
 *   <li>latest record RET: DENY / REJECTED, whoever asks;</li>
 *   <li>latest record ONAY and no dealer named: ALLOW / CONSENT;</li>
 *   <li>latest record ONAY and a dealer named: DENY / INDEX_DAMAGED when the brand's dealer map failed
 *   verification ({@link BrandState#dealerUnreadyReason()}); else DENY / DEALER_ACCESS_UNKNOWN unless the brand's
 *   dealer access is trusted ({@link BrandState#dealerAccessTrusted()}) or the record's list was read from İYS's
 *   access-list call within {@link BrandState#dealerAccessFreshForMs()}; then ALLOW / DEALER_ACCESS when the
 *   record's list names the dealer, else DENY / DEALER_NOT_AUTHORISED (DEALER_ACCESS_UNKNOWN once a list was
 *   dropped for a full dealer map, {@link BrandState#dealerListsDropped()}; a record's own retailerCode grants
 *   nothing: İYS's sources
 *   say access is given through retailerAccess, and none says the collecting dealer has it without);</li>
 *   <li>no record: BIREYSEL (and UNSPECIFIED) DENY / NO_CONSENT; TACIR ALLOW / TACIR_NO_RECORD, or DENY /
 *   NO_CONSENT when the policy requires a record; the same for a dealer (no record means no list to read).</li>
 * </ol>
 * A decision without a dealer ({@link #NO_DEALER}) reads nothing more than it did before dealers were known.
 */
public final class ConsentFilter
{
    /** The dealer code of a request no dealer makes: the brand itself sends. */
    public static final long NO_DEALER = 0;

    private final boolean tacirRequiresRecord;

    /**
     * @param policy the operator's choices.
     */
    public ConsentFilter(final FilterPolicy policy)
    {
        this.tacirRequiresRecord = policy.tacirRequiresRecord();
    }

    /**
     * Decide one message.
     *
     * @param lookup    the calling thread's index access.
     * @param brand     from {@code lookup.brand(code)}, or null when the brand has no index.
     * @param channel   the message's channel, or null when the request named an unknown one.
     * @param type      the recipient type, or null when unknown.
     * @param kind      the message kind, or null when unknown.
     * @param recipient the parsed recipient address.
     * @param nowMs     the current time, milliseconds since the epoch.
     * @return the reason, which implies the verdict.
     */
    public Reason decide(
        final ConsentLookup lookup,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final ParsedRecipient recipient,
        final long nowMs)
    {
        return decide(lookup, brand, channel, type, kind, recipient, nowMs, null);
    }

    /**
     * Decide one message and have the lookup fill what the receipt records of the index: the protected recipient
     * whenever the brand is known and the recipient fits the channel (also when the answer needs no map read), and
     * the record the answer rested on.
     *
     * @param lookup    the calling thread's index access.
     * @param brand     from {@code lookup.brand(code)}, or null when the brand has no index.
     * @param channel   the message's channel, or null when the request named an unknown one.
     * @param type      the recipient type, or null when unknown.
     * @param kind      the message kind, or null when unknown.
     * @param recipient the parsed recipient address.
     * @param nowMs     the current time, milliseconds since the epoch.
     * @param facts     the decision's facts, begun; null to fill none.
     * @return the reason, which implies the verdict.
     */
    public Reason decide(
        final ConsentLookup lookup,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final ParsedRecipient recipient,
        final long nowMs,
        final DecisionFacts facts)
    {
        return decide(lookup, brand, channel, type, kind, recipient, NO_DEALER, nowMs, facts);
    }

    /**
     * Decide one message a dealer may send, and fill the facts as {@link #decide(ConsentLookup, BrandState, Channel,
     * RecipientType, MessageKind, ParsedRecipient, long, DecisionFacts)} does.
     *
     * @param lookup     the calling thread's index access.
     * @param brand      from {@code lookup.brand(code)}, or null when the brand has no index.
     * @param channel    the message's channel, or null when the request named an unknown one.
     * @param type       the recipient type, or null when unknown.
     * @param kind       the message kind, or null when unknown.
     * @param recipient  the parsed recipient address.
     * @param dealerCode the İYS number of the dealer that sends, or {@link #NO_DEALER} when the brand does.
     * @param nowMs      the current time, milliseconds since the epoch.
     * @param facts      the decision's facts, begun; null to fill none.
     * @return the reason, which implies the verdict.
     */
    public Reason decide(
        final ConsentLookup lookup,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final ParsedRecipient recipient,
        final long dealerCode,
        final long nowMs,
        final DecisionFacts facts)
    {
        if (channel == null || type == null || kind == null)
        {
            return Reason.INVALID_REQUEST;
        }
        if (!recipient.fits(channel))
        {
            return Reason.INVALID_RECIPIENT;
        }
        if (brand == null)
        {
            return Reason.UNKNOWN_BRAND;
        }
        final RecipientType effectiveType = type.effective();
        if (kind == MessageKind.TRANSACTIONAL)
        {
            return protect(lookup, brand, channel, effectiveType, recipient, facts, Reason.EXEMPT);
        }
        final Reason unready = brand.unreadyReason();
        if (unready != null)
        {
            return protect(lookup, brand, channel, effectiveType, recipient, facts, unready);
        }
        if (isStale(brand, nowMs))
        {
            return protect(lookup, brand, channel, effectiveType, recipient, facts, Reason.STALE);
        }

        final int status;
        try
        {
            status = facts == null ? lookup.status(brand, channel, effectiveType, recipient) :
                lookup.status(brand, channel, effectiveType, recipient, facts);
        }
        catch (final RuntimeException ex)
        {
            return Reason.LOOKUP_ERROR;
        }

        if (status == ConsentStatus.ONAY)
        {
            return dealerCode == NO_DEALER ? Reason.CONSENT : dealerDecision(lookup, brand, dealerCode, nowMs);
        }
        if (status == ConsentStatus.RET)
        {
            return Reason.REJECTED;
        }
        if (effectiveType == RecipientType.TACIR && !tacirRequiresRecord)
        {
            return Reason.TACIR_NO_RECORD;
        }
        return Reason.NO_CONSENT;
    }

    /**
     * A dealer's check of an ONAY: the record's list decides when the brand trusts the feed's lists, or when the list
     * was read from İYS's access-list call within the brand's {@code dealer-access-fresh-for}; anything else is not
     * known fresh and denies.
     */
    private static Reason dealerDecision(
        final ConsentLookup lookup, final BrandState brand, final long dealerCode, final long nowMs)
    {
        final Reason dealerUnready = brand.dealerUnreadyReason();
        if (dealerUnready != null)
        {
            return dealerUnready;
        }
        final boolean trusted = brand.dealerAccessTrusted();
        final long freshForMs = brand.dealerAccessFreshForMs();
        if (!trusted && freshForMs <= 0)
        {
            return Reason.DEALER_ACCESS_UNKNOWN;
        }
        try
        {
            final boolean listed = lookup.dealerListed(dealerCode);
            if (!trusted)
            {
                final long fetchedMs = lookup.dealerListFetchedMs();
                // a read time past now by more than the clocks may differ is a fault, not a fresher list: taken as
                // read, it would keep the list deciding for longer than the window after the real read
                if (fetchedMs <= 0 || nowMs - fetchedMs > freshForMs || fetchedMs - nowMs > brand.maxFutureSkewMs())
                {
                    return Reason.DEALER_ACCESS_UNKNOWN;
                }
            }
            return listed ? Reason.DEALER_ACCESS :
                brand.dealerListsDropped() ? Reason.DEALER_ACCESS_UNKNOWN : Reason.DEALER_NOT_AUTHORISED;
        }
        catch (final RuntimeException ex)
        {
            return Reason.LOOKUP_ERROR;
        }
    }

    private static Reason protect(
        final ConsentLookup lookup,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final ParsedRecipient recipient,
        final DecisionFacts facts,
        final Reason reason)
    {
        if (facts != null)
        {
            try
            {
                lookup.protect(brand, channel, type, recipient, facts);
            }
            catch (final RuntimeException ex)
            {
                // the answer stands; its receipt names no recipient
                facts.recipient(DecisionFacts.RECIPIENT_NONE, 0, 0);
            }
        }
        return reason;
    }

    /**
     * @param brand a brand.
     * @param nowMs the current time, milliseconds since the epoch.
     * @return whether commercial answers for the brand must be STALE now.
     */
    public static boolean isStale(final BrandState brand, final long nowMs)
    {
        final long boundMs = brand.freshnessBoundMs();
        if (boundMs <= 0)
        {
            return false;
        }
        final long asOfMs = brand.asOfMs();
        return asOfMs == 0 || nowMs - asOfMs > boundMs;
    }
}
