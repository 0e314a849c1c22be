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
    private final ParsedRecipient recipient = new ParsedRecipient();
    private long brandCode;
    private Channel channel;
    private RecipientType type;
    private long word0;
    private long word1;

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
}
