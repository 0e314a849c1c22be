package io.iysfilter.server.optout;

import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.DiskFullException;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.ingest.WriteAheadLog;
import io.iysfilter.server.ingest.WriterTask;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The brands' opt-out logs ({@link OptOutLog}, one per brand, opened on first use), as the single writer uses them:
 * written ahead of the index for each opt-out, and replayed into the index at start. Every method but
 * {@link #repairs()} runs on the writer thread ({@link #close()} once it has stopped).
 */
final class OptOutJournal implements WriteAheadLog, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(OptOutJournal.class);

    private final ConsentStore store;
    private final Long2ObjectHashMap<OptOutLog> logs = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<OptOutSeal> seals = new Long2ObjectHashMap<>();
    private final AtomicLong repairs = new AtomicLong();
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient recipient = new ParsedRecipient();
    private final ConsentChange replayed = new ConsentChange();

    OptOutJournal(final ConsentStore store)
    {
        this.store = store;
    }

    @Override
    public long append(final long brandCode, final String record)
    {
        try
        {
            return log(brandCode).append(record);
        }
        catch (final IOException ex)
        {
            if (DiskSpaceGuard.isDiskFull(ex))
            {
                throw new DiskFullException("disk full: cannot write the opt-out log of brand " + brandCode +
                    " (" + ex.getMessage() + ")", ex);
            }
            throw new UncheckedIOException("cannot write the opt-out log of brand " + brandCode, ex);
        }
    }

    @Override
    public void truncate(final long brandCode, final long position)
    {
        try
        {
            log(brandCode).truncate(position);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot truncate the opt-out log of brand " + brandCode, ex);
        }
    }

    /**
     * Apply every brand's opt-out log to the index again, at start, before anything is served: last-writer-wins makes
     * records the index holds change nothing, and puts back those a power cut took. Each log is opened (a torn tail
     * truncated, corrupt lines dropped: counted in {@link #repairs()}, logged; a log in plain rewritten sealed) and
     * kept open for the appends. A record that does not open (another key, or an edited log) stops the replay.
     *
     * @param brandCodes the brands whose logs to replay.
     * @param index      the index's change path, on the writer thread.
     * @return what was found.
     * @throws IOException when a log cannot be read or repaired, or holds a record the index refuses.
     */
    OptOutReplay replay(final long[] brandCodes, final WriterTask.Changes index) throws IOException
    {
        long records = 0;
        long reapplied = 0;
        long held = 0;
        long dropped = 0;
        for (final long brandCode : brandCodes)
        {
            final OptOutLog.Contents contents = reopen(brandCode);
            long brandReapplied = 0;
            long brandDropped = (contents.tornBytes() > 0 ? 1 : 0) + contents.corrupt();
            for (final String record : contents.records())
            {
                final OptOut optOut;
                try
                {
                    optOut = OptOut.parse(record);
                    optOut.toChange(replayed, parser, recipient);
                }
                catch (final IOException | IllegalArgumentException ex)
                {
                    brandDropped++;
                    LOG.error("opt-out log record dropped: brand={}, record={}, reason={}", brandCode,
                        Recipients.maskText(record), Recipients.maskText(ex.getMessage()));
                    continue;
                }
                records++;
                if (optOut.brandCode() != brandCode)
                {
                    throw new IOException("opt-out log of brand " + brandCode + " holds a record of brand " +
                        optOut.brandCode() + ": " + Recipients.maskText(record));
                }
                final int outcome = index.apply(replayed);
                if (outcome == ConsentIndexWriter.REJECTED_FUTURE)
                {
                    throw new IOException("opt-out log of brand " + brandCode + " holds a record the index refuses: " +
                        IngestPipeline.futureDated(replayed) + " (is the clock right?): " +
                        Recipients.maskText(record));
                }
                if (outcome == ConsentIndexWriter.APPLIED)
                {
                    brandReapplied++;
                }
                else
                {
                    held++;
                }
            }
            reapplied += brandReapplied;
            dropped += brandDropped;
            repairs.getAndAdd(brandDropped);
            if (brandReapplied > 0 || brandDropped > 0)
            {
                LOG.warn("opt-out log replayed: brand={}, records={}, reapplied={}, dropped={}", brandCode,
                    contents.records().size(), brandReapplied, brandDropped);
            }
        }
        return new OptOutReplay(brandCodes.length, records, reapplied, held, dropped);
    }

    /**
     * @return opt-out log records dropped at start: torn tails truncated, corrupt lines.
     */
    long repairs()
    {
        return repairs.get();
    }

    /**
     * Close every open log; once the writer has stopped.
     */
    @Override
    public void close()
    {
        for (final OptOutLog log : logs.values())
        {
            log.close();
        }
        logs.clear();
    }

    private OptOutLog.Contents reopen(final long brandCode) throws IOException
    {
        final OptOutLog.Contents[] contents = new OptOutLog.Contents[1];
        final OptOutLog present = logs.remove(brandCode);
        if (present != null)
        {
            present.close();
        }
        logs.put(brandCode, OptOutLog.open(directory(brandCode), seal(brandCode), contents));
        return contents[0];
    }

    private OptOutLog log(final long brandCode) throws IOException
    {
        final OptOutLog present = logs.get(brandCode);
        if (present != null)
        {
            return present;
        }
        final OptOutLog opened = OptOutLog.open(directory(brandCode), seal(brandCode), null);
        logs.put(brandCode, opened);
        return opened;
    }

    private OptOutSeal seal(final long brandCode)
    {
        OptOutSeal seal = seals.get(brandCode);
        if (seal == null)
        {
            seal = OptOutSeal.forBrand(store.key(), brandCode);
            seals.put(brandCode, seal);
        }
        return seal;
    }

    private Path directory(final long brandCode)
    {
        final BrandIndex index = store.brand(brandCode);
        if (index == null)
        {
            throw new IllegalStateException("no index for brand: brand=" + brandCode);
        }
        return index.directory();
    }
}
