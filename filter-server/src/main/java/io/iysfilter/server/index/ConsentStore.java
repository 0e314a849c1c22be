package io.iysfilter.server.index;

import io.iysfilter.server.decision.Reason;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The data directory: every brand's index, opened at start-up, under an exclusive lock so that only one process
 * (a server or an import) uses it at a time.
 * <pre>
 *   DATA_DIR/.lock                        held while open; holds the owner's pid
 *   DATA_DIR/brands/&lt;brandCode&gt;/brand.meta
 *   DATA_DIR/brands/&lt;brandCode&gt;/phone.cmap
 *   DATA_DIR/brands/&lt;brandCode&gt;/email.cmap
 *   DATA_DIR/brands/&lt;brandCode&gt;/damaged             only once the brand was found damaged
 *   DATA_DIR/brands/&lt;brandCode&gt;/import.inprogress   only while an import into the brand has not finished
 * </pre>
 * Every brand is verified once opened ({@link BrandIndex#verify}): small ones before {@link #open} returns, larger
 * ones on a background thread while the brand answers {@code INDEX_VERIFYING}. A brand that cannot be opened does not
 * stop the others: it is held as damaged.
 * Readers get an {@link IndexLookup} each; the one {@link ConsentIndexWriter} comes from {@link #writer()}
 * ({@link StoreWriter}).
 * The brand registry is copy-on-write, so readers never wait for a brand being added.
 */
public final class ConsentStore implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ConsentStore.class);
    private static final String LOCK_FILE = ".lock";
    private static final String BRANDS_DIR = "brands";

    private final Path dataDirectory;
    private final IndexOptions options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final DiskSpaceGuard diskSpace;
    private volatile Long2ObjectHashMap<BrandIndex> brands = newRegistry();
    private StoreWriter writer;
    private boolean closed;
    private volatile boolean closing;
    private final List<BrandIndex> unverified = new ArrayList<>();
    private volatile Thread verifier;

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
        if (options.key() == null)
        {
            throw new IllegalArgumentException("no index key: IndexOptions.withKey (setting key-file)");
        }
        DurableFiles.createPrivateDirectories(dataDirectory);
        DurableFiles.createPrivateDirectories(dataDirectory.resolve(BRANDS_DIR));
        final FileChannel channel = FileChannel.open(dataDirectory.resolve(LOCK_FILE), Set.of(
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ), DurableFiles.FILE_ATTRIBUTE);
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
        try
        {
            final List<Path> widened = DurableFiles.restrictTree(dataDirectory);
            if (!widened.isEmpty())
            {
                LOG.warn("data directory held {} file(s) or director(ies) others could read, set to 0600/0700 " +
                    "(docs/SECURITY.md): first={}", widened.size(), widened.get(0));
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            lock.release();
            channel.close();
            throw ex;
        }

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
        final List<BrandIndex> toVerify = new ArrayList<>();
        // verified after the registry is published, so that readers can see a brand while it is verified
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dataDirectory.resolve(BRANDS_DIR)))
        {
            for (final Path dir : dirs)
            {
                if (Files.isDirectory(dir) && Files.exists(dir.resolve(BrandMeta.FILE_NAME)))
                {
                    final BrandIndex index = openBrand(dir);
                    if (index == null)
                    {
                        continue;
                    }
                    opened.put(index.brandCode(), index);
                    LOG.info("opened brand index: brand={}, entries={}, recovered={}, state={}",
                        index.brandCode(), index.entries(), index.wasRecovered(),
                        index.unreadyReason() == null ? "READY" : index.unreadyReason());
                    if (index.unreadyReason() == Reason.INDEX_VERIFYING)
                    {
                        toVerify.add(index);
                    }
                }
            }
        }
        finally
        {
            brands = opened;
        }
        for (final BrandIndex index : toVerify)
        {
            if (index.entries() <= options.syncVerifyEntries())
            {
                verify(index);
            }
            else
            {
                unverified.add(index);
            }
        }
    }

    /**
     * Verify, on a thread of their own, the brands too large to verify while opening; until each passes it answers
     * {@code INDEX_VERIFYING}. A server calls this once; a command that only writes (import) need not.
     */
    public synchronized void startBackgroundVerification()
    {
        if (verifier != null || unverified.isEmpty() || closed)
        {
            return;
        }
        final List<BrandIndex> background = List.copyOf(unverified);
        unverified.clear();
        verifier = new Thread(() -> background.forEach(this::verify), "iys-index-verifier");
        verifier.setDaemon(true);
        verifier.start();
    }

    /**
     * Open one brand; one that cannot be opened is held as damaged, so the others still serve.
     *
     * @return the brand, or null when not even its code can be told (the directory name is not a brand code).
     */
    private BrandIndex openBrand(final Path dir)
    {
        try
        {
            return BrandIndex.open(dir, options);
        }
        catch (final IOException | RuntimeException | InternalError ex)
        {
            final String name = dir.getFileName().toString();
            if (!name.matches("[0-9]{1,10}"))
            {
                LOG.error("cannot open brand index and its directory name is no brand code, skipped: dir={}",
                    dir, ex);
                return null;
            }
            final BrandIndex index = BrandIndex.unopenable(dir, Long.parseLong(name),
                "cannot be opened: " + ex);
            LOG.error("brand index damaged, every commercial answer for it is DENY INDEX_DAMAGED: brand={}, " +
                "cause={}; see docs/OPERATIONS.md, 'When a brand is INDEX_DAMAGED'", name,
                index.damage(), ex);
            return index;
        }
    }

    private void verify(final BrandIndex index)
    {
        if (closing)
        {
            return;
        }
        final long startNs = System.nanoTime();
        try
        {
            final BrandIndex.Verification result =
                index.verify(options.clockMs(), options.maxFutureSkewMs(), () -> closing);
            LOG.info("verified brand index: brand={}, entries={}, passed={}, completed={}, ms={}", index.brandCode(),
                result.entries(), result.passed(), result.completed(), (System.nanoTime() - startNs) / 1_000_000);
        }
        catch (final Throwable ex)
        {
            index.damaged("verification could not read the index: " + ex);
        }
    }

    /**
     * Wait until the background verification, if started, has ended.
     *
     * @throws InterruptedException when interrupted.
     */
    public void awaitVerification() throws InterruptedException
    {
        final Thread thread = verifier;
        if (thread != null)
        {
            thread.join();
        }
    }

    /**
     * Note, durably, that an import into a brand has started: until {@link #importFinished} the brand is
     * {@code INDEX_DAMAGED} at every open, so a crash mid-import never serves half a brand as whole.
     *
     * @param brandCode İYS brand code; its index must exist.
     * @param name      what is imported, e.g. the file name.
     * @throws IOException when the marker cannot be written.
     */
    public void importStarted(final long brandCode, final String name) throws IOException
    {
        IntegrityFiles.importStarted(requireBrand(brandCode).directory(), name);
    }

    /**
     * Note, durably, that an import into a brand has finished: every one of its changes is applied.
     *
     * @param brandCode İYS brand code.
     * @param name      the name given to {@link #importStarted}.
     * @throws IOException when the marker cannot be written.
     */
    public void importFinished(final long brandCode, final String name) throws IOException
    {
        IntegrityFiles.importFinished(requireBrand(brandCode).directory(), name);
    }

    private BrandIndex requireBrand(final long brandCode)
    {
        final BrandIndex index = brands.get(brandCode);
        if (index == null)
        {
            throw new IllegalStateException("no index for brand: brand=" + brandCode);
        }
        return index;
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
     * @param brandCode İYS brand code.
     * @return the brand's read side, or null when the store holds no index for it.
     */
    BrandView view(final long brandCode)
    {
        final BrandIndex index = brands.get(brandCode);
        return index == null ? null : index.view();
    }

    /**
     * Writer only: the brand's index, created (and published to readers) if the store does not hold it yet.
     *
     * @param brandCode İYS brand code.
     * @return the brand's index.
     * @throws IOException when the index cannot be created.
     */
    BrandIndex createBrand(final long brandCode) throws IOException
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
        LOG.info("created brand index: brand={}, phoneEntries={}, emailEntries={}", brandCode,
            options.phoneEntries(), options.emailEntries());
        return created;
    }

    /**
     * @return the registry's brands as they are now, for the writer; no copy.
     */
    Collection<BrandIndex> registered()
    {
        return brands.values();
    }

    /**
     * @return every brand index, in no particular order.
     */
    public List<BrandIndex> brands()
    {
        return new ArrayList<>(brands.values());
    }

    /**
     * @return how far past this server's clock a record's creationDate may lie before the writer refuses it, ms (the
     * same bound for every door a record comes in by: a door that keeps records before the writer sees them checks it
     * first, so that it never keeps one that could win later).
     */
    public long maxFutureSkewMs()
    {
        return options.maxFutureSkewMs();
    }

    /**
     * @return the data directory.
     */
    public Path dataDirectory()
    {
        return dataDirectory;
    }

    /**
     * @return the key file's key, from which other per-brand keys are derived (the opt-out log's, for one).
     */
    public IndexKey key()
    {
        return options.key();
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
        writer = new StoreWriter(this, options, diskSpace);
        return writer;
    }

    /**
     * Let go of the data directory as a killed process would: every map unmapped, no metadata written, so the next
     * open recovers every brand. The page cache keeps what was written, as after a process crash. For crash tests
     * that cannot afford a process per crash; the caller must have stopped the writer.
     */
    synchronized void abandon()
    {
        closed = true;
        stopVerifier();
        for (final BrandIndex index : brands.values())
        {
            index.abandon();
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

    private void stopVerifier()
    {
        closing = true;
        final Thread thread = verifier;
        if (thread != null)
        {
            boolean interrupted = false;
            while (thread.isAlive())
            {
                try
                {
                    thread.join();
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
            }
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
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
        stopVerifier();
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
}
