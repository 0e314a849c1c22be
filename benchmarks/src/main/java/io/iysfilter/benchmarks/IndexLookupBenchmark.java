package io.iysfilter.benchmarks;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.IndexLookup;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One index lookup, as a server makes it: each key is chosen from the previous answer, so lookups cannot overlap.
 * {@code chronicle} is the consent index (Chronicle Map on disk, through {@link IndexLookup});
 * {@code baseline} is the plain in-memory open-addressing table with the same keys and values.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class IndexLookupBenchmark
{
    private IndexLookup lookup;
    private BrandState brand;
    private final ParsedRecipient recipient = new ParsedRecipient();
    private long walk = 0x9E3779B97F4A7C15L;
    private int entries;

    @Setup
    public void setUp(final ConsentIndexState index)
    {
        lookup = index.newLookup();
        brand = lookup.brand(ConsentIndexState.BRAND);
        entries = index.entries;
    }

    /**
     * @return the status found, also folded into the choice of the next key.
     */
    @Benchmark
    public int chronicle(final ConsentIndexState index)
    {
        final long phone = ConsentIndexState.FIRST_PHONE + next();
        final int status = lookup.status(brand, Channel.MESAJ, RecipientType.BIREYSEL, recipient.phone(phone));
        walk += status;
        return status;
    }

    /**
     * @return the status found, also folded into the choice of the next key.
     */
    @Benchmark
    public int baseline(final ConsentIndexState index)
    {
        final int status = index.baselineStatus(ConsentIndexState.FIRST_PHONE + next());
        walk += status;
        return status;
    }

    private int next()
    {
        walk = walk * 6364136223846793005L + 1442695040888963407L;
        return (int)((walk >>> 33) % entries);
    }
}
