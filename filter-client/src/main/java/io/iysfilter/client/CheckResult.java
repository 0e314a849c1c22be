package io.iysfilter.client;

import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;

/**
 * The answer to one check.
 *
 * @param verdict    ALLOW or DENY.
 * @param reason     why.
 * @param asOfMs     time up to which the brand's data is known complete, epoch milliseconds, 0 when unknown.
 * @param decisionId the decision's id in the server's receipt journal (protocol version 3, docs/PROTOCOL.md §4):
 *                   unsigned 64 bits, run &lt;&lt; 48 | sequence; 0 when it was not recorded or the server predates
 *                   version 3.
 */
public record CheckResult(Verdict verdict, Reason reason, long asOfMs, long decisionId)
{
    /**
     * An answer without a decision id, as a server before protocol version 3 gives it.
     *
     * @param verdict ALLOW or DENY.
     * @param reason  why.
     * @param asOfMs  time up to which the brand's data is known complete, epoch milliseconds, 0 when unknown.
     */
    public CheckResult(final Verdict verdict, final Reason reason, final long asOfMs)
    {
        this(verdict, reason, asOfMs, 0);
    }

    /**
     * @return whether the message may be sent.
     */
    public boolean allowed()
    {
        return verdict == Verdict.ALLOW;
    }

    /**
     * @return the decision id as the server writes it in text: 16 lowercase hex digits, {@code 0000000000000000}
     * when not recorded.
     */
    public String decisionIdText()
    {
        final String hex = Long.toHexString(decisionId);
        return "0".repeat(16 - hex.length()) + hex;
    }
}
