package io.iysfilter.server.index;

import io.iysfilter.server.filter.BrandState;
import io.iysfilter.server.filter.ConsentStatus;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * One brand's consent index: a directory holding {@code phone.cmap} (8-byte keys), {@code email.cmap} (16-byte
 * keys), both Chronicle Maps of 16-byte values, and {@code brand.meta}. Layouts: {@link ConsentKeyDescriptor},
 * {@link ConsentValueDescriptor}; docs/INDEX.md.
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
    private final ChronicleMap<byte[], byte[]> phones;
    private final ChronicleMap<byte[], byte[]> emails;
    private final boolean recovered;
    private volatile long asOfMs;
    private boolean metaDirty;

    private BrandIndex(
        final long brandCode,
        final Path directory,
        final BrandMeta meta,
        final ChronicleMap<byte[], byte[]> phones,
        final ChronicleMap<byte[], byte[]> emails,
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
        final ChronicleMap<byte[], byte[]> phones = map(directory.resolve(PHONE_FILE), "phone-" + meta.brandCode,
            ConsentKeyDescriptor.PHONE_KEY_LENGTH, meta.entriesPerMap, options.maxBloatFactor(), recover);
        try
        {
            final ChronicleMap<byte[], byte[]> emails = map(directory.resolve(EMAIL_FILE),
                "email-" + meta.brandCode, ConsentKeyDescriptor.EMAIL_KEY_LENGTH, meta.entriesPerMap,
                options.maxBloatFactor(), recover);
            final long boundMs = options.freshnessBound().applyAsLong(meta.brandCode);
            return new BrandIndex(meta.brandCode, directory, meta, phones, emails, boundMs, recover);
        }
        catch (final IOException | RuntimeException ex)
        {
            phones.close();
            throw ex;
        }
    }

    private static ChronicleMap<byte[], byte[]> map(
        final Path file,
        final String name,
        final int keyLength,
        final long entries,
        final double maxBloatFactor,
        final boolean recover) throws IOException
    {
        final var builder = ChronicleMap.of(byte[].class, byte[].class)
            .name(name)
            .entries(entries)
            .constantKeySizeBySample(new byte[keyLength])
            .constantValueSizeBySample(new byte[ConsentValueDescriptor.LENGTH])
            .maxBloatFactor(maxBloatFactor)
            .putReturnsNull(true)
            .removeReturnsNull(true);
        final File asFile = file.toFile();
        return recover && asFile.exists() ? builder.recoverPersistedTo(asFile, true) :
            builder.createPersistedTo(asFile);
    }

    private void recomputeAsOf()
    {
        long newestSec = 0;
        for (final byte[] value : phones.values())
        {
            newestSec = Math.max(newestSec, creationSecOf(value));
        }
        for (final byte[] value : emails.values())
        {
            newestSec = Math.max(newestSec, creationSecOf(value));
        }
        asOfMs = newestSec * 1000;
        meta.newestCreationMs = asOfMs;
        metaDirty = true;
        checkpoint();
    }

    private static long creationSecOf(final byte[] value)
    {
        long word0 = 0;
        for (int i = 7; i >= 0; i--)
        {
            word0 = word0 << 8 | value[ConsentValueDescriptor.WORD0_OFFSET + i] & 0xFF;
        }
        return ConsentValueDescriptor.creationSec(word0);
    }

    @Override
    public long brandCode()
    {
        return brandCode;
    }

    /**
     * {@inheritDoc} Until the İYS feed lands this is the newest creationDate the index holds.
     */
    @Override
    public long asOfMs()
    {
        return asOfMs;
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
        final byte[] value = lookup.isPhone() ?
            phones.getUsing(lookup.phoneKey(), lookup.value()) :
            emails.getUsing(lookup.emailKey(), lookup.value());
        return value == null ? ConsentStatus.NONE : ConsentValueDescriptor.status(lookup.valueWord1(value));
    }

    /**
     * Writer only: apply one change if it is newer, in İYS order, than what the key holds.
     *
     * @param key      the key bytes (8 for a phone, 16 for an e-mail).
     * @param phone    whether the key is a phone key.
     * @param value    the new value bytes.
     * @param existing scratch for the stored value.
     * @param word0    the new value's word0.
     * @param word1    the new value's word1.
     * @param stored   view over {@code existing}.
     * @return {@link ConsentIndexWriter#APPLIED} or {@link ConsentIndexWriter#SUPERSEDED}.
     */
    int apply(
        final byte[] key,
        final boolean phone,
        final byte[] value,
        final byte[] existing,
        final long word0,
        final long word1,
        final org.agrona.DirectBuffer stored)
    {
        final ChronicleMap<byte[], byte[]> map = phone ? phones : emails;
        final byte[] current = map.getUsing(key, existing);
        if (current != null && ConsentValueDescriptor.compare(word0, word1,
            ConsentValueDescriptor.word0(stored), ConsentValueDescriptor.word1(stored)) <= 0)
        {
            return ConsentIndexWriter.SUPERSEDED;
        }
        map.put(key, value);
        final long creationMs = ConsentValueDescriptor.creationSec(word0) * 1000;
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
