package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.index.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Proof-of-scrub files: {@code <receipts-dir>/YYYY-MM-DD/scrubs/<run id>.json}, one per {@code /v1/scrub} run, filed
 * under the UTC day the run ended. A run's summary is written once the journal's chain head of that day covers the
 * run's last decision (the drain writes receipts a moment after they are answered), waiting at most
 * {@link #HEAD_WAIT_MS}; past that it is written with the head as it is and the id it covers, which says how far it
 * reaches. Written off the event loop, replaced atomically and forced.
 */
public final class ScrubProofs
{
    /** Longest wait for the chain head to cover a run's last decision. */
    public static final long HEAD_WAIT_MS = 10_000;
    /** The directory of a day's scrub summaries. */
    public static final String SCRUBS = "scrubs";
    private static final Logger LOG = LoggerFactory.getLogger(ScrubProofs.class);
    private static final long FIRST_POLL_MS = 20;
    private static final long LAST_POLL_MS = 1_000;

    private final Path directory;
    private final ReceiptSource source;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * @param directory the receipts directory.
     * @param source    the journal, for the chain heads.
     */
    public ScrubProofs(final Path directory, final ReceiptSource source)
    {
        this.directory = directory;
        this.source = source;
    }

    /**
     * @param directory the receipts directory.
     * @param epochDay  the day.
     * @param runId     the run id.
     * @return where the run's summary is filed.
     */
    public static Path file(final Path directory, final long epochDay, final long runId)
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
        final long day = proof.epochDay();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HEAD_WAIT_MS);
        ReceiptSource.DayDigest digest = source.digest(day);
        // the head of an open day is read by walking its blocks: asked less often the longer it takes to arrive
        long pauseMs = FIRST_POLL_MS;
        while (Long.compareUnsigned(digest.covers(), proof.lastId()) < 0 && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(pauseMs);
            pauseMs = Math.min(LAST_POLL_MS, pauseMs * 2);
            digest = source.digest(day);
        }
        final ScrubProof filed = proof.withHead(digest.hex(), digest.covers());
        final Path file = file(directory, day, proof.runId());
        DurableFiles.createPrivateDirectories(file.getParent());
        DurableFiles.replace(file.getParent(), file.getFileName().toString(), filed.json() + "\n");
        written.incrementAndGet();
        LOG.info("proof-of-scrub {}", filed.json());
        return filed;
    }

    /**
     * Read a run's summary, with its day's root when the day is closed.
     *
     * @param runId the run id.
     * @return the summary as JSON, or null when no such run is filed.
     * @throws IOException when it cannot be read.
     */
    public String read(final long runId) throws IOException
    {
        final long[] days = source.days();
        for (int i = days.length - 1; i >= 0; i--)
        {
            final Path file = file(directory, days[i], runId);
            if (Files.isRegularFile(file))
            {
                final String json = Files.readString(file, StandardCharsets.UTF_8).strip();
                final ReceiptSource.DayDigest digest = source.digest(days[i]);
                return json.substring(0, json.length() - 1) + ",\"dayClosed\":" + digest.closed() +
                    ",\"dayRoot\":" + (digest.closed() && digest.hex() != null ? "\"" + digest.hex() + "\"" : "null") +
                    "}";
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
