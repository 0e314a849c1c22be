package io.iysfilter.server.cli;

import io.iysfilter.client.BatchResults;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.RecipientBatch;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Streams a recipient list through a running server: rows are read as bytes in batches of up to
 * {@value Limits#MAX_BATCH_ENTRIES}, sent as pipelined CHECK_BATCHes (at most {@code window} in flight), and
 * written back out, byte for byte, in input order as each oldest batch is answered. The {@code window} batches are
 * made once and reused, requests and results included, so memory stays flat and nothing is allocated per row: while
 * the server answers some batches, this thread reads and parses the next and writes out the answered.
 * <p>
 * A row whose recipient cannot even be sent (empty, unbalanced quotes, not ASCII, longer than 254 bytes, missing
 * column) is answered locally DENY / INVALID_RECIPIENT, as the server would; every such row and every row the
 * server finds invalid is a "bad row", listed (the first {@code maxListedBadRows}) with its line number.
 */
final class ListScrubber
{
    /** Batches in flight by default. */
    static final int DEFAULT_WINDOW = 16;
    private static final int MAX_ATTEMPTS = 3;
    private static final Reason[] REASONS = Reason.values();
    private static final byte[][] DENIED_SUFFIXES = new byte[REASONS.length][];

    static
    {
        for (final Reason reason : REASONS)
        {
            DENIED_SUFFIXES[reason.ordinal()] = ("," + reason.name() + "\n").getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final FilterClient client;
    private final long brandCode;
    private final long dealerCode;
    private final Channel channel;
    private final RecipientType recipientType;
    private final MessageKind kind;
    private final int batchSize;
    private final int window;
    private final int maxListedBadRows;

    /** Counts by reason, bad rows, and rows read; filled as the scrub goes. */
    static final class Tally
    {
        /** Rows by reason, indexed by the reason's ordinal. */
        final long[] byReason = new long[REASONS.length];
        final List<String> badRows = new ArrayList<>();
        long rows;
        /** Rows answered here, DENY INVALID_RECIPIENT, without asking the server: they have no receipt. */
        long answeredLocally;
        /** Rows the server answered without recording them (decision id 0). */
        long unrecorded;
        long badRowCount;
        long bytesRead;
        /** The smallest and greatest decision id answered (unsigned), 0 while none was recorded. */
        long firstId;
        long lastId;

        void onDecisionId(final long id)
        {
            if (id == 0)
            {
                return;
            }
            if (firstId == 0 || Long.compareUnsigned(id, firstId) < 0)
            {
                firstId = id;
            }
            if (Long.compareUnsigned(id, lastId) > 0)
            {
                lastId = id;
            }
        }

        long count(final Reason reason)
        {
            return byReason[reason.ordinal()];
        }

        /**
         * @return the reasons given at least once, in the reasons' order.
         */
        List<Reason> reasons()
        {
            final List<Reason> given = new ArrayList<>();
            for (final Reason reason : REASONS)
            {
                if (byReason[reason.ordinal()] > 0)
                {
                    given.add(reason);
                }
            }
            return given;
        }

        long allowed()
        {
            long allowed = 0;
            for (final Reason reason : REASONS)
            {
                allowed += Verdicts.verdictOf(reason) == Verdict.ALLOW ? byReason[reason.ordinal()] : 0;
            }
            return allowed;
        }
    }

    /** Told after each batch is written. */
    interface Progress
    {
        void onBatch(Tally tally);
    }

    ListScrubber(
        final FilterClient client,
        final long brandCode,
        final long dealerCode,
        final Channel channel,
        final RecipientType recipientType,
        final MessageKind kind,
        final int batchSize,
        final int window,
        final int maxListedBadRows)
    {
        this.client = client;
        this.brandCode = brandCode;
        this.dealerCode = dealerCode;
        this.channel = channel;
        this.recipientType = recipientType;
        this.kind = kind;
        this.batchSize = batchSize;
        this.window = window;
        this.maxListedBadRows = maxListedBadRows;
    }

    /**
     * @param in         the list, one row per line, after the header when there is one (line numbers count it).
     * @param column     0-based index of the recipient field.
     * @param headerLine the header's bytes (copied to the outputs, not checked), already read; null when there is
     *                   no header, or the list is empty.
     * @param allowed    where allowed rows go, or null (preview).
     * @param denied     where denied rows go, with the reason appended, or null (preview).
     * @param progress   told after each batch.
     * @return the tally.
     * @throws IOException when reading, writing or the server fails; the rows of batches answered before are
     *                     written.
     */
    Tally scrub(
        final LineInput in,
        final int column,
        final byte[] headerLine,
        final RowOutput allowed,
        final RowOutput denied,
        final Progress progress) throws IOException
    {
        final Tally tally = new Tally();
        if (headerLine != null)
        {
            if (allowed != null)
            {
                allowed.write(headerLine);
                allowed.writeByte('\n');
            }
            if (denied != null)
            {
                denied.write(headerLine);
                denied.write(",reason\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
        final ArrayDeque<Batch> inFlight = new ArrayDeque<>(window);
        final CsvField field = new CsvField();
        Batch batch = new Batch();
        int length;
        while ((length = in.readLineBytes()) >= 0)
        {
            final int row = batch.addLine(in.array(), in.offset(), length, in.lineNumber());
            final int start = batch.lineStarts[row];
            final boolean sendable = field.parse(batch.lines, start, start + length, column) > column &&
                field.sendable(Limits.MAX_ADDRESS_LENGTH);
            batch.sent[row] = sendable;
            if (sendable)
            {
                batch.request.add(field.array(), field.start(), field.length());
            }
            if (batch.size == batchSize)
            {
                // the header was read through the same input: its bytes are in bytesRead already
                tally.bytesRead = in.bytesRead();
                send(batch, inFlight);
                // the oldest batch, once written out, is the next one filled: never more than window batches made
                batch = inFlight.size() >= window ? complete(inFlight.poll(), tally, allowed, denied, progress) :
                    new Batch();
            }
        }
        tally.bytesRead = in.bytesRead();
        if (batch.size > 0)
        {
            send(batch, inFlight);
        }
        while (!inFlight.isEmpty())
        {
            complete(inFlight.poll(), tally, allowed, denied, progress);
        }
        return tally;
    }

    private void send(final Batch batch, final ArrayDeque<Batch> inFlight)
    {
        batch.answer = batch.request.size() == 0 ? CompletableFuture.completedFuture(batch.results) :
            client.checkBatchInto(batch.request, batch.results);
        inFlight.add(batch);
    }

    /**
     * Write out a batch once answered.
     *
     * @return the batch, cleared for reuse.
     */
    private Batch complete(
        final Batch batch, final Tally tally, final RowOutput allowed, final RowOutput denied, final Progress progress)
        throws IOException
    {
        final BatchResults results = answer(batch);
        final byte[] lines = batch.lines;
        int next = 0;
        for (int i = 0; i < batch.size; i++)
        {
            final Reason reason;
            final boolean allows;
            if (batch.sent[i])
            {
                reason = results.reason(next);
                allows = results.verdict(next) == Verdict.ALLOW;
                final long decisionId = results.decisionId(next);
                tally.onDecisionId(decisionId);
                tally.unrecorded += decisionId == 0 ? 1 : 0;
                next++;
            }
            else
            {
                reason = Reason.INVALID_RECIPIENT;
                allows = false;
                tally.answeredLocally++;
            }
            tally.rows++;
            tally.byReason[reason.ordinal()]++;
            final int start = batch.lineStarts[i];
            final int length = batch.lineStarts[i + 1] - start;
            if (reason == Reason.INVALID_RECIPIENT || reason == Reason.INVALID_REQUEST)
            {
                tally.badRowCount++;
                if (tally.badRows.size() < maxListedBadRows)
                {
                    tally.badRows.add("line " + batch.lineNumbers[i] + ": " + reason + " '" +
                        new String(lines, start, length, StandardCharsets.UTF_8) + "'");
                }
            }
            if (allows)
            {
                if (allowed != null)
                {
                    allowed.write(lines, start, length);
                    allowed.writeByte('\n');
                }
            }
            else if (denied != null)
            {
                denied.write(lines, start, length);
                denied.write(DENIED_SUFFIXES[reason.ordinal()]);
            }
        }
        progress.onBatch(tally);
        batch.clear();
        return batch;
    }

    /**
     * Checks are read-only, so a batch whose answer was lost (connection dropped, timeout, a miscounted answer) is
     * asked again, after the client's reconnect back-off, up to {@value #MAX_ATTEMPTS} times in all.
     */
    private BatchResults answer(final Batch batch) throws IOException
    {
        CompletableFuture<BatchResults> answer = batch.answer;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return answer.get();
            }
            catch (final ExecutionException ex)
            {
                if (attempt == MAX_ATTEMPTS)
                {
                    throw new IOException("no answer for the batch starting at line " + batch.lineNumbers[0] +
                        " after " + attempt + " attempts: " + ex.getCause().getMessage(), ex.getCause());
                }
                pause(FilterClient.Options.RECONNECT_BACKOFF_MS_DEFAULT);
                answer = client.checkBatchInto(batch.request, batch.results);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", ex);
            }
        }
    }

    private static void pause(final long ms) throws IOException
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ex);
        }
    }

    /**
     * Up to {@code batchSize} rows: their bytes end to end, where each starts, its line number, whether its
     * recipient was sent, and the request and results of those sent. Reused once written out.
     */
    private final class Batch
    {
        final RecipientBatch request = new RecipientBatch(batchSize)
            .ask(brandCode, dealerCode, channel, recipientType, kind);
        final BatchResults results = new BatchResults(batchSize);
        final long[] lineNumbers = new long[batchSize];
        final boolean[] sent = new boolean[batchSize];
        /** Row i is lines[lineStarts[i], lineStarts[i + 1]). */
        final int[] lineStarts = new int[batchSize + 1];
        byte[] lines = new byte[batchSize * 64];
        int size;
        CompletableFuture<BatchResults> answer;

        int addLine(final byte[] source, final int offset, final int length, final long lineNumber)
        {
            final int start = lineStarts[size];
            if (start + length > lines.length)
            {
                lines = Arrays.copyOf(lines, Math.max(lines.length * 2, start + length));
            }
            System.arraycopy(source, offset, lines, start, length);
            lineStarts[size + 1] = start + length;
            lineNumbers[size] = lineNumber;
            return size++;
        }

        void clear()
        {
            size = 0;
            request.clear();
            answer = null;
        }
    }
}
