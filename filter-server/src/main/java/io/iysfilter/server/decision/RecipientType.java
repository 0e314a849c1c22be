package io.iysfilter.server.decision;

/**
 * İYS {@code recipientType}. {@link #UNSPECIFIED} exists only in requests and is decided as {@link #BIREYSEL}.
 * <p>
 * Each constant names its twin in the wire schema and takes its code from it: the declarations below are the one
 * table between the domain and the protocol; {@code WireEnumsTest} checks it both ways.
 */
public enum RecipientType
{
    /** The sender does not know; decided as BIREYSEL, the stricter rule. */
    UNSPECIFIED(io.iysfilter.protocol.codecs.RecipientType.UNSPECIFIED),
    /** An individual. */
    BIREYSEL(io.iysfilter.protocol.codecs.RecipientType.BIREYSEL),
    /** A merchant or tradesman. */
    TACIR(io.iysfilter.protocol.codecs.RecipientType.TACIR);

    private static final RecipientType[] BY_CODE = byCode();
    /** {@link #values()} once: each call of it copies the array. */
    private static final RecipientType[] NAMED = values();
    private final io.iysfilter.protocol.codecs.RecipientType wire;
    private final int code;

    RecipientType(final io.iysfilter.protocol.codecs.RecipientType wire)
    {
        this.wire = wire;
        this.code = wire.value();
    }

    /**
     * @return the stable numeric code, the same on the wire and in the index keys.
     */
    public int code()
    {
        return code;
    }

    /**
     * @return the wire protocol's twin of this type.
     */
    io.iysfilter.protocol.codecs.RecipientType wire()
    {
        return wire;
    }

    /**
     * @return the type a decision and an index key use: UNSPECIFIED becomes BIREYSEL.
     */
    public RecipientType effective()
    {
        return this == UNSPECIFIED ? BIREYSEL : this;
    }

    /**
     * @param code a code as returned by {@link #code()}, e.g. the raw byte of a request.
     * @return the type, or null when the code is not known.
     */
    public static RecipientType fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * @param wire a wire recipient type.
     * @return its twin, or null for the values SBE adds ({@code SBE_UNKNOWN}, {@code NULL_VAL}).
     */
    public static RecipientType fromWire(final io.iysfilter.protocol.codecs.RecipientType wire)
    {
        final RecipientType type = fromCode(wire.value());
        return type != null && type.wire == wire ? type : null;
    }

    /**
     * @param name the İYS name, any {@link CharSequence} (read, not kept), as in {@code BIREYSEL}.
     * @return the type, or null when the name is not known.
     */
    public static RecipientType fromName(final CharSequence name)
    {
        if (name == null)
        {
            return null;
        }
        for (final RecipientType type : NAMED)
        {
            if (type.name().contentEquals(name))
            {
                return type;
            }
        }
        return null;
    }

    private static RecipientType[] byCode()
    {
        int maxCode = 0;
        for (final RecipientType type : values())
        {
            maxCode = Math.max(maxCode, type.code);
        }
        final RecipientType[] byCode = new RecipientType[maxCode + 1];
        for (final RecipientType type : values())
        {
            byCode[type.code] = type;
        }
        return byCode;
    }
}
