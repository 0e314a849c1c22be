package io.iysfilter.client;

import io.iysfilter.protocol.Limits;

/**
 * What the server said in WELCOME. Its limits are uint32s on the wire, with room to grow; what they mean at this
 * schema version is what the {@code effective...} methods give, each at most what the wire can carry, and this
 * version's published limit where the server announced 0 (docs/PROTOCOL.md §6); {@link FilterClient} holds its
 * requests to those.
 *
 * @param protocolVersion  schema version the server encodes with.
 * @param maxFrameLength   largest frame it accepts, as announced.
 * @param maxBatchEntries  most entries in one batch, as announced.
 * @param maxAddressLength longest recipient address, as announced.
 * @param serverName       product and version.
 */
public record ServerInfo(
    int protocolVersion, long maxFrameLength, long maxBatchEntries, long maxAddressLength, String serverName)
{
    /**
     * @return the longest recipient the client sends to this server: the announced length, at most 254 (the
     * uint8 length prefix).
     */
    public int effectiveMaxAddressLength()
    {
        return Limits.effective(announced(maxAddressLength, Limits.MAX_ADDRESS_LENGTH), Limits.MAX_ADDRESS_LENGTH);
    }

    /**
     * @return the most entries the client puts in one batch for this server: the announced count, at most 65,534
     * (the group's uint16 count).
     */
    public int effectiveMaxBatchEntries()
    {
        return Limits.effective(announced(maxBatchEntries, Limits.MAX_BATCH_ENTRIES), Limits.WIRE_MAX_GROUP_ENTRIES);
    }

    /**
     * @return the largest frame the client sends to this server: the announced length, at most what one Java
     * buffer holds.
     */
    public int effectiveMaxFrameLength()
    {
        return Limits.effective(announced(maxFrameLength, Limits.MAX_FRAME_LENGTH), Limits.WIRE_MAX_FRAME_LENGTH);
    }

    /**
     * A limit of 0 is no limit announced (a server that leaves the field unset): this version's published one holds.
     */
    private static long announced(final long value, final int published)
    {
        return value == 0 ? published : value;
    }
}
