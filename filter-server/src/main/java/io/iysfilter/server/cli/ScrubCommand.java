package io.iysfilter.server.cli;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.server.iys.CsvLine;
import io.iysfilter.server.iys.DailyFileImporter;
import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.receipts.FoundReceipt;
import io.iysfilter.server.receipts.ScrubProof;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter scrub}: a campaign list through a running server, split into allowed and denied rows.
 */
@Command(name = "scrub", sortOptions = false, description = {
    "split a campaign list into the rows that may be sent and those that may not",
    "",
    "Streams a campaign list (CSV, one recipient per row, any other columns kept) through a running server in " +
        "pipelined batches, and writes the rows that may be sent to --allowed and the others to --denied, with the " +
        "reason appended as a last column, both in input order. Ends with counts by verdict and reason. Memory " +
        "stays flat whatever the list's size. Rows are copied to the outputs byte for byte (bytes that are not " +
        "UTF-8 too); lines end at LF, CRLF or CR and are written ending in LF. FILE '-' reads standard input.",
    "",
    "Batches keep within the limits the server announces (entries, frame length). Rows that cannot be checked " +
        "(empty, unparsable, not ASCII, longer than the server takes: 254 bytes, or less if it announces less) are " +
        "DENY INVALID_RECIPIENT, listed with their line numbers and why, and never stop the run. Exit status 0 " +
        "when done, 2 on an error."})
final class ScrubCommand implements Callable<Integer>
{
    private static final int LISTED_BAD_ROWS = 20;
    private static final long PROGRESS_INTERVAL_NS = 1_000_000_000L;
    private static final int PROGRESS_BAR_WIDTH = 30;

    private final PrintStream out;
    private final PrintStream err;

    @Mixin
    private CheckOptions ask = new CheckOptions();

    @Option(names = "--in", required = true, paramLabel = "FILE", converter = Converters.NonBlank.class,
        description = "the list; '-' for standard input")
    private String inName;

    @Option(names = "--allowed", paramLabel = "OUT.csv", description = "where the rows that may be sent go")
    private Path allowedFile;

    @Option(names = "--denied", paramLabel = "OUT.csv", description = "where the others go, with the reason")
    private Path deniedFile;

    @Option(names = "--preview", description = "print only the summary; write no files")
    private boolean preview;

    @Option(names = "--column", paramLabel = "NAME|INDEX", description = "the recipient's column: a header name " +
        "(the first row is then a header) or a 1-based index (default 1)")
    private String columnText = "1";

    @Option(names = "--header", description = "the first row is a header, copied to both outputs (implied by a " +
        "column NAME)")
    private boolean headerRow;

    @Option(names = "--log-recipients", paramLabel = "masked|full", description = "recipients in the bad rows " +
        "printed: masked (default, +90532*****67, a***@example.com) or full; the output files keep rows whole")
    private String logRecipients = "masked";

    @Option(names = "--proof", paramLabel = "FILE", description = "write the run's proof-of-scrub summary here " +
        "(JSON: the input's SHA-256, counts by reason, first and last decision id, server and time; " +
        "docs/RECEIPTS.md says how to match it against the server's journal)")
    private Path proofFile;

    @Option(names = "--batch-size", paramLabel = "N", description = "rows per CHECK_BATCH, 1.." +
        Limits.MAX_BATCH_ENTRIES + " (default " + Limits.MAX_BATCH_ENTRIES + "); fewer when the server announces a " +
        "smaller maxBatchEntries or maxFrameLength")
    private int batchSize = Limits.MAX_BATCH_ENTRIES;

    ScrubCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        if (!preview && (allowedFile == null || deniedFile == null))
        {
            throw new UsageException("give --allowed and --denied, or --preview");
        }
        UsageException.inRange("batch-size", batchSize, 1, Limits.MAX_BATCH_ENTRIES);
        if (!"masked".equals(logRecipients) && !"full".equals(logRecipients))
        {
            throw new UsageException("log-recipients: '" + logRecipients + "' (expected: masked or full)");
        }
        final boolean byName = !columnText.chars().allMatch(Character::isDigit);
        final boolean header = byName || headerRow;
        final long totalBytes = "-".equals(inName) ? 0 : Files.size(Path.of(inName));

        // the input's digest costs as much CPU as the scrub itself: taken only for a proof
        final MessageDigest digest = proofFile == null ? null : MessageDigest.getInstance("SHA-256");
        final InputStream source = "-".equals(inName) ? System.in : Files.newInputStream(Path.of(inName));
        try (InputStream stream = digest == null ? source : new DigestInputStream(source, digest))
        {
            // bounded like every line reader: a 300 MB "line" fails naming it instead of filling the heap
            final LineInput in = new LineInput(stream, LineInput.DEFAULT_BUFFER_BYTES,
                DailyFileImporter.MAX_LINE_BYTES);
            final byte[] headerLine = header ? readHeader(in) : null;
            final int column = byName ?
                columnIndex(headerLine == null ? null : new String(headerLine, StandardCharsets.UTF_8), columnText) :
                (int)UsageException.parseLong("column", columnText, 1, 1024) - 1;
            final FilterClient.Options options = ask.withToken(FilterClient.Options.of(ask.host, ask.port)
                .withTls(ask.tls.clientTls()));
            final long startNs = System.nanoTime();
            final ListScrubber.Tally tally;
            try (FilterClient client = FilterClient.connect(options);
                RowOutput allowed = preview ? null : output(allowedFile);
                RowOutput denied = preview ? null : output(deniedFile))
            {
                final ListScrubber scrubber = new ListScrubber(client, ask.brand, ask.dealer, ask.channel, ask.type,
                    ask.kind, batchSize, ListScrubber.DEFAULT_WINDOW, LISTED_BAD_ROWS);
                tally = scrubber.scrub(in, column, headerLine, allowed, denied,
                    new ProgressPrinter(err, totalBytes, startNs));
            }
            catch (final LineInput.LineTooLongException ex)
            {
                throw tooLong(ex);
            }
            printSummary(out, err, tally, inName, ask.brand, ask.channel, ask.kind, System.nanoTime() - startNs,
                preview, "full".equals(logRecipients));
            if (digest != null)
            {
                // the rest of the input (nothing, unless a reader stopped early) counts in the digest too
                stream.transferTo(OutputStream.nullOutputStream());
                final String proof = proofJson(tally, digest.digest(), System.currentTimeMillis());
                Files.writeString(proofFile, proof + "\n", StandardCharsets.UTF_8);
                out.println("proof-of-scrub written to " + proofFile + ": decisions " +
                    DecisionIds.text(tally.firstId) + ".." + DecisionIds.text(tally.lastId));
            }
        }
        return Main.EXIT_OK;
    }

    /**
     * @return the client's proof-of-scrub summary as one JSON object.
     */
    String proofJson(final ListScrubber.Tally tally, final byte[] inputDigest, final long nowMs)
    {
        final StringBuilder json = new StringBuilder(512)
            .append("{\"server\":").append(FoundReceipt.string(ask.host + ":" + ask.port))
            .append(",\"time\":\"").append(Instant.ofEpochMilli(nowMs))
            .append("\",\"input\":").append(FoundReceipt.string(inName))
            .append(",\"inputSha256\":\"").append(ScrubProof.hex(inputDigest))
            .append("\",\"brand\":").append(ask.brand)
            .append(ask.dealer == FilterClient.NO_DEALER ? "" : ",\"dealer\":" + ask.dealer)
            .append(",\"channel\":\"").append(ask.channel)
            .append("\",\"recipientType\":\"").append(ask.type)
            .append("\",\"kind\":\"").append(ask.kind)
            .append("\",\"rows\":").append(tally.rows)
            .append(",\"answeredLocally\":").append(tally.answeredLocally)
            .append(",\"unrecorded\":").append(tally.unrecorded)
            .append(",\"byReason\":{");
        boolean first = true;
        for (final Reason reason : tally.reasons())
        {
            json.append(first ? "\"" : ",\"").append(reason.name()).append("\":").append(tally.count(reason));
            first = false;
        }
        return json.append("},\"firstDecisionId\":\"").append(DecisionIds.text(tally.firstId))
            .append("\",\"lastDecisionId\":\"").append(DecisionIds.text(tally.lastId))
            .append("\"}").toString();
    }

    private byte[] readHeader(final LineInput in) throws IOException
    {
        try
        {
            final int length = in.readLineBytes();
            return length < 0 ? null : Arrays.copyOfRange(in.array(), in.offset(), in.offset() + length);
        }
        catch (final LineInput.LineTooLongException ex)
        {
            throw tooLong(ex);
        }
    }

    private IOException tooLong(final LineInput.LineTooLongException ex)
    {
        return new IOException(inName + ": line " + ex.lineNumber() + " is longer than " +
            DailyFileImporter.MAX_LINE_BYTES + " bytes (expected: a list, one row per line); the scrub stopped " +
            "there (the outputs hold the rows before it)", ex);
    }

    private static RowOutput output(final Path file) throws IOException
    {
        return new RowOutput(Files.newOutputStream(file), RowOutput.DEFAULT_BUFFER_BYTES);
    }

    private static int columnIndex(final String headerLine, final String name)
    {
        if (headerLine == null)
        {
            return 0;
        }
        final String[] names = new String[1024];
        final int count = CsvLine.split(headerLine, names);
        for (int i = 0; i < Math.min(count, names.length); i++)
        {
            if (name.equals(names[i]))
            {
                return i;
            }
        }
        throw new UsageException("column: '" + name + "' is not in the header row '" + headerLine + "'");
    }

    private static void printSummary(
        final PrintStream out,
        final PrintStream err,
        final ListScrubber.Tally tally,
        final String inName,
        final long brand,
        final Channel channel,
        final MessageKind kind,
        final long elapsedNs,
        final boolean preview,
        final boolean recipientsWhole)
    {
        final double seconds = elapsedNs / 1e9;
        out.printf(Locale.ROOT, "%s %,d rows of %s for brand %d, %s %s, in %.1f s (%,.0f rows/s)%n",
            preview ? "previewed" : "scrubbed", tally.rows, inName, brand, channel, kind, seconds,
            tally.rows / Math.max(seconds, 1e-9));
        out.printf(Locale.ROOT, "  %-7s %-18s %14s %8s%n", "verdict", "reason", "rows", "share");
        for (final Reason reason : tally.reasons())
        {
            out.printf(Locale.ROOT, "  %-7s %-18s %,14d %7.1f%%%n", Verdicts.verdictOf(reason), reason,
                tally.count(reason), share(tally.count(reason), tally.rows));
        }
        final long allowed = tally.allowed();
        out.printf(Locale.ROOT, "  %-7s %-18s %,14d %7.1f%%%n", "ALLOW", "(total)", allowed,
            share(allowed, tally.rows));
        out.printf(Locale.ROOT, "  %-7s %-18s %,14d %7.1f%%%n", "DENY", "(total)", tally.rows - allowed,
            share(tally.rows - allowed, tally.rows));
        if (tally.badRowCount > 0)
        {
            out.printf(Locale.ROOT, "  %,d bad rows (every one is in the denied output with its reason)%n",
                tally.badRowCount);
            for (final String badRow : tally.badRows)
            {
                err.println("  bad row " + (recipientsWhole ? badRow : Recipients.maskText(badRow)));
            }
            if (tally.badRowCount > tally.badRows.size())
            {
                err.printf(Locale.ROOT, "  ... and %,d more bad rows%n", tally.badRowCount - tally.badRows.size());
            }
        }
    }

    private static double share(final long part, final long whole)
    {
        return whole == 0 ? 0.0 : part * 100.0 / whole;
    }

    /**
     * A progress bar with rate and ETA on stderr, redrawn in place on a terminal, a line per interval otherwise.
     */
    private static final class ProgressPrinter implements ListScrubber.Progress
    {
        private final PrintStream err;
        private final long totalBytes;
        private final long startNs;
        private final boolean terminal = System.console() != null;
        private long nextNs;

        ProgressPrinter(final PrintStream err, final long totalBytes, final long startNs)
        {
            this.err = err;
            this.totalBytes = totalBytes;
            this.startNs = startNs;
            this.nextNs = startNs + PROGRESS_INTERVAL_NS;
        }

        @Override
        public void onBatch(final ListScrubber.Tally tally)
        {
            final long nowNs = System.nanoTime();
            if (nowNs - nextNs < 0)
            {
                return;
            }
            nextNs = nowNs + PROGRESS_INTERVAL_NS;
            final double seconds = (nowNs - startNs) / 1e9;
            final double rate = tally.rows / seconds;
            final StringBuilder line = new StringBuilder(terminal ? "\r" : "");
            if (totalBytes > 0)
            {
                final double done = Math.min(1.0, tally.bytesRead / (double)totalBytes);
                final int filled = (int)(done * PROGRESS_BAR_WIDTH);
                final double etaSeconds = done > 0 ? seconds * (1 - done) / done : 0;
                line.append('[').append("#".repeat(filled)).append(" ".repeat(PROGRESS_BAR_WIDTH - filled))
                    .append(String.format(Locale.ROOT, "] %3.0f%% ", done * 100))
                    .append(String.format(Locale.ROOT, "%,d rows, %,.0f rows/s, ETA %.0f s", tally.rows, rate,
                        etaSeconds));
            }
            else
            {
                line.append(String.format(Locale.ROOT, "%,d rows, %,.0f rows/s", tally.rows, rate));
            }
            if (terminal)
            {
                err.print(line);
            }
            else
            {
                err.println(line);
            }
            err.flush();
        }
    }
}
