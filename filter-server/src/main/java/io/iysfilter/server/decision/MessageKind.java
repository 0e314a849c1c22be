package io.iysfilter.server.decision;

/**
 * Whether a message needs İYS consent.
 */
public enum MessageKind
{
    /** Promotes goods, services or the business, including greetings and surveys: needs an ONAY. */
    COMMERCIAL(0),
    /**
     * Exempt: an ongoing subscription, membership or partnership, collection, debt reminder, information update,
     * purchase and delivery, or a legal information duty.
     */
    TRANSACTIONAL(1);

    private final int code;

    MessageKind(final int code)
    {
        this.code = code;
    }

    /**
     * @return the stable numeric code, the same on the wire.
     */
    public int code()
    {
        return code;
    }

    /**
     * @param code a code as returned by {@link #code()}.
     * @return the kind, or null when the code is not known.
     */
    public static MessageKind fromCode(final int code)
    {
        return code == 0 ? COMMERCIAL : code == 1 ? TRANSACTIONAL : null;
    }

    /**
     * @param name {@code COMMERCIAL} or {@code TRANSACTIONAL}.
     * @return the kind, or null when the name is not known.
     */
    public static MessageKind fromName(final String name)
    {
        return "COMMERCIAL".equals(name) ? COMMERCIAL : "TRANSACTIONAL".equals(name) ? TRANSACTIONAL : null;
    }
}
