package io.iysfilter.server.index;

/**
 * Layout of a consent value ({@link ConsentValue}): 16 bytes, two 64-bit words in the machine's byte order
 * (little-endian on x86 and ARM), arranged so that comparing
 * (word0, word1) as unsigned numbers orders two records of one key the way İYS orders movements:
 * by creationDate, then transactionId (its 48-bit digest), then RET above ONAY, consentDate, source and flags.
 * <pre>
 *  word0:  63            32 31                              0
 *         +----------------+---------------------------------+
 *         | creationSec    | txDigest bits 47..16            |
 *         +----------------+---------------------------------+
 *  word1:  63     48 47 46 45          14 13      6 5      0
 *         +---------+-----+--------------+---------+--------+
 *         | txDigest| sta | consentSec   | source  | flags  |
 *         | 15..0   | tus |              |         |        |
 *         +---------+-----+--------------+---------+--------+
 * </pre>
 * Times are seconds since the epoch (UTC) as unsigned 32-bit numbers, good until 2106; consentSec 0 means none
 * (TACIR records may omit it). Status is 1 for ONAY, 2 for RET. The source code and the transaction id digest are
 * stored as the caller gives them: what they mean, and how they are computed from İYS's fields, is the caller's.
 * Because the last record of a key is the maximum of all its records in this order, applying changes is
 * idempotent and order-independent.
 */
public final class ConsentValueDescriptor
{
    /** Bytes in a value. */
    public static final int LENGTH = 16;
    /** Bits of the transaction id digest. */
    public static final int TX_DIGEST_BITS = 48;
    /** Flag: a RET recorded locally (an opt-out received outside İYS). */
    public static final int FLAG_LOCAL = 1;
    /**
     * Flag: the record carries a dealer list (İYS's retailerAccess), kept in the brand's dealer map under the same
     * key ({@link DealerList}). Without it no dealer list is read: a consent with no dealers costs nothing more.
     */
    public static final int FLAG_DEALERS = 2;

    private static final long MASK32 = 0xFFFF_FFFFL;

    private ConsentValueDescriptor()
    {
    }

    /**
     * @param creationSec İYS creationDate, epoch seconds.
     * @param txDigest    48-bit digest of the transaction id.
     * @return word0.
     */
    public static long word0(final long creationSec, final long txDigest)
    {
        return (creationSec & MASK32) << 32 | (txDigest >>> 16) & MASK32;
    }

    /**
     * @param txDigest   48-bit digest of the transaction id.
     * @param status     1 ONAY, 2 RET.
     * @param consentSec consentDate, epoch seconds, 0 when absent.
     * @param source     a source code, 0..255.
     * @param flags      {@link #FLAG_LOCAL}, {@link #FLAG_DEALERS}, both or 0.
     * @return word1.
     */
    public static long word1(
        final long txDigest, final int status, final long consentSec, final int source, final int flags)
    {
        return (txDigest & 0xFFFFL) << 48 | (long)(status & 3) << 46 | (consentSec & MASK32) << 14 |
            (long)(source & 0xFF) << 6 | flags & 0x3F;
    }

    /**
     * @param word0 a value's word0.
     * @return creationDate, epoch seconds.
     */
    public static long creationSec(final long word0)
    {
        return word0 >>> 32;
    }

    /**
     * @param word0 a value's word0.
     * @param word1 a value's word1.
     * @return the 48-bit transaction id digest.
     */
    public static long txDigest(final long word0, final long word1)
    {
        return (word0 & MASK32) << 16 | word1 >>> 48;
    }

    /**
     * @param word1 a value's word1.
     * @return 1 ONAY or 2 RET.
     */
    public static int status(final long word1)
    {
        return (int)(word1 >>> 46) & 3;
    }

    /**
     * @param word1 a value's word1.
     * @return consentDate, epoch seconds, or 0.
     */
    public static long consentSec(final long word1)
    {
        return word1 >>> 14 & MASK32;
    }

    /**
     * @param word1 a value's word1.
     * @return the source code.
     */
    public static int source(final long word1)
    {
        return (int)(word1 >>> 6) & 0xFF;
    }

    /**
     * @param word1 a value's word1.
     * @return the flags.
     */
    public static int flags(final long word1)
    {
        return (int)word1 & 0x3F;
    }

    /**
     * Compare two records of one key in İYS order.
     *
     * @return negative, zero or positive as record a is older than, the same as, or newer than record b.
     */
    public static int compare(final long a0, final long a1, final long b0, final long b1)
    {
        final int first = Long.compareUnsigned(a0, b0);
        return first != 0 ? first : Long.compareUnsigned(a1, b1);
    }
}
