package io.iysfilter.server.decision;

import org.agrona.DirectBuffer;

/**
 * Everything one thread needs to decide requests: its own index lookup, a recipient parser, the rules, and where
 * its decisions are recorded. Every decision fills this decider's one {@link DecisionFacts} and is recorded
 * ({@link DecisionRecorder#record}) before its answer is returned; the answer's decision id is then
 * {@link #lastDecisionId()}. An ALLOW that could not be recorded becomes DENY {@link Reason#RECEIPT_UNAVAILABLE}
 * unless the recorder's policy serves unrecorded answers. Allocates nothing per decision. Not thread-safe: one per
 * connection or thread.
 */
public final class Decider
{
    private final ConsentFilter filter;
    private final ConsentLookup lookup;
    private final DecisionRecorder recorder;
    private Door namedDoor;
    private String namedName;
    private boolean partyPending;
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient recipient = new ParsedRecipient();
    private final DecisionFacts facts = new DecisionFacts();
    private long lastDecisionId = DecisionRecorder.NOT_RECORDED;

    /**
     * @param filter   the rules.
     * @param lookup   the index as this thread reads it, its own (e.g. a new lookup of the consent store).
     * @param recorder where decisions are recorded: the receipt journal, or {@link DecisionRecorder#NONE}.
     */
    public Decider(final ConsentFilter filter, final ConsentLookup lookup, final DecisionRecorder recorder)
    {
        this.filter = filter;
        this.lookup = lookup;
        this.recorder = recorder;
    }

    /**
     * Name who asks, for the receipts of the decisions that follow: once when a connection starts, and again when
     * it authenticates. The name is numbered by the recorder (a run numbers at most 65,535 names) only at the first
     * decision recorded after it, so a connection that never asks anything takes no number. Allocates nothing when
     * the door and the name are the ones last given, so a caller may give them before every decision.
     *
     * @param door the endpoint.
     * @param name {@code client:<id>} when authenticated, else {@code peer:<ip address>} ({@link #partyName}).
     */
    public void asker(final Door door, final String name)
    {
        if (door != namedDoor || !name.equals(namedName))
        {
            facts.asker(door, 0);
            namedDoor = door;
            namedName = name;
            partyPending = true;
        }
    }

    /**
     * The party name of a receipt (docs/RECEIPTS.md): the client id when the connection is authenticated, else the
     * peer's IP address.
     *
     * @param clientId the authenticated client's id, or null.
     * @param peer     the peer's IP address without its port ({@code FailureLimiter.sourceAddress}).
     * @return {@code client:<id>} or {@code peer:<ip>}.
     */
    public static String partyName(final String clientId, final String peer)
    {
        return clientId != null ? "client:" + clientId : "peer:" + peer;
    }

    /**
     * @param brandCode İYS brand code.
     * @return the brand, or null when there is no index for it.
     */
    public BrandState brand(final long brandCode)
    {
        return lookup.brand(brandCode);
    }

    /**
     * Decide a request whose address is held in a buffer, and record it.
     *
     * @param brandCode the brand asked.
     * @param brand     from {@link #brand(long)}, or null.
     * @param channel   the channel, or null when unknown.
     * @param type      the recipient type, or null when unknown.
     * @param kind      the kind, or null when unknown.
     * @param address   holding the address bytes.
     * @param offset    of the address.
     * @param length    of the address.
     * @param nowMs     current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason decide(
        final long brandCode,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final DirectBuffer address,
        final int offset,
        final int length,
        final long nowMs)
    {
        return decide(brandCode, brand, channel, type, kind, address, offset, length, ConsentFilter.NO_DEALER, nowMs);
    }

    /**
     * Decide a request a dealer may make, whose address is held in a buffer, and record it.
     *
     * @param brandCode  the brand asked.
     * @param brand      from {@link #brand(long)}, or null.
     * @param channel    the channel, or null when unknown.
     * @param type       the recipient type, or null when unknown.
     * @param kind       the kind, or null when unknown.
     * @param address    holding the address bytes.
     * @param offset     of the address.
     * @param length     of the address.
     * @param dealerCode the dealer that sends, or {@link ConsentFilter#NO_DEALER}.
     * @param nowMs      current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason decide(
        final long brandCode,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final DirectBuffer address,
        final int offset,
        final int length,
        final long dealerCode,
        final long nowMs)
    {
        facts.begin(nowMs, brandCode, channel, type, kind).dealer(dealerCode);
        parser.parse(address, offset, length, recipient);
        return record(filter.decide(lookup, brand, channel, type, kind, recipient, dealerCode, nowMs, facts), brand);
    }

    /**
     * Decide a request whose address is text (HTTP, CLI), and record it.
     *
     * @param brandCode the brand asked.
     * @param brand     from {@link #brand(long)}, or null.
     * @param channel   the channel.
     * @param type      the recipient type.
     * @param kind      the kind.
     * @param address   the address.
     * @param nowMs     current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason decide(
        final long brandCode,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final CharSequence address,
        final long nowMs)
    {
        return decide(brandCode, brand, channel, type, kind, address, ConsentFilter.NO_DEALER, nowMs);
    }

    /**
     * Decide a request a dealer may make, whose address is text (HTTP, CLI), and record it.
     *
     * @param brandCode  the brand asked.
     * @param brand      from {@link #brand(long)}, or null.
     * @param channel    the channel.
     * @param type       the recipient type.
     * @param kind       the kind.
     * @param address    the address.
     * @param dealerCode the dealer that sends, or {@link ConsentFilter#NO_DEALER}.
     * @param nowMs      current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason decide(
        final long brandCode,
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final CharSequence address,
        final long dealerCode,
        final long nowMs)
    {
        facts.begin(nowMs, brandCode, channel, type, kind).dealer(dealerCode);
        parser.parse(address, recipient);
        return record(filter.decide(lookup, brand, channel, type, kind, recipient, dealerCode, nowMs, facts), brand);
    }

    /**
     * Record a decision the endpoint made before the rules could be asked (a brand code no brand can have): it is
     * a decision all the same, and gets its receipt and id.
     *
     * @param brandCode the brand asked.
     * @param channel   the channel, or null when unknown.
     * @param type      the recipient type, or null when unknown.
     * @param kind      the kind, or null when unknown.
     * @param reason    the answer, a DENY.
     * @param nowMs     current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason refuse(
        final long brandCode,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final Reason reason,
        final long nowMs)
    {
        return refuse(brandCode, channel, type, kind, ConsentFilter.NO_DEALER, reason, nowMs);
    }

    /**
     * Record a decision the endpoint made before the rules could be asked, for a request that named a dealer: its
     * receipt names the dealer as a decided one's does.
     *
     * @param brandCode  the brand asked.
     * @param channel    the channel, or null when unknown.
     * @param type       the recipient type, or null when unknown.
     * @param kind       the kind, or null when unknown.
     * @param dealerCode the dealer that sends, or {@link ConsentFilter#NO_DEALER}.
     * @param reason     the answer, a DENY.
     * @param nowMs      current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason refuse(
        final long brandCode,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final long dealerCode,
        final Reason reason,
        final long nowMs)
    {
        facts.begin(nowMs, brandCode, channel, type, kind).dealer(dealerCode);
        return record(reason, null);
    }

    /**
     * @return the decision id of the last decision, or {@link DecisionRecorder#NOT_RECORDED}.
     */
    public long lastDecisionId()
    {
        return lastDecisionId;
    }

    /**
     * @return the brand's as-of the last decision was answered with (what its receipt records), 0 when unknown.
     */
    public long lastAsOfMs()
    {
        return facts.asOfMs();
    }

    private Reason record(final Reason reason, final BrandState brand)
    {
        if (partyPending)
        {
            name();
        }
        // an ALLOW whose asker the run cannot name (its 65,535 party numbers are taken, or the name could not be
        // written) would be a receipt that does not say who asked: fail closed unless the policy serves unrecorded
        final Reason answered = facts.party() == 0 && namedDoor != null && reason.allows() &&
            !recorder.allowsUnrecorded() ? Reason.RECEIPT_UNAVAILABLE : reason;
        facts.answer(answered, brand == null ? 0 : brand.asOfMs());
        long id;
        try
        {
            id = recorder.record(facts);
        }
        catch (final RuntimeException ex)
        {
            // a recorder must not throw; if one does, the decision is unrecorded, never an accidental ALLOW
            id = DecisionRecorder.NOT_RECORDED;
        }
        lastDecisionId = id;
        if (id == DecisionRecorder.NOT_RECORDED && answered.allows() && !recorder.allowsUnrecorded())
        {
            return Reason.RECEIPT_UNAVAILABLE;
        }
        return answered;
    }

    /**
     * Number the asker named last, at its first decision.
     */
    private void name()
    {
        partyPending = false;
        int party;
        try
        {
            party = recorder.party(namedDoor, namedName);
        }
        catch (final RuntimeException ex)
        {
            party = 0;
        }
        facts.asker(namedDoor, party);
    }
}
