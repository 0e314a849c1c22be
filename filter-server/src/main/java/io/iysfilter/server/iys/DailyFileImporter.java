package io.iysfilter.server.iys;

import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentValueDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;

/**
 * Imports İYS's daily change file ("Günlük İzin Hareket Dosyası") for one brand: CSV, a header row naming the
 * columns {@code creationDate,transactionId,recipient,recipientType,type,status,consentDate,source} in any order,
 * optional spaces after commas, optional double quotes. Every valid line goes through the {@link IngestPipeline};
 * a bad line is reported with its number and reason and never stops the rest.
 */
public final class DailyFileImporter
{
    /** The columns the header must name. */
    public static final String[] COLUMNS = {
        "creationDate", "transactionId", "recipient", "recipientType", "type", "status", "consentDate", "source"};
    /**
     * Longest line of a daily file taken, in bytes, its terminator excluded: a record is about 100 bytes, so a longer
     * line is not a daily file's, and is refused rather than held. The HTTP reconcile handler holds bodies to it too.
     */
    public static final int MAX_LINE_BYTES = 64 * 1024;
    private static final long PROGRESS_INTERVAL_NS = 2_000_000_000L;
    /** Most columns a line's fields are kept for (the header may have no more). */
    private static final int MAX_COLUMNS = 32;
    /**
     * Valid records handed to the writer in one claim of the ring: one claim and one wake-up of the writer per run,
     * not per record. The writer still applies and reports them one by one, in file order.
     */
    private static final int RUN_LENGTH = 256;

    private final IngestPipeline pipeline;
    private final long brandCode;
    private final int maxListedRejections;
    private final PrintStream progress;
    private Inspector inspector;
    private long windowStartSec = Long.MIN_VALUE;
    private long windowEndSec = Long.MAX_VALUE;
    private String windowName;
    private boolean textOnly;

    /**
     * Sees each valid record before it is published, e.g. to compare it with the index. The writer applies records
     * after they are inspected, in runs: the index may not hold yet the records of the lines just before.
     */
    public interface Inspector
    {
        /**
         * @param lineNumber the record's line.
         * @param change     the record, valid; do not keep it.
         */
        void inspect(long lineNumber, ConsentChange change);
    }

    /**
     * The outcome of one import.
     *
     * @param lines      data lines read (the header excluded).
     * @param applied    changes newer than what the index held, now stored.
     * @param superseded changes the index already held, or held something newer for.
     * @param rejected   lines refused by validation or by the index.
     * @param rejections the rejections of the lowest line numbers, in line order, as {@code line N: reason}.
     * @param elapsedNs  wall time.
     */
    public record Report(
        long lines, long applied, long superseded, long rejected, List<String> rejections, long elapsedNs)
    {
    }

    /**
     * @param pipeline            where changes go.
     * @param brandCode           the brand the file belongs to.
     * @param maxListedRejections how many rejections the report lists one by one.
     * @param progress            where progress lines go, or null for none.
     */
    public DailyFileImporter(
        final IngestPipeline pipeline, final long brandCode, final int maxListedRejections, final PrintStream progress)
    {
        this.pipeline = pipeline;
        this.brandCode = brandCode;
        this.maxListedRejections = maxListedRejections;
        this.progress = progress;
    }

    /**
     * @param inspector sees each valid record before it is published.
     * @return this.
     */
    public DailyFileImporter inspector(final Inspector inspector)
    {
        this.inspector = inspector;
        return this;
    }

    /**
     * Reject, as invalid lines, records created outside a time window, e.g. the day a daily file is of.
     *
     * @param startSec first second of the window, epoch seconds.
     * @param endSec   first second after the window.
     * @param name     what the window is, for the rejection, e.g. "the file's day 2026-11-29".
     * @return this.
     */
    public DailyFileImporter creationWindow(final long startSec, final long endSec, final String name)
    {
        this.windowStartSec = startSec;
        this.windowEndSec = endSec;
        this.windowName = name;
        return this;
    }

    /**
     * Take every line as text, ASCII or not: decoded and split as a {@code String}, the way the bytes path must match.
     * For tests that compare the two paths on the same lines.
     *
     * @return this.
     */
    DailyFileImporter textOnly()
    {
        this.textOnly = true;
        return this;
    }

    /**
     * Import a file and wait until every line is applied.
     *
     * @param file the CSV file.
     * @return the report.
     * @throws IOException when the file cannot be read, has no valid header, or the index cannot take a change.
     */
    public Report importFile(final Path file) throws IOException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            return importStream(in, Files.size(file));
        }
    }

    /**
     * Import a stream, read line by line as it arrives (never held whole), and wait until every line is applied.
     * When the index cannot take a change (the disk is full, a write failed), or a line is longer than
     * {@link #MAX_LINE_BYTES}, or the stream fails, the import stops reading and fails: the lines before are applied,
     * nothing after is read.
     *
     * @param in         CSV bytes, UTF-8.
     * @param totalBytes for progress, or 0 when unknown.
     * @return the report.
     * @throws IOException when the stream cannot be read, has no valid header, has a line over the cap, or the index
     *                     cannot take a change.
     */
    public Report importStream(final InputStream in, final long totalBytes) throws IOException
    {
        final long startNs = System.nanoTime();
        final Outcomes outcomes = new Outcomes(maxListedRejections);
        final BoundedLineReader reader = new BoundedLineReader(in, MAX_LINE_BYTES);
        final String header = reader.readLine();
        if (header == null)
        {
            throw new IOException("empty file: expected a header row naming " + String.join(",", COLUMNS));
        }
        final int[] columnIndex = columnIndexes(header);
        final Lines lines = new Lines(columnIndex, outcomes);
        long nextProgressNs = startNs + PROGRESS_INTERVAL_NS;
        int length;
        try
        {
            while (outcomes.storeFailure == null && (length = readLine(reader, outcomes)) >= 0)
            {
                lines.take(reader.lineBytes(), length, reader.lineAscii(), reader.lineNumber());
                if (progress != null && (outcomes.lines & 0xFFF) == 0 && System.nanoTime() - nextProgressNs > 0)
                {
                    nextProgressNs = System.nanoTime() + PROGRESS_INTERVAL_NS;
                    printProgress(outcomes.lines, reader.bytesRead(), totalBytes, startNs);
                }
            }
        }
        catch (final RuntimeException | Error ex)
        {
            // an inspector's exception, say: the valid lines read before it are still handed to the writer (not
            // awaited), as they were when each was handed over on its own; the exception is the caller's
            try
            {
                lines.flush();
            }
            catch (final Throwable suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
        lines.flush();
        awaitBarrier();
        if (outcomes.readFailure != null)
        {
            throw new IOException(outcomes.readFailure.getMessage() + "; the import stopped there (lines before it " +
                "are applied, nothing after it is read)", outcomes.readFailure);
        }
        if (outcomes.storeFailure != null)
        {
            throw new IOException("the index could not take line " + outcomes.storeFailureLine + ": " +
                outcomes.storeFailure + "; the import stopped there (lines before it are applied, importing the " +
                "file again after fixing this applies the rest)");
        }
        final List<String> listed;
        synchronized (outcomes)
        {
            listed = new ArrayList<>(outcomes.listed.values());
        }
        return new Report(outcomes.lines, outcomes.applied, outcomes.superseded, outcomes.rejected(), listed,
            System.nanoTime() - startNs);
    }

    /**
     * @return the next line's length in bytes (the line in {@link BoundedLineReader#lineBytes()}), or -1 at the end
     *         or when reading failed: the failure is kept in {@code outcomes}, so that what was published before it is
     *         awaited first.
     */
    private static int readLine(final BoundedLineReader reader, final Outcomes outcomes)
    {
        try
        {
            return reader.readLineBytes();
        }
        catch (final IOException ex)
        {
            outcomes.readFailure = ex;
            return -1;
        }
    }

    /**
     * @return whether an ASCII line is empty or white space only, as {@link String#isBlank()} says of its text.
     */
    static boolean blank(final byte[] line, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            final byte b = line[i];
            if (b != ' ' && (b < 0x09 || b > 0x0D) && (b < 0x1C || b > 0x1F))
            {
                return false;
            }
        }
        return true;
    }

    private void awaitBarrier() throws IOException
    {
        try
        {
            pipeline.barrier().get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the index writer", ex);
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("index writer failed", ex.getCause());
        }
    }

    private String parse(
        final ConsentRecordParser parser,
        final CharSequence[] fields,
        final int count,
        final int[] columnIndex,
        final ConsentChange change)
    {
        for (final int index : columnIndex)
        {
            if (index >= count)
            {
                return "too few columns: " + count + " (expected: " + COLUMNS.length + ")";
            }
        }
        final String error = parser.parse(brandCode,
            fields[columnIndex[0]], fields[columnIndex[1]], fields[columnIndex[2]], fields[columnIndex[3]],
            fields[columnIndex[4]], fields[columnIndex[5]], fields[columnIndex[6]], fields[columnIndex[7]], change);
        if (error == null && windowName != null)
        {
            final long creationSec = ConsentValueDescriptor.creationSec(change.word0());
            if (creationSec < windowStartSec || creationSec >= windowEndSec)
            {
                return "creationDate outside " + windowName + ": '" + fields[columnIndex[0]] + "'";
            }
        }
        return error;
    }

    private static int[] columnIndexes(final String header) throws IOException
    {
        final String[] names = new String[MAX_COLUMNS];
        final int count = CsvLine.split(header.startsWith("\uFEFF") ? header.substring(1) : header, names);
        if (count > names.length)
        {
            throw new IOException("header row has " + count + " columns, more than the " + names.length +
                " a daily file may have: header='" + header + "'");
        }
        final int[] indexes = new int[COLUMNS.length];
        for (int c = 0; c < COLUMNS.length; c++)
        {
            indexes[c] = -1;
            for (int i = 0; i < count; i++)
            {
                if (COLUMNS[c].equals(names[i]))
                {
                    indexes[c] = i;
                }
            }
            if (indexes[c] < 0)
            {
                throw new IOException("header row lacks column '" + COLUMNS[c] + "': header='" + header +
                    "', expected columns " + String.join(",", COLUMNS));
            }
        }
        return indexes;
    }

    /**
     * Turns lines into changes and hands the valid ones to the writer in runs. A line of ASCII bytes (nearly every
     * line of a daily file) is split and validated as bytes, without a String; any other is decoded first and split
     * as text, which for ASCII gives the same fields.
     */
    private final class Lines
    {
        private final ConsentRecordParser parser = new ConsentRecordParser();
        private final int[] columnIndex;
        private final Outcomes outcomes;
        private final String[] textFields = new String[MAX_COLUMNS];
        private final AsciiCsvFields asciiFields = new AsciiCsvFields(MAX_COLUMNS);
        private final ConsentChange[] run;
        private final long[] runTags;
        private int runCount;

        Lines(final int[] columnIndex, final Outcomes outcomes)
        {
            this.columnIndex = columnIndex;
            this.outcomes = outcomes;
            final int runLength = Math.min(RUN_LENGTH, pipeline.ringCapacity());
            run = new ConsentChange[runLength];
            runTags = new long[runLength];
            for (int i = 0; i < runLength; i++)
            {
                run[i] = new ConsentChange();
            }
        }

        /**
         * Take one line: a blank one is skipped, an invalid one rejected with its reason, a valid one added to the run.
         */
        void take(final byte[] bytes, final int length, final boolean ascii, final long lineNumber)
        {
            final ConsentChange change = run[runCount];
            final String error;
            if (ascii && !textOnly)
            {
                if (blank(bytes, length))
                {
                    return;
                }
                outcomes.lines++;
                final int count = asciiFields.split(bytes, 0, length);
                error = count < 0 ? "unbalanced quotes" :
                    parse(parser, asciiFields.fields(), count, columnIndex, change);
            }
            else
            {
                final String line = new String(bytes, 0, length, StandardCharsets.UTF_8);
                if (line.isBlank())
                {
                    return;
                }
                outcomes.lines++;
                final int count = CsvLine.split(line, textFields);
                error = count < 0 ? "unbalanced quotes" : parse(parser, textFields, count, columnIndex, change);
            }
            if (error != null)
            {
                outcomes.reject(lineNumber, error);
                return;
            }
            if (inspector != null)
            {
                inspector.inspect(lineNumber, change);
            }
            runTags[runCount++] = lineNumber;
            if (runCount == run.length)
            {
                flush();
            }
        }

        /**
         * Hand the run taken so far to the writer.
         */
        void flush()
        {
            if (runCount > 0)
            {
                pipeline.publish(run, runTags, runCount, outcomes);
                runCount = 0;
            }
        }
    }

    private void printProgress(final long lines, final long bytesRead, final long totalBytes, final long startNs)
    {
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        final String share = totalBytes > 0 ? String.format(" (%d%%)", Math.min(100, bytesRead * 100 / totalBytes)) :
            "";
        progress.printf("import: %,d lines%s, %,.0f lines/s%n", lines, share, lines / seconds);
    }

    /**
     * Counts outcomes. Validation rejections are counted on the import thread, index outcomes on the writer thread;
     * the final barrier orders the writer's counts before the report reads them.
     */
    private static final class Outcomes implements IngestListener
    {
        private final int maxListed;
        /** The rejections of the lowest line numbers, in line order (the writer's may be told a run late). */
        private final TreeMap<Long, String> listed = new TreeMap<>();
        long lines;
        long applied;
        long superseded;
        private long invalid;
        private long failed;
        volatile String storeFailure;
        volatile long storeFailureLine;
        /** Reading the input failed (a line over the cap, the stream): the import stops there. */
        IOException readFailure;

        Outcomes(final int maxListed)
        {
            this.maxListed = maxListed;
        }

        void reject(final long lineNumber, final String reason)
        {
            invalid++;
            list(lineNumber, reason);
        }

        long rejected()
        {
            return invalid + failed;
        }

        private synchronized void list(final long lineNumber, final String reason)
        {
            if (maxListed > 0 && (listed.size() < maxListed || lineNumber < listed.lastKey()))
            {
                listed.put(lineNumber, "line " + lineNumber + ": " + reason);
                if (listed.size() > maxListed)
                {
                    listed.pollLastEntry();
                }
            }
        }

        @Override
        public void onApplied(final long tag)
        {
            applied++;
        }

        @Override
        public void onSuperseded(final long tag)
        {
            superseded++;
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            failed++;
            list(tag, reason);
        }

        @Override
        public void onStoreFailure(final long tag, final String reason)
        {
            failed++;
            if (storeFailure == null)
            {
                storeFailureLine = tag;
                storeFailure = reason;
            }
        }
    }
}
