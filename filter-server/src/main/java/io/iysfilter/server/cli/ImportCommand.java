package io.iysfilter.server.cli;

import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.replication.FetcherMarker;
import io.iysfilter.server.replication.ReplicaFollower;
import io.iysfilter.server.iys.DailyFileImporter;
import io.iysfilter.server.ingest.IngestPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * {@code iys-filter import}: loads a daily change file into a brand's index, offline. Public for
 * {@link #importFile(Path, long, long, IndexKey, Path, PrintStream)}, which the demo (module loadtest) uses for its
 * sample data.
 */
@Command(name = "import", sortOptions = false, description = {
    "load an İYS daily change file (CSV) into a brand's index; the server must be stopped",
    "",
    "Applies İYS's daily change file (CSV with the header row " +
        "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source; dates " +
        "YYYY-MM-DD HH:mm:ss in Turkey time) to brand CODE's index in DIR, creating the index if needed. Each line " +
        "is applied last-writer-wins in İYS order, so importing a file twice changes nothing. The server must be " +
        "stopped: import takes the data directory's lock, and fails if a server holds it.",
    "",
    "Prints counts: applied (stored), superseded (the index already held it or newer) and rejected (with line " +
        "number and reason; a bad line never stops the rest).",
    "Exit status: 0 when no line was rejected, 1 when some were, 2 on an error. When the index cannot take a " +
        "line (disk full: less than the reserve left; a write error), the import stops there with status 2; the " +
        "lines before are applied, and importing the file again after freeing space applies the rest. A line " +
        "longer than 64 KiB (no daily file has one) stops the import the same way, naming the line. Until an " +
        "import that stopped is run again to the file's end, the brand opens INDEX_DAMAGED."})
public final class ImportCommand implements Callable<Integer>
{
    private static final int LISTED_REJECTIONS = 1000;
    private static final long MIB = 1024 * 1024;

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", converter = Converters.NonBlankPath.class,
        description = "the data directory")
    private Path dataDir;

    @Option(names = "--key-file", paramLabel = "FILE", converter = Converters.NonBlankPath.class,
        description = "the index key, as serve's key-file: created on first use (default: DIR.key, beside the data " +
            "directory; docs/SECURITY.md)")
    private Path keyFile;

    @Option(names = "--brand", required = true, paramLabel = "CODE", converter = Converters.Code.class,
        description = "the brand's İYS code")
    private long brand;

    @Option(names = "--entries-per-map", paramLabel = "N",
        description = "sizing of a new brand's phone and e-mail maps, 1000..4000000000 (default 10000000)")
    private long entries = IndexOptions.DEFAULT_ENTRIES_PER_MAP;

    @Option(names = "--phone-entries", paramLabel = "N",
        description = "sizing of a new brand's phone map alone, 1000..4000000000 (default: --entries-per-map)")
    private Long phoneEntries;

    @Option(names = "--email-entries", paramLabel = "N",
        description = "sizing of a new brand's e-mail map alone, 1000..4000000000 (default: --entries-per-map)")
    private Long emailEntries;

    @Option(names = "--disk-reserve-mb", paramLabel = "N",
        description = "refuse changes while the data directory's file system has less than N MiB usable " +
            "(default 256; 0: no guard)")
    private long reserveMib = IndexOptions.DEFAULT_DISK_RESERVE_BYTES / MIB;

    @Option(names = "--log-recipients", paramLabel = "masked|full", description = "recipients in the rejected " +
        "lines printed: masked (default, +90532*****67, a***@example.com) or full")
    private String logRecipients = "masked";

    @Parameters(arity = "1", paramLabel = "FILE", description = "the daily change file")
    private Path file;

    ImportCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        UsageException.inRange("entries-per-map", entries, 1_000, 4_000_000_000L);
        final long phones = phoneEntries != null ? phoneEntries : entries;
        final long emails = emailEntries != null ? emailEntries : entries;
        UsageException.inRange("phone-entries", phones, 1_000, 4_000_000_000L);
        UsageException.inRange("email-entries", emails, 1_000, 4_000_000_000L);
        UsageException.inRange("disk-reserve-mb", reserveMib, 0, 1L << 30);
        if (!"masked".equals(logRecipients) && !"full".equals(logRecipients))
        {
            throw new UsageException("log-recipients: '" + logRecipients + "' (expected: masked or full)");
        }
        final IndexKey key = IndexKey.forDataDirectory(keyFile != null ? keyFile : IndexKey.defaultFile(dataDir),
            dataDir);
        final DailyFileImporter.Report report = importFile(dataDir, brand,
            IndexOptions.withEntries(entries).withMapEntries(phones, emails).withDiskReserve(reserveMib * MIB)
                .withKey(key), file, err);
        out.printf("imported %s into brand %d: %,d lines, %,d applied, %,d superseded, %,d rejected in %.1f s%n",
            file, brand, report.lines(), report.applied(), report.superseded(), report.rejected(),
            report.elapsedNs() / 1e9);
        final boolean whole = "full".equals(logRecipients);
        for (final String rejection : report.rejections())
        {
            out.println("  rejected " + (whole ? rejection : Recipients.maskText(rejection)));
        }
        if (report.rejected() > report.rejections().size())
        {
            out.printf("  ... and %,d more rejected lines%n", report.rejected() - report.rejections().size());
        }
        return report.rejected() == 0 ? Main.EXIT_OK : Main.EXIT_DENY;
    }

    /**
     * Import a daily change file into a brand's index, offline, creating the index if needed; a crash part way
     * leaves the brand INDEX_DAMAGED rather than half imported.
     *
     * @param dataDir  the data directory; no server may have it open.
     * @param brand    the brand's İYS code.
     * @param entries  entries per map when the index is created.
     * @param key      the index key.
     * @param file     the CSV file.
     * @param progress where progress goes.
     * @return the import's counts and first rejections.
     * @throws Exception when the file or the index cannot be read or written.
     */
    public static DailyFileImporter.Report importFile(
        final Path dataDir, final long brand, final long entries, final IndexKey key, final Path file,
        final PrintStream progress)
        throws Exception
    {
        return importFile(dataDir, brand, IndexOptions.withEntries(entries).withKey(key), file, progress);
    }

    static DailyFileImporter.Report importFile(
        final Path dataDir, final long brand, final IndexOptions options, final Path file, final PrintStream progress)
        throws Exception
    {
        // a fetcher's directory holds replica.offsets too (it follows the topic while it stands by): the fetcher's
        // mark decides
        if (FetcherMarker.read(dataDir) == null && Files.exists(dataDir.resolve(ReplicaFollower.OFFSETS_FILE)))
        {
            throw new UsageException("data-dir: " + dataDir + " is a replica's (it holds " +
                ReplicaFollower.OFFSETS_FILE + "): a replica's index is written from the replication topic alone; " +
                "a fetcher's brands are loaded by its feed and reconcile");
        }
        // a fetcher's directory: marked first, durably, so that even a crash mid-import leaves the index to be
        // published whole at the fetcher's next start (docs/REPLICATION.md §2, "Imports")
        if (FetcherMarker.markUnpublished(dataDir))
        {
            progress.println("data-dir " + dataDir + " is a fetcher's: its next start publishes the whole index to " +
                "the replication topic (the replicas get this import then)");
        }
        try (ConsentStore store = ConsentStore.open(dataDir, options);
            IngestPipeline pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE))
        {
            try
            {
                pipeline.createBrand(brand).get();
            }
            catch (final ExecutionException ex)
            {
                throw new IOException("cannot open or create the index of brand " + brand + ": " +
                    ex.getCause().getMessage(), ex.getCause());
            }
            // Until the marker is gone the brand opens INDEX_DAMAGED: a crash mid-import never serves half a brand.
            final String name = "import of " + file.toAbsolutePath();
            store.importStarted(brand, name);
            final DailyFileImporter.Report report =
                new DailyFileImporter(pipeline, brand, LISTED_REJECTIONS, progress).importFile(file);
            store.brand(brand).force();
            store.importFinished(brand, name);
            return report;
        }
    }
}
