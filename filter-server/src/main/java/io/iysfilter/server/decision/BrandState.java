package io.iysfilter.server.decision;

/**
 * What a decision needs to know about a brand besides one key's status. Implementations are read by many threads.
 */
public interface BrandState
{
    /**
     * @return the İYS brand code.
     */
    long brandCode();

    /**
     * @return milliseconds since the epoch up to which the brand's data is known complete, or 0 when unknown.
     */
    long asOfMs();

    /**
     * @return how old the data may be before commercial answers become STALE, or 0 or less for no bound.
     */
    long freshnessBoundMs();

    /**
     * Whether the brand's index may be trusted at all: a volatile read, once per decision.
     *
     * @return null when it may, else the reason every commercial answer for the brand must carry
     * ({@link Reason#INDEX_DAMAGED} or {@link Reason#INDEX_VERIFYING}).
     */
    Reason unreadyReason();
}
