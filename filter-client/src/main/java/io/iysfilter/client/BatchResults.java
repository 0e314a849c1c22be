package io.iysfilter.client;

import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;

/**
 * The reusable answer to a {@link RecipientBatch}: verdict, reason and decision id per index, in the batch's
 * order, and the as-of time of the whole answer. Filled by the client's event-loop thread before the future of
 * {@link FilterClient#checkBatchInto} completes, so it is read after that future is done (which orders the
 * writes before the reads); it must not be handed to another request before then.
 */
public final class BatchResults
{
    private final Verdict[] verdicts;
    private final Reason[] reasons;
    private final long[] decisionIds;
    private int size;
    private long asOfMs;

    /**
     * @param capacity the most results it holds, 1..{@value Limits#MAX_BATCH_ENTRIES}.
     */
    public BatchResults(final int capacity)
    {
        if (capacity < 1 || capacity > Limits.MAX_BATCH_ENTRIES)
        {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1.." +
                Limits.MAX_BATCH_ENTRIES + ")");
        }
        verdicts = new Verdict[capacity];
        reasons = new Reason[capacity];
        decisionIds = new long[capacity];
    }

    /**
     * @return how many results it holds.
     */
    public int size()
    {
        return size;
    }

    /**
     * @return the most results it holds.
     */
    public int capacity()
    {
        return verdicts.length;
    }

    /**
     * @param index 0..size-1.
     * @return ALLOW or DENY.
     */
    public Verdict verdict(final int index)
    {
        checkIndex(index);
        return verdicts[index];
    }

    /**
     * @param index 0..size-1.
     * @return why.
     */
    public Reason reason(final int index)
    {
        checkIndex(index);
        return reasons[index];
    }

    /**
     * @param index 0..size-1.
     * @return the decision's id in the server's receipt journal, 0 when it was not recorded.
     */
    public long decisionId(final int index)
    {
        checkIndex(index);
        return decisionIds[index];
    }

    /**
     * @param index 0..size-1.
     * @return time up to which the brand's data is known complete, epoch milliseconds, 0 when unknown: one value
     * for the whole answer.
     */
    public long asOfMs(final int index)
    {
        checkIndex(index);
        return asOfMs;
    }

    /**
     * @return time up to which the brand's data is known complete, epoch milliseconds, 0 when unknown.
     */
    public long asOfMs()
    {
        return asOfMs;
    }

    void reset(final long asOfMs)
    {
        this.size = 0;
        this.asOfMs = asOfMs;
    }

    void add(final Verdict verdict, final Reason reason, final long decisionId)
    {
        verdicts[size] = verdict;
        reasons[size] = reason;
        decisionIds[size] = decisionId;
        size++;
    }

    private void checkIndex(final int index)
    {
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("index: " + index + ", size: " + size);
        }
    }
}
