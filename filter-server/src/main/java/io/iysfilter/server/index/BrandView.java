package io.iysfilter.server.index;

import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Reason;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * The read side of one brand's index: what a decision needs of the brand ({@link BrandState}) and the stored value of
 * a key. One per brand, shared by every reader thread; each reader brings its own key and value instances
 * ({@link IndexLookup}), so reading allocates nothing. It only reads the maps; what it publishes (as-of time, feed
 * watermark, readiness) is set by the brand's writer ({@link BrandWriter}) and by verification ({@link BrandIndex}).
 */
final class BrandView implements BrandState
{
    private final long brandCode;
    private final BrandKeys keys;
    private final long freshnessBoundMs;
    private final ChronicleMap<LongValue, ConsentValue> phones;
    private final ChronicleMap<EmailKey, ConsentValue> emails;
    private final ChronicleMap<EmailKey, DealerList> dealers;
    private final boolean dealerAccessTrusted;
    private final long dealerAccessFreshForMs;
    private final long maxFutureSkewMs;
    private volatile long asOfMs;
    private volatile long watermarkMs;
    private volatile Reason unready;
    private volatile Reason dealerUnready;
    private volatile long dealerListsDropped;

    /**
     * @param brandCode        İYS brand code.
     * @param keys             the brand's keys for deriving its index keys, or null with no maps.
     * @param freshnessBoundMs the brand's freshness bound.
     * @param phones           the phone map, or null for a brand damaged beyond opening.
     * @param emails           the e-mail map, or null with phones.
     * @param dealers          the dealer map, or null with phones.
     * @param dealerAccessTrusted whether dealer decisions may rest on the dealer lists.
     * @param dealerAccessFreshForMs how long a list read from İYS's access-list call is known fresh, ms; 0 never.
     * @param maxFutureSkewMs  how far past this server's clock a list's read time may lie.
     * @param asOfMs           the newest creationDate held, epoch ms.
     * @param watermarkMs      the feed watermark, epoch ms, or 0.
     * @param unready          the initial readiness, null for ready.
     */
    BrandView(
        final long brandCode,
        final BrandKeys keys,
        final long freshnessBoundMs,
        final ChronicleMap<LongValue, ConsentValue> phones,
        final ChronicleMap<EmailKey, ConsentValue> emails,
        final ChronicleMap<EmailKey, DealerList> dealers,
        final boolean dealerAccessTrusted,
        final long dealerAccessFreshForMs,
        final long maxFutureSkewMs,
        final long asOfMs,
        final long watermarkMs,
        final Reason unready)
    {
        this.brandCode = brandCode;
        this.keys = keys;
        this.freshnessBoundMs = freshnessBoundMs;
        this.phones = phones;
        this.emails = emails;
        this.dealers = dealers;
        this.dealerAccessTrusted = dealerAccessTrusted;
        this.dealerAccessFreshForMs = dealerAccessFreshForMs;
        this.maxFutureSkewMs = maxFutureSkewMs;
        this.asOfMs = asOfMs;
        this.watermarkMs = watermarkMs;
        this.unready = unready;
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
    long watermarkMs()
    {
        return watermarkMs;
    }

    /**
     * @return the newest creationDate of an İYS record held, epoch ms (never past the writer's clock).
     */
    long newestCreationMs()
    {
        return asOfMs;
    }

    @Override
    public long freshnessBoundMs()
    {
        return freshnessBoundMs;
    }

    @Override
    public boolean dealerAccessTrusted()
    {
        return dealerAccessTrusted;
    }

    @Override
    public long dealerAccessFreshForMs()
    {
        return dealerAccessFreshForMs;
    }

    @Override
    public long maxFutureSkewMs()
    {
        return maxFutureSkewMs;
    }

    /**
     * The dealer read of a dealer's decision: whether the list stored for a key, as it belongs to the record just
     * found, names the dealer.
     *
     * @param key         derived with this brand's {@link #keys()}, the key whose record was just found.
     * @param recordWord0 word0 of that record.
     * @param dealerCode  the dealer.
     * @param dealerKey   the reader's own key instance for the dealer map.
     * @param using       the reader's own list instance.
     * @return true only when a list of that record names the dealer; {@code using} then holds the list read (its
     * {@link DealerList#fetchedMs()} included), else its word0 may name another record.
     */
    boolean dealerListed(
        final ConsentKey key,
        final long recordWord0,
        final long dealerCode,
        final EmailKey dealerKey,
        final DealerList using)
    {
        if (dealers == null)
        {
            using.read(0, 0, 0);
            return false;
        }
        key.dealerKey(dealerKey);
        final DealerList list = dealers.getUsing(dealerKey, using);
        if (list == null)
        {
            // no list: nothing of an earlier read may pass for this record's
            using.read(0, 0, 0);
        }
        return list != null && list.recordWord0() == recordWord0 && list.contains(dealerCode);
    }

    @Override
    public Reason unreadyReason()
    {
        return unready;
    }

    @Override
    public Reason dealerUnreadyReason()
    {
        return dealerUnready;
    }

    @Override
    public boolean dealerListsDropped()
    {
        return dealerListsDropped != 0;
    }

    /**
     * @return how many dealer lists the writer dropped for a full dealer map since the brand was opened.
     */
    long droppedDealerLists()
    {
        return dealerListsDropped;
    }

    /**
     * Writer only: count one dealer list dropped for a full dealer map.
     */
    void onDealerListDropped()
    {
        dealerListsDropped = dealerListsDropped + 1;
    }

    void publishDealerUnready(final Reason reason)
    {
        dealerUnready = reason;
    }

    /**
     * @return the brand's keys, from which its index keys are derived; null for a brand damaged beyond opening.
     */
    BrandKeys keys()
    {
        return keys;
    }

    /**
     * The one index read of a decision: the whole record, from which the lookup takes the status, the dealer flag
     * and, for a recorded decision, what its receipt names.
     *
     * @param key   derived with this brand's {@link #keys()}.
     * @param using the reader's value instance.
     * @return the stored value, or null when the key holds none.
     * @throws IllegalStateException when the brand is damaged beyond opening and has no maps.
     */
    ConsentValue record(final ConsentKey key, final ConsentValue using)
    {
        if (phones == null)
        {
            throw new IllegalStateException("brand index damaged beyond opening: brand=" + brandCode);
        }
        return key.isPhone() ? phones.getUsing(key.phoneKey(), using) : emails.getUsing(key.emailKey(), using);
    }

    /**
     * @param key   derived with this brand's {@link #keys()}.
     * @param using the reader's value instance.
     * @return the stored value, or null when the key holds none or the brand has no maps.
     */
    ConsentValue value(final ConsentKey key, final ConsentValue using)
    {
        if (phones == null)
        {
            return null;
        }
        return key.isPhone() ? phones.getUsing(key.phoneKey(), using) : emails.getUsing(key.emailKey(), using);
    }

    void publishNewestCreation(final long newestCreationMs)
    {
        asOfMs = newestCreationMs;
    }

    void publishWatermark(final long newWatermarkMs)
    {
        watermarkMs = newWatermarkMs;
    }

    void publishUnready(final Reason reason)
    {
        unready = reason;
    }
}
