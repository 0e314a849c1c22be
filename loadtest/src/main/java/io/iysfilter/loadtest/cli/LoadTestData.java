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
        return prepare(dataDir, workload, false, out);
    }

    /**
     * @param dataDir    the data directory: new, empty, or prepared earlier with the same seed and size.
     * @param workload   the model.
     * @param emailBrand also write {@link Workload#EMAIL_BRAND} (added to a directory prepared earlier without it).
     * @param out        progress.
     * @return true when something was written now, false when it was all there.
     * @throws Exception when the directory holds something else or the index cannot be written.
     */
    static boolean prepare(final Path dataDir, final Workload workload, final boolean emailBrand,
        final PrintStream out) throws Exception
    {
        final Path marker = dataDir.resolve(MARKER);
        final Properties marking = new Properties();
        final boolean phonesThere;
        if (Files.exists(marker))
        {
            try (var in = Files.newInputStream(marker))
            {
                marking.load(in);
            }
            if (Long.parseLong(marking.getProperty("recipients", "-1")) != workload.recipients() ||
                Long.parseLong(marking.getProperty("seed", "-1")) != workload.seed())
            {
                throw new UsageException("data-dir: " + dataDir + " holds a load-test brand of another size or " +
                    "seed " + marking + "; use another directory");
            }
            out.printf("%s already holds the load-test brand %d: %,d recipients, seed %d%n", dataDir,
                Workload.BRAND, workload.recipients(), workload.seed());
            phonesThere = true;
        }
        else
        {
            createEmptyOrNew("data-dir", dataDir);
            phonesThere = false;
        }
        final boolean emailsThere = marking.getProperty("email-brand") != null;
        if (phonesThere && (emailsThere || !emailBrand))
        {
            return false;
        }
        final long n = workload.recipients();
        final long startNs = System.nanoTime();
        final Failures failures = new Failures();
        // each map sized for what it will hold (about 75 % phones; the e-mail brand's map up to n): one size for
        // both would reserve the phones' size for the e-mails too (8.3 GB instead of ~4.3 at 100 M)
        long emails = 0;
        for (long i = 0; i < n; i++)
        {
            emails += workload.isEmail(i) ? 1 : 0;
        }
        try (ConsentStore store = ConsentStore.open(dataDir, IndexOptions.withEntries(Math.max(10_000, n))
                .withMapEntries(Math.max(10_000, n - emails), Math.max(10_000, emailBrand ? n : emails))
                .withKey(IndexKey.forDataDirectory(IndexKey.defaultFile(dataDir), dataDir)));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE))
        {
            final long nowSec = System.currentTimeMillis() / 1000;
            if (!phonesThere)
            {
                write(pipeline, Workload.BRAND, n, (i, change, parsed, parser) ->
                {
                    parse(parser, workload.address(i), parsed);
                    final long creationSec = nowSec - 60 - (i % 86_400);
                    change.set(Workload.BRAND, Channel.fromWire(workload.channel(i)),
                        RecipientType.fromWire(workload.type(i)), parsed, workload.rejected(i) ? 2 : 1, creationSec,
                        creationSec - 86_400, IysSource.HS_OTHER, i + 1, 0);
                    return true;
                }, failures, out);
            }
            if (emailBrand && !emailsThere)
            {
                write(pipeline, Workload.EMAIL_BRAND, n, (i, change, parsed, parser) ->
                {
                    if (!workload.emailRecorded(i))
                    {
                        return false;
                    }
                    parse(parser, Workload.emailAddress(i), parsed);
                    final long creationSec = nowSec - 60 - (i % 86_400);
                    change.set(Workload.EMAIL_BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, parsed,
                        workload.rejected(i) ? 2 : 1, creationSec, creationSec - 86_400, IysSource.HS_OTHER, i + 1, 0);
                    return true;
                }, failures, out);
            }
        }
        if (failures.count.get() > 0)
        {
            throw new IOException(failures.count.get() + " changes failed to apply, first: " + failures.first.get());
        }
        marking.setProperty("brand", Long.toString(Workload.BRAND));
        marking.setProperty("recipients", Long.toString(n));
        marking.setProperty("seed", Long.toString(workload.seed()));
        if (emailBrand)
        {
            marking.setProperty("email-brand", Long.toString(Workload.EMAIL_BRAND));
        }
        try (var outFile = Files.newOutputStream(marker))
        {
            marking.store(outFile, "iys-filter loadtest prepare");
        }
        out.printf("prepared %s in %s: %,d recipients each in %.1f s%n", emailBrand ? "brands " + Workload.BRAND +
            " and " + Workload.EMAIL_BRAND : "brand " + Workload.BRAND, dataDir, n,
            (System.nanoTime() - startNs) / 1e9);
        return true;
    }

    /**
     * Fills in the change for recipient {@code i}.
     */
    @FunctionalInterface
    private interface ChangeMaker
    {
        /**
         * @return false when recipient {@code i} has no record.
         */
        boolean make(long i, ConsentChange change, ParsedRecipient parsed, RecipientParser parser);
    }

    /**
     * The changes that failed to apply, and the first one's reason.
     */
    private static final class Failures implements IngestListener
    {
        private final AtomicLong count = new AtomicLong();
        private final AtomicReference<String> first = new AtomicReference<>();

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
            count.incrementAndGet();
            first.compareAndSet(null, "recipient " + tag + ": " + reason);
        }
    }

    private static void parse(final RecipientParser parser, final String address, final ParsedRecipient parsed)
    {
        if (parser.parse(address, parsed) == ParsedRecipient.INVALID)
        {
            throw new IllegalStateException("the workload made an invalid address: " + address);
        }
    }

    private static void write(
        final IngestPipeline pipeline,
        final long brand,
        final long n,
        final ChangeMaker maker,
        final Failures failures,
        final PrintStream out) throws Exception
    {
        pipeline.createBrand(brand).get();
        final RecipientParser parser = new RecipientParser();
        final ParsedRecipient parsed = new ParsedRecipient();
        final ConsentChange change = new ConsentChange();
        long nextProgressNs = System.nanoTime() + 2_000_000_000L;
        for (long i = 0; i < n; i++)
        {
            if (maker.make(i, change, parsed, parser))
            {
                pipeline.publish(change, i, failures);
            }
            if (System.nanoTime() > nextProgressNs)
            {
                out.printf("  brand %d: %,d of %,d recipients written%n", brand, i, n);
                nextProgressNs += 2_000_000_000L;
            }
        }
        pipeline.advanceWatermark(brand, System.currentTimeMillis()).get();
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
