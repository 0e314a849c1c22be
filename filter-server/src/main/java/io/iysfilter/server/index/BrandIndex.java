package io.iysfilter.server.index;

import io.iysfilter.server.filter.BrandState;
import io.iysfilter.server.filter.ConsentStatus;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * One brand's consent index: a directory holding {@code phone.cmap} ({@link LongValue} keys), {@code email.cmap}
 * ({@link EmailKey} keys), both Chronicle Maps of {@link ConsentValue}s, and {@code brand.meta}.
 * Layouts: {@link ConsentKeyDescriptor}, {@link ConsentValueDescriptor}; docs/INDEX.md.
 * <p>
 * Threading: any number of threads read through their own {@link IndexLookup}; only the store's single writer
 * calls {@link #apply}, {@link #checkpoint()} and {@link #close()}. {@link #asOfMs()} is a volatile read.
 */
public final class BrandIndex implements BrandState, AutoCloseable
{
    static final String PHONE_FILE = "phone.cmap";
    static final String EMAIL_FILE = "email.cmap";
    private static final Logger LOG = LoggerFactory.getLogger(BrandIndex.class);

    private final long brandCode;
    private final Path directory;
    private final long hashSeed;
    private final long freshnessBoundMs;
    private final BrandMeta meta;
    private final ChronicleMap<LongValue, ConsentValue> phones;
    private final ChronicleMap<EmailKey, ConsentValue> emails;
    private final boolean recovered;
    private volatile long asOfMs;
    private volatile long watermarkMs;
    private boolean metaDirty;

    private BrandIndex(
        final long brandCode,
        final Path directory,
        final BrandMeta meta,
        final ChronicleMap<LongValue, ConsentValue> phones,
        final ChronicleMap<EmailKey, ConsentValue> emails,
        final long freshnessBoundMs,
        final boolean recovered)
    {
        this.brandCode = brandCode;
        this.directory = directory;
        this.meta = meta;
        this.hashSeed = meta.hashSeed;
        this.phones = phones;
        this.emails = emails;
        this.freshnessBoundMs = freshnessBoundMs;
        this.recovered = recovered;
        this.asOfMs = meta.newestCreationMs;
        this.watermarkMs = meta.watermarkMs;
    }

    /**
     * Create a new, empty brand index.
     *
     * @param directory the brand's directory; must not hold an index yet.
     * @param brandCode İYS brand code.
     * @param options   sizing and freshness.
     * @return the open index.
     * @throws IOException when the files cannot be created.
     */
    static BrandIndex create(final Path directory, final long brandCode, final IndexOptions options)
        throws IOException
    {
        if (Files.exists(directory.resolve(BrandMeta.FILE_NAME)))
        {
            throw new IOException("brand index already exists: " + directory);
        }
        Files.createDirectories(directory);
        final BrandMeta meta = new BrandMeta();
        meta.brandCode = brandCode;
        meta.hashSeed = new SecureRandom().nextLong();
        meta.entriesPerMap = options.entriesPerMap();
        meta.open = true;
        meta.write(directory);
        return openMaps(directory, meta, options, false);
    }

    /**
     * Open an existing brand index, recovering it first if it was not closed cleanly.
     *
     * @param directory the brand's directory.
     * @param options   sizing and freshness; sizing is taken from the metadata.
     * @return the open index.
     * @throws IOException when the files cannot be read.
     */
    static BrandIndex open(final Path directory, final IndexOptions options) throws IOException
    {
        final BrandMeta meta = BrandMeta.read(directory);
        final boolean recover = meta.open;
        if (recover)
        {
            LOG.warn("brand index was not closed cleanly, recovering: brand={}, dir={}", meta.brandCode, directory);
        }
        meta.open = true;
        meta.write(directory);
        final BrandIndex index = openMaps(directory, meta, options, recover);
        if (recover)
        {
            index.recomputeAsOf();
        }
        return index;
    }

    private static BrandIndex openMaps(
        final Path directory, final BrandMeta meta, final IndexOptions options, final boolean recover)
        throws IOException
    {
        final ChronicleMap<LongValue, ConsentValue> phones = persist(
            ChronicleMap.of(LongValue.class, ConsentValue.class), directory.resolve(PHONE_FILE),
            "phone-" + meta.brandCode, meta.entriesPerMap, options.maxBloatFactor(), recover);
        try
        {
            final ChronicleMap<EmailKey, ConsentValue> emails = persist(
                ChronicleMap.of(EmailKey.class, ConsentValue.class), directory.resolve(EMAIL_FILE),
                "email-" + meta.brandCode, meta.entriesPerMap, options.maxBloatFactor(), recover);
            final long boundMs = options.freshnessBound().applyAsLong(meta.brandCode);
            return new BrandIndex(meta.brandCode, directory, meta, phones, emails, boundMs, recover);
        }
        catch (final IOException | RuntimeException ex)
        {
            phones.close();
            throw ex;
        }
    }

    private static <K> ChronicleMap<K, ConsentValue> persist(
        final ChronicleMapBuilder<K, ConsentValue> builder,
        final Path file,
        final String name,
        final long entries,
        final double maxBloatFactor,
        final boolean recover) throws IOException
    {
        builder.name(name)
            .entries(entries)
            .maxBloatFactor(maxBloatFactor)
            .putReturnsNull(true)
            .removeReturnsNull(true)
            // Chronicle's own JVM shutdown hook would close the map while the graceful stop still answers from it;
            // FilterServer.close() closes it, once the last connection is closed and the ingest ring drained.
            .skipCloseOnExitHook(true);
        final File asFile = file.toFile();
        return recover && asFile.exists() ? builder.recoverPersistedTo(asFile, true) :
            builder.createPersistedTo(asFile);
    }

    private void recomputeAsOf()
    {
        long newestSec = 0;
        for (final ConsentValue value : phones.values())
        {
            newestSec = Math.max(newestSec, ConsentValueDescriptor.creationSec(value.getWord0()));
        }
        for (final ConsentValue value : emails.values())
        {
            newestSec = Math.max(newestSec, ConsentValueDescriptor.creationSec(value.getWord0()));
        }
        asOfMs = newestSec * 1000;
        meta.newestCreationMs = asOfMs;
        metaDirty = true;
        checkpoint();
    }

    @Override
    public long brandCode()
    {
        return brandCode;
    }

    /**
     * {@inheritDoc} For a brand that follows İYS's change feed this is the feed watermark (see
     * {@link #watermarkMs()}); for a brand whose data is only imported, the newest creationDate it holds.
     */
    @Override
    public long asOfMs()
    {
        final long watermark = watermarkMs;
        return watermark > 0 ? watermark : asOfMs;
    }

    /**
     * @return the time up to which İYS's change feed is known to be applied, epoch ms, or 0 when the brand has never
     * completed a poll.
     */
    public long watermarkMs()
    {
        return watermarkMs;
    }

    /**
     * Writer only: advance the feed watermark; it never moves back.
     *
     * @param newWatermarkMs the time up to which every change of both feeds is applied.
     */
    void advanceWatermark(final long newWatermarkMs)
    {
        if (newWatermarkMs > watermarkMs)
        {
            watermarkMs = newWatermarkMs;
            meta.watermarkMs = newWatermarkMs;
            metaDirty = true;
        }
    }

    @Override
    public long freshnessBoundMs()
    {
        return freshnessBoundMs;
    }

    /**
     * @return the number of consents held, phones and e-mails.
     */
    public long entries()
    {
        return phones.longSize() + emails.longSize();
    }

    /**
     * @return whether opening this index had to recover it from an unclean shutdown.
     */
    public boolean wasRecovered()
    {
        return recovered;
    }

    /**
     * @return the brand's directory.
     */
    public Path directory()
    {
        return directory;
    }

    long hashSeed()
    {
        return hashSeed;
    }

    int status(final IndexLookup lookup)
    {
        final ConsentValue value = lookup.isPhone() ?
            phones.getUsing(lookup.phoneKey(), lookup.value()) :
            emails.getUsing(lookup.emailKey(), lookup.value());
        return value == null ? ConsentStatus.NONE : ConsentValueDescriptor.status(value.getWord1());
    }

    /**
     * Force the brand's map files to disk. On Linux {@code fsync} also writes back pages dirtied through the shared
     * memory mappings, so after this returns every change applied before it survives a machine crash. Any thread.
     *
     * @throws IOException when the files cannot be synced.
     */
    public void force() throws IOException
    {
        for (final String file : new String[]{PHONE_FILE, EMAIL_FILE})
        {
            try (FileChannel channel = FileChannel.open(directory.resolve(file), StandardOpenOption.WRITE))
            {
                channel.force(false);
            }
        }
    }

    ConsentValue phoneValue(final LongValue key, final ConsentValue using)
    {
        return phones.getUsing(key, using);
    }

    ConsentValue emailValue(final EmailKey key, final ConsentValue using)
    {
        return emails.getUsing(key, using);
    }

    /**
     * Writer only: apply one change to a phone key if it is newer, in İYS order, than what the key holds.
     *
     * @param key      the key.
     * @param value    the new value.
     * @param existing scratch for the stored value.
     * @return {@link ConsentIndexWriter#APPLIED} or {@link ConsentIndexWriter#SUPERSEDED}.
     */
    int applyPhone(final LongValue key, final ConsentValue value, final ConsentValue existing)
    {
        return apply(phones, key, value, existing);
    }

    /**
     * Writer only: apply one change to an e-mail key if it is newer, in İYS order, than what the key holds.
     *
     * @param key      the key.
     * @param value    the new value.
     * @param existing scratch for the stored value.
     * @return {@link ConsentIndexWriter#APPLIED} or {@link ConsentIndexWriter#SUPERSEDED}.
     */
    int applyEmail(final EmailKey key, final ConsentValue value, final ConsentValue existing)
    {
        return apply(emails, key, value, existing);
    }

    private <K> int apply(
        final ChronicleMap<K, ConsentValue> map, final K key, final ConsentValue value, final ConsentValue existing)
    {
        final ConsentValue stored = map.getUsing(key, existing);
        if (stored != null && ConsentValueDescriptor.compare(value.getWord0(), value.getWord1(),
            stored.getWord0(), stored.getWord1()) <= 0)
        {
            return ConsentIndexWriter.SUPERSEDED;
        }
        map.put(key, value);
        final long creationMs = ConsentValueDescriptor.creationSec(value.getWord0()) * 1000;
        if (creationMs > asOfMs)
        {
            asOfMs = creationMs;
            meta.newestCreationMs = creationMs;
            metaDirty = true;
        }
        return ConsentIndexWriter.APPLIED;
    }

    /**
     * Writer only: persist the metadata if it changed.
     */
    void checkpoint()
    {
        if (metaDirty)
        {
            try
            {
                meta.write(directory);
                metaDirty = false;
            }
            catch (final IOException ex)
            {
                LOG.error("cannot write brand metadata: brand={}, dir={}", brandCode, directory, ex);
            }
        }
    }

    /**
     * Writer only: unmap the index, then persist the metadata marked as closed cleanly.
     */
    @Override
    public void close()
    {
        phones.close();
        emails.close();
        meta.open = false;
        metaDirty = true;
        checkpoint();
    }
}
