package io.iysfilter.server.decision;

/**
 * Why a decision came out as it did. Every reason implies its verdict, so a decision is just a reason.
 * Codes match the wire protocol's {@code Reason} enum.
 */
public enum Reason
{
    /** ALLOW: the latest İYS record for the key is ONAY. */
    CONSENT(1, true),
    /** ALLOW: a TRANSACTIONAL message needs no consent. */
    EXEMPT(2, true),
    /** ALLOW: a TACIR recipient with no record, and the policy does not require one. */
    TACIR_NO_RECORD(3, true),
    /** DENY: the latest İYS record for the key is RET. */
    REJECTED(16, false),
    /** DENY: no ONAY is recorded. */
    NO_CONSENT(17, false),
    /** DENY: the address does not parse, or the channel does not fit it. */
    INVALID_RECIPIENT(18, false),
    /** DENY: no index is held for the brand. */
    UNKNOWN_BRAND(19, false),
    /** DENY: the brand's data is older than its freshness bound. */
    STALE(20, false),
    /** DENY: the request names a channel, recipient type or kind that is not known. */
    INVALID_REQUEST(21, false),
    /** DENY: the index lookup failed. */
    LOOKUP_ERROR(22, false),
    /**
     * DENY: the brand's index cannot be trusted: a map file failed verification or is missing, recovery after a crash
     * dropped entries, it holds records dated in the future, or an import into it did not finish.
     */
    INDEX_DAMAGED(23, false),
    /** DENY: the brand's index is still being verified after start-up. */
    INDEX_VERIFYING(24, false);

    private final int code;
    private final boolean allows;

    Reason(final int code, final boolean allows)
    {
        this.code = code;
        this.allows = allows;
    }

    /**
     * @return the stable numeric code, the same on the wire.
     */
    public int code()
    {
        return code;
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
        return allows ? "ALLOW" : "DENY";
    }
}
