package io.iysfilter.benchmarks;

import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentKeyDescriptor;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.IndexLookup;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.iys.IysSource;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One brand of {@code entries} phone consents on MESAJ (even numbers ONAY, odd RET), in a Chronicle store on disk
 * and in the in-memory baseline table, both filled with the same keys and values.
 */
@State(Scope.Benchmark)
public class ConsentIndexState
{
    /** First phone number: +90 550 000 00 00. */
    static final long FIRST_PHONE = 905_500_000_000L;
    static final long BRAND = 600_001;

    @Param({"1000000", "10000000"})
    int entries;

    /** Entry checksums in the maps (on in production; {@code -p checksums=true,false} measures their cost). */
    @Param({"true"})
    boolean checksums;

    Path dataDir;
    ConsentStore store;
    OpenAddressingBaseline baseline;
    BrandState brand;
    Decider decider;

    @Setup(Level.Trial)
    public void fill() throws IOException
    {
        dataDir = Files.createTempDirectory("iys-bench");
        store = ConsentStore.open(dataDir,
            IndexOptions.withEntries(entries).withKey(BenchmarkKey.KEY).withChecksums(checksums));
        baseline = new OpenAddressingBaseline(entries);
        final ConsentIndexWriter writer = store.writer();
        writer.createBrand(BRAND);
        final ConsentChange change = new ConsentChange();
        final ParsedRecipient recipient = new ParsedRecipient();
        final long creationSec = System.currentTimeMillis() / 1000 - 60;
        for (int i = 0; i < entries; i++)
        {
            final int status = i % 2 == 0 ? ConsentStatus.ONAY : ConsentStatus.RET;
            change.set(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, recipient.phone(FIRST_PHONE + i), status,
                creationSec, creationSec - 86_400, IysSource.code("HS_WEB"), i, 0);
            writer.apply(change);
            baseline.put(ConsentKeyDescriptor.phoneKey(Channel.MESAJ, RecipientType.BIREYSEL, FIRST_PHONE + i),
                change.word0(), change.word1());
        }
        writer.checkpoint();
        decider = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), DecisionRecorder.NONE);
        brand = decider.brand(BRAND);
    }

    IndexLookup newLookup()
    {
        return store.newLookup();
    }

    int baselineStatus(final long phone)
    {
        return ConsentValueDescriptor.status(baseline.getWord1(
            ConsentKeyDescriptor.phoneKey(Channel.MESAJ, RecipientType.BIREYSEL, phone)));
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
