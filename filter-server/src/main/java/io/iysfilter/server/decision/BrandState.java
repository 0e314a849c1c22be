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

    /**
     * Whether a dealer's decisions may rest on the dealer lists the index holds for this brand (İYS's
     * retailerAccess as the change feed delivered it). When not, every commercial dealer decision that would read a
     * list is DENY {@link Reason#DEALER_ACCESS_UNKNOWN}: the feed may not show access granted or removed alone.
     *
     * @return true when the operator trusts the feed's access lists for this brand; false, the default, fails
     * closed.
     */
    default boolean dealerAccessTrusted()
    {
        return false;
    }

    /**
     * Whether the brand's dealer lists may be read at all: its dealer map passed verification. A brand whose dealer
     * map failed (a wrong checksum, a map lost while records still point into it) answers every dealer decision that
     * would read a list with this reason; its brand decisions, which never read the dealer map, are unaffected.
     *
     * @return null when they may, else the reason ({@link Reason#INDEX_DAMAGED}).
     */
    default Reason dealerUnreadyReason()
    {
        return null;
    }

    /**
     * Whether the single writer had to drop a dealer list because the brand's dealer map was full: a record flagged
     * with a list may then have none, and a dealer its list would have named is not known to be absent.
     *
     * @return true once a list was dropped (until the brand is reopened): a dealer no list names is then DENY
     * {@link Reason#DEALER_ACCESS_UNKNOWN} rather than {@link Reason#DEALER_NOT_AUTHORISED}.
     */
    default boolean dealerListsDropped()
    {
        return false;
    }

    /**
     * How long a dealer list read from İYS's access-list call ({@code iys-filter reconcile --recipients}) is known
     * fresh for this brand ({@code dealer-access-fresh-for}): within it, a brand that does not trust the feed decides
     * a dealer's check on that list; past it, or for a list that came only with the record, DENY
     * {@link Reason#DEALER_ACCESS_UNKNOWN}.
     *
     * @return ms; 0, the default, never.
     */
    default long dealerAccessFreshForMs()
    {
        return 0;
    }

    /**
     * How far past this server's clock a time written by another clock (an access list's read time, taken on the
     * fetcher) may lie and still be taken as a clock difference rather than a fault ({@code max-future-skew}).
     *
     * @return ms; 0, the default, none.
     */
    default long maxFutureSkewMs()
    {
        return 0;
    }
}
