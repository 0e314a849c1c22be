package io.iysfilter.server.decision;

/**
 * İYS {@code recipientType}. {@link #UNSPECIFIED} exists only in requests and is decided as {@link #BIREYSEL}.
 */
public enum RecipientType
{
    /** The sender does not know; decided as BIREYSEL, the stricter rule. */
    UNSPECIFIED(0),
    /** An individual. */
    BIREYSEL(1),
    /** A merchant or tradesman. */
    TACIR(2);

    private static final RecipientType[] BY_CODE = {UNSPECIFIED, BIREYSEL, TACIR};
    private final int code;

    RecipientType(final int code)
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
     * @return the type a decision and an index key use: UNSPECIFIED becomes BIREYSEL.
     */
    public RecipientType effective()
    {
        return this == UNSPECIFIED ? BIREYSEL : this;
    }

    /**
     * @param code a code as returned by {@link #code()}.
     * @return the type, or null when the code is not known.
     */
    public static RecipientType fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * @param name the İYS name, as in {@code BIREYSEL}.
     * @return the type, or null when the name is not known.
     */
    public static RecipientType fromName(final String name)
    {
        for (final RecipientType type : values())
        {
            if (type.name().equals(name))
            {
                return type;
            }
        }
        return null;
    }
}
