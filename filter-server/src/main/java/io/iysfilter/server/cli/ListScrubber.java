package io.iysfilter.server.cli;

import io.iysfilter.client.BatchEntry;
import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.server.iys.CsvLine;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Streams a recipient list through a running server: rows are read in batches of up to
 * {@value Limits#MAX_BATCH_ENTRIES}, sent as pipelined CHECK_BATCHes (at most {@code window} in flight),
 * and written back out in input order as each oldest batch is answered. Memory holds at most {@code window}
 * batches, whatever the list's size.
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
        final Map<Reason, Long> byReason = new EnumMap<>(Reason.class);
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
            return byReason.getOrDefault(reason, 0L);
        }

        long allowed()
        {
            long allowed = 0;
            for (final Map.Entry<Reason, Long> entry : byReason.entrySet())
            {
                allowed += Verdicts.verdictOf(entry.getKey()) == Verdict.ALLOW ? entry.getValue() : 0;
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
     * Where the rows come from.
     */
    @FunctionalInterface
    interface Lines
    {
        /**
         * @return the next line without its terminator, or null at the end.
         * @throws IOException when it cannot be read, or is longer than the reader's cap.
         */
        String next() throws IOException;
    }

    /**
     * @param in         the list, one row per line, after the header when there is one.
     * @param column     0-based index of the recipient field.
     * @param header     whether the list has a header (copied to the outputs, not checked).
     * @param headerLine the header, already read; null when there is none (or the list is empty).
     * @param allowed    where allowed rows go, or null (preview).
     * @param denied     where denied rows go, with the reason appended, or null (preview).
     * @param progress   told after each batch.
     * @return the tally.
     * @throws IOException when reading, writing or the server fails.
     */
    Tally scrub(
        final Lines in,
        final int column,
        final boolean header,
        final String headerLine,
        final Writer allowed,
        final Writer denied,
        final Progress progress) throws IOException
    {
        final Tally tally = new Tally();
        if (header)
        {
            if (headerLine == null)
            {
                return tally;
            }
            tally.bytesRead += headerLine.length() + 1;
            write(allowed, headerLine, null);
            write(denied, headerLine, "reason");
        }
        final ArrayDeque<Batch> inFlight = new ArrayDeque<>();
        final String[] fields = new String[Math.max(16, column + 1)];
        long lineNumber = header ? 1 : 0;
        Batch batch = new Batch(batchSize);
        String line;
        while ((line = in.next()) != null)
        {
            lineNumber++;
            tally.bytesRead += line.length() + 1;
            final int count = CsvLine.split(line, fields);
            final String recipient = count > column ? fields[column] : null;
            batch.add(line, lineNumber, sendable(recipient) ? recipient : null);
            if (batch.size() == batchSize)
            {
                send(batch, inFlight);
                batch = new Batch(batchSize);
                while (inFlight.size() >= window)
                {
                    complete(inFlight.poll(), tally, allowed, denied, progress);
                }
            }
        }
        if (batch.size() > 0)
        {
            send(batch, inFlight);
        }
        while (!inFlight.isEmpty())
        {
            complete(inFlight.poll(), tally, allowed, denied, progress);
        }
        return tally;
    }

    private static boolean sendable(final String recipient)
    {
        if (recipient == null || recipient.isBlank() || recipient.length() > Limits.MAX_ADDRESS_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < recipient.length(); i++)
        {
            if (recipient.charAt(i) >= 0x80)
            {
                return false;
            }
        }
        return true;
    }

    private void send(final Batch batch, final ArrayDeque<Batch> inFlight)
    {
        batch.answer = batch.entries.isEmpty() ? CompletableFuture.completedFuture(List.of()) :
            client.checkBatch(brandCode, dealerCode, batch.entries);
        inFlight.add(batch);
    }

    private void complete(
        final Batch batch, final Tally tally, final Writer allowed, final Writer denied, final Progress progress)
        throws IOException
    {
        final List<CheckResult> results = answer(batch);
        int next = 0;
        for (int i = 0; i < batch.size(); i++)
        {
            final boolean sent = batch.sent.get(i);
            final Reason reason = sent ? results.get(next).reason() : Reason.INVALID_RECIPIENT;
            final boolean allows = sent && results.get(next).verdict() == Verdict.ALLOW;
            if (sent)
            {
                tally.onDecisionId(results.get(next).decisionId());
                tally.unrecorded += results.get(next).decisionId() == 0 ? 1 : 0;
            }
            else
            {
                tally.answeredLocally++;
            }
            next += sent ? 1 : 0;
            tally.rows++;
            tally.byReason.merge(reason, 1L, Long::sum);
            if (reason == Reason.INVALID_RECIPIENT || reason == Reason.INVALID_REQUEST)
            {
                tally.badRowCount++;
                if (tally.badRows.size() < maxListedBadRows)
                {
                    tally.badRows.add("line " + batch.lineNumbers[i] + ": " + reason + " '" + batch.lines.get(i) +
                        "'");
                }
            }
            if (allows)
            {
                write(allowed, batch.lines.get(i), null);
            }
            else
            {
                write(denied, batch.lines.get(i), reason.name());
            }
        }
        progress.onBatch(tally);
    }

    /**
     * Checks are read-only, so a batch whose answer was lost (connection dropped, timeout) is asked again, after
     * the client's reconnect back-off, up to {@value #MAX_ATTEMPTS} times in all.
     */
    private List<CheckResult> answer(final Batch batch) throws IOException
    {
        CompletableFuture<List<CheckResult>> answer = batch.answer;
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
                answer = client.checkBatch(brandCode, dealerCode, batch.entries);
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

    private static void write(final Writer out, final String line, final String extraField) throws IOException
    {
        if (out != null)
        {
            out.write(line);
            if (extraField != null)
            {
                out.write(',');
                out.write(extraField);
            }
            out.write('\n');
        }
    }

    private final class Batch
    {
        final List<String> lines;
        final long[] lineNumbers;
        final List<Boolean> sent;
        final List<BatchEntry> entries;
        CompletableFuture<List<CheckResult>> answer;

        Batch(final int capacity)
        {
            lines = new ArrayList<>(capacity);
            lineNumbers = new long[capacity];
            sent = new ArrayList<>(capacity);
            entries = new ArrayList<>(capacity);
        }

        int size()
        {
            return lines.size();
        }

        void add(final String line, final long lineNumber, final String recipient)
        {
            lineNumbers[lines.size()] = lineNumber;
            lines.add(line);
            sent.add(recipient != null);
            if (recipient != null)
            {
                entries.add(new BatchEntry(channel, recipientType, kind, recipient));
            }
        }
    }
}
