package io.iysfilter.benchmarks;

import io.iysfilter.server.index.IndexKey;

/**
 * The index key the benchmarks build their indexes with: random per run, in memory only.
 */
public final class BenchmarkKey
{
    /** The benchmarks' key. */
    public static final IndexKey KEY = IndexKey.generate();

    private BenchmarkKey()
    {
    }
}
