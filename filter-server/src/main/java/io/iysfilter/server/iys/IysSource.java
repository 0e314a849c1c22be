package io.iysfilter.server.iys;

/**
 * İYS {@code source} values as the one-byte codes stored in a consent value. The 13 service-provider sources and
 * the İYS-side sources found so far have their own codes; any other {@code HS_*} or {@code IYS_*} value is kept
 * as "other" of its family rather than refused, because İYS adds sources without notice.
 */
public final class IysSource
{
    /** No source: TACIR records may omit it. */
    public static final int NONE = 0;
    /** An {@code HS_*} value this build does not know. */
    public static final int HS_OTHER = 63;
    /** An {@code IYS_*} value this build does not know. */
    public static final int IYS_OTHER = 127;
    /** A RET recorded by this server from the provider's own opt-out channel, not yet from İYS. */
    public static final int LOCAL = 128;
    /** Not a source: the value names neither family. */
    public static final int INVALID = -1;

    private static final String[] NAMES = new String[256];

    static
    {
        final String[] hs = {
            "HS_FIZIKSEL_ORTAM", "HS_ISLAK_IMZA", "HS_WEB", "HS_CAGRI_MERKEZI", "HS_SOSYAL_MEDYA", "HS_EPOSTA",
            "HS_MESAJ", "HS_MOBIL", "HS_EORTAM", "HS_ETKINLIK", "HS_ATM", "HS_2015", "HS_KARAR"};
        final String[] iys = {
            "IYS_CM", "IYS_WEB", "IYS_WEB_YENI", "IYS_MOBIL", "IYS_KISAMESAJ", "IYS_3338", "IYS_KISA_LINK",
            "IYS_EPOSTA", "IYS_AHS_HAT_KAPATMA"};
        for (int i = 0; i < hs.length; i++)
        {
            NAMES[1 + i] = hs[i];
        }
        for (int i = 0; i < iys.length; i++)
        {
            NAMES[64 + i] = iys[i];
        }
        NAMES[NONE] = "";
        NAMES[HS_OTHER] = "HS_OTHER";
        NAMES[IYS_OTHER] = "IYS_OTHER";
        NAMES[LOCAL] = "LOCAL";
    }

    private IysSource()
    {
    }

    /**
     * @param name an İYS source value, or empty for none.
     * @return its code, or {@link #INVALID} when it is neither {@code HS_*} nor {@code IYS_*}.
     */
    public static int code(final CharSequence name)
    {
        if (name.length() == 0)
        {
            return NONE;
        }
        for (int code = 1; code < LOCAL; code++)
        {
            final String known = NAMES[code];
            if (known != null && code != HS_OTHER && code != IYS_OTHER && known.contentEquals(name))
            {
                return code;
            }
        }
        final String text = name.toString();
        if (text.startsWith("HS_") && text.length() > 3)
        {
            return HS_OTHER;
        }
        if (text.startsWith("IYS_") && text.length() > 4)
        {
            return IYS_OTHER;
        }
        return INVALID;
    }

    /**
     * @param code a stored code.
     * @return its name, e.g. {@code HS_WEB}, or {@code "?"} for a code never assigned.
     */
    public static String name(final int code)
    {
        final String name = code >= 0 && code < NAMES.length ? NAMES[code] : null;
        return name == null ? "?" : name;
    }
}
