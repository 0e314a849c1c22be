package io.iysfilter.server.cli;

import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.RecipientProtection;
import io.iysfilter.server.receipts.FoundReceipt;
import io.iysfilter.server.receipts.JournalReceiptSource;
import io.iysfilter.server.receipts.ReceiptQuery;
import io.iysfilter.server.receipts.ReceiptResults;
import io.iysfilter.server.receipts.ReceiptSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter receipts find}: one brand's receipts of one recipient, offline, from the journal's files.
 */
@Command(name = "find", sortOptions = false, description = {
    "find the receipts of one recipient for one brand",
    "",
    "Reads the journal under the receipts directory and prints every receipt the brand was given for the " +
        "recipient in the range (default: all days kept; unlike GET /v1/receipts, whose range is bounded, this " +
        "reads as many days as asked, every one of them whole), as JSON (default) or CSV, with each day's digest: " +
        "the day's root once closed, the chain head of the open day. The journal holds the recipient only keyed with " +
        "the data directory's index key, so the key file is read to compute the same keys (a phone under its four " +
        "channel and type keys, an e-mail under its two). A day searched whose PARTIES blocks do not name one party " +
        "and dealer for each receipt (as receipts verify reads them) fails the whole search, naming the day and " +
        "where: run receipts verify on it. Exit status 0 when done (also when nothing matches), 2 on an error."})
final class ReceiptsFindCommand implements Callable<Integer>
{
    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--brand", required = true, paramLabel = "CODE", converter = Converters.Code.class,
        description = "the brand's İYS code")
    private long brand;

    @Option(names = "--recipient", required = true, paramLabel = "R", converter = Converters.NonBlank.class,
        description = "the phone number or e-mail address, as a sender writes it")
    private String recipient;

    @Option(names = "--from", paramLabel = "T", description = "first instant included (2026-11-30T10:00:00Z), or a " +
        "UTC day (2026-11-30: from its start); default: the first day kept")
    private String from;

    @Option(names = "--to", paramLabel = "T", description = "first instant excluded, or a UTC day (2026-11-30: up " +
        "to its end, included); default: now")
    private String to;

    @Option(names = "--format", paramLabel = "json|csv", description = "json (default) or csv")
    private String format = "json";

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", converter = Converters.NonBlankPath.class,
        description = "the data directory, whose index key protects the recipient")
    private Path dataDir;

    @Option(names = "--key-file", paramLabel = "FILE", converter = Converters.NonBlankPath.class,
        description = "the index key, as serve's key-file (default: DIR.key, beside the data directory)")
    private Path keyFile;

    @Option(names = "--dir", paramLabel = "DIR", converter = Converters.NonBlankPath.class,
        description = "the receipts directory, as serve's receipts-dir (default: the data directory's receipts)")
    private Path receiptsDir;

    ReceiptsFindCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        if (!"json".equals(format) && !"csv".equals(format))
        {
            throw new UsageException("format: '" + format + "' (expected: json or csv)");
        }
        final ReceiptQuery query;
        try
        {
            query = new ReceiptQuery(brand, recipient, ReceiptQuery.parseBound("from", from, false),
                ReceiptQuery.parseBound("to", to, true));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(ex.getMessage());
        }
        final String problem = query.problem();
        if (problem != null)
        {
            throw new UsageException(problem);
        }
        final Path directory = receiptsDir != null ? receiptsDir : dataDir.resolve("receipts");
        if (!Files.isDirectory(directory))
        {
            throw new UsageException("receipts directory not found: " + directory + " (give --dir, as serve's " +
                "receipts-dir)");
        }
        final IndexKey key = IndexKey.load(keyFile != null ? keyFile : IndexKey.defaultFile(dataDir));
        final ReceiptSearch search = new ReceiptSearch(JournalReceiptSource.open(directory),
            RecipientProtection.of(key)::protect);
        final List<FoundReceipt> found = new ArrayList<>();
        final List<ReceiptSearch.DaySearched> days;
        try
        {
            days = search.search(query, found::add);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException(ex.getMessage());
        }
        final ReceiptResults results = new ReceiptResults(query, found, days);
        out.print("csv".equals(format) ? results.csv() : results.json() + "\n");
        out.flush();
        err.printf("%d receipts of brand %d in %d days searched%n", found.size(), brand, days.size());
        return Main.EXIT_OK;
    }
}
