package io.iysfilter.emulator;

import java.util.List;

/**
 * One consent movement as İYS's change feed shows it.
 *
 * @param creationMs    when İYS stored it, epoch milliseconds.
 * @param transactionId 64 hex digits.
 * @param recipient     phone (E.164) or e-mail.
 * @param recipientType BIREYSEL or TACIR.
 * @param type          ARAMA, MESAJ or EPOSTA.
 * @param status        ONAY or RET.
 * @param consentMs     consentDate, epoch milliseconds.
 * @param source        HS_* or IYS_*.
 * @param retailerCode  İYS number of the dealer that collected the consent, or null when none.
 * @param retailerAccess İYS numbers of the dealers that may use it, or null when the record has no list.
 */
public record Change(
    long creationMs,
    String transactionId,
    String recipient,
    String recipientType,
    String type,
    String status,
    long consentMs,
    String source,
    Long retailerCode,
    List<Long> retailerAccess)
{
    /**
     * A movement with no dealer fields.
     *
     * @param creationMs    when İYS stored it, epoch milliseconds.
     * @param transactionId 64 hex digits.
     * @param recipient     phone (E.164) or e-mail.
     * @param recipientType BIREYSEL or TACIR.
     * @param type          ARAMA, MESAJ or EPOSTA.
     * @param status        ONAY or RET.
     * @param consentMs     consentDate, epoch milliseconds.
     * @param source        HS_* or IYS_*.
     */
    public Change(
        final long creationMs,
        final String transactionId,
        final String recipient,
        final String recipientType,
        final String type,
        final String status,
        final long consentMs,
        final String source)
    {
        this(creationMs, transactionId, recipient, recipientType, type, status, consentMs, source, null, null);
    }

    String cursor()
    {
        return creationMs + "_" + transactionId;
    }
}
