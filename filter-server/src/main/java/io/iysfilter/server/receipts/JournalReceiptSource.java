package io.iysfilter.server.receipts;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The journal's files as a {@link ReceiptSource}: reads through the journal's reader.
 */
public final class JournalReceiptSource
{
    private JournalReceiptSource()
    {
    }

    /**
     * @param directory the receipts directory.
     * @return the journal in it, for reading.
     * @throws IOException when it cannot be opened.
     */
    public static ReceiptSource open(final Path directory) throws IOException
    {
        // replaced by the journal's reader once the format lands
        throw new UnsupportedOperationException("the journal's reader has not landed yet");
    }
}
