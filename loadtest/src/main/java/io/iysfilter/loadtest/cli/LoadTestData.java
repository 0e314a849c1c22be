package io.iysfilter.loadtest.cli;

import io.iysfilter.loadtest.Workload;
import io.iysfilter.server.cli.UsageException;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.iys.IysSource;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Writes the load-test brand ({@link Workload#BRAND}) of a {@link Workload} into a data directory through the single
 * writer, as the feed would, and marks the directory with what it holds ({@code loadtest.properties}) so that a
 * later run can reuse it.
 */
final class LoadTestData
{
    static final String MARKER = "loadtest.properties";

    private LoadTestData()
    {
    }

    /**
     * @param dataDir  the data directory: new, empty, or prepared earlier with the same seed and size.
     * @param workload the model.
     * @param out      progress.
     * @return true when it was written now, false when it was already there.
     * @throws Exception when the directory holds something else or the index cannot be written.
     */
    static boolean prepare(final Path dataDir, final Workload workload, final PrintStream out) throws Exception
    {
        final Path marker = dataDir.resolve(MARKER);
        if (Files.exists(marker))
        {
            final Properties held = new Properties();
            try (var in = Files.newInputStream(marker))
            {
                held.load(in);
            }
            if (Long.parseLong(held.getProperty("recipients", "-1")) == workload.recipients() &&
                Long.parseLong(held.getProperty("seed", "-1")) == workload.seed())
            {
                out.printf("%s already holds the load-test brand %d: %,d recipients, seed %d%n", dataDir,
                    Workload.BRAND, workload.recipients(), workload.seed());
                return false;
            }
            throw new UsageException("data-dir: " + dataDir + " holds a load-test brand of another size or seed " +
                held + "; use another directory");
        }
        createEmptyOrNew("data-dir", dataDir);
        final long n = workload.recipients();
        final long startNs = System.nanoTime();
        final AtomicLong failed = new AtomicLong();
        final AtomicReference<String> firstFailure = new AtomicReference<>();
        final IngestListener listener = new IngestListener()
        {
            @Override
            public void onApplied(final long tag)
            {
            }

            @Override
            public void onSuperseded(final long tag)
            {
            }

            @Override
            public void onFailed(final long tag, final String reason)
            {
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, "recipient " + tag + ": " + reason);
            }
        };
        // each map sized for what it will hold (about 75 % phones): one size for both would reserve the phones'
        // size for the e-mails too (8.3 GB instead of ~4.3 at 100 M)
        long emails = 0;
        for (long i = 0; i < n; i++)
        {
            emails += workload.isEmail(i) ? 1 : 0;
        }
        try (ConsentStore store = ConsentStore.open(dataDir, IndexOptions.withEntries(Math.max(10_000, n))
                .withMapEntries(Math.max(10_000, n - emails), Math.max(10_000, emails))
                .withKey(IndexKey.forDataDirectory(IndexKey.defaultFile(dataDir), dataDir)));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE))
        {
            pipeline.createBrand(Workload.BRAND).get();
            final RecipientParser parser = new RecipientParser();
            final ParsedRecipient parsed = new ParsedRecipient();
            final ConsentChange change = new ConsentChange();
            final long nowSec = System.currentTimeMillis() / 1000;
            long nextProgressNs = System.nanoTime() + 2_000_000_000L;
            for (long i = 0; i < n; i++)
            {
                if (parser.parse(workload.address(i), parsed) == ParsedRecipient.INVALID)
                {
                    throw new IllegalStateException("the workload made an invalid address: " + workload.address(i));
                }
                final Channel channel = Channel.fromWire(workload.channel(i));
                final RecipientType type = RecipientType.fromWire(workload.type(i));
                final long creationSec = nowSec - 60 - (i % 86_400);
                change.set(Workload.BRAND, channel, type, parsed, workload.rejected(i) ? 2 : 1, creationSec,
                    creationSec - 86_400, IysSource.HS_OTHER, i + 1, 0);
                pipeline.publish(change, i, listener);
                if (System.nanoTime() > nextProgressNs)
                {
                    out.printf("  %,d of %,d recipients written%n", i, n);
                    nextProgressNs += 2_000_000_000L;
                }
            }
            pipeline.advanceWatermark(Workload.BRAND, System.currentTimeMillis()).get();
        }
        if (failed.get() > 0)
        {
            throw new IOException(failed.get() + " of " + n + " changes failed to apply, first: " + firstFailure.get());
        }
        final Properties marking = new Properties();
        marking.setProperty("brand", Long.toString(Workload.BRAND));
        marking.setProperty("recipients", Long.toString(n));
        marking.setProperty("seed", Long.toString(workload.seed()));
        try (var outFile = Files.newOutputStream(marker))
        {
            marking.store(outFile, "iys-filter loadtest prepare");
        }
        out.printf("prepared brand %d in %s: %,d recipients in %.1f s%n", Workload.BRAND, dataDir, n,
            (System.nanoTime() - startNs) / 1e9);
        return true;
    }

    /**
     * Create a directory a command will fill, refusing one that already holds something.
     *
     * @param name      the option that named it.
     * @param directory the directory.
     * @throws IOException when it cannot be listed or created.
     */
    static void createEmptyOrNew(final String name, final Path directory) throws IOException
    {
        if (Files.exists(directory))
        {
            try (Stream<Path> entries = Files.list(directory))
            {
                if (entries.findAny().isPresent())
                {
                    throw new UsageException(name + ": " + directory + " is not empty (expected: empty or new)");
                }
            }
        }
        Files.createDirectories(directory);
    }
}
