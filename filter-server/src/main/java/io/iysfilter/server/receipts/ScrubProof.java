package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

/**
 * The summary of one scrub run, proof that a list was checked: what was sent (its digest), what came back (counts
 * by reason), which decisions it was (first and last decision id: every receipt between them from the same party
 * is a row of it) and where they are chained (the day's chain head once the journal covers the last decision).
 *
 * @param runId       the run id: the first decision id of the run.
 * @param client      who ran it: {@code client:<id>} or {@code peer:<address>}.
 * @param inputDigest SHA-256 of the request body as received, lowercase hex.
 * @param rows        rows answered.
 * @param byReason    rows by reason, in the reasons' order; reasons with no row left out.
 * @param firstId     the first decision id.
 * @param lastId      the last decision id.
 * @param startMs     when the run started, epoch milliseconds.
 * @param endMs       when it ended, epoch milliseconds.
 * @param chainHead   the chain head of the last decision's day covering it, lowercase hex; null when the journal
 *                    did not cover it in time.
 * @param headCovers  the greatest decision id the chain head covers.
 * @param headDay     the day whose chain head it is (the day of the run's last decision: the day the run ended, or
 *                    the day before when it ended just after midnight), epoch days; the end day until filed.
 */
public record ScrubProof(
    long runId,
    String client,
    String inputDigest,
    long rows,
    Map<String, Long> byReason,
    long firstId,
    long lastId,
    long startMs,
    long endMs,
    String chainHead,
    long headCovers,
    long headDay)
{
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * @param bytes bytes.
     * @return them as lowercase hex.
     */
    public static String hex(final byte[] bytes)
    {
        final char[] text = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++)
        {
            text[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            text[2 * i + 1] = HEX[bytes[i] & 0xF];
        }
        return new String(text);
    }

    /**
     * @return the UTC day of the run's end, under which its summary is filed.
     */
    public long epochDay()
    {
        return Math.floorDiv(endMs, FoundReceipt.DAY_MS);
    }

    /**
     * @param head   the chain head.
     * @param covers the greatest decision id it covers.
     * @param day    the day whose chain head it is, epoch days.
     * @return this with the day's chain head.
     */
    public ScrubProof withHead(final String head, final long covers, final long day)
    {
        return new ScrubProof(runId, client, inputDigest, rows, byReason, firstId, lastId, startMs, endMs, head,
            covers, day);
    }

    /**
     * @return the summary as a JSON object (one line).
     */
    public String json()
    {
        final StringBuilder json = new StringBuilder(512)
            .append("{\"runId\":\"").append(DecisionIds.text(runId))
            .append("\",\"client\":").append(FoundReceipt.string(client))
            .append(",\"inputSha256\":\"").append(inputDigest)
            .append("\",\"rows\":").append(rows)
            .append(",\"byReason\":{");
        boolean first = true;
        for (final Map.Entry<String, Long> entry : byReason.entrySet())
        {
            json.append(first ? "\"" : ",\"").append(entry.getKey()).append("\":").append(entry.getValue());
            first = false;
        }
        return json.append("},\"firstDecisionId\":\"").append(DecisionIds.text(firstId))
            .append("\",\"lastDecisionId\":\"").append(DecisionIds.text(lastId))
            .append("\",\"started\":\"").append(Instant.ofEpochMilli(startMs))
            .append("\",\"ended\":\"").append(Instant.ofEpochMilli(endMs))
            .append("\",\"day\":\"").append(LocalDate.ofEpochDay(epochDay()))
            .append("\",\"chainHead\":").append(chainHead == null ? "null" : "\"" + chainHead + "\"")
            .append(",\"chainHeadCovers\":\"").append(DecisionIds.text(headCovers))
            .append("\",\"chainHeadDay\":\"").append(LocalDate.ofEpochDay(headDay))
            .append("\"}").toString();
    }
}
