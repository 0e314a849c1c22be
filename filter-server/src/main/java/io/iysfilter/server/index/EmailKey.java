package io.iysfilter.server.index;

import net.openhft.chronicle.values.Group;

/**
 * An e-mail key as Chronicle stores it: the two 64-bit words of {@link ConsentKeyDescriptor}'s e-mail layout.
 * A Chronicle Values interface, reused by its owning thread.
 */
public interface EmailKey
{
    /**
     * @return h1 of the address's hash.
     */
    @Group(0)
    long getHigh();

    /**
     * @param high h1.
     */
    void setHigh(long high);

    /**
     * @return h2 of the address's hash with the recipient type in its low 2 bits.
     */
    @Group(1)
    long getLow();

    /**
     * @param low h2 with the recipient type.
     */
    void setLow(long low);
}
