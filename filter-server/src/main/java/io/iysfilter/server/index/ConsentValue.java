package io.iysfilter.server.index;

import net.openhft.chronicle.values.Group;

/**
 * A consent value as Chronicle stores it: two 64-bit words, word0 first (see {@link ConsentValueDescriptor} for
 * what the bits mean). A Chronicle Values interface: instances come from {@code Values.newHeapInstance}, are reused
 * by their owning thread, and let lookups and updates run without allocating.
 */
public interface ConsentValue
{
    /**
     * @return word0: creationSec and the high digest bits.
     */
    @Group(0)
    long getWord0();

    /**
     * @param word0 word0.
     */
    void setWord0(long word0);

    /**
     * @return word1: low digest bits, status, consentSec, source, flags.
     */
    @Group(1)
    long getWord1();

    /**
     * @param word1 word1.
     */
    void setWord1(long word1);
}
