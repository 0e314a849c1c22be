package io.iysfilter.server.index;

import net.openhft.chronicle.values.Values;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The store's one {@link ConsentIndexWriter}, used only by the ingest pipeline's consumer: it derives each change's
 * key ({@link ConsentKey}, the rule readers use too) and hands it to the brand's {@link BrandWriter}.
 */
final class StoreWriter implements ConsentIndexWriter
{
    private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);

    private final ConsentStore store;
    private final IndexOptions options;
    private final DiskSpaceGuard diskSpace;
    private final ConsentKey key = new ConsentKey();
    private final ConsentValue value = Values.newHeapInstance(ConsentValue.class);
    private final ConsentValue existing = Values.newHeapInstance(ConsentValue.class);

    StoreWriter(final ConsentStore store, final IndexOptions options, final DiskSpaceGuard diskSpace)
    {
        this.store = store;
        this.options = options;
        this.diskSpace = diskSpace;
    }

    @Override
    public BrandIndex createBrand(final long brandCode) throws IOException
    {
        return store.createBrand(brandCode);
    }

    @Override
    public int apply(final ConsentChange change)
    {
        final int outcome = applyTelling(change);
        return outcome == EQUAL ? SUPERSEDED : outcome;
    }

    @Override
    public int applyTelling(final ConsentChange change)
    {
        final BrandIndex index = store.brand(change.brandCode());
        if (index == null)
        {
            throw new IllegalStateException("no index for brand: brand=" + change.brandCode());
        }
        final long nowMs = options.clockMs().getAsLong();
        if (ConsentValueDescriptor.creationSec(change.word0()) * 1000 > nowMs + options.maxFutureSkewMs())
        {
            return REJECTED_FUTURE;
        }
        final BrandWriter brand = index.writer();
        if (brand == null)
        {
            throw new UncheckedIOException(new IOException("brand index damaged beyond opening, no change can be " +
                "applied: brand=" + change.brandCode() + ", cause=" + index.damage()));
        }
        value.setWord0(change.word0());
        value.setWord1(change.word1());
        if (change.keyed())
        {
            key.set(change.keyKind(), change.key0(), change.key1());
        }
        else
        {
            key.set(brand.keys(), change.channel(), change.type(), change.recipient());
            key.describe(change);
        }
        final int result = brand.apply(key, value, existing, nowMs, change.dealerCodes(), change.dealerCount(),
            change.accessFetchedMs());
        if (result == EQUAL)
        {
            brand.attachKeptAccessList(change);
        }
        return result;
    }

    @Override
    public void advanceWatermark(final long brandCode, final long watermarkMs)
    {
        final BrandIndex index = store.brand(brandCode);
        if (index == null)
        {
            throw new IllegalStateException("no index for brand: brand=" + brandCode);
        }
        final BrandWriter brand = index.writer();
        if (brand != null)
        {
            brand.advanceWatermark(watermarkMs, options.clockMs().getAsLong());
        }
    }

    @Override
    public DiskSpaceGuard diskSpace()
    {
        return diskSpace;
    }

    @Override
    public void checkpoint()
    {
        for (final BrandIndex index : store.registered())
        {
            final BrandWriter brand = index.writer();
            if (brand != null)
            {
                brand.checkpoint();
            }
        }
    }

    @Override
    public void faulted(final String cause)
    {
        final String damage = "the index writer faulted, writes reported applied may be lost: " + cause +
            "; after freeing space and restarting, reconcile the brand's recent days, then delete this file";
        for (final BrandIndex index : store.registered())
        {
            index.faulted();
            index.damaged(damage);
            try
            {
                // the feed's cursors may already be past a lost change: only a reconcile can tell, so the
                // finding must outlive the restart
                IntegrityFiles.recordDamage(index.directory(), damage);
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.error("cannot record the writer's fault for brand {} (the disk is full?): it will be " +
                    "recovered at the next open, but lost writes cannot be found there; reconcile it",
                    index.brandCode(), ex);
            }
        }
    }
}
