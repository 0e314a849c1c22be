package io.iysfilter.server.decision;

/**
 * The decision policies an operator can choose.
 *
 * @param tacirRequiresRecord when true, a TACIR recipient with no record is DENY / NO_CONSENT (the reading of
 *                            İYS's seed text 000); when false it is ALLOW / TACIR_NO_RECORD (seed text 004).
 */
public record FilterPolicy(boolean tacirRequiresRecord)
{
    /** The default: TACIR needs a record, the reading that cannot cost a fine. */
    public static final FilterPolicy DEFAULT = new FilterPolicy(true);
}
