package io.iysfilter.server.decision;

/**
 * Whether a message needs İYS consent.
 * <p>
 * Each constant names its twin in the wire schema and takes its code from it: the declarations below are the one
 * table between the domain and the protocol; {@code WireEnumsTest} checks it both ways.
 */
public enum MessageKind
{
    /** Promotes goods, services or the business, including greetings and surveys: needs an ONAY. */
    COMMERCIAL(io.iysfilter.protocol.codecs.MessageKind.COMMERCIAL),
    /**
     * Exempt: an ongoing subscription, membership or partnership, collection, debt reminder, information update,
     * purchase and delivery, or a legal information duty.
     */
    TRANSACTIONAL(io.iysfilter.protocol.codecs.MessageKind.TRANSACTIONAL);

    private static final MessageKind[] BY_CODE = byCode();
    private final io.iysfilter.protocol.codecs.MessageKind wire;
    private final int code;

    MessageKind(final io.iysfilter.protocol.codecs.MessageKind wire)
    {
        this.wire = wire;
        this.code = wire.value();
    }

    /**
     * @return the stable numeric code, the same on the wire.
     */
    int code()
    {
        return code;
    }

    /**
     * @return the wire protocol's twin of this kind.
     */
    io.iysfilter.protocol.codecs.MessageKind wire()
    {
        return wire;
    }

    /**
     * @param code a code as returned by {@link #code()}, e.g. the raw byte of a request.
     * @return the kind, or null when the code is not known.
     */
    public static MessageKind fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * @param name {@code COMMERCIAL} or {@code TRANSACTIONAL}.
     * @return the kind, or null when the name is not known.
     */
    public static MessageKind fromName(final String name)
    {
        for (final MessageKind kind : values())
        {
            if (kind.name().equals(name))
            {
                return kind;
            }
        }
        return null;
    }

    private static MessageKind[] byCode()
    {
        int maxCode = 0;
        for (final MessageKind kind : values())
        {
            maxCode = Math.max(maxCode, kind.code);
        }
        final MessageKind[] byCode = new MessageKind[maxCode + 1];
        for (final MessageKind kind : values())
        {
            byCode[kind.code] = kind;
        }
        return byCode;
    }
}
