package io.iysfilter.server.index;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.DirectBuffer;

/**
 * Layout of the two kinds of key in a brand's index, and the one place they are derived (for readers, the writer,
 * tests and tools alike). Each brand has one map for phone keys and one for e-mail keys, so that each map holds
 * fixed-size keys (8 and 16 bytes) and stays within its bytes-per-consent budget. No recipient is stored in plain:
 * both are keyed with the brand's keys ({@link BrandKeys}, from the {@link IndexKey}), docs/SECURITY.md.
 * <pre>
 *  Phone key, 8 bytes, one 64-bit word (Chronicle's LongValue): the packed word below, encrypted with
 *  Speck64/128 under the brand's phone key. A block cipher is a bijection on 64 bits: no two recipients share a
 *  stored key, and it is no larger than the packed word; with the key it is inverted ({@link BrandKeys}).
 *  Packed:
 *   63  62 61 60 ..  50 49                                    0
 *  +------+--+----------+--------------------------------------+
 *  |chann.|rt| 0        | E.164 digits as a number (< 10^15)   |
 *  +------+--+----------+--------------------------------------+
 *   channel: 1 ARAMA, 2 MESAJ; rt: 0 BIREYSEL, 1 TACIR
 *
 *  E-mail key, 16 bytes, two 64-bit words ({@link EmailKey}):
 *  +---------------------------------------------------------+
 *  | h1 = SipHash-2-4-128(brand's e-mail key, address).h1     |
 *  +------------------------------------------------------+--+
 *  | h2, with its low 2 bits replaced by the recipient type  |rt|
 *  +------------------------------------------------------+--+
 *   rt: 1 BIREYSEL, 2 TACIR; the channel is always EPOSTA; address is the normalised form.
 * </pre>
 * The e-mail key is a 126-bit digest: two different addresses share a key with probability about n^2 / 2^127,
 * below 10^-22 for 100 M addresses. SipHash is a keyed PRF: without the key file an address cannot be tested
 * against the index (an unkeyed or seeded hash with its seed beside it could be, by hashing a list of candidates).
 */
public final class ConsentKeyDescriptor
{
    /** Bytes in a phone key. */
    public static final int PHONE_KEY_LENGTH = 8;
    /** Bytes in an e-mail key. */
    public static final int EMAIL_KEY_LENGTH = 16;
    /** Largest E.164 number: 15 digits. */
    public static final long MAX_PHONE_DIGITS = 999_999_999_999_999L;

    private static final int CHANNEL_SHIFT = 62;
    private static final int TYPE_SHIFT = 61;

    private ConsentKeyDescriptor()
    {
    }

    /**
     * @param channel ARAMA or MESAJ.
     * @param type    BIREYSEL or TACIR.
     * @param digits  E.164 digits as a number.
     * @return the packed phone key word, before the brand's permutation ({@link #storedPhoneKey}).
     */
    public static long phoneKey(final Channel channel, final RecipientType type, final long digits)
    {
        return (long)channel.code() << CHANNEL_SHIFT |
            (type == RecipientType.TACIR ? 1L : 0L) << TYPE_SHIFT |
            digits;
    }

    /**
     * @param keys    the brand's keys.
     * @param channel ARAMA or MESAJ.
     * @param type    BIREYSEL or TACIR.
     * @param digits  E.164 digits as a number.
     * @return the phone key as the brand's map holds it: {@link #phoneKey} permuted under the brand's key.
     */
    static long storedPhoneKey(
        final BrandKeys keys, final Channel channel, final RecipientType type, final long digits)
    {
        return keys.permutePhone(phoneKey(channel, type, digits));
    }

    /**
     * Fill an e-mail key.
     *
     * @param key     to fill.
     * @param hasher  the calling thread's hasher.
     * @param keys    the brand's keys.
     * @param type    BIREYSEL or TACIR.
     * @param address holding the normalised address.
     * @param offset  of the address.
     * @param length  of the address.
     */
    static void emailKey(
        final EmailKey key,
        final SipHash hasher,
        final BrandKeys keys,
        final RecipientType type,
        final DirectBuffer address,
        final int offset,
        final int length)
    {
        hasher.hash128(keys.emailK0(), keys.emailK1(), address, offset, length);
        key.setHigh(hasher.h1());
        key.setLow(hasher.h2() & ~3L | type.code());
    }
}
