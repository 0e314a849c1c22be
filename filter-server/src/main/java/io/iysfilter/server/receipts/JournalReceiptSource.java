package io.iysfilter.server.receipts;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

/**
 * The journal's files as a {@link ReceiptSource}, through one {@link ReceiptReader}; thread-safe (a search, or a
 * chain head asked for a scrub run, at a time: these are rare, admin questions).
 */
public final class JournalReceiptSource implements ReceiptSource
{
    private final ReceiptReader reader;

    private JournalReceiptSource(final ReceiptReader reader)
    {
        this.reader = reader;
    }

    /**
     * @param directory the receipts directory.
     * @return the journal in it, for reading.
     * @throws IOException when it is not a directory.
     */
    public static JournalReceiptSource open(final Path directory) throws IOException
    {
        return new JournalReceiptSource(ReceiptReader.open(directory));
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
    public synchronized DayDigest digest(final long epochDay) throws IOException
    {
        final DayRoot root = reader.root(LocalDate.ofEpochDay(epochDay));
        return root == null ? new DayDigest(epochDay, false, null, 0) :
            new DayDigest(epochDay, root.closed(), root.digest(), root.lastDecisionId());
    }
}
