package io.iysfilter.server.index;

import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.values.Values;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The write side of one brand's index, used only by the store's single writer ({@link StoreWriter}): applies a
 * change to its key when it is newer in İYS order, moves the as-of time and the feed watermark, and persists the
 * brand's metadata. What readers must see of it is published to the brand's {@link BrandView}.
 */
final class BrandWriter
{
    private static final Logger LOG = LoggerFactory.getLogger(BrandWriter.class);

    private final Path directory;
    private final BrandMeta meta;
    private final ChronicleMap<LongValue, ConsentValue> phones;
    private final ChronicleMap<EmailKey, ConsentValue> emails;
    private final ChronicleMap<EmailKey, DealerList> dealers;
    private final EmailKey dealerKey = Values.newHeapInstance(EmailKey.class);
    private final DealerList dealerList = new DealerList();
    private final DealerList storedList = new DealerList();
    /** The last apply kept the key's access-call list against a feed copy of the same record (in storedList). */
    private boolean keptAccessList;
    private final BrandView view;
    private boolean metaDirty;

    BrandWriter(
        final Path directory,
        final BrandMeta meta,
        final ChronicleMap<LongValue, ConsentValue> phones,
        final ChronicleMap<EmailKey, ConsentValue> emails,
        final ChronicleMap<EmailKey, DealerList> dealers,
        final BrandView view)
    {
        this.directory = directory;
        this.meta = meta;
        this.phones = phones;
        this.emails = emails;
        this.dealers = dealers;
        this.view = view;
    }

    /**
     * @return the brand's keys, to derive its index keys.
     */
    BrandKeys keys()
    {
        return view.keys();
    }

    /**
     * Apply one change to its key if it is newer, in İYS order, than what the key holds.
     *
     * @param key      derived with {@link #keys()}.
     * @param value    the new value.
     * @param existing scratch for the stored value.
     * @param nowMs    the writer's clock: the as-of time never moves past it.
     * @param dealerCodes the change's dealer list, valid up to dealerCount; may be null when dealerCount is 0.
     * @param dealerCount how many dealers the change lists: stored beside a value flagged
     *                    {@link ConsentValueDescriptor#FLAG_DEALERS}, else the key's list is cleared.
     * @param accessFetchedMs when the list was read from İYS's access-list call (stored with it, also when empty),
     *                    or 0 for a list that came with the record.
     * @return {@link ConsentIndexWriter#APPLIED}, {@link ConsentIndexWriter#EQUAL} (the key holds exactly this
     * value) or {@link ConsentIndexWriter#SUPERSEDED} (it holds a newer one).
     */
    int apply(
        final ConsentKey key,
        final ConsentValue value,
        final ConsentValue existing,
        final long nowMs,
        final int[] dealerCodes,
        final int dealerCount,
        final long accessFetchedMs)
    {
        keptAccessList = false;
        // an insert leaves the scratch untouched: no stale flag of an earlier key may look like this key's
        existing.setWord0(0);
        existing.setWord1(0);
        final int result = key.isPhone() ?
            putIfNewer(phones, key.phoneKey(), value, existing) :
            putIfNewer(emails, key.emailKey(), value, existing);
        if (result == ConsentIndexWriter.APPLIED || result == ConsentIndexWriter.EQUAL)
        {
            applyDealers(key, value, existing, result, dealerCodes, dealerCount, accessFetchedMs);
        }
        if (result == ConsentIndexWriter.APPLIED && !isLocal(value.getWord1()))
        {
            final long creationMs = Math.min(ConsentValueDescriptor.creationSec(value.getWord0()) * 1000, nowMs);
            if (creationMs > view.newestCreationMs())
            {
                view.publishNewestCreation(creationMs);
                meta.newestCreationMs = creationMs;
                metaDirty = true;
            }
        }
        return result;
    }

    /**
     * Keep the key's dealer list in step with the record just stored: the value first, then the list, tagged with the
     * record's word0, so that a reader between the two writes (or after a crash between them) finds a list of
     * another record, or none, and denies. A list is written again when the same record is applied again (a page
     * replayed after a crash between the writes); a record without a list clears the one its predecessor had.
     */
    private void applyDealers(
        final ConsentKey key,
        final ConsentValue value,
        final ConsentValue previous,
        final int result,
        final int[] dealerCodes,
        final int dealerCount,
        final long accessFetchedMs)
    {
        final boolean listed =
            (ConsentValueDescriptor.flags(value.getWord1()) & ConsentValueDescriptor.FLAG_DEALERS) != 0;
        final boolean fromAccessCall = accessFetchedMs > 0;
        if (!listed || !fromAccessCall && dealerCount == 0)
        {
            // no list with this record: a newer record clears the one its predecessor had
            if (result == ConsentIndexWriter.APPLIED &&
                (ConsentValueDescriptor.flags(previous.getWord1()) & ConsentValueDescriptor.FLAG_DEALERS) != 0)
            {
                key.dealerKey(dealerKey);
                dealers.remove(dealerKey);
            }
            return;
        }
        key.dealerKey(dealerKey);
        if (!fromAccessCall && result == ConsentIndexWriter.EQUAL && keepsAccessList(value.getWord0()))
        {
            // the same record again (pushed then pulled, a page fetched again): its feed list is older news than the
            // list İYS's access call gave for this very record, which may have removed a dealer the record still
            // names; the access list stays until a newer record or a newer access call replaces it
            keptAccessList = true;
            return;
        }
        try
        {
            dealers.put(dealerKey, fromAccessCall ?
                dealerList.set(value.getWord0(), dealerCodes, dealerCount, accessFetchedMs) :
                dealerList.set(value.getWord0(), dealerCodes, dealerCount));
        }
        catch (final IllegalStateException ex)
        {
            // Chronicle's "attempt to allocate an extra tier": the dealer map is full. The consent stands (its brand
            // answers need no list); its list is lost, so the brand's dealers are told UNKNOWN, not NO
            dropDealerList(ex);
        }
    }

    /**
     * @param recordWord0 the record applied again.
     * @return whether the key's stored list (its key already in {@code dealerKey}) is this record's and was read from
     * İYS's access-list call.
     */
    private boolean keepsAccessList(final long recordWord0)
    {
        try
        {
            final DealerList stored = dealers.getUsing(dealerKey, storedList);
            return stored != null && stored.recordWord0() == recordWord0 && stored.fetchedMs() > 0;
        }
        catch (final IllegalStateException ex)
        {
            // an entry that does not read as a list (verification at open marks the map damaged): overwritten
            return false;
        }
    }

    /**
     * After an apply that found the key holding exactly this record: when the key's access-call list was kept
     * against the record's own feed list, give the change that list, so that what the tap publishes (and a replica
     * bootstrapping from the compacted topic reads) is the list this index holds, not the one it refused.
     *
     * @param change the change just applied.
     */
    void attachKeptAccessList(final ConsentChange change)
    {
        if (keptAccessList)
        {
            change.dealerAccess(storedList.codes(), storedList.count(), storedList.fetchedMs());
        }
    }

    private void dropDealerList(final IllegalStateException cause)
    {
        // a put that needed a new tier leaves the key's old entry in place, and it may be this very record's (a list
        // replaced by a longer one): read, it would still name a dealer the new list removed. Removed, the key has no
        // list, and its dealers are told UNKNOWN; a removal allocates nothing
        try
        {
            dealers.remove(dealerKey);
        }
        catch (final RuntimeException ex)
        {
            cause.addSuppressed(ex);
        }
        view.onDealerListDropped();
        final long dropped = view.droppedDealerLists();
        if (dropped == 1 || Long.bitCount(dropped) == 1)
        {
            LOG.error("dealer map full, dealer list dropped (dealer decisions for this brand that find no list are " +
                "DENY DEALER_ACCESS_UNKNOWN from now on): brand={}, dropped={}, dealerLists={}; raise " +
                "entries-per-map and rebuild the brand (docs/INDEX.md 'Dealer decisions', sizing)",
                meta.brandCode, dropped, dealers.longSize(), cause);
        }
    }

    /**
     * The order check and the write under one segment lock and one hash search: a query context finds the key's
     * entry once, compares the stored value with the new one in place and replaces it there (the value's size never
     * changes) or inserts the new entry into the slot the search ended on. {@code getUsing} then {@code put} searched
     * the hash table twice and took the segment's lock twice per change.
     */
    private static <K> int putIfNewer(
        final ChronicleMap<K, ConsentValue> map, final K key, final ConsentValue value, final ConsentValue existing)
    {
        try (ExternalMapQueryContext<K, ConsentValue, ?> context = map.queryContext(key))
        {
            context.updateLock().lock();
            final MapEntry<K, ConsentValue> entry = context.entry();
            if (entry == null)
            {
                context.insert(context.absentEntry(), context.wrapValueAsData(value));
                return ConsentIndexWriter.APPLIED;
            }
            final ConsentValue stored = entry.value().getUsing(existing);
            if (stored.getWord0() == value.getWord0() && stored.getWord1() == value.getWord1())
            {
                return ConsentIndexWriter.EQUAL;
            }
            if (ConsentValueDescriptor.compare(value.getWord0(), value.getWord1(),
                stored.getWord0(), stored.getWord1()) <= 0)
            {
                return ConsentIndexWriter.SUPERSEDED;
            }
            context.replaceValue(entry, context.wrapValueAsData(value));
            return ConsentIndexWriter.APPLIED;
        }
    }

    /**
     * A local opt-out is no İYS data: it says nothing of how far İYS's records are known, so it never moves the
     * as-of time (else a brand receiving opt-outs would look fresh however old its İYS data).
     *
     * @param word1 a value's word1.
     * @return whether the value is a local opt-out.
     */
    static boolean isLocal(final long word1)
    {
        return (ConsentValueDescriptor.flags(word1) & ConsentValueDescriptor.FLAG_LOCAL) != 0;
    }

    /**
     * Advance the feed watermark; it never moves back, nor past now.
     *
     * @param newWatermarkMs the time up to which every change of both feeds is applied.
     * @param nowMs          the writer's clock.
     */
    void advanceWatermark(final long newWatermarkMs, final long nowMs)
    {
        final long clamped = Math.min(newWatermarkMs, nowMs);
        if (clamped > view.watermarkMs())
        {
            view.publishWatermark(clamped);
            meta.watermarkMs = clamped;
            metaDirty = true;
        }
    }

    /**
     * Set the newest creationDate anew, after a recovery has scanned the maps, and persist it.
     *
     * @param newestCreationMs epoch ms.
     */
    void resetNewestCreation(final long newestCreationMs)
    {
        view.publishNewestCreation(newestCreationMs);
        meta.newestCreationMs = newestCreationMs;
        metaDirty = true;
        checkpoint();
    }

    /**
     * Persist the metadata if it changed.
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
                LOG.error("cannot write brand metadata: brand={}, dir={}", meta.brandCode, directory, ex);
            }
        }
    }

    /**
     * Persist the metadata marked as closed cleanly; the maps are already unmapped.
     */
    void closedCleanly()
    {
        meta.open = false;
        metaDirty = true;
        checkpoint();
    }
}
