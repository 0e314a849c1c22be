package io.iysfilter.server.filter;

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
}
