package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;

/**
 * The one rule that ties a reason to its verdict: reason codes 1..15 come with ALLOW, 16 and above with DENY
 * (docs/PROTOCOL.md). Every place that needs a verdict from a reason (the server's decision, its endpoints, the
 * tools) asks here, so the rule is written once, next to the schema that numbers the reasons.
 */
public final class Verdicts
{
    /** The first reason code that comes with DENY; every code from here on denies. */
    public static final int FIRST_DENY_REASON = 16;

    private Verdicts()
    {
    }

    /**
     * @param reasonCode a reason code as on the wire, known or not.
     * @return whether it comes with ALLOW: only 1..15 do; 0, negative and unknown high codes deny.
     */
    public static boolean allows(final int reasonCode)
    {
        return reasonCode > 0 && reasonCode < FIRST_DENY_REASON;
    }

    /**
     * @param reason a wire reason, known or not; {@code SBE_UNKNOWN} and {@code NULL_VAL} deny.
     * @return the verdict that comes with it.
     */
    public static Verdict verdictOf(final Reason reason)
    {
        return allows(reason.value()) ? Verdict.ALLOW : Verdict.DENY;
    }
}
