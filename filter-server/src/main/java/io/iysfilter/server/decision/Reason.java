package io.iysfilter.server.decision;

import io.iysfilter.protocol.Verdicts;

/**
 * Why a decision came out as it did. Every reason implies its verdict, so a decision is just a reason.
 * <p>
 * Each constant names its twin in the wire schema, which gives it its code, and takes its verdict from the
 * protocol's one rule ({@link Verdicts}): the declarations below are the one table between the domain and the
 * protocol; {@code WireEnumsTest} checks it both ways.
 */
public enum Reason
{
    /** ALLOW: the latest İYS record for the key is ONAY. */
    CONSENT(io.iysfilter.protocol.codecs.Reason.CONSENT),
    /** ALLOW: a TRANSACTIONAL message needs no consent. */
    EXEMPT(io.iysfilter.protocol.codecs.Reason.EXEMPT),
    /** ALLOW: a TACIR recipient with no record, and the policy does not require one. */
    TACIR_NO_RECORD(io.iysfilter.protocol.codecs.Reason.TACIR_NO_RECORD),
    /** ALLOW: a dealer asked, the latest İYS record is ONAY and its retailerAccess lists the dealer. */
    DEALER_ACCESS(io.iysfilter.protocol.codecs.Reason.DEALER_ACCESS),
    /** DENY: the latest İYS record for the key is RET. */
    REJECTED(io.iysfilter.protocol.codecs.Reason.REJECTED),
    /** DENY: no ONAY is recorded. */
    NO_CONSENT(io.iysfilter.protocol.codecs.Reason.NO_CONSENT),
    /** DENY: the address does not parse, or the channel does not fit it. */
    INVALID_RECIPIENT(io.iysfilter.protocol.codecs.Reason.INVALID_RECIPIENT),
    /** DENY: no index is held for the brand. */
    UNKNOWN_BRAND(io.iysfilter.protocol.codecs.Reason.UNKNOWN_BRAND),
    /** DENY: the brand's data is older than its freshness bound. */
    STALE(io.iysfilter.protocol.codecs.Reason.STALE),
    /** DENY: the request names a channel, recipient type or kind that is not known. */
    INVALID_REQUEST(io.iysfilter.protocol.codecs.Reason.INVALID_REQUEST),
    /** DENY: the index lookup failed. */
    LOOKUP_ERROR(io.iysfilter.protocol.codecs.Reason.LOOKUP_ERROR),
    /**
     * DENY: the brand's index cannot be trusted: a map file failed verification or is missing, recovery after a crash
     * dropped entries, it holds records dated in the future, or an import into it did not finish.
     */
    INDEX_DAMAGED(io.iysfilter.protocol.codecs.Reason.INDEX_DAMAGED),
    /** DENY: the brand's index is still being verified after start-up. */
    INDEX_VERIFYING(io.iysfilter.protocol.codecs.Reason.INDEX_VERIFYING),
    /**
     * DENY: the decision was an ALLOW but could not be recorded in the receipt journal, and the policy refuses
     * unrecorded ALLOWs ({@link DecisionRecorder#allowsUnrecorded()}). Given by the {@link Decider} alone, never by
     * the rules.
     */
    RECEIPT_UNAVAILABLE(io.iysfilter.protocol.codecs.Reason.RECEIPT_UNAVAILABLE),
    /**
     * DENY: a dealer asked, the latest İYS record is ONAY, and its retailerAccess does not list the dealer (or the
     * record carries no list: a consent given to the brand is the dealer's only through access).
     */
    DEALER_NOT_AUTHORISED(io.iysfilter.protocol.codecs.Reason.DEALER_NOT_AUTHORISED),
    /**
     * DENY: a dealer asked and the brand's dealer access is not known fresh: İYS's change feed may not show access
     * granted or removed without a new consent record, so a list read from it may be out of date (docs/INDEX.md,
     * "Dealer decisions").
     */
    DEALER_ACCESS_UNKNOWN(io.iysfilter.protocol.codecs.Reason.DEALER_ACCESS_UNKNOWN);

    private final io.iysfilter.protocol.codecs.Reason wire;
    private final boolean allows;
    private final String verdict;

    Reason(final io.iysfilter.protocol.codecs.Reason wire)
    {
        this.wire = wire;
        this.allows = Verdicts.allows(wire.value());
        this.verdict = Verdicts.verdictOf(wire).name();
    }

    /**
     * @return the wire protocol's twin of this reason.
     */
    public io.iysfilter.protocol.codecs.Reason wire()
    {
        return wire;
    }

    /**
     * @return true for ALLOW, false for DENY.
     */
    public boolean allows()
    {
        return allows;
    }

    /**
     * @return {@code ALLOW} or {@code DENY}.
     */
    public String verdict()
    {
        return verdict;
    }
}
