package io.iysfilter.emulator;

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
 */
public record Change(
    long creationMs,
    String transactionId,
    String recipient,
    String recipientType,
    String type,
    String status,
    long consentMs,
    String source)
{
    String cursor()
    {
        return creationMs + "_" + transactionId;
    }
}
