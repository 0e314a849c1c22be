package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * A search's answer as JSON or CSV, the same for {@code receipts find} and {@code GET /v1/receipts}: the receipts
 * found, and every day searched with its digest (the root of a closed day, the chain head of the open one), so that
 * even an empty answer names what it was read from.
 *
 * @param query    what was asked.
 * @param receipts what was found, in journal order.
 * @param days     the days searched.
 */
public record ReceiptResults(ReceiptQuery query, List<FoundReceipt> receipts, List<ReceiptSearch.DaySearched> days)
{
    /** The CSV header: a receipt's fields, then its day's digest and whether that is the closed day's root. */
    public static final String CSV_HEADER = FoundReceipt.CSV_HEADER + ",dayDigest,dayClosed";

    /**
     * @return the answer as one JSON object: {@code brand}, {@code from}, {@code to}, {@code count},
     *         {@code receipts} and {@code days}.
     */
    public String json()
    {
        final StringBuilder json = new StringBuilder(256 + receipts.size() * 400)
            .append("{\"brand\":").append(query.brandCode())
            .append(",\"from\":").append(bound(query.fromMs(), Long.MIN_VALUE))
            .append(",\"to\":").append(bound(query.toMs(), Long.MAX_VALUE))
            .append(",\"count\":").append(receipts.size())
            .append(",\"receipts\":[");
        for (int i = 0; i < receipts.size(); i++)
        {
            json.append(i == 0 ? "" : ",").append(receipts.get(i).json());
        }
        json.append("],\"days\":[");
        for (int i = 0; i < days.size(); i++)
        {
            final ReceiptSearch.DaySearched day = days.get(i);
            final ReceiptSource.DayDigest digest = day.digest();
            json.append(i == 0 ? "" : ",")
                .append("{\"day\":\"").append(LocalDate.ofEpochDay(digest.epochDay()))
                .append("\",\"closed\":").append(digest.closed())
                .append(digest.closed() ? ",\"root\":" : ",\"head\":")
                .append(digest.hex() == null ? "null" : "\"" + digest.hex() + "\"")
                .append(",\"covers\":\"").append(DecisionIds.text(digest.covers()))
                .append("\",\"matches\":").append(day.matches()).append('}');
        }
        return json.append("]}").toString();
    }

    /**
     * @return the answer as CSV: {@link #CSV_HEADER}, then a row per receipt, each line ended by {@code \n}.
     */
    public String csv()
    {
        final StringBuilder csv = new StringBuilder(CSV_HEADER.length() + 1 + receipts.size() * 250)
            .append(CSV_HEADER).append('\n');
        for (final FoundReceipt receipt : receipts)
        {
            final ReceiptSource.DayDigest digest = digestOf(receipt.epochDay());
            csv.append(receipt.csv()).append(',')
                .append(digest == null || digest.hex() == null ? "" : digest.hex()).append(',')
                .append(digest != null && digest.closed()).append('\n');
        }
        return csv.toString();
    }

    private ReceiptSource.DayDigest digestOf(final long epochDay)
    {
        for (final ReceiptSearch.DaySearched day : days)
        {
            if (day.digest().epochDay() == epochDay)
            {
                return day.digest();
            }
        }
        return null;
    }

    private static String bound(final long ms, final long none)
    {
        return ms == none ? "null" : "\"" + Instant.ofEpochMilli(ms) + "\"";
    }
}
