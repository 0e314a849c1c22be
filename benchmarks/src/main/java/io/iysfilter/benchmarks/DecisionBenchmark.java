package io.iysfilter.benchmarks;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A whole decision as the binary endpoint makes it, minus the network: the recipient's bytes (national form,
 * {@code 0550…}) parsed and normalised, the brand's freshness checked, one index lookup, the rules.
 * Keys are chosen from the previous answer, as in {@link IndexLookupBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecisionBenchmark
{
    private static final int DIGITS = 11;
    private final UnsafeBuffer address = new UnsafeBuffer(new byte[DIGITS]);
    private long walk = 0x9E3779B97F4A7C15L;

    /**
     * @return the decision, whose ordinal is folded into the choice of the next key.
     */
    @Benchmark
    public Reason decide(final ConsentIndexState index)
    {
        nextAddress(index.entries);
        final Reason reason = index.decider.decide(ConsentIndexState.BRAND, index.brand, Channel.MESAJ,
            RecipientType.BIREYSEL, MessageKind.COMMERCIAL, address, 0, DIGITS, System.currentTimeMillis());
        walk += reason.ordinal();
        return reason;
    }

    /**
     * What {@link #decide} spends outside the decision: choosing and formatting the next address (a server is given
     * its bytes) and reading the clock (a server reads it once per frame). Subtract it to compare the decision with
     * the lookup benchmarks.
     *
     * @return a value depending on the address and the clock, so the work is not eliminated.
     */
    @Benchmark
    public long harnessOnly()
    {
        nextAddress(10_000_000);
        final long now = System.currentTimeMillis();
        walk += address.getByte(DIGITS - 1) + (now & 1);
        return now;
    }

    private void nextAddress(final int entries)
    {
        walk = walk * 6364136223846793005L + 1442695040888963407L;
        long national = ConsentIndexState.FIRST_PHONE - 900_000_000_000L + (walk >>> 33) % entries;
        for (int i = DIGITS - 1; i > 0; i--)
        {
            address.putByte(i, (byte)('0' + national % 10));
            national /= 10;
        }
        address.putByte(0, (byte)'0');
    }
}
