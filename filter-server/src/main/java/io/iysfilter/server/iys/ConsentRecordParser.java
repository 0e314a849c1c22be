package io.iysfilter.server.iys;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.DealerList;

/**
 * Validates one İYS consent record, as the daily file and the change feed carry it, into a {@link ConsentChange}.
 * Not thread-safe: one instance per thread.
 */
public final class ConsentRecordParser
{
    /** Largest İYS dealer number we take: the wire carries it as an unsigned 32-bit number. */
    public static final long MAX_DEALER_CODE = 0xFFFF_FFFFL;

    private final RecipientParser recipientParser = new RecipientParser();
    private final ParsedRecipient recipient = new ParsedRecipient();
    private final int[] dealers = new int[DealerList.MAX_DEALERS];

    /**
     * Validate a record that carries no dealer fields (İYS's daily file has none) and fill {@code out}.
     *
     * @param brandCode     İYS brand code the record belongs to.
     * @param creationDate  İYS timestamp.
     * @param transactionId opaque id.
     * @param recipientText phone or e-mail.
     * @param recipientType BIREYSEL or TACIR.
     * @param type          ARAMA, MESAJ or EPOSTA.
     * @param status        ONAY or RET.
     * @param consentDate   İYS timestamp; may be empty for TACIR.
     * @param source        an HS_* or IYS_* value; may be empty for TACIR.
     * @param out           filled when the record is valid.
     * @return null when valid, else why not, naming the field and the offending value.
     */
    public String parse(
        final long brandCode,
        final CharSequence creationDate,
        final CharSequence transactionId,
        final CharSequence recipientText,
        final CharSequence recipientType,
        final CharSequence type,
        final CharSequence status,
        final CharSequence consentDate,
        final CharSequence source,
        final ConsentChange out)
    {
        return parse(brandCode, creationDate, transactionId, recipientText, recipientType, type, status, consentDate,
            source, "", "", out);
    }

    /**
     * Validate a record and fill {@code out}, its dealer fields included (docs/INDEX.md "Dealer decisions"):
     * {@code retailerCode}, the dealer that collected the consent, is checked and not kept (it grants no access);
     * {@code retailerAccess}, the dealers that may use it, becomes the change's dealer list. A RET's dealer fields are
     * neither checked nor kept: a RET denies for everyone, and setting it aside for a field it does not need would
     * lose it.
     *
     * @param brandCode      İYS brand code the record belongs to.
     * @param creationDate   İYS timestamp.
     * @param transactionId  opaque id.
     * @param recipientText  phone or e-mail.
     * @param recipientType  BIREYSEL or TACIR.
     * @param type           ARAMA, MESAJ or EPOSTA.
     * @param status         ONAY or RET.
     * @param consentDate    İYS timestamp; may be empty for TACIR.
     * @param source         an HS_* or IYS_* value; may be empty for TACIR.
     * @param retailerCode   an İYS dealer number, or empty.
     * @param retailerAccess as {@link FlatJson} reads a list ({@code [1,2]}), or empty when the record has none.
     * @param out            filled when the record is valid.
     * @return null when valid, else why not, naming the field and the offending value.
     */
    public String parse(
        final long brandCode,
        final CharSequence creationDate,
        final CharSequence transactionId,
        final CharSequence recipientText,
        final CharSequence recipientType,
        final CharSequence type,
        final CharSequence status,
        final CharSequence consentDate,
        final CharSequence source,
        final CharSequence retailerCode,
        final CharSequence retailerAccess,
        final ConsentChange out)
    {
        final long creationSec = IysTime.parseSeconds(creationDate);
        if (creationSec == IysTime.INVALID)
        {
            return "invalid creationDate: '" + creationDate + "' (expected: YYYY-MM-DD HH:mm:ss)";
        }
        if (transactionId.isEmpty())
        {
            return "missing transactionId";
        }
        final Channel channel = Channel.fromName(type);
        if (channel == null)
        {
            return "invalid type: '" + type + "' (expected: ARAMA, MESAJ or EPOSTA)";
        }
        final RecipientType recipientKind = RecipientType.fromName(recipientType);
        if (recipientKind == null || recipientKind == RecipientType.UNSPECIFIED)
        {
            return "invalid recipientType: '" + recipientType + "' (expected: BIREYSEL or TACIR)";
        }
        final int statusCode = status == null ? ConsentStatus.NONE : "ONAY".contentEquals(status) ? ConsentStatus.ONAY :
            "RET".contentEquals(status) ? ConsentStatus.RET : ConsentStatus.NONE;
        if (statusCode == ConsentStatus.NONE)
        {
            return "invalid status: '" + status + "' (expected: ONAY or RET)";
        }
        if (recipientParser.parse(recipientText, recipient) == ParsedRecipient.INVALID)
        {
            return "invalid recipient: '" + recipientText + "'";
        }
        if (!recipient.fits(channel))
        {
            return "recipient does not fit type: recipient='" + recipientText + "', type=" + type;
        }
        final boolean tacir = recipientKind == RecipientType.TACIR;
        long consentSec = 0;
        if (!consentDate.isEmpty())
        {
            consentSec = IysTime.parseSeconds(consentDate);
            if (consentSec == IysTime.INVALID)
            {
                return "invalid consentDate: '" + consentDate + "' (expected: YYYY-MM-DD HH:mm:ss)";
            }
        }
        else if (!tacir)
        {
            return "missing consentDate (required for BIREYSEL)";
        }
        final int sourceCode = IysSource.code(source);
        if (sourceCode == IysSource.INVALID || sourceCode == IysSource.NONE && !tacir)
        {
            return "invalid source: '" + source + "' (expected: an HS_* or IYS_* value)";
        }
        int dealerCount = 0;
        if (statusCode == ConsentStatus.ONAY)
        {
            if (!retailerCode.isEmpty() && dealerCode(retailerCode, 0, retailerCode.length()) < 0)
            {
                return "invalid retailerCode: '" + retailerCode + "' (expected: an İYS dealer number, 1.." +
                    MAX_DEALER_CODE + ")";
            }
            dealerCount = dealers(retailerAccess);
            if (dealerCount < 0)
            {
                return "invalid retailerAccess: '" + cut(retailerAccess) + "' (expected: a list of at most " +
                    DealerList.MAX_DEALERS + " İYS dealer numbers, 1.." + MAX_DEALER_CODE + ")";
            }
        }
        out.set(brandCode, channel, recipientKind, recipient, statusCode, creationSec, consentSec, sourceCode,
            TransactionIds.digest(transactionId), 0);
        if (dealerCount > 0)
        {
            out.dealers(dealers, dealerCount);
        }
        return null;
    }

    /**
     * @return how many dealers the list names (0 for none or an empty list), or -1 when it is malformed.
     */
    private int dealers(final CharSequence list)
    {
        if (list.isEmpty())
        {
            return 0;
        }
        if (list.length() < 2 || list.charAt(0) != '[' || list.charAt(list.length() - 1) != ']')
        {
            return -1;
        }
        int count = 0;
        int start = 1;
        final int end = list.length() - 1;
        if (start == end)
        {
            return 0;
        }
        while (start <= end)
        {
            int comma = start;
            while (comma < end && list.charAt(comma) != ',')
            {
                comma++;
            }
            final long code = dealerCode(list, start, comma);
            if (code < 0 || count == DealerList.MAX_DEALERS)
            {
                return -1;
            }
            dealers[count++] = (int)code;
            start = comma + 1;
        }
        return count;
    }

    /**
     * @return the dealer number the digits from start to end spell, 1..2^32-1, or -1 when they spell none.
     */
    private static long dealerCode(final CharSequence text, final int start, final int end)
    {
        if (end - start < 1 || end - start > 10)
        {
            return -1;
        }
        long value = 0;
        for (int i = start; i < end; i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value >= 1 && value <= MAX_DEALER_CODE ? value : -1;
    }

    private static String cut(final CharSequence text)
    {
        return text.length() <= 80 ? text.toString() : text.subSequence(0, 80) + "…";
    }
}
