package io.iysfilter.server.receipts;

import io.iysfilter.server.index.IndexKey;

/**
 * The brand's keying of recipients from a data directory's index key, as the index keys them.
 */
public final class RecipientKeys
{
    private RecipientKeys()
    {
    }

    /**
     * @param key the data directory's index key.
     * @return the keying a search uses.
     */
    public static ReceiptSearch.Protection of(final IndexKey key)
    {
        // replaced by index.RecipientProtection once the lookup fills the protected recipient
        throw new UnsupportedOperationException("the protected recipient's derivation has not landed yet");
    }
}
