package io.iysfilter.server.index;

import io.iysfilter.server.iys.ConsentRecordParser;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Builds changes from İYS record text, through the same validation as the importer.
 */
final class TestChanges
{
    private final ConsentRecordParser parser = new ConsentRecordParser();

    ConsentChange change(final long brand, final String creationDate, final String transactionId,
        final String recipient, final String recipientType, final String type, final String status)
    {
        final ConsentChange change = new ConsentChange();
        final boolean tacir = "TACIR".equals(recipientType);
        final String error = parser.parse(brand, creationDate, transactionId, recipient, recipientType, type, status,
            tacir ? "" : "2020-01-01 00:00:00", tacir ? "" : "HS_WEB", change);
        assertNull(error, error);
        return change;
    }
}
