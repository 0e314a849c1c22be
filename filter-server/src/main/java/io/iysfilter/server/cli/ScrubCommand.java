package io.iysfilter.server.cli;

import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.iys.CsvLine;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code iys-filter scrub}: a campaign list through a running server, split into allowed and denied rows.
 */
final class ScrubCommand implements Main.Command
{
    private static final int LISTED_BAD_ROWS = 20;
    private static final long PROGRESS_INTERVAL_NS = 1_000_000_000L;
    private static final int PROGRESS_BAR_WIDTH = 30;

    @Override
    public String help()
    {
        return String.join("\n",
            "usage: iys-filter scrub --brand CODE --channel ARAMA|MESAJ|EPOSTA --in FILE",
            "                        (--allowed OUT.csv --denied OUT.csv | --preview)",
            "                        [--column NAME|INDEX] [--header] [--kind COMMERCIAL|TRANSACTIONAL]",
            "                        [--recipient-type BIREYSEL|TACIR] [--host H] [--port P] [--batch-size N]",
            "",
            "Streams a campaign list (CSV, one recipient per row, any other columns kept) through a running server",
            "in pipelined batches, and writes the rows that may be sent to --allowed and the others to --denied,",
            "with the reason appended as a last column, both in input order. Ends with counts by verdict and reason.",
            "Memory stays flat whatever the list's size. FILE '-' reads standard input.",
            "",
            "  --column NAME|INDEX   the recipient's column: a header name (the first row is then a header) or a",
            "                        1-based index (default 1)",
            "  --header              the first row is a header, copied to both outputs (implied by a column NAME)",
            "  --preview             print only the summary; write no files",
            "  --batch-size N        rows per CHECK_BATCH, 1.." + Limits.MAX_BATCH_ENTRIES + " (default " +
                Limits.MAX_BATCH_ENTRIES + ")",
            "",
            "Rows that cannot be checked (empty, unparsable, not ASCII, over 254 bytes) are DENY INVALID_RECIPIENT,",
            "listed with their line numbers, and never stop the run. Exit status 0 when done, 2 on an error.");
    }

    @Override
    public int run(final String[] argv, final PrintStream out, final PrintStream err) throws Exception
    {
        final Args args = Args.parse(argv, Set.of("brand", "channel", "kind", "recipient-type", "in", "column",
            "allowed", "denied", "host", "port", "batch-size"), Set.of("preview", "header"));
        final long brand = Args.parseLong("brand", args.required("brand"), 1, 0xFFFF_FFFFL);
        final Channel channel = CheckCommand.parseEnum("channel", args.required("channel"), Channel.ARAMA,
            Channel.MESAJ, Channel.EPOSTA);
        final MessageKind kind = args.has("kind") ? CheckCommand.parseEnum("kind", args.get("kind"),
            MessageKind.COMMERCIAL, MessageKind.TRANSACTIONAL) : MessageKind.COMMERCIAL;
        final RecipientType type = args.has("recipient-type") ? CheckCommand.parseEnum("recipient-type",
            args.get("recipient-type"), RecipientType.BIREYSEL, RecipientType.TACIR) : RecipientType.UNSPECIFIED;
        final String inName = args.required("in");
        final boolean preview = args.has("preview");
        if (!preview && (!args.has("allowed") || !args.has("denied")))
        {
            throw new Args.UsageException("give --allowed and --denied, or --preview");
        }
        final int batchSize = (int)Args.parseLong("batch-size",
            args.get("batch-size", Integer.toString(Limits.MAX_BATCH_ENTRIES)), 1,
            Limits.MAX_BATCH_ENTRIES);
        final String columnText = args.get("column", "1");
        final boolean byName = !columnText.chars().allMatch(Character::isDigit);
        final boolean header = byName || args.has("header");
        final long totalBytes = "-".equals(inName) ? 0 : Files.size(Path.of(inName));

        try (BufferedReader in = new BufferedReader("-".equals(inName) ?
            new InputStreamReader(System.in, StandardCharsets.UTF_8) :
            Files.newBufferedReader(Path.of(inName), StandardCharsets.UTF_8), 1 << 16))
        {
            final int column;
            if (byName)
            {
                in.mark(1 << 16);
                column = columnIndex(in.readLine(), columnText);
                in.reset();
            }
            else
            {
                column = (int)Args.parseLong("column", columnText, 1, 1024) - 1;
            }
            final FilterClient.Options options = FilterClient.Options.of(args.get("host", "127.0.0.1"),
                (int)Args.parseLong("port", args.get("port", "7700"), 1, 65535));
            final long startNs = System.nanoTime();
            final ListScrubber.Tally tally;
            try (FilterClient client = FilterClient.connect(options);
                Writer allowed = preview ? null : writer(args.get("allowed"));
                Writer denied = preview ? null : writer(args.get("denied")))
            {
                final ListScrubber scrubber = new ListScrubber(client, brand, channel, type, kind, batchSize,
                    ListScrubber.DEFAULT_WINDOW, LISTED_BAD_ROWS);
                tally = scrubber.scrub(in, column, header, allowed, denied,
                    new ProgressPrinter(err, totalBytes, startNs));
            }
            printSummary(out, err, tally, inName, brand, channel, kind, System.nanoTime() - startNs, preview);
        }
        return Main.EXIT_OK;
    }

    private static Writer writer(final String name) throws IOException
    {
        return new BufferedWriter(Files.newBufferedWriter(Path.of(name), StandardCharsets.UTF_8), 1 << 16);
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
        throw new Args.UsageException("column: '" + name + "' is not in the header row '" + headerLine + "'");
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
        final boolean preview)
    {
        final double seconds = elapsedNs / 1e9;
        out.printf(Locale.ROOT, "%s %,d rows of %s for brand %d, %s %s, in %.1f s (%,.0f rows/s)%n",
            preview ? "previewed" : "scrubbed", tally.rows, inName, brand, channel, kind, seconds,
            tally.rows / Math.max(seconds, 1e-9));
        out.printf(Locale.ROOT, "  %-7s %-18s %14s %8s%n", "verdict", "reason", "rows", "share");
        for (final Map.Entry<Reason, Long> entry : tally.byReason.entrySet())
        {
            out.printf(Locale.ROOT, "  %-7s %-18s %,14d %7.1f%%%n", Verdicts.verdictOf(entry.getKey()),
                entry.getKey(), entry.getValue(), share(entry.getValue(), tally.rows));
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
                err.println("  bad row " + badRow);
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
