package io.iysfilter.benchmarks;

/**
 * The limit baseline: a plain in-memory open-addressing table, long keys to two long words, linear probing,
 * no locks and no serialisation, for one writer then readers. What a lookup could cost with nothing in the way.
 */
final class OpenAddressingBaseline
{
    private static final double LOAD_FACTOR = 0.65;
    private final long[] keys;
    private final long[] values;
    private final int mask;

    OpenAddressingBaseline(final long entries)
    {
        final int capacity = Integer.highestOneBit((int)Math.ceil(entries / LOAD_FACTOR)) << 1;
        keys = new long[capacity];
        values = new long[capacity * 2];
        mask = capacity - 1;
    }

    void put(final long key, final long word0, final long word1)
    {
        int slot = slot(key);
        while (keys[slot] != 0 && keys[slot] != key)
        {
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        values[slot * 2] = word0;
        values[slot * 2 + 1] = word1;
    }

    /**
     * @return word1 of the key's value, or 0 when absent.
     */
    long getWord1(final long key)
    {
        int slot = slot(key);
        long found;
        while ((found = keys[slot]) != 0)
        {
            if (found == key)
            {
                return values[slot * 2 + 1];
            }
            slot = (slot + 1) & mask;
        }
        return 0;
    }

    private int slot(final long key)
    {
        long k = key;
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return (int)k & mask;
    }
}
