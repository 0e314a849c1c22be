package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.receipts.FlagsDecoder;
import io.iysfilter.protocol.receipts.ReceiptDecoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.Reason;

import java.time.Instant;
import java.time.LocalDate;

/**
 * One receipt as a search returns it, decoded from its 52 bytes (48 before receipt schema version 3), with its party
 * named.
 *
 * @param decisionId     the decision id.
 * @param epochDay       the UTC day the journal files it under.
 * @param timeMs         when it was decided, epoch milliseconds; when {@code refiled}, the first millisecond of the
 *                       day it was filed under instead (the decision was before that, its own time is not kept).
 * @param door           the endpoint, null for a code this build does not know.
 * @param party          who asked: {@code client:<id>} or {@code peer:<address>}; null when not named.
 * @param brandCode      the brand asked.
 * @param channel        the channel asked, null when not understood.
 * @param tacir          whether the recipient type asked was TACIR.
 * @param transactional  whether the kind asked was TRANSACTIONAL.
 * @param requestInvalid whether the channel, type or kind asked was not understood.
 * @param reasonCode     the answer's wire code.
 * @param asOfMs         the brand's as-of when answered, epoch milliseconds; 0 when unknown (always when
 *                       {@code refiled}: it is kept as a lag behind the decision's time, which is lost then).
 * @param recordStatus   {@code ONAY}, {@code RET}, or null when the index held no record.
 * @param recordCreation the record's creationDate, epoch seconds (0 without a record).
 * @param recordTx       the record's 48-bit transaction id digest (0 without a record).
 * @param refiled        whether the journal filed it under a later day than its own because its own day was already
 *                       closed (a race past midnight, a clock stepped back): {@code timeMs} is then not its time.
 * @param dealerCode     the İYS dealer code the request named as the sender, 0 when none was named (the brand itself
 *                       sends), {@link #DEALER_UNKNOWN} for a receipt written before receipts named the dealer
 *                       (receipt schema version 3), or by such a build and replayed from its queue.
 */
public record FoundReceipt(
    long decisionId,
    long epochDay,
    long timeMs,
    Door door,
    String party,
    long brandCode,
    Channel channel,
    boolean tacir,
    boolean transactional,
    boolean requestInvalid,
    int reasonCode,
    long asOfMs,
    String recordStatus,
    long recordCreation,
    long recordTx,
    boolean refiled,
    long dealerCode)
{
    /** {@link #dealerCode()} of a receipt written before receipts named the dealer: it does not say. */
    public static final long DEALER_UNKNOWN = -1;
    /** Milliseconds in a UTC day. */
    public static final long DAY_MS = 86_400_000L;
    /** {@code asOfLag} when the as-of was unknown or further back than it holds. */
    public static final long AS_OF_UNKNOWN = 0xFFFF_FFFFL;
    /** The CSV header of {@link #csv()}. */
    public static final String CSV_HEADER = "decisionId,time,day,door,party,brand,channel,recipientType,kind," +
        "verdict,reason,asOf,recordStatus,recordCreationDate,recordTxDigest,refiled,dealer";
    /** What stands for the record when the index held none for the key. */
    public static final String NO_RECORD = "no record";

    private static final Reason[] REASONS_BY_CODE = new Reason[256];

    static
    {
        for (final Reason reason : Reason.values())
        {
            REASONS_BY_CODE[reason.wire().value()] = reason;
        }
    }

    /**
     * Decode one receipt.
     *
     * @param receipt  wrapped over it.
     * @param epochDay the day it is filed under.
     * @param party    the name of its party, or null.
     * @return it.
     */
    static FoundReceipt decode(final ReceiptDecoder receipt, final long epochDay, final String party)
    {
        final long id = receipt.decisionId();
        final long timeMs = epochDay * DAY_MS + receipt.dayMillis();
        final long lag = receipt.asOfLag();
        final FlagsDecoder flags = receipt.flags();
        final boolean refiled = flags.refiled();
        long tx = 0;
        for (int i = ReceiptDecoder.recordTxLength() - 1; i >= 0; i--)
        {
            tx = tx << 8 | receipt.recordTx(i);
        }
        final Door door = door(receipt.doorRaw());
        final int channelCode = receipt.channelRaw();
        return new FoundReceipt(id, epochDay, timeMs, door, party, receipt.brand(),
            channelCode == 0 ? null : channel(channelCode), flags.tacir(), flags.transactional(),
            flags.requestInvalid(), receipt.reason(), refiled || lag == AS_OF_UNKNOWN ? 0 : timeMs - lag,
            flags.recordRet() ? "RET" : flags.recordOnay() ? "ONAY" : null, receipt.recordCreation(), tx, refiled,
            receipt.actingVersion() < ReceiptDecoder.dealerSinceVersion() || flags.dealerUnknown() ? DEALER_UNKNOWN :
            receipt.dealer());
    }

    private static Door door(final int code)
    {
        for (final Door door : Door.values())
        {
            if (door.code() == code)
            {
                return door;
            }
        }
        return null;
    }

    private static Channel channel(final int code)
    {
        for (final Channel channel : Channel.values())
        {
            if (channel.code() == code)
            {
                return channel;
            }
        }
        return null;
    }

    /**
     * @return the answer's name ({@code CONSENT}, {@code REJECTED}, …), or {@code CODE_<n>} for a code this build
     *         does not know.
     */
    public String reasonName()
    {
        final Reason reason = REASONS_BY_CODE[reasonCode & 0xFF];
        return reason != null ? reason.name() : "CODE_" + reasonCode;
    }

    /**
     * @return {@code ALLOW} or {@code DENY}.
     */
    public String verdict()
    {
        return Verdicts.allows(reasonCode) ? "ALLOW" : "DENY";
    }

    /**
     * @return the recipient type asked, null when the request was not understood.
     */
    public String recipientType()
    {
        return requestInvalid ? null : tacir ? "TACIR" : "BIREYSEL";
    }

    /**
     * @return the kind asked, null when the request was not understood.
     */
    public String kind()
    {
        return requestInvalid ? null : transactional ? "TRANSACTIONAL" : "COMMERCIAL";
    }

    /**
     * @return the record's transaction id digest as 12 lowercase hex digits.
     */
    public String recordTxText()
    {
        final String hex = Long.toHexString(recordTx);
        return "0".repeat(12 - hex.length()) + hex;
    }

    /**
     * @return this receipt as a JSON object.
     */
    public String json()
    {
        final StringBuilder json = new StringBuilder(400)
            .append("{\"decisionId\":\"").append(DecisionIds.text(decisionId))
            .append("\",\"time\":\"").append(Instant.ofEpochMilli(timeMs))
            .append("\",\"day\":\"").append(LocalDate.ofEpochDay(epochDay))
            .append("\",\"door\":").append(string(door == null ? null : door.name()))
            .append(",\"party\":").append(string(party))
            .append(",\"brand\":").append(brandCode)
            .append(",\"channel\":").append(string(channel == null ? null : channel.name()))
            .append(",\"recipientType\":").append(string(recipientType()))
            .append(",\"kind\":").append(string(kind()))
            .append(",\"verdict\":\"").append(verdict())
            .append("\",\"reason\":\"").append(reasonName())
            .append("\",\"asOf\":").append(asOfMs == 0 ? "null" : "\"" + Instant.ofEpochMilli(asOfMs) + "\"")
            .append(",\"record\":");
        if (recordStatus == null)
        {
            json.append('"').append(NO_RECORD).append('"');
        }
        else
        {
            json.append("{\"status\":\"").append(recordStatus)
                .append("\",\"creationDate\":\"").append(Instant.ofEpochSecond(recordCreation))
                .append("\",\"txDigest\":\"").append(recordTxText()).append("\"}");
        }
        return json.append(",\"refiled\":").append(refiled)
            .append(",\"dealer\":").append(dealerCode == DEALER_UNKNOWN ? "null" : Long.toString(dealerCode))
            .append('}').toString();
    }

    /**
     * @return this receipt as a CSV row under {@link #CSV_HEADER}, without its line end.
     */
    public String csv()
    {
        return DecisionIds.text(decisionId) + ',' + Instant.ofEpochMilli(timeMs) + ',' +
            LocalDate.ofEpochDay(epochDay) + ',' +
            (door == null ? "" : door.name()) + ',' + csvField(party) + ',' + brandCode + ',' +
            (channel == null ? "" : channel.name()) + ',' + (requestInvalid ? "" : recipientType()) + ',' +
            (requestInvalid ? "" : kind()) + ',' + verdict() + ',' + reasonName() + ',' +
            (asOfMs == 0 ? "" : Instant.ofEpochMilli(asOfMs).toString()) + ',' +
            (recordStatus == null ? NO_RECORD + ",," : recordStatus + ',' + Instant.ofEpochSecond(recordCreation) +
            ',' + recordTxText()) + ',' + refiled + ',' + (dealerCode == DEALER_UNKNOWN ? "" : dealerCode);
    }

    /**
     * @param value a text, or null.
     * @return it as a JSON string (quoted, quotes, backslashes and control characters escaped), or {@code null}.
     */
    public static String string(final String value)
    {
        if (value == null)
        {
            return "null";
        }
        final StringBuilder json = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (c == '"' || c == '\\')
            {
                json.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                json.append(String.format("\\u%04x", (int)c));
            }
            else
            {
                json.append(c);
            }
        }
        return json.append('"').toString();
    }

    /**
     * @param value a text, or null.
     * @return it as a CSV field: quoted when it holds a comma, a quote or a line end.
     */
    static String csvField(final String value)
    {
        if (value == null)
        {
            return "";
        }
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0)
        {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
