package io.iysfilter.server.receipts;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.function.Supplier;

/**
 * The journal's files as a {@link ReceiptSource}, through one {@link ReceiptReader}; thread-safe (a search, or a
 * chain head asked for a scrub run, at a time: these are rare, admin questions). Beside a running server, the digest
 * of the day its journal writes is the live head the journal published at its last seal
 * ({@code ReceiptRecorder.journalHead()}), read without walking the day or waiting for a search.
 */
public final class JournalReceiptSource implements ReceiptSource
{
    private final ReceiptReader reader;
    private final Supplier<DayRoot> liveHead;

    private JournalReceiptSource(final ReceiptReader reader, final Supplier<DayRoot> liveHead)
    {
        this.reader = reader;
        this.liveHead = liveHead;
    }

    /**
     * @param directory the receipts directory.
     * @return the journal in it, for reading.
     * @throws IOException when it is not a directory.
     */
    public static JournalReceiptSource open(final Path directory) throws IOException
    {
        return open(directory, () -> null);
    }

    /**
     * @param directory the receipts directory.
     * @param liveHead  the head of the last day of the journal a server writes there, as of its last seal (null when
     *                  none): the digest of that day.
     * @return the journal in it, for reading.
     * @throws IOException when it is not a directory.
     */
    public static JournalReceiptSource open(final Path directory, final Supplier<DayRoot> liveHead) throws IOException
    {
        return new JournalReceiptSource(ReceiptReader.open(directory), liveHead);
    }

    @Override
    public synchronized long[] days() throws IOException
    {
        final List<LocalDate> days = reader.days();
        final long[] epochDays = new long[days.size()];
        for (int i = 0; i < epochDays.length; i++)
        {
            epochDays[i] = days.get(i).toEpochDay();
        }
        return epochDays;
    }

    @Override
    public synchronized void read(final long epochDay, final Visitor visitor) throws IOException
    {
        reader.scan(LocalDate.ofEpochDay(epochDay), (id, timeMs, partyName, receipt) ->
            visitor.receipt(receipt, "unknown".equals(partyName) ? null : partyName));
    }

    @Override
    public DayDigest digest(final long epochDay) throws IOException
    {
        final DayRoot live = liveHead.get();
        if (live != null && live.day().toEpochDay() == epochDay)
        {
            return new DayDigest(epochDay, live.closed(), live.digest(), live.lastDecisionId());
        }
        return fileDigest(epochDay);
    }

    private synchronized DayDigest fileDigest(final long epochDay) throws IOException
    {
        final DayRoot root = reader.root(LocalDate.ofEpochDay(epochDay));
        return root == null ? new DayDigest(epochDay, false, null, 0) :
            new DayDigest(epochDay, root.closed(), root.digest(), root.lastDecisionId());
    }
}
