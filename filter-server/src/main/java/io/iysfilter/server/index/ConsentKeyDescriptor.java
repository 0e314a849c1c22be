package io.iysfilter.server.index;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.DirectBuffer;

/**
 * Layout of the two kinds of key in a brand's index. Each brand has one map for phone keys and one for e-mail
 * keys, so that each map holds fixed-size keys (8 and 16 bytes) and stays within its bytes-per-consent budget.
 * <pre>
 *  Phone key, 8 bytes, one 64-bit word (Chronicle's LongValue):
 *   63  62 61 60 ..  50 49                                    0
 *  +------+--+----------+--------------------------------------+
 *  |chann.|rt| 0        | E.164 digits as a number (< 10^15)   |
 *  +------+--+----------+--------------------------------------+
 *   channel: 1 ARAMA, 2 MESAJ; rt: 0 BIREYSEL, 1 TACIR
 *
 *  E-mail key, 16 bytes, two 64-bit words ({@link EmailKey}):
 *  +---------------------------------------------------------+
 *  | h1 = MurmurHash3_x64_128(seed, address).h1              |
 *  +------------------------------------------------------+--+
 *  | h2, with its low 2 bits replaced by the recipient type  |rt|
 *  +------------------------------------------------------+--+
 *   rt: 1 BIREYSEL, 2 TACIR; the channel is always EPOSTA; address is the normalised form.
 * </pre>
 * The e-mail key is a 126-bit digest: two different addresses share a key with probability about n^2 / 2^127,
 * below 10^-22 for 100 M addresses. The seed is random per brand and kept in {@code brand.meta}.
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
     * @return the phone key word.
     */
    public static long phoneKey(final Channel channel, final RecipientType type, final long digits)
    {
        return (long)channel.code() << CHANNEL_SHIFT |
            (type == RecipientType.TACIR ? 1L : 0L) << TYPE_SHIFT |
            digits;
    }

    /**
     * Fill an e-mail key.
     *
     * @param key     to fill.
     * @param hasher  the calling thread's hasher.
     * @param seed    the brand's hash seed.
     * @param type    BIREYSEL or TACIR.
     * @param address holding the normalised address.
     * @param offset  of the address.
     * @param length  of the address.
     */
    static void emailKey(
        final EmailKey key,
        final Murmur3 hasher,
        final long seed,
        final RecipientType type,
        final DirectBuffer address,
        final int offset,
        final int length)
    {
        hasher.hash128(address, offset, length, seed);
        key.setHigh(hasher.h1());
        key.setLow(hasher.h2() & ~3L | type.code());
    }
}
