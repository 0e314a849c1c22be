package io.iysfilter.client;

/**
 * What the server said in WELCOME.
 *
 * @param protocolVersion  schema version the server encodes with.
 * @param maxFrameLength   largest frame it accepts.
 * @param maxBatchEntries  most entries in one batch.
 * @param maxAddressLength longest recipient address.
 * @param serverName       product and version.
 */
public record ServerInfo(
    int protocolVersion, long maxFrameLength, long maxBatchEntries, long maxAddressLength, String serverName)
{
}
