package io.iysfilter.server.decision;

/**
 * The endpoint a decision was asked through, as its receipt records it. The codes are the receipt schema's
 * {@code Door} values and never change.
 */
public enum Door
{
    /** The binary protocol. */
    BINARY(1),
    /** HTTP {@code /v1/check}. */
    HTTP(2),
    /** The Redis protocol. */
    RESP(3),
    /** The milter: an MTA's RCPT. */
    MILTER(4),
    /** HTTP {@code /v1/scrub}: one row of a list. */
    SCRUB(5);

    private final int code;

    Door(final int code)
    {
        this.code = code;
    }

    /**
     * @return the receipt schema's code.
     */
    public int code()
    {
        return code;
    }
}
