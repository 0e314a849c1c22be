package io.iysfilter.server.iys;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;

/**
 * Validates one İYS consent record, as the daily file and the change feed carry it, into a {@link ConsentChange}.
 * Not thread-safe: one instance per thread.
 */
public final class ConsentRecordParser
{
    private final RecipientParser recipientParser = new RecipientParser();
    private final ParsedRecipient recipient = new ParsedRecipient();

    /**
     * Validate a record and fill {@code out}.
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
        final String creationDate,
        final String transactionId,
        final String recipientText,
        final String recipientType,
        final String type,
        final String status,
        final String consentDate,
        final String source,
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
        final int statusCode = "ONAY".equals(status) ? ConsentStatus.ONAY :
            "RET".equals(status) ? ConsentStatus.RET : ConsentStatus.NONE;
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
        out.set(brandCode, channel, recipientKind, recipient, statusCode, creationSec, consentSec, sourceCode,
            TransactionIds.digest(transactionId), 0);
        return null;
    }
}
