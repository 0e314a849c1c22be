package io.iysfilter.server.optout;

/**
 * What the replay of the opt-out logs into the index found at start.
 *
 * @param brands      brands whose log was read.
 * @param records     whole records read.
 * @param reapplied   records the index did not hold (lost with pages not on disk at a power cut), applied again.
 * @param held        records the index already held, or held something newer for.
 * @param dropped     records or bytes set aside: torn tails truncated, corrupt lines dropped (counted once each).
 */
public record OptOutReplay(int brands, long records, long reapplied, long held, long dropped)
{
}
