package io.iysfilter.server.index;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;

/**
 * One consent movement to apply: the key and the packed value (see {@link ConsentValueDescriptor}).
 * Mutable and reused by whoever fills it.
 */
public final class ConsentChange
{
    /** No key yet: the writer derives it from the recipient. */
    public static final int KEY_NONE = 0;
    /** A phone key: one 64-bit word ({@link #key0()}). */
    public static final int KEY_PHONE = 1;
    /** An e-mail key: two 64-bit words, high then low. */
    public static final int KEY_EMAIL = 2;

    private static final ParsedRecipient NO_RECIPIENT = new ParsedRecipient();

    private final ParsedRecipient recipient = new ParsedRecipient();
    private long brandCode;
    private Channel channel;
    private RecipientType type;
    private long word0;
    private long word1;
    private int keyKind;
    private long key0;
    private long key1;
    private boolean keyed;
    private int[] dealers;
    private int dealerCount;
    private long accessFetchedMs;

    /**
     * Fill this change.
     *
     * @param brandCode   İYS brand code.
     * @param channel     the channel; must fit the recipient.
     * @param type        BIREYSEL or TACIR.
     * @param recipient   a valid parsed recipient, copied.
     * @param status      1 ONAY, 2 RET.
     * @param creationSec İYS creationDate, epoch seconds.
     * @param consentSec  consentDate, epoch seconds, or 0.
     * @param source      a source code, 0..255, stored as given (the caller gives it its meaning).
     * @param txDigest    a 48-bit digest of the transaction id, stored as given; it breaks ties in İYS order.
     * @param flags       {@link ConsentValueDescriptor#FLAG_LOCAL} or 0.
     * @return this.
     */
    public ConsentChange set(
        final long brandCode,
        final Channel channel,
        final RecipientType type,
        final ParsedRecipient recipient,
        final int status,
        final long creationSec,
        final long consentSec,
        final int source,
        final long txDigest,
        final int flags)
    {
        this.brandCode = brandCode;
        this.channel = channel;
        this.type = type.effective();
        this.recipient.copyFrom(recipient);
        this.word0 = ConsentValueDescriptor.word0(creationSec, txDigest);
        this.word1 = ConsentValueDescriptor.word1(txDigest, status, consentSec, source, flags);
        this.keyKind = KEY_NONE;
        this.key0 = 0;
        this.key1 = 0;
        this.keyed = false;
        this.dealerCount = 0;
        this.accessFetchedMs = 0;
        return this;
    }

    /**
     * Make this change the record its key holds, word for word (as {@link IndexLookup#storedValue} read it), so that
     * applying it again with a list ({@link #dealerAccess}) is the same record, not one rebuilt from its fields.
     *
     * @param word0 the stored value's word0.
     * @param word1 the stored value's word1.
     * @return this.
     */
    public ConsentChange storedWords(final long word0, final long word1)
    {
        this.word0 = word0;
        this.word1 = word1;
        return this;
    }

    /**
     * Give the change its dealer list (İYS's retailerAccess): the value is flagged
     * {@link ConsentValueDescriptor#FLAG_DEALERS} and the writer stores the list beside it, replacing any list the
     * key held. A change given none (every {@link #set} starts with none) clears the key's list when it applies.
     * Call after {@link #set}.
     *
     * @param codes  İYS dealer numbers, each held as an unsigned 32-bit number.
     * @param length how many, 1..{@link DealerList#MAX_DEALERS}.
     * @return this.
     * @throws IllegalArgumentException when the length is out of range.
     */
    public ConsentChange dealers(final int[] codes, final int length)
    {
        if (length < 1 || length > DealerList.MAX_DEALERS)
        {
            throw new IllegalArgumentException("a dealer list holds 1.." + DealerList.MAX_DEALERS + " dealers: " +
                length);
        }
        if (dealers == null)
        {
            // only changes that carry dealers pay for the array, once per reused change
            dealers = new int[DealerList.MAX_DEALERS];
        }
        System.arraycopy(codes, 0, dealers, 0, length);
        dealerCount = length;
        word1 |= ConsentValueDescriptor.FLAG_DEALERS;
        return this;
    }

    /**
     * Give the change a dealer list read from İYS's access-list call ({@code consents/retailers/access/list}) rather
     * than delivered with the record: the value is flagged {@link ConsentValueDescriptor#FLAG_DEALERS} and the writer
     * stores the list with the time it was read, after which it is known fresh only for the brand's
     * {@code dealer-access-fresh-for} (docs/INDEX.md §11). The list may be empty: İYS named no dealer. Call after
     * {@link #set} or {@link #setKeyed}.
     *
     * @param codes     İYS dealer numbers, each held as an unsigned 32-bit number.
     * @param length    how many, 0..{@link DealerList#MAX_DEALERS}.
     * @param fetchedMs when İYS answered the list, epoch ms ({@link DealerList#storableReadTime}).
     * @return this.
     * @throws IllegalArgumentException when the length or the time is out of range.
     */
    public ConsentChange dealerAccess(final int[] codes, final int length, final long fetchedMs)
    {
        if (!DealerList.storableReadTime(fetchedMs))
        {
            // refused here, not by the writer after it stored the value without its list
            throw new IllegalArgumentException("an access list needs the time it was read, epoch ms from 1970 to " +
                "2106: " + fetchedMs);
        }
        if (length == 0)
        {
            dealerCount = 0;
            word1 |= ConsentValueDescriptor.FLAG_DEALERS;
        }
        else
        {
            dealers(codes, length);
        }
        accessFetchedMs = fetchedMs;
        return this;
    }

    /**
     * @return when the change's dealer list was read from İYS's access-list call, epoch ms; 0 when the list came with
     * the record (or there is none).
     */
    public long accessFetchedMs()
    {
        return accessFetchedMs;
    }

    /**
     * @return how many dealers the change lists, 0 when none.
     */
    public int dealerCount()
    {
        return dealerCount;
    }

    /**
     * @return the dealers, valid up to {@link #dealerCount()}; null when the change never held any.
     */
    public int[] dealerCodes()
    {
        return dealers;
    }

    /**
     * Fill this change with a key already protected, as a replica receives it from the topic (docs/REPLICATION.md):
     * no recipient, channel or type, only the brand's index key and the stored value. The data directory's index
     * key must be the one the key was derived with (a fleet shares one key file), else the change lands under a key
     * no reader derives.
     *
     * @param brandCode İYS brand code.
     * @param keyKind   {@link #KEY_PHONE} or {@link #KEY_EMAIL}.
     * @param key0      the phone key, or the e-mail key's high word.
     * @param key1      0 for a phone key, or the e-mail key's low word.
     * @param word0     the value's word0 ({@link ConsentValueDescriptor}).
     * @param word1     the value's word1.
     * @return this.
     * @throws IllegalArgumentException when the key kind is neither.
     */
    public ConsentChange setKeyed(
        final long brandCode,
        final int keyKind,
        final long key0,
        final long key1,
        final long word0,
        final long word1)
    {
        if (keyKind != KEY_PHONE && keyKind != KEY_EMAIL)
        {
            throw new IllegalArgumentException("key kind must be phone or e-mail: " + keyKind);
        }
        this.brandCode = brandCode;
        this.channel = null;
        this.type = null;
        this.recipient.copyFrom(NO_RECIPIENT);
        this.word0 = word0;
        this.word1 = word1;
        this.keyKind = keyKind;
        this.key0 = key0;
        this.key1 = key1;
        this.keyed = true;
        // a keyed change starts with no list: whoever fills it from the topic gives it the record's list
        // (dealers, dealerAccess) as the fetcher's index held it
        this.dealerCount = 0;
        this.accessFetchedMs = 0;
        return this;
    }

    /**
     * Copy another change into this one.
     *
     * @param other to copy.
     */
    public void copyFrom(final ConsentChange other)
    {
        brandCode = other.brandCode;
        channel = other.channel;
        type = other.type;
        recipient.copyFrom(other.recipient);
        word0 = other.word0;
        word1 = other.word1;
        keyKind = other.keyKind;
        key0 = other.key0;
        key1 = other.key1;
        keyed = other.keyed;
        dealerCount = other.dealerCount;
        accessFetchedMs = other.accessFetchedMs;
        if (dealerCount > 0)
        {
            if (dealers == null)
            {
                dealers = new int[DealerList.MAX_DEALERS];
            }
            System.arraycopy(other.dealers, 0, dealers, 0, dealerCount);
        }
    }

    /**
     * @return İYS brand code.
     */
    public long brandCode()
    {
        return brandCode;
    }

    /**
     * @return the channel.
     */
    public Channel channel()
    {
        return channel;
    }

    /**
     * @return BIREYSEL or TACIR.
     */
    public RecipientType type()
    {
        return type;
    }

    /**
     * @return the recipient.
     */
    public ParsedRecipient recipient()
    {
        return recipient;
    }

    /**
     * @return the value's word0.
     */
    public long word0()
    {
        return word0;
    }

    /**
     * @return the value's word1.
     */
    public long word1()
    {
        return word1;
    }

    /**
     * @return whether the change came with its key ({@link #setKeyed}) instead of a recipient to derive it from.
     */
    public boolean keyed()
    {
        return keyed;
    }

    /**
     * The key the change is stored under: given by {@link #setKeyed}, or filled by the writer when it derives the
     * key from the recipient (so what the writer tells of an applied change carries its protected key).
     *
     * @return {@link #KEY_PHONE}, {@link #KEY_EMAIL}, or {@link #KEY_NONE} before the writer derived it.
     */
    public int keyKind()
    {
        return keyKind;
    }

    /**
     * @return the phone key, or the e-mail key's high word; see {@link #keyKind()}.
     */
    public long key0()
    {
        return key0;
    }

    /**
     * @return 0 for a phone key, or the e-mail key's low word; see {@link #keyKind()}.
     */
    public long key1()
    {
        return key1;
    }

    void derivedKey(final int keyKind, final long key0, final long key1)
    {
        this.keyKind = keyKind;
        this.key0 = key0;
        this.key1 = key1;
    }
}
