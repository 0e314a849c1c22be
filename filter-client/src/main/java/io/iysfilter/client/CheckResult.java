package io.iysfilter.client;

import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;

/**
 * The answer to one check.
 *
 * @param verdict ALLOW or DENY.
 * @param reason  why.
 * @param asOfMs  time up to which the brand's data is known complete, epoch milliseconds, 0 when unknown.
 */
public record CheckResult(Verdict verdict, Reason reason, long asOfMs)
{
    /**
     * @return whether the message may be sent.
     */
    public boolean allowed()
    {
        return verdict == Verdict.ALLOW;
    }
}
