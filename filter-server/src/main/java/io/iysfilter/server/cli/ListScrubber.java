package io.iysfilter.server.cli;

import io.iysfilter.client.BatchResults;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.RecipientBatch;
import io.iysfilter.client.ServerInfo;
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
 * {@code batchSize}, sent as pipelined CHECK_BATCHes (at most {@code window} in flight), and written back out, byte
 * for byte, in input order as each oldest batch is answered. The {@code window} batches are made once and reused,
 * requests and results included, so memory stays flat and nothing is allocated per row: while the server answers
 * some batches, this thread reads and parses the next and writes out the answered.
 * <p>
 * The server's WELCOME bounds what is sent ({@link ServerInfo}, read as each batch starts, so a reconnect's WELCOME
 * counts from the next batch): a batch is sent early rather than carry more recipients than its
 * {@code maxBatchEntries} or make a frame longer than its {@code maxFrameLength}, since the client refuses such a
 * request whole. A batch made before a reconnect whose WELCOME lowered the limits is refused so by the client; it
 * is then asked again in pieces within the new limits, its rows answered as if it had started after the reconnect.
 * <p>
 * A row whose recipient cannot be sent (empty, unbalanced quotes, not ASCII, longer than the server's
 * {@code maxAddressLength}, a frame of its own longer than the server's {@code maxFrameLength}, missing column) is
 * answered locally DENY / INVALID_RECIPIENT, as the server would (fail closed: never allowed); every such row and
 * every row the server finds invalid is a "bad row", listed (the first {@code maxListedBadRows}) with its line
 * number and, for those answered here, why: a limit named with the number of the WELCOME that refused the row, which
 * a reconnect may have changed since.
 */
final class ListScrubber
{
    /** Batches in flight by default. */
    static final int DEFAULT_WINDOW = 16;
    private static final int MAX_ATTEMPTS = 3;
    private static final Reason[] REASONS = Reason.values();
    private static final byte[][] DENIED_SUFFIXES = new byte[REASONS.length][];
    /** A row's problem, beyond {@link CsvField}'s: a quote left open. */
    private static final byte UNPARSABLE = 5;
    /** A row's problem, beyond {@link CsvField}'s: its recipient alone makes a frame longer than the server takes. */
    private static final byte FRAME_TOO_LONG = 6;

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
            if (batch.size == 0)
            {
                batch.limits(client.serverInfo());
            }
            // parsed where it was read: the line is copied into a batch only once it is known which batch takes it
            final int parsed = field.parse(in.array(), in.offset(), in.offset() + length, column);
            int problem = parsed < 0 ? UNPARSABLE : field.problem(batch.maxAddressLength);
            if (problem == CsvField.SENDABLE && batch.request.size() > 0 && !batch.fits(field.length()))
            {
                // the batch is full by the server's frame limit: it goes, and this row starts the next one
                batch = send(batch, inFlight, tally, in, allowed, denied, progress);
                batch.limits(client.serverInfo());
                problem = field.problem(batch.maxAddressLength);
            }
            if (problem == CsvField.SENDABLE && !batch.fits(field.length()))
            {
                problem = FRAME_TOO_LONG;
            }
            batch.addLine(in.array(), in.offset(), length, in.lineNumber(), problem);
            if (problem == CsvField.SENDABLE)
            {
                batch.request.add(field.array(), field.start(), field.length());
            }
            if (batch.size == batchSize || batch.request.size() == batch.maxEntries)
            {
                batch = send(batch, inFlight, tally, in, allowed, denied, progress);
            }
        }
        tally.bytesRead = in.bytesRead();
        if (batch.size > 0)
        {
            send(batch);
            inFlight.add(batch);
        }
        while (!inFlight.isEmpty())
        {
            complete(inFlight.poll(), tally, allowed, denied, progress);
        }
        return tally;
    }

    /**
     * Send a batch and take the one to fill next.
     *
     * @return the oldest batch, once written out, when {@code window} are in flight (never more are made), else a
     * new one.
     */
    private Batch send(
        final Batch batch,
        final ArrayDeque<Batch> inFlight,
        final Tally tally,
        final LineInput in,
        final RowOutput allowed,
        final RowOutput denied,
        final Progress progress) throws IOException
    {
        // the header was read through the same input: its bytes are in bytesRead already
        tally.bytesRead = in.bytesRead();
        send(batch);
        inFlight.add(batch);
        return inFlight.size() >= window ? complete(inFlight.poll(), tally, allowed, denied, progress) : new Batch();
    }

    private void send(final Batch batch)
    {
        batch.answer = batch.request.size() == 0 ? CompletableFuture.completedFuture(batch.results) :
            ask(batch.request, batch.results);
    }

    /**
     * A request is made within the limits of the WELCOME read as its batch started; the client refuses it only when
     * the connection was lost and the reconnect's WELCOME lowered them since. The refusal is then its answer, taken
     * in turn ({@link #answered}), so that the batches before it are written out first.
     */
    private CompletableFuture<BatchResults> ask(final RecipientBatch request, final BatchResults results)
    {
        try
        {
            return client.checkBatchInto(request, results);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            // over the limits (IllegalArgumentException: asked again in pieces), or a dealer's batch to a server a
            // reconnect found too old for dealers (IllegalStateException: asked again, then the run stops naming
            // the batch): never answered as anything
            return CompletableFuture.failedFuture(ex);
        }
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
        answer(batch);
        final byte[] lines = batch.lines;
        int next = 0;
        for (int i = 0; i < batch.size; i++)
        {
            final Reason reason;
            final boolean allows;
            final byte problem = batch.problems[i];
            if (problem == CsvField.SENDABLE)
            {
                reason = batch.reason(i, next);
                allows = batch.verdict(i, next) == Verdict.ALLOW;
                final long decisionId = batch.decisionId(i, next);
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
                    final String explained = problem == CsvField.SENDABLE ? "" :
                        " (" + why(problem, batch.refusingLimits[i]) + ")";
                    tally.badRows.add("line " + batch.lineNumbers[i] + ": " + reason + explained + " '" +
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
     * @param problem why a row was answered here.
     * @param limit   the limit that refused it, for a row too long for the server: the {@code maxAddressLength} or
     *                {@code maxFrameLength} of when it was refused.
     */
    private static String why(final byte problem, final int limit)
    {
        return switch (problem)
        {
            case CsvField.NO_FIELD -> "no such column";
            case UNPARSABLE -> "a quote left open";
            case CsvField.EMPTY -> "empty";
            case CsvField.TOO_LONG -> "longer than the server's " + limit + " bytes";
            case CsvField.NOT_ASCII -> "not ASCII";
            case FRAME_TOO_LONG -> "too long for the server's frames of " + limit + " bytes";
            default -> "problem " + problem;
        };
    }

    /**
     * Wait for a batch's answer; one the client refused, made within limits a reconnect has lowered since, is asked
     * again in pieces within the new ones.
     */
    private void answer(final Batch batch) throws IOException
    {
        if (!answered(batch, batch.request, batch.results, batch.answer))
        {
            askInPieces(batch);
        }
    }

    /**
     * Checks are read-only, so a request whose answer was lost (connection dropped, timeout, a miscounted answer) is
     * asked again, after the client's reconnect back-off, up to {@value #MAX_ATTEMPTS} times in all.
     *
     * @return true once {@code results} holds the answer; false when the client refused the request as over the
     * server's limits (lowered by a reconnect since it was made).
     */
    private boolean answered(
        final Batch batch,
        final RecipientBatch request,
        final BatchResults results,
        final CompletableFuture<BatchResults> firstAnswer) throws IOException
    {
        CompletableFuture<BatchResults> answer = firstAnswer;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                answer.get();
                return true;
            }
            catch (final ExecutionException ex)
            {
                if (ex.getCause() instanceof IllegalArgumentException)
                {
                    return false;
                }
                if (attempt == MAX_ATTEMPTS)
                {
                    throw new IOException("no answer for the batch starting at line " + batch.lineNumbers[0] +
                        " after " + attempt + " attempts: " + ex.getCause().getMessage(), ex.getCause());
                }
                pause(FilterClient.Options.RECONNECT_BACKOFF_MS_DEFAULT);
                answer = ask(request, results);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", ex);
            }
        }
    }

    /**
     * Ask a refused batch again in pieces, one at a time, within the limits of the server's last WELCOME: rows in
     * order, a piece sent before it would carry more entries or make a longer frame than they allow, and a
     * recipient they no longer take answered here, DENY INVALID_RECIPIENT with why, as it would have been had the
     * batch started after the reconnect. Only batches in flight across a reconnect come here, so the answers are
     * kept aside, by row, rather than in the batch's results. Should a piece be refused too (the limits lowered
     * again meanwhile), the run stops, naming the batch, its rows in neither output.
     */
    private void askInPieces(final Batch batch) throws IOException
    {
        batch.limits(client.serverInfo());
        batch.answeredByRow();
        final RecipientBatch request = batch.request;
        final byte[] recipients = request.recipientBytesArray();
        final RecipientBatch piece = new RecipientBatch(batchSize)
            .ask(brandCode, dealerCode, channel, recipientType, kind);
        final BatchResults results = new BatchResults(batchSize);
        final int[] rows = new int[batchSize];
        int entry = 0;
        for (int i = 0; i < batch.size; i++)
        {
            if (batch.problems[i] != CsvField.SENDABLE)
            {
                continue;
            }
            final int offset = request.recipientOffset(entry);
            final int length = request.recipientLength(entry);
            entry++;
            if (length > batch.maxAddressLength)
            {
                batch.refuse(i, CsvField.TOO_LONG);
                continue;
            }
            if (piece.size() > 0 && (piece.size() == batch.maxEntries || !fits(piece, length, batch.maxFrameLength)))
            {
                askPiece(batch, piece, results, rows);
            }
            if (!fits(piece, length, batch.maxFrameLength))
            {
                batch.refuse(i, FRAME_TOO_LONG);
                continue;
            }
            rows[piece.size()] = i;
            piece.add(recipients, offset, length);
        }
        if (piece.size() > 0)
        {
            askPiece(batch, piece, results, rows);
        }
    }

    private void askPiece(final Batch batch, final RecipientBatch piece, final BatchResults results, final int[] rows)
        throws IOException
    {
        if (!answered(batch, piece, results, ask(piece, results)))
        {
            throw new IOException("the batch starting at line " + batch.lineNumbers[0] + " was refused twice: " +
                "the server's limits were lowered again while it was asked again within them (" +
                client.serverInfo() + "); the outputs hold the rows before it");
        }
        for (int k = 0; k < piece.size(); k++)
        {
            batch.answer(rows[k], results.verdict(k), results.reason(k), results.decisionId(k));
        }
        piece.clear();
    }

    /**
     * @return whether one more recipient of {@code length} bytes keeps the request's frame within
     * {@code maxFrameLength}.
     */
    private static boolean fits(final RecipientBatch request, final int length, final int maxFrameLength)
    {
        return RecipientBatch.frameLength(request.size() + 1, (long)request.recipientBytes() + length) <=
            maxFrameLength;
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
     * Up to {@code batchSize} rows: their bytes end to end, where each starts, its line number, why its recipient
     * was not sent ({@link CsvField#SENDABLE} when it was) and the limit that refused it, the request and results of
     * those sent, and the server's limits as the batch started (or as it was asked again in pieces). Reused once
     * written out.
     */
    private final class Batch
    {
        final RecipientBatch request = new RecipientBatch(batchSize)
            .ask(brandCode, dealerCode, channel, recipientType, kind);
        final BatchResults results = new BatchResults(batchSize);
        final long[] lineNumbers = new long[batchSize];
        final byte[] problems = new byte[batchSize];
        /**
         * The limit that refused each row too long for the server, as it stood then: a batch asked again in pieces
         * after a reconnect takes new limits, which never explain the rows the old ones refused.
         */
        final int[] refusingLimits = new int[batchSize];
        /** Row i is lines[lineStarts[i], lineStarts[i + 1]). */
        final int[] lineStarts = new int[batchSize + 1];
        byte[] lines = new byte[batchSize * 64];
        int size;
        int maxEntries;
        int maxAddressLength;
        int maxFrameLength;
        CompletableFuture<BatchResults> answer;
        /** Whether the answers are by row, in the three arrays after it, the batch having been asked in pieces. */
        boolean byRow;
        Verdict[] verdicts;
        Reason[] reasons;
        long[] decisionIds;

        /**
         * Take the limits of the server's last WELCOME for this batch.
         */
        void limits(final ServerInfo info)
        {
            maxEntries = Math.min(batchSize, info.effectiveMaxBatchEntries());
            maxAddressLength = info.effectiveMaxAddressLength();
            maxFrameLength = info.effectiveMaxFrameLength();
        }

        /**
         * @return whether one more recipient of {@code length} bytes keeps the request's frame within the server's.
         */
        boolean fits(final int length)
        {
            return ListScrubber.fits(request, length, maxFrameLength);
        }

        /**
         * Answers go by row from now on ({@link #answer}), the batch being asked in pieces; none is left from an
         * earlier use of the batch.
         */
        void answeredByRow()
        {
            if (verdicts == null)
            {
                verdicts = new Verdict[batchSize];
                reasons = new Reason[batchSize];
                decisionIds = new long[batchSize];
            }
            Arrays.fill(verdicts, null);
            Arrays.fill(reasons, null);
            byRow = true;
        }

        void answer(final int row, final Verdict verdict, final Reason reason, final long decisionId)
        {
            verdicts[row] = verdict;
            reasons[row] = reason;
            decisionIds[row] = decisionId;
        }

        /**
         * @return the verdict for row {@code row}, the {@code entry}-th recipient sent.
         */
        Verdict verdict(final int row, final int entry)
        {
            return byRow ? verdicts[row] : results.verdict(entry);
        }

        Reason reason(final int row, final int entry)
        {
            return byRow ? reasons[row] : results.reason(entry);
        }

        long decisionId(final int row, final int entry)
        {
            return byRow ? decisionIds[row] : results.decisionId(entry);
        }

        void addLine(
            final byte[] source, final int offset, final int length, final long lineNumber, final int problem)
        {
            final int start = lineStarts[size];
            if (start + length > lines.length)
            {
                lines = Arrays.copyOf(lines, Math.max(lines.length * 2, start + length));
            }
            System.arraycopy(source, offset, lines, start, length);
            lineStarts[size + 1] = start + length;
            lineNumbers[size] = lineNumber;
            refuse(size, problem);
            size++;
        }

        /**
         * Row {@code row} is answered here for {@code problem} ({@link CsvField#SENDABLE}: it is not), under the
         * limits the batch holds now.
         */
        void refuse(final int row, final int problem)
        {
            problems[row] = (byte)problem;
            refusingLimits[row] = problem == CsvField.TOO_LONG ? maxAddressLength :
                problem == FRAME_TOO_LONG ? maxFrameLength : 0;
        }

        void clear()
        {
            size = 0;
            request.clear();
            answer = null;
            byRow = false;
        }
    }
}
