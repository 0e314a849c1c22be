package io.iysfilter.server.decision;

/**
 * What a receipt records of one decision: who asked, through which door, what was asked, what the index held and
 * what was answered. One instance per {@link Decider}, refilled for every decision, so recording allocates nothing.
 * The {@link Decider} fills the request and the answer; the {@link ConsentLookup} fills the protected recipient and
 * the record the answer rested on. Not thread-safe.
 */
public final class DecisionFacts
{
    /** {@link #recipientForm()}: no protected recipient (no valid recipient, or no brand to key it with). */
    public static final int RECIPIENT_NONE = 0;
    /** {@link #recipientForm()}: a phone key, 8 bytes in {@link #recipientKey0()}. */
    public static final int RECIPIENT_PHONE = 1;
    /** {@link #recipientForm()}: an e-mail key, 16 bytes in {@link #recipientKey0()} then {@link #recipientKey1()}. */
    public static final int RECIPIENT_EMAIL = 2;

    private Door door = Door.BINARY;
    private int party;
    private long timeMs;
    private long brandCode;
    private long asOfMs;
    private Channel channel;
    private RecipientType type;
    private MessageKind kind;
    private Reason reason;
    private int recipientForm;
    private long recipientKey0;
    private long recipientKey1;
    private int recordStatus;
    private long recordCreationSec;
    private long recordTxDigest;
    private long dealerCode;

    /**
     * Start a decision: forget the previous one's recipient and record.
     *
     * @param timeMs    when it is decided, epoch milliseconds.
     * @param brandCode the brand asked.
     * @param channel   the channel asked, or null when not understood.
     * @param type      the recipient type asked, or null when not understood.
     * @param kind      the kind asked, or null when not understood.
     * @return this.
     */
    public DecisionFacts begin(
        final long timeMs,
        final long brandCode,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind)
    {
        this.timeMs = timeMs;
        this.brandCode = brandCode;
        this.channel = channel;
        this.type = type;
        this.kind = kind;
        this.asOfMs = 0;
        this.reason = null;
        this.recipientForm = RECIPIENT_NONE;
        this.recipientKey0 = 0;
        this.recipientKey1 = 0;
        this.recordStatus = ConsentStatus.NONE;
        this.recordCreationSec = 0;
        this.recordTxDigest = 0;
        this.dealerCode = 0;
        return this;
    }

    /**
     * @param dealerCode the İYS dealer code the request named as the sender; 0 when it named none (the brand itself
     *                   sends). {@link #begin} sets it to 0.
     * @return this.
     */
    public DecisionFacts dealer(final long dealerCode)
    {
        this.dealerCode = dealerCode;
        return this;
    }

    /**
     * @return the dealer the request named, 0 for none.
     */
    public long dealerCode()
    {
        return dealerCode;
    }

    /**
     * @param door  the endpoint.
     * @param party who asks, as {@link DecisionRecorder#party} named it.
     * @return this.
     */
    public DecisionFacts asker(final Door door, final int party)
    {
        this.door = door;
        this.party = party;
        return this;
    }

    /**
     * @param reason the answer.
     * @param asOfMs the brand's as-of when answered, 0 when unknown.
     * @return this.
     */
    public DecisionFacts answer(final Reason reason, final long asOfMs)
    {
        this.reason = reason;
        this.asOfMs = asOfMs;
        return this;
    }

    /**
     * @param form {@link #RECIPIENT_PHONE} or {@link #RECIPIENT_EMAIL}.
     * @param key0 the key's first word.
     * @param key1 the key's second word (0 for a phone key).
     * @return this.
     */
    public DecisionFacts recipient(final int form, final long key0, final long key1)
    {
        this.recipientForm = form;
        this.recipientKey0 = key0;
        this.recipientKey1 = key1;
        return this;
    }

    /**
     * @param status      a {@link ConsentStatus}: NONE when the index held no record for the key.
     * @param creationSec the record's creationDate, epoch seconds.
     * @param txDigest    the record's 48-bit transaction id digest.
     * @return this.
     */
    public DecisionFacts record(final int status, final long creationSec, final long txDigest)
    {
        this.recordStatus = status;
        this.recordCreationSec = creationSec;
        this.recordTxDigest = txDigest;
        return this;
    }

    /**
     * @return door.
     */
    public Door door()
    {
        return door;
    }

    /**
     * @return party.
     */
    public int party()
    {
        return party;
    }

    /**
     * @return timeMs.
     */
    public long timeMs()
    {
        return timeMs;
    }

    /**
     * @return brandCode.
     */
    public long brandCode()
    {
        return brandCode;
    }

    /**
     * @return asOfMs.
     */
    public long asOfMs()
    {
        return asOfMs;
    }

    /**
     * @return the channel asked, or null when not understood.
     */
    public Channel channel()
    {
        return channel;
    }

    /**
     * @return the recipient type asked, or null when not understood.
     */
    public RecipientType type()
    {
        return type;
    }

    /**
     * @return the kind asked, or null when not understood.
     */
    public MessageKind kind()
    {
        return kind;
    }

    /**
     * @return reason.
     */
    public Reason reason()
    {
        return reason;
    }

    /**
     * @return recipientForm.
     */
    public int recipientForm()
    {
        return recipientForm;
    }

    /**
     * @return recipientKey0.
     */
    public long recipientKey0()
    {
        return recipientKey0;
    }

    /**
     * @return recipientKey1.
     */
    public long recipientKey1()
    {
        return recipientKey1;
    }

    /**
     * @return recordStatus.
     */
    public int recordStatus()
    {
        return recordStatus;
    }

    /**
     * @return recordCreationSec.
     */
    public long recordCreationSec()
    {
        return recordCreationSec;
    }

    /**
     * @return recordTxDigest.
     */
    public long recordTxDigest()
    {
        return recordTxDigest;
    }
}
