package io.iysfilter.server.decision;

/**
 * İYS {@code type}: the channel a message goes out on. Phones take ARAMA and MESAJ, e-mail addresses EPOSTA.
 * <p>
 * Each constant names its twin in the wire schema and takes its code from it: the declarations below are the one
 * table between the domain and the protocol; {@code WireEnumsTest} checks it both ways.
 */
public enum Channel
{
    /** Voice call. */
    ARAMA(io.iysfilter.protocol.codecs.Channel.ARAMA),
    /** SMS. */
    MESAJ(io.iysfilter.protocol.codecs.Channel.MESAJ),
    /** E-mail. */
    EPOSTA(io.iysfilter.protocol.codecs.Channel.EPOSTA);

    private static final Channel[] BY_CODE = byCode();
    /** {@link #values()} once: each call of it copies the array. */
    private static final Channel[] NAMED = values();
    private final io.iysfilter.protocol.codecs.Channel wire;
    private final int code;

    Channel(final io.iysfilter.protocol.codecs.Channel wire)
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
     * @return the wire protocol's twin of this channel.
     */
    io.iysfilter.protocol.codecs.Channel wire()
    {
        return wire;
    }

    /**
     * @return whether this channel is addressed by phone number.
     */
    public boolean isPhone()
    {
        return this != EPOSTA;
    }

    /**
     * @param code a code as returned by {@link #code()}, e.g. the raw byte of a request.
     * @return the channel, or null when the code is not known.
     */
    public static Channel fromCode(final int code)
    {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * @param wire a wire channel.
     * @return its twin, or null for the values SBE adds ({@code SBE_UNKNOWN}, {@code NULL_VAL}).
     */
    public static Channel fromWire(final io.iysfilter.protocol.codecs.Channel wire)
    {
        final Channel channel = fromCode(wire.value());
        return channel != null && channel.wire == wire ? channel : null;
    }

    /**
     * @param name the İYS name, any {@link CharSequence} (read, not kept), as in {@code MESAJ}.
     * @return the channel, or null when the name is not known.
     */
    public static Channel fromName(final CharSequence name)
    {
        if (name == null)
        {
            return null;
        }
        for (final Channel channel : NAMED)
        {
            if (channel.name().contentEquals(name))
            {
                return channel;
            }
        }
        return null;
    }

    private static Channel[] byCode()
    {
        int maxCode = 0;
        for (final Channel channel : values())
        {
            maxCode = Math.max(maxCode, channel.code);
        }
        final Channel[] byCode = new Channel[maxCode + 1];
        for (final Channel channel : values())
        {
            byCode[channel.code] = channel;
        }
        return byCode;
    }
}
