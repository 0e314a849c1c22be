package io.iysfilter.server.index;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.Reason;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.hash.ChecksumEntry;
import net.openhft.chronicle.hash.ChronicleHashCorruption;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.values.Values;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One brand's consent index: a directory holding {@code phone.cmap} ({@link LongValue} keys), {@code email.cmap}
 * ({@link EmailKey} keys), both Chronicle Maps of {@link ConsentValue}s, and {@code brand.meta}.
 * Layouts: {@link ConsentKeyDescriptor}, {@link ConsentValueDescriptor}; docs/INDEX.md.
 * <p>
 * This is the brand as the store keeps it: opening, recovery, verification, damage, syncing and closing. Its maps are
 * read through its {@link BrandView} (any number of threads, each through its own {@link IndexLookup}) and written
 * through its {@link BrandWriter} (only the store's single writer, which also calls {@link #close()}).
 * Its {@link BrandState} is the view's.
 * <p>
 * Integrity (docs/INDEX.md): a brand is trusted only once it is verified. It opens {@link Reason#INDEX_VERIFYING};
 * {@link #verify} reads every entry, checks its checksum and its value, and makes the brand ready, or
 * {@link Reason#INDEX_DAMAGED}. A brand is damaged from the start when a map file is missing while its metadata
 * exists, when recovery after an unclean shutdown reported corruption, when an import into it did not finish, when
 * it claims data from the future, or when an earlier finding was recorded ({@link IntegrityFiles}). A damaged brand
 * whose maps could not be opened at all has none, and no writer: the store's writer refuses its changes and readers
 * never reach them.
 */
public final class BrandIndex implements BrandState, AutoCloseable
{
    static final String PHONE_FILE = "phone.cmap";
    static final String EMAIL_FILE = "email.cmap";
    static final String DEALERS_FILE = "dealers.cmap";
    /** Average bytes of a stored dealer list: word0 and three dealers. */
    private static final int DEALER_LIST_AVERAGE_BYTES = 8 + 3 * 4;
    /** Fewest entries a brand's dealer map is sized for. */
    static final long DEALER_ENTRIES_MIN = 10_000;
    /** The share of a brand's consent entries its dealer map is sized for: one list per 64 consents. */
    static final long DEALER_ENTRIES_DIVISOR = 64;
    private static final Logger LOG = LoggerFactory.getLogger(BrandIndex.class);

    private final long brandCode;
    private final Path directory;
    private final ChronicleMap<LongValue, ConsentValue> phones;
    private final ChronicleMap<EmailKey, ConsentValue> emails;
    private final ChronicleMap<EmailKey, DealerList> dealers;
    private final BrandView view;
    private final BrandWriter writer;
    private final boolean recovered;
    private final boolean dealersExisted;
    private volatile String damage;
    private volatile String dealerDamage;
    private volatile boolean faulted;

    private BrandIndex(
        final long brandCode,
        final Path directory,
        final BrandMeta meta,
        final ChronicleMap<LongValue, ConsentValue> phones,
        final ChronicleMap<EmailKey, ConsentValue> emails,
        final ChronicleMap<EmailKey, DealerList> dealers,
        final BrandKeys keys,
        final long freshnessBoundMs,
        final boolean dealerAccessTrusted,
        final long dealerAccessFreshForMs,
        final long maxFutureSkewMs,
        final boolean recovered,
        final boolean dealersExisted)
    {
        this.dealersExisted = dealersExisted;
        this.brandCode = brandCode;
        this.directory = directory;
        this.phones = phones;
        this.emails = emails;
        this.dealers = dealers;
        this.recovered = recovered;
        this.view = new BrandView(brandCode, keys, freshnessBoundMs, phones, emails, dealers, dealerAccessTrusted,
            dealerAccessFreshForMs, maxFutureSkewMs, meta == null ? 0 : meta.newestCreationMs,
            meta == null ? 0 : meta.watermarkMs, Reason.INDEX_VERIFYING);
        this.writer = phones == null ? null : new BrandWriter(directory, meta, phones, emails, dealers, view);
    }

    /**
     * A brand whose index cannot be opened at all: it answers {@link Reason#INDEX_DAMAGED} and takes no change.
     *
     * @param directory the brand's directory.
     * @param brandCode İYS brand code.
     * @param cause     why, for the operator.
     * @return the stand-in.
     */
    static BrandIndex unopenable(final Path directory, final long brandCode, final String cause)
    {
        final BrandIndex index = new BrandIndex(brandCode, directory, null, null, null, null, null, 0, false, 0, 0,
            false, true);
        index.damage = cause;
        index.view.publishUnready(Reason.INDEX_DAMAGED);
        return index;
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
        DurableFiles.createPrivateDirectories(directory);
        final BrandMeta meta = new BrandMeta();
        meta.brandCode = brandCode;
        meta.keyCheck = options.key().checkValue(brandCode);
        meta.phoneEntries = options.phoneEntries();
        meta.emailEntries = options.emailEntries();
        meta.open = true;
        meta.write(directory);
        final BrandIndex index = openMaps(directory, meta, options, false, null);
        index.view.publishUnready(null);
        return index;
    }

    /**
     * Open an existing brand index, recovering it first if it was not closed cleanly. It is returned
     * {@link Reason#INDEX_VERIFYING}, or {@link Reason#INDEX_DAMAGED} when something already shows it cannot be
     * trusted; a map file that is missing is never created anew.
     *
     * @param directory the brand's directory.
     * @param options   sizing, freshness and the clock; sizing is taken from the metadata.
     * @return the open index.
     * @throws IOException when the metadata cannot be read or a map file cannot be opened.
     */
    static BrandIndex open(final Path directory, final IndexOptions options) throws IOException
    {
        final BrandMeta meta = BrandMeta.read(directory);
        if (!options.key().checkValue(meta.brandCode).equals(meta.keyCheck))
        {
            // fail closed: keys derived with another key would find nothing, and every answer would be NO_CONSENT
            // for the wrong reason; a RET would be missed just as an ONAY
            final BrandIndex index = unopenable(directory, meta.brandCode, "the index was written under another " +
                "key than the key file's (key check value differs): the key file was lost, replaced or rotated; " +
                "restore the key file, or remove the brand's directory and import it again (docs/SECURITY.md)");
            LOG.error("brand index damaged, every commercial answer for it is DENY INDEX_DAMAGED: brand={}, cause={}",
                meta.brandCode, index.damage);
            return index;
        }
        final List<String> causes = new ArrayList<>();
        final String recorded = IntegrityFiles.damage(directory);
        if (recorded != null)
        {
            causes.add(recorded);
        }
        for (final String unfinished : IntegrityFiles.unfinishedImports(directory))
        {
            causes.add("an import did not finish: " + unfinished);
        }
        final long nowMs = options.clockMs().getAsLong();
        if (meta.newestCreationMs > nowMs + options.maxFutureSkewMs())
        {
            causes.add("holds a record dated in the future: newest creationDate " +
                Instant.ofEpochMilli(meta.newestCreationMs));
        }
        final List<String> missing = new ArrayList<>();
        for (final String file : new String[]{PHONE_FILE, EMAIL_FILE})
        {
            // Chronicle writes a new, empty map into a file of length 0: an emptied file is as good as a missing one
            if (!Files.exists(directory.resolve(file)) || Files.size(directory.resolve(file)) == 0)
            {
                missing.add(file);
            }
        }
        if (!missing.isEmpty())
        {
            causes.add("map file missing or empty: " + String.join(", ", missing) + " (the brand's metadata " +
                "exists, so it had them)");
            final BrandIndex index = unopenable(directory, meta.brandCode, String.join("; ", causes));
            LOG.error("brand index damaged, every commercial answer for it is DENY INDEX_DAMAGED: brand={}, " +
                "cause={}; restore the brand's directory from a backup or rebuild it (docs/OPERATIONS.md, 'When a " +
                "brand is INDEX_DAMAGED')", meta.brandCode, index.damage);
            return index;
        }

        final boolean recover = meta.open;
        if (recover)
        {
            LOG.warn("brand index was not closed cleanly, recovering: brand={}, dir={}", meta.brandCode, directory);
        }
        meta.open = true;
        meta.write(directory);
        final List<String> corruptions = new ArrayList<>();
        final BrandIndex index = openMaps(directory, meta, options, recover, corruptions);
        if (recover)
        {
            index.recomputeAsOf(nowMs);
        }
        if (!corruptions.isEmpty())
        {
            final String cause = "recovery after an unclean shutdown found " + corruptions.size() +
                " corruption(s), entries may be lost; first: " + corruptions.get(0);
            IntegrityFiles.recordDamage(directory, cause);
            causes.add(cause);
        }
        if (!causes.isEmpty())
        {
            index.damaged(String.join("; ", causes));
        }
        final String dealerFinding = IntegrityFiles.dealerDamage(directory);
        if (dealerFinding != null)
        {
            index.dealersDamaged(dealerFinding);
        }
        return index;
    }

    private static BrandIndex openMaps(
        final Path directory,
        final BrandMeta meta,
        final IndexOptions options,
        final boolean recover,
        final List<String> corruptions)
        throws IOException
    {
        final ChronicleHashCorruption.Listener listener = corruption ->
        {
            if (corruptions != null && corruptions.size() < 1000)
            {
                corruptions.add("segment " + corruption.segmentIndex() + ": " + corruption.message());
            }
        };
        final ChronicleMap<LongValue, ConsentValue> phones = persist(
            ChronicleMap.of(LongValue.class, ConsentValue.class), directory.resolve(PHONE_FILE),
            "phone-" + meta.brandCode, meta.phoneEntries, options, recover, listener);
        try
        {
            final ChronicleMap<EmailKey, ConsentValue> emails = persist(
                ChronicleMap.of(EmailKey.class, ConsentValue.class), directory.resolve(EMAIL_FILE),
                "email-" + meta.brandCode, meta.emailEntries, options, recover, listener);
            final ChronicleMap<EmailKey, DealerList> dealers;
            final Path dealersFile = directory.resolve(DEALERS_FILE);
            final boolean dealersExisted = Files.exists(dealersFile) && Files.size(dealersFile) > 0;
            try
            {
                dealers = persistDealers(directory, meta, options, recover, listener);
            }
            catch (final IOException | RuntimeException ex)
            {
                emails.close();
                throw ex;
            }
            final long boundMs = options.freshnessBound().applyAsLong(meta.brandCode);
            return new BrandIndex(meta.brandCode, directory, meta, phones, emails, dealers,
                options.key().brandKeys(meta.brandCode), boundMs, options.dealerAccessTrusted().test(meta.brandCode),
                options.dealerAccessFreshFor().applyAsLong(meta.brandCode), options.maxFutureSkewMs(), recover,
                dealersExisted);
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
        final IndexOptions options,
        final boolean recover,
        final ChronicleHashCorruption.Listener listener) throws IOException
    {
        builder.name(name)
            .entries(entries)
            .maxBloatFactor(options.maxBloatFactor())
            .checksumEntries(options.checksums())
            .putReturnsNull(true)
            .removeReturnsNull(true)
            // Chronicle's own JVM shutdown hook would close the map while the graceful stop still answers from it;
            // FilterServer.close() closes it, once the last connection is closed and the ingest ring drained.
            .skipCloseOnExitHook(true);
        final File asFile = file.toFile();
        final ChronicleMap<K, ConsentValue> map =
            recover ? builder.recoverPersistedTo(asFile, true, listener) : builder.createPersistedTo(asFile);
        try
        {
            // Chronicle creates the file with the umask's mode
            DurableFiles.ownerOnly(file);
        }
        catch (final IOException | RuntimeException ex)
        {
            map.close();
            throw ex;
        }
        return map;
    }

    /**
     * The brand's dealer map: the dealer lists of the records flagged {@link ConsentValueDescriptor#FLAG_DEALERS},
     * under the record's own key (a phone key as the high word with 0 below it, which no e-mail key has: an e-mail
     * key's low 2 bits hold its recipient type, 1 or 2). Created when missing: an index written before dealers were
     * kept has no flagged record, so an empty map is all it lacks; a file lost later costs only dealer answers, which
     * then find no list and DENY.
     */
    private static ChronicleMap<EmailKey, DealerList> persistDealers(
        final Path directory,
        final BrandMeta meta,
        final IndexOptions options,
        final boolean recover,
        final ChronicleHashCorruption.Listener listener) throws IOException
    {
        final Path file = directory.resolve(DEALERS_FILE);
        final boolean exists = Files.exists(file) && Files.size(file) > 0;
        final ChronicleMapBuilder<EmailKey, DealerList> builder = ChronicleMap.of(EmailKey.class, DealerList.class)
            .name("dealers-" + meta.brandCode)
            .entries(dealerEntries(meta.phoneEntries + meta.emailEntries))
            .valueMarshallers(DealerListMarshaller.INSTANCE, DealerListMarshaller.INSTANCE)
            .averageValueSize(DEALER_LIST_AVERAGE_BYTES)
            .maxBloatFactor(options.maxBloatFactor())
            .checksumEntries(options.checksums())
            .putReturnsNull(true)
            .removeReturnsNull(true)
            .skipCloseOnExitHook(true);
        final ChronicleMap<EmailKey, DealerList> map = recover && exists ?
            builder.recoverPersistedTo(file.toFile(), true, listener) : builder.createPersistedTo(file.toFile());
        try
        {
            DurableFiles.ownerOnly(file);
        }
        catch (final IOException | RuntimeException ex)
        {
            map.close();
            throw ex;
        }
        return map;
    }

    private void recomputeAsOf(final long nowMs)
    {
        long newestSec = 0;
        for (final ConsentValue value : phones.values())
        {
            newestSec = BrandWriter.isLocal(value.getWord1()) ? newestSec :
                Math.max(newestSec, ConsentValueDescriptor.creationSec(value.getWord0()));
        }
        for (final ConsentValue value : emails.values())
        {
            newestSec = BrandWriter.isLocal(value.getWord1()) ? newestSec :
                Math.max(newestSec, ConsentValueDescriptor.creationSec(value.getWord0()));
        }
        writer.resetNewestCreation(Math.min(newestSec * 1000, nowMs));
    }

    /**
     * @return the brand's read side, shared by every reader.
     */
    BrandView view()
    {
        return view;
    }

    /**
     * @return the brand's write side, for the store's single writer only; null when the brand is damaged beyond
     * opening and takes no change.
     */
    BrandWriter writer()
    {
        return writer;
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
        return view.asOfMs();
    }

    /**
     * @return the time up to which İYS's change feed is known to be applied, epoch ms, or 0 when the brand has never
     * completed a poll.
     */
    public long watermarkMs()
    {
        return view.watermarkMs();
    }

    @Override
    public long freshnessBoundMs()
    {
        return view.freshnessBoundMs();
    }

    /**
     * @return the number of consents held, phones and e-mails.
     */
    public long entries()
    {
        return phones == null ? 0 : phones.longSize() + emails.longSize();
    }

    @Override
    public Reason unreadyReason()
    {
        return view.unreadyReason();
    }

    /**
     * @return why the brand is {@link Reason#INDEX_DAMAGED}, or null.
     */
    public String damage()
    {
        return damage;
    }

    /**
     * @return whether the brand's maps are open; a brand damaged beyond opening has none, and takes no change.
     */
    public boolean holdsMaps()
    {
        return phones != null;
    }

    /**
     * Mark the brand damaged for as long as this process holds it: every commercial answer for it becomes
     * {@link Reason#INDEX_DAMAGED}. What is also to hold across restarts is recorded by the caller
     * ({@link IntegrityFiles#recordDamage}). Any thread.
     *
     * @param cause why, for the operator.
     */
    synchronized void damaged(final String cause)
    {
        view.publishUnready(Reason.INDEX_DAMAGED);
        if (damage != null && damage.contains(cause))
        {
            // verification found again what the damage file already said: nothing new to add or log
            return;
        }
        damage = damage == null ? cause : damage + "; " + cause;
        LOG.error("brand index damaged, every commercial answer for it is DENY INDEX_DAMAGED: brand={}, cause={}; " +
            "see docs/OPERATIONS.md, 'When a brand is INDEX_DAMAGED' (re-run the import, restore or rebuild)",
            brandCode, damage);
    }

    /**
     * What {@link #verify} found.
     *
     * @param entries      entries read.
     * @param badChecksums entries whose checksum does not match their key and value.
     * @param badValues    entries whose value is not a record (no ONAY or RET status, a creationDate of 0).
     * @param future       entries whose creationDate lies past the clock plus the allowed skew.
     * @param checksummed  whether the maps store checksums at all.
     * @param completed    false when verification was stopped before the end.
     */
    public record Verification(
        long entries, long badChecksums, long badValues, long future, boolean checksummed, boolean completed)
    {
        /**
         * @return whether nothing wrong was found.
         */
        public boolean passed()
        {
            return completed && badChecksums == 0 && badValues == 0 && future == 0;
        }
    }

    /**
     * Read every entry, check its checksum and value, then make the brand ready or damaged. Runs beside readers and
     * the writer (Chronicle checks each entry under its segment's update lock). A brand already damaged stays so.
     *
     * @param clockMs the clock, epoch ms; read again before an entry is counted as from the future, since a long scan
     *                may meet an entry the writer stored after it began.
     * @param skewMs  how far past the clock a creationDate may lie.
     * @param stop    polled between entries; true ends verification early, leaving the brand not ready.
     * @return what was found.
     */
    public Verification verify(final LongSupplier clockMs, final long skewMs, final BooleanSupplier stop)
    {
        if (phones == null)
        {
            return new Verification(0, 0, 0, 0, false, false);
        }
        final long[] limitSec = {(clockMs.getAsLong() + skewMs) / 1000};
        final long[] counts = new long[5];
        final boolean[] checksummed = {true};
        final ConsentValue scratch = Values.newHeapInstance(ConsentValue.class);
        final Predicate<MapEntry<?, ConsentValue>> check = entry ->
        {
            if (stop.getAsBoolean())
            {
                return false;
            }
            counts[0]++;
            if (checksummed[0] && entry instanceof ChecksumEntry checksumEntry)
            {
                try
                {
                    if (!checksumEntry.checkSum())
                    {
                        counts[1]++;
                    }
                }
                catch (final UnsupportedOperationException ex)
                {
                    checksummed[0] = false;
                }
            }
            final ConsentValue value = entry.value().getUsing(scratch);
            final int status = ConsentValueDescriptor.status(value.getWord1());
            if ((ConsentValueDescriptor.flags(value.getWord1()) & ConsentValueDescriptor.FLAG_DEALERS) != 0)
            {
                counts[4]++;
            }
            final long creationSec = ConsentValueDescriptor.creationSec(value.getWord0());
            if (status != ConsentStatus.ONAY && status != ConsentStatus.RET || creationSec == 0)
            {
                counts[2]++;
            }
            if (creationSec > limitSec[0] && creationSec > (limitSec[0] = (clockMs.getAsLong() + skewMs) / 1000))
            {
                counts[3]++;
            }
            return true;
        };
        final boolean completed = phones.forEachEntryWhile(check::test) && emails.forEachEntryWhile(check::test) &&
            !stop.getAsBoolean();
        final Verification result =
            new Verification(counts[0], counts[1], counts[2], counts[3], checksummed[0], completed);
        if (!completed)
        {
            return result;
        }
        if (!result.passed())
        {
            final String cause = "verification failed: " + result.badChecksums() + " entries with a wrong checksum, " +
                result.badValues() + " with an invalid value, " + result.future() + " dated after " +
                Instant.ofEpochSecond(limitSec[0]) + ", of " + result.entries();
            try
            {
                IntegrityFiles.recordDamage(directory, cause);
            }
            catch (final IOException ex)
            {
                LOG.error("cannot record the damage of brand {} in {}: it will be verified again at the next start",
                    brandCode, directory, ex);
            }
            damaged(cause);
        }
        else
        {
            // the dealer map before the brand is ready, so that no dealer decision reads a list not yet verified
            if (!verifyDealers(counts[4], stop))
            {
                return new Verification(counts[0], counts[1], counts[2], counts[3], checksummed[0], false);
            }
            ready(result);
        }
        return result;
    }

    /**
     * Verify the dealer map: every entry's checksum, and that a map created at this open (absent before) is not
     * missing lists that flagged records point to. A finding is recorded ({@value IntegrityFiles#DEALERS_DAMAGED})
     * and makes every dealer decision of the brand DENY INDEX_DAMAGED; brand decisions never read this map.
     *
     * @param flagged records flagged with a dealer list.
     * @param stop    polled between entries.
     * @return false when stopped before the end.
     */
    private boolean verifyDealers(final long flagged, final BooleanSupplier stop)
    {
        final long[] counts = new long[2];
        final boolean completed = dealers.forEachEntryWhile(entry ->
        {
            if (stop.getAsBoolean())
            {
                return false;
            }
            counts[0]++;
            if (entry instanceof ChecksumEntry checksumEntry)
            {
                try
                {
                    if (!checksumEntry.checkSum())
                    {
                        counts[1]++;
                    }
                }
                catch (final UnsupportedOperationException ex)
                {
                    // a map without checksums: nothing to check
                }
            }
            return true;
        }) && !stop.getAsBoolean();
        if (!completed)
        {
            return false;
        }
        final List<String> causes = new ArrayList<>();
        if (counts[1] != 0)
        {
            causes.add("dealer map verification failed: " + counts[1] + " lists with a wrong checksum, of " +
                counts[0]);
        }
        if (!dealersExisted && flagged != 0)
        {
            causes.add("dealer map missing or empty at open while " + flagged + " records point to a dealer list " +
                "(" + DEALERS_FILE + " was lost)");
        }
        if (!causes.isEmpty())
        {
            final String cause = String.join("; ", causes);
            try
            {
                IntegrityFiles.recordDealerDamage(directory, cause);
            }
            catch (final IOException ex)
            {
                LOG.error("cannot record the dealer map damage of brand {} in {}: it will be verified again at the " +
                    "next start", brandCode, directory, ex);
            }
            dealersDamaged(cause);
        }
        return true;
    }

    /**
     * Mark the brand's dealer map damaged: every dealer decision of the brand that would read a list is DENY
     * {@link Reason#INDEX_DAMAGED}; its brand decisions are unaffected. Any thread.
     *
     * @param cause why, for the operator.
     */
    synchronized void dealersDamaged(final String cause)
    {
        view.publishDealerUnready(Reason.INDEX_DAMAGED);
        if (dealerDamage != null && dealerDamage.contains(cause))
        {
            // verification found again what dealers.damaged already said: nothing new to add or log
            return;
        }
        dealerDamage = dealerDamage == null ? cause : dealerDamage + "; " + cause;
        LOG.error("brand dealer map damaged, every dealer decision for it is DENY INDEX_DAMAGED (brand decisions are " +
            "unaffected): brand={}, cause={}; rebuild the brand from the feed or a backup, then remove {} (docs/" +
            "OPERATIONS.md, 'When a brand is INDEX_DAMAGED')", brandCode, dealerDamage, IntegrityFiles.DEALERS_DAMAGED);
    }

    /**
     * @return why the brand's dealer map is damaged (dealer decisions DENY INDEX_DAMAGED), or null.
     */
    public String dealerDamage()
    {
        return dealerDamage;
    }

    /**
     * @return how many dealer lists the writer dropped for a full dealer map since the brand was opened.
     */
    public long droppedDealerLists()
    {
        return view.droppedDealerLists();
    }

    /**
     * The number of dealer lists a brand's dealer map is sized for when it is created: one per
     * {@value #DEALER_ENTRIES_DIVISOR} consent entries the brand is sized for, at least {@value #DEALER_ENTRIES_MIN}
     * (docs/INDEX.md §6). Chronicle lets a map grow to its bloat factor ({@code max-bloat-factor}) times this; a list
     * past that is dropped, counted and answered DENY DEALER_ACCESS_UNKNOWN (never an ALLOW).
     *
     * @param consentEntries the phone and e-mail entries the brand's maps are sized for.
     * @return the dealer map's entries.
     */
    static long dealerEntries(final long consentEntries)
    {
        return Math.max(DEALER_ENTRIES_MIN, consentEntries / DEALER_ENTRIES_DIVISOR);
    }

    /**
     * Every entry of this brand's index, as a keyed change (its brand, protected key and value words), for
     * republishing an index to the replication topic. Call on the single writer's thread, so that nothing changes the
     * maps while they are walked.
     *
     * @param action told of each entry; the change is reused, read it before returning.
     * @return entries walked.
     */
    public long forEachConsent(final Consumer<ConsentChange> action)
    {
        if (phones == null)
        {
            return 0;
        }
        final ConsentValue scratch = Values.newHeapInstance(ConsentValue.class);
        final ConsentChange change = new ConsentChange();
        final EmailKey dealerKey = Values.newHeapInstance(EmailKey.class);
        final DealerList list = new DealerList();
        final long[] count = new long[1];
        phones.forEachEntry(entry ->
        {
            final ConsentValue value = entry.value().getUsing(scratch);
            final long phone = entry.key().get().getValue();
            change.setKeyed(brandCode, ConsentChange.KEY_PHONE, phone, 0, value.getWord0(), value.getWord1());
            withDealers(change, phone, 0, dealerKey, list);
            action.accept(change);
            count[0]++;
        });
        emails.forEachEntry(entry ->
        {
            final ConsentValue value = entry.value().getUsing(scratch);
            final EmailKey key = entry.key().get();
            change.setKeyed(brandCode, ConsentChange.KEY_EMAIL, key.getHigh(), key.getLow(), value.getWord0(),
                value.getWord1());
            withDealers(change, key.getHigh(), key.getLow(), dealerKey, list);
            action.accept(change);
            count[0]++;
        });
        return count[0];
    }

    /**
     * Give a walked record the dealer list stored for it (of the same record, by its word0), as the writer stored it:
     * so a republished record carries its list to the replicas. A flagged record whose list is missing or another
     * record's (a crash between the two writes) goes without, as its readers here find none.
     */
    private void withDealers(
        final ConsentChange change, final long high, final long low, final EmailKey dealerKey, final DealerList list)
    {
        if ((ConsentValueDescriptor.flags(change.word1()) & ConsentValueDescriptor.FLAG_DEALERS) == 0)
        {
            return;
        }
        dealerKey.setHigh(high);
        dealerKey.setLow(low);
        final DealerList stored = dealers.getUsing(dealerKey, list);
        if (stored == null || stored.recordWord0() != change.word0())
        {
            return;
        }
        if (stored.fetchedMs() > 0)
        {
            change.dealerAccess(stored.codes(), stored.count(), stored.fetchedMs());
        }
        else if (stored.count() > 0)
        {
            change.dealers(stored.codes(), stored.count());
        }
    }

    private synchronized void ready(final Verification result)
    {
        if (view.unreadyReason() == Reason.INDEX_VERIFYING)
        {
            view.publishUnready(null);
            if (!result.checksummed())
            {
                LOG.warn("brand index has no entry checksums, only values were verified: brand={}", brandCode);
            }
        }
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

    /**
     * @return how many dealer lists the brand's dealer map holds (one per consent flagged
     * {@link ConsentValueDescriptor#FLAG_DEALERS}, give or take a list a crash left behind).
     */
    public long dealerLists()
    {
        return dealers == null ? 0 : dealers.longSize();
    }

    /**
     * Force the brand's map files to disk. On Linux {@code fsync} also writes back pages dirtied through the shared
     * memory mappings, so after this returns every change applied before it survives a machine crash. Any thread.
     *
     * @throws IOException when the files cannot be synced.
     */
    public void force() throws IOException
    {
        if (phones == null)
        {
            return;
        }
        for (final String file : new String[]{PHONE_FILE, EMAIL_FILE, DEALERS_FILE})
        {
            try (FileChannel channel = FileChannel.open(directory.resolve(file), StandardOpenOption.WRITE))
            {
                channel.force(false);
            }
        }
    }

    /**
     * Unmap the index and leave the metadata as it is, marked open, as a killed process would: the next open
     * recovers. For crash tests.
     */
    void abandon()
    {
        if (phones != null)
        {
            phones.close();
            emails.close();
            dealers.close();
        }
    }

    /**
     * The writer faulted on a mapped file while this index was open: its close is not a clean one, so that the next
     * open recovers it.
     */
    void faulted()
    {
        faulted = true;
    }

    /**
     * Writer only: unmap the index, then persist the metadata marked as closed cleanly, unless the writer faulted.
     */
    @Override
    public void close()
    {
        if (phones == null)
        {
            return;
        }
        phones.close();
        emails.close();
        dealers.close();
        if (faulted)
        {
            return;
        }
        writer.closedCleanly();
    }
}
