package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.index.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.DirectoryStream;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Proof-of-scrub files: {@code <receipts-dir>/scrubs/YYYY-MM-DD/<run id>.json}, one per {@code /v1/scrub} run, filed
 * under the UTC day the run ended, outside the journal's day directories (a run ending after midnight must not make a
 * day directory the journal would meet as a day without segments); summaries an earlier build filed inside the day
 * ({@code YYYY-MM-DD/scrubs/}) are still read. A run's summary is written once the journal has sealed the run's last
 * decision (the drain writes receipts a moment after they are answered): {@link SealWait}, woken by the seal, never a
 * sleep, at most {@link #HEAD_WAIT_MS}; then with the chain head of the latest journal day up to the run's end (past
 * the wait, the head as it is, and the id it covers says how far it reaches). Written off the event loop, replaced
 * atomically and forced.
 */
public final class ScrubProofs
{
    /** Longest wait for the chain head to cover a run's last decision. */
    public static final long HEAD_WAIT_MS = 10_000;
    /** The directory of a day's scrub summaries. */
    public static final String SCRUBS = "scrubs";
    private static final Logger LOG = LoggerFactory.getLogger(ScrubProofs.class);
    private static final Pattern HEAD_DAY = Pattern.compile("\"chainHeadDay\":\"(\\d{4}-\\d{2}-\\d{2})\"");
    private static final Pattern DAY = Pattern.compile("\"day\":\"(\\d{4}-\\d{2}-\\d{2})\"");

    private final Path directory;
    private final ReceiptSource source;
    private final SealWait sealed;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * @param directory the receipts directory.
     * @param source    the journal, for the chain heads.
     */
    public ScrubProofs(final Path directory, final ReceiptSource source)
    {
        this(directory, source, (decisionId, timeout, unit) -> true);
    }

    /**
     * @param directory the receipts directory.
     * @param source    the journal, for the chain heads.
     * @param sealed    waits for a decision to be sealed in the live journal (the recorder's).
     */
    public ScrubProofs(final Path directory, final ReceiptSource source, final SealWait sealed)
    {
        this.directory = directory;
        this.source = source;
        this.sealed = sealed;
    }

    /**
     * Waits until the live journal has sealed a decision ({@code ReceiptRecorder.awaitSealed}): woken by the seal.
     */
    @FunctionalInterface
    public interface SealWait
    {
        /**
         * @param decisionId the decision id.
         * @param timeout    longest wait.
         * @param unit       of the timeout.
         * @return whether it was sealed in time.
         * @throws InterruptedException when interrupted while waiting.
         */
        boolean awaitSealed(long decisionId, long timeout, TimeUnit unit) throws InterruptedException;
    }

    /**
     * @param directory the receipts directory.
     * @param epochDay  the day.
     * @param runId     the run id.
     * @return where the run's summary is filed: {@code <receipts-dir>/scrubs/YYYY-MM-DD/<run id>.json}, outside the
     * journal's day directories.
     */
    public static Path file(final Path directory, final long epochDay, final long runId)
    {
        return directory.resolve(SCRUBS).resolve(LocalDate.ofEpochDay(epochDay).toString())
            .resolve(DecisionIds.text(runId) + ".json");
    }

    /**
     * @param directory the receipts directory.
     * @param epochDay  the day.
     * @param runId     the run id.
     * @return where an earlier build filed it, inside the journal's day: {@code YYYY-MM-DD/scrubs/<run id>.json};
     * read only, never written.
     */
    static Path legacyFile(final Path directory, final long epochDay, final long runId)
    {
        return directory.resolve(LocalDate.ofEpochDay(epochDay).toString()).resolve(SCRUBS)
            .resolve(DecisionIds.text(runId) + ".json");
    }

    /**
     * File a finished run's summary, in the background. A run without a recorded decision (run id 0) has nothing in
     * the journal to prove and is not filed.
     *
     * @param proof    the summary, without its chain head.
     * @param executor where it is written (blocking: it waits for the journal and forces the file).
     * @return completed with the summary filed (null when not filed); failures are logged and counted, never thrown.
     */
    public CompletableFuture<ScrubProof> complete(final ScrubProof proof, final Executor executor)
    {
        if (proof.runId() == 0)
        {
            return CompletableFuture.completedFuture(null);
        }
        final CompletableFuture<ScrubProof> done = new CompletableFuture<>();
        try
        {
            executor.execute(() ->
            {
                try
                {
                    done.complete(write(proof));
                }
                catch (final Throwable ex)
                {
                    failed.incrementAndGet();
                    LOG.error("proof-of-scrub of run {} not written: {}", DecisionIds.text(proof.runId()),
                        ex.toString());
                    done.complete(null);
                }
            });
        }
        catch (final RuntimeException ex)
        {
            failed.incrementAndGet();
            LOG.error("proof-of-scrub of run {} not written: {}", DecisionIds.text(proof.runId()), ex.toString());
            done.complete(null);
        }
        return done;
    }

    /**
     * Wait for the head, then write the summary durably.
     *
     * @param proof the summary.
     * @return it with its chain head.
     * @throws IOException          when it cannot be written.
     * @throws InterruptedException when interrupted while waiting.
     */
    ScrubProof write(final ScrubProof proof) throws IOException, InterruptedException
    {
        // woken by the journal's seal, never a sleep: an idle drain seals within milliseconds of the last row
        sealed.awaitSealed(proof.lastId(), HEAD_WAIT_MS, TimeUnit.MILLISECONDS);
        final long headDay = headDay(proof.epochDay());
        final ReceiptSource.DayDigest digest = source.digest(headDay);
        return file(proof.withHead(digest.hex(), digest.covers(), headDay));
    }

    /**
     * The day whose chain holds a run's last decision: the latest day of the journal up to the day it ended (a run
     * ending just after midnight decided its last row the day before).
     */
    private long headDay(final long endDay) throws IOException
    {
        final long[] days = source.days();
        for (int i = days.length - 1; i >= 0; i--)
        {
            if (days[i] <= endDay)
            {
                return days[i];
            }
        }
        return endDay;
    }

    private ScrubProof file(final ScrubProof filed) throws IOException
    {
        final Path file = file(directory, filed.epochDay(), filed.runId());
        DurableFiles.createPrivateDirectories(file.getParent());
        DurableFiles.replace(file.getParent(), file.getFileName().toString(), filed.json() + "\n");
        written.incrementAndGet();
        LOG.info("proof-of-scrub {}", filed.json());
        deleteExpired();
        return filed;
    }

    /**
     * Retention: the summaries of days before the journal's oldest day go with that day.
     */
    private void deleteExpired() throws IOException
    {
        final long[] days = source.days();
        final Path scrubs = directory.resolve(SCRUBS);
        if (days.length == 0 || !Files.isDirectory(scrubs))
        {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(scrubs))
        {
            for (final Path entry : entries)
            {
                final long day = epochDay(entry.getFileName().toString());
                if (day != Long.MIN_VALUE && day < days[0])
                {
                    try (Stream<Path> walk = Files.walk(entry))
                    {
                        for (final Path path : walk.sorted(Comparator.reverseOrder()).toList())
                        {
                            Files.delete(path);
                        }
                    }
                    LOG.info("proof-of-scrub summaries of {} deleted with their day (retention)", entry);
                }
            }
        }
    }

    private static long epochDay(final String name)
    {
        try
        {
            return LocalDate.parse(name).toEpochDay();
        }
        catch (final DateTimeParseException ex)
        {
            return Long.MIN_VALUE;
        }
    }

    /**
     * Read a run's summary, with its chain head's day's root when that day is closed: from
     * {@code scrubs/YYYY-MM-DD/}, newest day first, else where an earlier build filed it (inside the day directory).
     *
     * @param runId the run id.
     * @return the summary as JSON, or null when no such run is filed.
     * @throws IOException when it cannot be read.
     */
    public String read(final long runId) throws IOException
    {
        final Path file = find(runId);
        if (file == null)
        {
            return null;
        }
        final String json = Files.readString(file, StandardCharsets.UTF_8).strip();
        final Matcher headDay = HEAD_DAY.matcher(json);
        final Matcher day = DAY.matcher(json);
        final long digestDay = headDay.find() ? epochDay(headDay.group(1)) :
            day.find() ? epochDay(day.group(1)) : Long.MIN_VALUE;
        final ReceiptSource.DayDigest digest = digestDay == Long.MIN_VALUE ? null : source.digest(digestDay);
        final boolean closed = digest != null && digest.closed() && digest.hex() != null;
        return json.substring(0, json.length() - 1) + ",\"dayClosed\":" + closed +
            ",\"dayRoot\":" + (closed ? "\"" + digest.hex() + "\"" : "null") + "}";
    }

    private Path find(final long runId) throws IOException
    {
        final Path scrubs = directory.resolve(SCRUBS);
        if (Files.isDirectory(scrubs))
        {
            final List<Long> days = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(scrubs))
            {
                for (final Path entry : entries)
                {
                    final long day = epochDay(entry.getFileName().toString());
                    if (day != Long.MIN_VALUE)
                    {
                        days.add(day);
                    }
                }
            }
            days.sort(Comparator.reverseOrder());
            for (final long day : days)
            {
                final Path file = file(directory, day, runId);
                if (Files.isRegularFile(file))
                {
                    return file;
                }
            }
        }
        final long[] days = source.days();
        for (int i = days.length - 1; i >= 0; i--)
        {
            final Path file = legacyFile(directory, days[i], runId);
            if (Files.isRegularFile(file))
            {
                return file;
            }
        }
        return null;
    }

    /**
     * @return summaries written since start.
     */
    public long written()
    {
        return written.get();
    }

    /**
     * @return summaries that could not be written.
     */
    public long failed()
    {
        return failed.get();
    }
}
