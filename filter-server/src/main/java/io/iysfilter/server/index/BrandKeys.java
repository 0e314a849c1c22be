package io.iysfilter.server.index;

/**
 * One brand's keys for deriving its index keys, made from the {@link IndexKey} at open: the Speck64/128 round keys
 * that permute its phone keys and the SipHash key of its e-mail keys. Immutable once made; shared by every reader and
 * the writer. Each brand has its own, so the same recipient has unrelated keys in two brands.
 */
final class BrandKeys
{
    private final int[] phoneRoundKeys;
    private final long emailK0;
    private final long emailK1;

    BrandKeys(final int[] phoneRoundKeys, final long emailK0, final long emailK1)
    {
        this.phoneRoundKeys = phoneRoundKeys;
        this.emailK0 = emailK0;
        this.emailK1 = emailK1;
    }

    /**
     * @param plainKey a phone key as {@link ConsentKeyDescriptor#phoneKey} packs it.
     * @return the key as the map holds it.
     */
    long permutePhone(final long plainKey)
    {
        return Speck64.encrypt(plainKey, phoneRoundKeys);
    }

    /**
     * @param storedKey a phone key as the map holds it.
     * @return the packed key it came from: channel, recipient type and digits ({@link ConsentKeyDescriptor}).
     */
    long unpermutePhone(final long storedKey)
    {
        return Speck64.decrypt(storedKey, phoneRoundKeys);
    }

    long emailK0()
    {
        return emailK0;
    }

    long emailK1()
    {
        return emailK1;
    }
}
