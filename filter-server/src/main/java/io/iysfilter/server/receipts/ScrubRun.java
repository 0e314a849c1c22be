package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Reason;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code /v1/scrub} run as it goes: the SHA-256 of its body as received, its rows counted by reason, its first
 * and last decision ids. Fed by the connection's thread, one row at a time, without allocating; {@link #finish}
 * makes the summary a {@link ScrubProofs} files. Not thread-safe.
 */
public final class ScrubRun
{
    private static final Reason[] REASONS = Reason.values();

    private final MessageDigest digest;
    private final long[] counts = new long[REASONS.length];
    private final String client;
    private final long startMs;
    private long rows;
    private long firstId;
    private long lastId;

    /**
     * @param client  who runs it: {@code client:<id>} or {@code peer:<address>}.
     * @param startMs when it started, epoch milliseconds.
     */
    public ScrubRun(final String client, final long startMs)
    {
        this.client = client;
        this.startMs = startMs;
        try
        {
            digest = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", ex);
        }
    }

    /**
     * @param body bytes of the request body, in the order received; read up to its limit.
     */
    public void onBody(final ByteBuffer body)
    {
        digest.update(body);
    }

    /**
     * @param decisionId the row's decision id, {@link DecisionRecorder#NOT_RECORDED} when not recorded.
     * @param reason     the row's answer.
     */
    public void onRow(final long decisionId, final Reason reason)
    {
        rows++;
        counts[reason.ordinal()]++;
        if (decisionId != DecisionRecorder.NOT_RECORDED)
        {
            if (firstId == 0)
            {
                firstId = decisionId;
            }
            lastId = decisionId;
        }
    }

    /**
     * @return rows answered so far.
     */
    public long rows()
    {
        return rows;
    }

    /**
     * @return the run id: its first recorded decision id, 0 while none is.
     */
    public long runId()
    {
        return firstId;
    }

    /**
     * @param endMs when the run ended, epoch milliseconds.
     * @return its summary, without the chain head (which {@link ScrubProofs} adds once the journal covers it).
     */
    public ScrubProof finish(final long endMs)
    {
        final Map<String, Long> byReason = new LinkedHashMap<>();
        for (int i = 0; i < REASONS.length; i++)
        {
            if (counts[i] > 0)
            {
                byReason.put(REASONS[i].name(), counts[i]);
            }
        }
        return new ScrubProof(firstId, client, ScrubProof.hex(digest.digest()), rows, byReason, firstId, lastId,
            startMs, endMs, null, 0, Math.floorDiv(endMs, FoundReceipt.DAY_MS));
    }
}
