package io.iysfilter.benchmarks;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.iys.IysSource;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@link DecisionBenchmark} with a dealer: the same whole decision (national-form bytes parsed, freshness, one
 * lookup, the rules) for a brand whose dealer lists are trusted ({@code dealer-access-trust-feed}), so that a
 * dealer's decision of an ONAY that carries a list makes the second lookup into the dealer map.
 * <p>
 * The brand: {@code entries} phone consents on MESAJ, even numbers ONAY, odd RET; every 32nd (an ONAY) carries a
 * list naming {@link #DEALER} and another dealer, as many lists as the dealer map is sized for (one per 64 consent
 * entries of the brand's two maps: docs/INDEX.md §6). {@link #brand} and {@link #dealer} draw the same random keys
 * (the dealer's decisions are REJECTED, DEALER_NOT_AUTHORISED for an ONAY without a list, DEALER_ACCESS for one
 * with); {@link #dealerListed} draws only keys with a list, so that every decision reads the list.
 * Run with {@code -prof gc}: each should allocate 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DealerDecisionBenchmark
{
    static final long DEALER = 22_233_344L;
    private static final int LIST_EVERY = 32;
    private static final int DIGITS = 11;
    private final UnsafeBuffer address = new UnsafeBuffer(new byte[DIGITS]);
    private long walk = 0x9E3779B97F4A7C15L;

    /**
     * One brand with dealer lists, in a Chronicle store on disk.
     */
    @State(Scope.Benchmark)
    public static class DealerIndex
    {
        @Param({"1000000"})
        int entries;

        Path dataDir;
        ConsentStore store;

        @Setup(Level.Trial)
        public void fill() throws IOException
        {
            dataDir = Files.createTempDirectory("iys-bench-dealers");
            store = ConsentStore.open(dataDir, IndexOptions.withEntries(entries).withKey(BenchmarkKey.KEY)
                .withDealerAccessTrusted(brand -> brand == ConsentIndexState.BRAND));
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(ConsentIndexState.BRAND);
            final ConsentChange change = new ConsentChange();
            final ParsedRecipient recipient = new ParsedRecipient();
            final int[] dealers = {(int)DEALER, 44_222_419};
            final long creationSec = System.currentTimeMillis() / 1000 - 60;
            for (int i = 0; i < entries; i++)
            {
                final int status = i % 2 == 0 ? ConsentStatus.ONAY : ConsentStatus.RET;
                change.set(ConsentIndexState.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    recipient.phone(ConsentIndexState.FIRST_PHONE + i), status, creationSec, creationSec - 86_400,
                    IysSource.code("HS_WEB"), i, 0);
                if (i % LIST_EVERY == 0)
                {
                    change.dealers(dealers, dealers.length);
                }
                writer.apply(change);
            }
            writer.checkpoint();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException
        {
            store.close();
            try (Stream<Path> paths = Files.walk(dataDir))
            {
                paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
            }
        }
    }

    private Decider decider;
    private BrandState brand;

    /**
     * @param index the shared index.
     */
    @Setup(Level.Trial)
    public void reader(final DealerIndex index)
    {
        decider = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), index.store.newLookup(), DecisionRecorder.NONE);
        brand = decider.brand(ConsentIndexState.BRAND);
    }

    /**
     * @param index the shared index.
     * @return the brand's decision of a random key, no dealer: the baseline of the same run.
     */
    @Benchmark
    public Reason brand(final DealerIndex index)
    {
        nextAddress(index.entries, 1);
        return decide(ConsentFilter.NO_DEALER);
    }

    /**
     * @param index the shared index.
     * @return the dealer's decision of a random key.
     */
    @Benchmark
    public Reason dealer(final DealerIndex index)
    {
        nextAddress(index.entries, 1);
        return decide(DEALER);
    }

    /**
     * @param index the shared index.
     * @return the dealer's decision of a random key whose record carries a list: two lookups each.
     */
    @Benchmark
    public Reason dealerListed(final DealerIndex index)
    {
        nextAddress(index.entries, LIST_EVERY);
        return decide(DEALER);
    }

    private Reason decide(final long dealerCode)
    {
        final Reason reason = decider.decide(ConsentIndexState.BRAND, brand, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, address, 0, DIGITS, dealerCode, System.currentTimeMillis());
        walk += reason.ordinal();
        return reason;
    }

    private void nextAddress(final int entries, final int step)
    {
        walk = walk * 6364136223846793005L + 1442695040888963407L;
        long national = ConsentIndexState.FIRST_PHONE - 900_000_000_000L + (walk >>> 33) % (entries / step) * step;
        for (int i = DIGITS - 1; i > 0; i--)
        {
            address.putByte(i, (byte)('0' + national % 10));
            national /= 10;
        }
        address.putByte(0, (byte)'0');
    }
}
