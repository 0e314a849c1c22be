package io.iysfilter.server.index;

import org.agrona.collections.Long2ObjectHashMap;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.values.Values;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The data directory: every brand's index, opened at start-up, under an exclusive lock so that only one process
 * (a server or an import) uses it at a time.
 * <pre>
 *   DATA_DIR/.lock                        held while open; holds the owner's pid
 *   DATA_DIR/brands/&lt;brandCode&gt;/brand.meta
 *   DATA_DIR/brands/&lt;brandCode&gt;/phone.cmap
 *   DATA_DIR/brands/&lt;brandCode&gt;/email.cmap
 * </pre>
 * Readers get an {@link IndexLookup} each; the one {@link ConsentIndexWriter} comes from {@link #writer()}.
 * The brand registry is copy-on-write, so readers never wait for a brand being added.
 */
public final class ConsentStore implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ConsentStore.class);
    private static final String LOCK_FILE = ".lock";
    private static final String BRANDS_DIR = "brands";
    /** A brand's log of local opt-outs, beside its index: {@link OptOutLog}. */
    public static final String OPT_OUT_LOG = OptOutLog.FILE_NAME;

    private final Path dataDirectory;
    private final IndexOptions options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final DiskSpaceGuard diskSpace;
    private volatile Long2ObjectHashMap<BrandIndex> brands = newRegistry();
    private Writer writer;
    private boolean closed;

    private ConsentStore(
        final Path dataDirectory, final IndexOptions options, final FileChannel lockChannel, final FileLock lock)
        throws IOException
    {
        this.dataDirectory = dataDirectory;
        this.options = options;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.diskSpace = new DiskSpaceGuard(Files.getFileStore(dataDirectory), dataDirectory.toString(),
            options.diskReserveBytes());
    }

    /**
     * Lock the data directory (creating it if needed) and open every brand index in it.
     *
     * @param dataDirectory the data directory.
     * @param options       sizing and freshness.
     * @return the open store.
     * @throws IOException when the directory is locked by another process or an index cannot be opened.
     */
    public static ConsentStore open(final Path dataDirectory, final IndexOptions options) throws IOException
    {
        Files.createDirectories(dataDirectory.resolve(BRANDS_DIR));
        final FileChannel channel = FileChannel.open(dataDirectory.resolve(LOCK_FILE),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        FileLock lock;
        try
        {
            lock = channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            lock = null;
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        if (lock == null)
        {
            final String owner = new String(Files.readAllBytes(dataDirectory.resolve(LOCK_FILE)),
                StandardCharsets.US_ASCII).trim();
            channel.close();
            throw new IOException("data directory is in use by another process: dir=" + dataDirectory +
                ", pid=" + (owner.isEmpty() ? "?" : owner));
        }
        channel.truncate(0);
        channel.write(StandardCharsets.US_ASCII.encode(ProcessHandle.current().pid() + "\n"), 0);

        final ConsentStore store;
        try
        {
            store = new ConsentStore(dataDirectory, options, channel, lock);
        }
        catch (final IOException | RuntimeException ex)
        {
            lock.release();
            channel.close();
            throw ex;
        }
        try
        {
            store.openBrands();
        }
        catch (final IOException | RuntimeException ex)
        {
            store.close();
            throw ex;
        }
        return store;
    }

    /**
     * Registries are read by many threads, so their iterators must not be the shared cached ones.
     */
    private static Long2ObjectHashMap<BrandIndex> newRegistry()
    {
        return new Long2ObjectHashMap<>(8, 0.65f, false);
    }

    private void openBrands() throws IOException
    {
        final Long2ObjectHashMap<BrandIndex> opened = newRegistry();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dataDirectory.resolve(BRANDS_DIR)))
        {
            for (final Path dir : dirs)
            {
                if (Files.isDirectory(dir) && Files.exists(dir.resolve(BrandMeta.FILE_NAME)))
                {
                    final BrandIndex index = BrandIndex.open(dir, options);
                    opened.put(index.brandCode(), index);
                    LOG.info("opened brand index: brand={}, entries={}, recovered={}",
                        index.brandCode(), index.entries(), index.wasRecovered());
                }
            }
        }
        finally
        {
            brands = opened;
        }
    }

    /**
     * @param brandCode İYS brand code.
     * @return the brand's index, or null when the store holds none.
     */
    public BrandIndex brand(final long brandCode)
    {
        return brands.get(brandCode);
    }

    /**
     * @return every brand index, in no particular order.
     */
    public List<BrandIndex> brands()
    {
        return new ArrayList<>(brands.values());
    }

    /**
     * @return the data directory.
     */
    public Path dataDirectory()
    {
        return dataDirectory;
    }

    /**
     * @return a new lookup for one reader thread.
     */
    public IndexLookup newLookup()
    {
        return new IndexLookup(this);
    }

    /**
     * @return the store's one writer.
     * @throws IllegalStateException when the writer was already taken.
     */
    public synchronized ConsentIndexWriter writer()
    {
        if (writer != null)
        {
            throw new IllegalStateException("the consent store has one writer and it is taken");
        }
        writer = new Writer();
        return writer;
    }

    /**
     * Close every brand index cleanly and release the lock.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (writer != null)
        {
            writer.closeOptOutLogs();
        }
        for (final BrandIndex index : brands.values())
        {
            try
            {
                index.close();
            }
            catch (final RuntimeException ex)
            {
                LOG.error("cannot close brand index: brand={}", index.brandCode(), ex);
            }
        }
        try
        {
            lock.release();
            lockChannel.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("cannot release data directory lock: dir={}", dataDirectory, ex);
        }
    }

    private final class Writer implements ConsentIndexWriter
    {
        private final LongValue phoneKey = Values.newHeapInstance(LongValue.class);
        private final EmailKey emailKey = Values.newHeapInstance(EmailKey.class);
        private final ConsentValue value = Values.newHeapInstance(ConsentValue.class);
        private final ConsentValue existing = Values.newHeapInstance(ConsentValue.class);
        private final Murmur3 hasher = new Murmur3();
        private final Long2ObjectHashMap<OptOutLog> optOutLogs = new Long2ObjectHashMap<>();

        @Override
        public BrandIndex createBrand(final long brandCode) throws IOException
        {
            final BrandIndex present = brands.get(brandCode);
            if (present != null)
            {
                return present;
            }
            final BrandIndex created = BrandIndex.create(
                dataDirectory.resolve(BRANDS_DIR).resolve(Long.toString(brandCode)), brandCode, options);
            final Long2ObjectHashMap<BrandIndex> copy = newRegistry();
            copy.putAll(brands);
            copy.put(brandCode, created);
            brands = copy;
            LOG.info("created brand index: brand={}, entriesPerMap={}", brandCode, options.entriesPerMap());
            return created;
        }

        @Override
        public int apply(final ConsentChange change)
        {
            final BrandIndex index = brands.get(change.brandCode());
            if (index == null)
            {
                throw new IllegalStateException("no index for brand: brand=" + change.brandCode());
            }
            value.setWord0(change.word0());
            value.setWord1(change.word1());
            if (change.channel().isPhone())
            {
                phoneKey.setValue(ConsentKeyDescriptor.phoneKey(
                    change.channel(), change.type(), change.recipient().phoneDigits()));
                return index.applyPhone(phoneKey, value, existing);
            }
            ConsentKeyDescriptor.emailKey(emailKey, hasher, index.hashSeed(), change.type(),
                change.recipient().emailBuffer(), 0, change.recipient().emailLength());
            return index.applyEmail(emailKey, value, existing);
        }

        @Override
        public void advanceWatermark(final long brandCode, final long watermarkMs)
        {
            final BrandIndex index = brands.get(brandCode);
            if (index == null)
            {
                throw new IllegalStateException("no index for brand: brand=" + brandCode);
            }
            index.advanceWatermark(watermarkMs);
        }

        @Override
        public long appendOptOut(final long brandCode, final String record)
        {
            try
            {
                return optOutLog(brandCode).append(record);
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
        public void truncateOptOuts(final long brandCode, final long position)
        {
            try
            {
                optOutLog(brandCode).truncate(position);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot truncate the opt-out log of brand " + brandCode, ex);
            }
        }

        @Override
        public OptOutLog.Contents openOptOuts(final long brandCode) throws IOException
        {
            final OptOutLog.Contents[] contents = new OptOutLog.Contents[1];
            final OptOutLog present = optOutLogs.remove(brandCode);
            if (present != null)
            {
                present.close();
            }
            optOutLogs.put(brandCode, OptOutLog.open(index(brandCode).directory(), contents));
            return contents[0];
        }

        @Override
        public DiskSpaceGuard diskSpace()
        {
            return diskSpace;
        }

        private OptOutLog optOutLog(final long brandCode) throws IOException
        {
            final OptOutLog present = optOutLogs.get(brandCode);
            if (present != null)
            {
                return present;
            }
            final OptOutLog opened = OptOutLog.open(index(brandCode).directory(), null);
            optOutLogs.put(brandCode, opened);
            return opened;
        }

        private BrandIndex index(final long brandCode)
        {
            final BrandIndex index = brands.get(brandCode);
            if (index == null)
            {
                throw new IllegalStateException("no index for brand: brand=" + brandCode);
            }
            return index;
        }

        void closeOptOutLogs()
        {
            for (final OptOutLog log : optOutLogs.values())
            {
                log.close();
            }
            optOutLogs.clear();
        }

        @Override
        public void checkpoint()
        {
            for (final BrandIndex index : brands.values())
            {
                index.checkpoint();
            }
        }
    }
}
