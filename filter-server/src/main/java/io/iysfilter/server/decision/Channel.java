package io.iysfilter.server.decision;

/**
 * İYS {@code type}: the channel a message goes out on. Phones take ARAMA and MESAJ, e-mail addresses EPOSTA.
 */
public enum Channel
{
    /** Voice call. */
    ARAMA(1),
    /** SMS. */
    MESAJ(2),
    /** E-mail. */
    EPOSTA(3);

    private static final Channel[] BY_CODE = {null, ARAMA, MESAJ, EPOSTA};
    private final int code;

    Channel(final int code)
    {
        this.code = code;
    }

    /**
     * @return the stable numeric code, the same on the wire and in the index keys.
     */
    public int code()
    {
        return code;
    }

    /**
     * @return whether this channel is addressed by phone number.
     */
    public boolean isPhone()
    {
        return this != EPOSTA;
    }

    /**
     * @param code a code as returned by {@link #code()}.
     * @return the channel, or null when the code is not known.
     */
    public static Channel fromCode(final int code)
    {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * @param name the İYS name, as in {@code MESAJ}.
     * @return the channel, or null when the name is not known.
     */
    public static Channel fromName(final String name)
    {
        for (final Channel channel : values())
        {
            if (channel.name().equals(name))
            {
                return channel;
            }
        }
        return null;
    }
}
