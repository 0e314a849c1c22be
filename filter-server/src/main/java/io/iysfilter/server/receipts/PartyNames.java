package io.iysfilter.server.receipts;

/**
 * The names behind the party numbers of receipts, which the journal writes into each day before a party's first
 * receipt of that day.
 */
@FunctionalInterface
public interface PartyNames
{
    /**
     * @param run   the server run (a decision id's high 16 bits).
     * @param party the party number within that run.
     * @return its name, e.g. {@code binary client acme} or {@code milter 127.0.0.1}; never null.
     */
    String name(int run, int party);
}
