/**
 * Decision receipts: the journal of every decision the server gives (docs/RECEIPTS.md). The queue the deciders
 * record into, the decision ids, the journal on disk and its hash chain, verification and search.
 */
package io.iysfilter.server.receipts;
