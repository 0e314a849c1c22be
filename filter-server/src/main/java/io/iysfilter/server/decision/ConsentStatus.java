package io.iysfilter.server.decision;

/**
 * The latest İYS status held for a key, as an int so that lookups return it without allocating.
 */
public final class ConsentStatus
{
    /** No record for the key. */
    public static final int NONE = 0;
    /** The latest record is an approval. */
    public static final int ONAY = 1;
    /** The latest record is a rejection. */
    public static final int RET = 2;

    private ConsentStatus()
    {
    }

    /**
     * @param status one of the constants.
     * @return its İYS name, {@code ONAY} or {@code RET}, or {@code NONE}.
     */
    public static String name(final int status)
    {
        return status == ONAY ? "ONAY" : status == RET ? "RET" : "NONE";
    }
}
