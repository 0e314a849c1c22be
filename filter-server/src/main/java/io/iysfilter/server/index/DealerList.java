package io.iysfilter.server.index;

/**
 * The dealers a consent record lets use it (İYS's {@code retailerAccess}), as the brand's dealer map stores it beside
 * the record's value: the record's word0 ({@link ConsentValueDescriptor}), which ties the list to that one record,
 * then up to {@link #MAX_DEALERS} İYS dealer numbers (unsigned 32-bit). A list whose word0 is not that of the record a
 * reader found belongs to another record of the key (written a moment before or after it, or left by a crash
 * between the two writes) and lists nobody. A list read from İYS's access-list call rather than delivered with the
 * record also holds when it was read ({@link #fetchedMs()}, to the second): it is known fresh only for the brand's
 * {@code dealer-access-fresh-for} after that (docs/INDEX.md §11). Mutable and reused by its owning thread, so reading
 * one allocates nothing.
 */
public final class DealerList
{
    /** Most dealers one consent lists: İYS refuses a longer retailerAccess (H126). */
    public static final int MAX_DEALERS = 100;

    private final int[] codes = new int[MAX_DEALERS];
    private int count;
    private long recordWord0;
    private long fetchedMs;

    /**
     * Fill the list.
     *
     * @param recordWord0 word0 of the record the list belongs to.
     * @param dealers     İYS dealer numbers, each held as an unsigned 32-bit number.
     * @param length      how many of them, 0..{@link #MAX_DEALERS}.
     * @return this.
     * @throws IllegalArgumentException when the length is out of range.
     */
    public DealerList set(final long recordWord0, final int[] dealers, final int length)
    {
        if (length < 0 || length > MAX_DEALERS)
        {
            throw new IllegalArgumentException("a dealer list holds 0.." + MAX_DEALERS + " dealers: " + length);
        }
        this.recordWord0 = recordWord0;
        if (length > 0)
        {
            // an empty list (İYS named nobody) may come without an array
            System.arraycopy(dealers, 0, codes, 0, length);
        }
        this.count = length;
        this.fetchedMs = 0;
        return this;
    }

    /**
     * Fill the list with one read from İYS's access-list call.
     *
     * @param recordWord0 word0 of the record the list belongs to.
     * @param dealers     İYS dealer numbers, each held as an unsigned 32-bit number.
     * @param length      how many of them, 0..{@link #MAX_DEALERS}.
     * @param fetchedMs   when İYS answered it, epoch ms, above 0; kept to the second.
     * @return this.
     * @throws IllegalArgumentException when the length or the time is out of range.
     */
    public DealerList set(final long recordWord0, final int[] dealers, final int length, final long fetchedMs)
    {
        if (!storableReadTime(fetchedMs))
        {
            throw new IllegalArgumentException("an access list's read time, epoch ms from 1970 to 2106: " + fetchedMs);
        }
        set(recordWord0, dealers, length);
        this.fetchedMs = fetchedMs / 1000 * 1000;
        return this;
    }

    /**
     * @param fetchedMs an access list's read time, epoch ms.
     * @return whether the dealer map can store it: to the second, from the first whole second after 1970 to 2106 (an
     * unsigned 32-bit second, 0 meaning a list that came with the record).
     */
    public static boolean storableReadTime(final long fetchedMs)
    {
        return fetchedMs >= 1000 && fetchedMs / 1000 <= 0xFFFF_FFFFL;
    }

    /**
     * @return when the list was read from İYS's access-list call, epoch ms (whole seconds); 0 when it came with the
     * record from the change feed.
     */
    public long fetchedMs()
    {
        return fetchedMs;
    }

    /**
     * @return word0 of the record the list belongs to.
     */
    public long recordWord0()
    {
        return recordWord0;
    }

    /**
     * @return how many dealers it lists.
     */
    public int count()
    {
        return count;
    }

    /**
     * @param index 0..count - 1.
     * @return that dealer's İYS number, 0..2^32 - 1.
     */
    public long dealer(final int index)
    {
        return codes[index] & 0xFFFF_FFFFL;
    }

    /**
     * @param dealerCode an İYS dealer number.
     * @return whether the list names it.
     */
    public boolean contains(final long dealerCode)
    {
        if (dealerCode <= 0 || dealerCode > 0xFFFF_FFFFL)
        {
            return false;
        }
        final int code = (int)dealerCode;
        for (int i = 0; i < count; i++)
        {
            if (codes[i] == code)
            {
                return true;
            }
        }
        return false;
    }

    int code(final int index)
    {
        return codes[index];
    }

    int[] codes()
    {
        return codes;
    }

    void read(final long word0, final int length, final long fetchedSec)
    {
        recordWord0 = word0;
        count = length;
        fetchedMs = fetchedSec * 1000;
    }

    void code(final int index, final int code)
    {
        codes[index] = code;
    }
}
