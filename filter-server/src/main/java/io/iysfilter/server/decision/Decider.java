package io.iysfilter.server.decision;

import org.agrona.DirectBuffer;

/**
 * Everything one thread needs to decide requests: its own index lookup, a recipient parser and the rules.
 * Allocates nothing per decision. Not thread-safe: one per connection or thread.
 */
public final class Decider
{
    private final ConsentFilter filter;
    private final ConsentLookup lookup;
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient recipient = new ParsedRecipient();

    /**
     * @param filter the rules.
     * @param lookup the index as this thread reads it, its own (e.g. a new lookup of the consent store).
     */
    public Decider(final ConsentFilter filter, final ConsentLookup lookup)
    {
        this.filter = filter;
        this.lookup = lookup;
    }

    /**
     * @param brandCode İYS brand code.
     * @return the brand, or null when there is no index for it.
     */
    public BrandState brand(final long brandCode)
    {
        return lookup.brand(brandCode);
    }

    /**
     * Decide a request whose address is held in a buffer.
     *
     * @param brand   from {@link #brand(long)}, or null.
     * @param channel the channel, or null when unknown.
     * @param type    the recipient type, or null when unknown.
     * @param kind    the kind, or null when unknown.
     * @param address holding the address bytes.
     * @param offset  of the address.
     * @param length  of the address.
     * @param nowMs   current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason decide(
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final DirectBuffer address,
        final int offset,
        final int length,
        final long nowMs)
    {
        parser.parse(address, offset, length, recipient);
        return filter.decide(lookup, brand, channel, type, kind, recipient, nowMs);
    }

    /**
     * Decide a request whose address is text (HTTP, CLI).
     *
     * @param brand   from {@link #brand(long)}, or null.
     * @param channel the channel.
     * @param type    the recipient type.
     * @param kind    the kind.
     * @param address the address.
     * @param nowMs   current time, epoch milliseconds.
     * @return the reason.
     */
    public Reason decide(
        final BrandState brand,
        final Channel channel,
        final RecipientType type,
        final MessageKind kind,
        final CharSequence address,
        final long nowMs)
    {
        parser.parse(address, recipient);
        return filter.decide(lookup, brand, channel, type, kind, recipient, nowMs);
    }
}
