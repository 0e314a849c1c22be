package io.iysfilter.server.cli;

import io.iysfilter.server.receipts.DayRoot;
import io.iysfilter.server.receipts.ReceiptReader;
import io.iysfilter.server.receipts.Verification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter receipts verify}: recompute the journal's hash chain and report the first break.
 */
@Command(name = "verify", sortOptions = false, description = {
    "recompute the receipts journal's hash chain and report the first break",
    "",
    "Reads every block of every day (or of one day with --day) from the receipts directory, recomputes each " +
        "block's SHA-256 from the previous block's digest, checks the links between segments and days and each " +
        "closed day's root file, and prints each day's root digest, then OK or the first break: its day, segment, " +
        "block, byte offset, and the digest expected against the one found. Read only; safe while a server runs.",
    "Exit status: 0 when everything verified, 1 on a break, 2 on an error."})
final class ReceiptsVerifyCommand implements Callable<Integer>
{
    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--dir", paramLabel = "DIR", description = "the receipts directory (the server's receipts-dir)")
    private Path dir;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "the server's data directory, when --dir is " +
        "not given: its receipts subdirectory (the default receipts-dir)")
    private Path dataDir;

    @Option(names = "--day", paramLabel = "YYYY-MM-DD", description = "verify this day only (default: every day)")
    private String day;

    ReceiptsVerifyCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        final Path receipts = directory(dir, dataDir);
        final LocalDate only = day == null ? null : day(day);
        try (ReceiptReader reader = ReceiptReader.open(receipts))
        {
            for (final LocalDate day : only == null ? reader.days() : List.of(only))
            {
                final DayRoot root = reader.root(day);
                if (root != null)
                {
                    out.println(day + " " + (root.closed() ? "closed, root " : "open, head ") + root.digest() +
                        ", " + root.receipts() + " receipts");
                }
            }
            final Verification verification = only == null ? reader.verifyAll() : reader.verify(only);
            out.println(verification.describe());
            for (final Path kept : reader.tornTails(only))
            {
                out.println("note: torn tail kept in " + kept + " (cut at a start, outside the chain, not verified)");
            }
            return verification.ok() ? Main.EXIT_OK : Main.EXIT_DENY;
        }
    }

    static Path directory(final Path dir, final Path dataDir)
    {
        final Path receipts = dir != null ? dir : dataDir != null ? dataDir.resolve("receipts") : null;
        if (receipts == null)
        {
            throw new UsageException("receipts: give --dir DIR (the receipts directory) or --data-dir DIR");
        }
        if (!Files.isDirectory(receipts))
        {
            throw new IllegalArgumentException("no receipts directory at " + receipts);
        }
        return receipts;
    }

    static LocalDate day(final String text)
    {
        try
        {
            return LocalDate.parse(text);
        }
        catch (final DateTimeParseException ex)
        {
            throw new UsageException("day: '" + text + "' (expected: YYYY-MM-DD)");
        }
    }
}
