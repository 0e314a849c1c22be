package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.GroupSizeEncodingDecoder;
import io.iysfilter.protocol.codecs.VarAsciiEncodingDecoder;

/**
 * The protocol's limits, the ones the server announces in WELCOME. They are part of the contract, not of the
 * framing: the framing ({@link FrameDescriptor}, the endpoints, the client) checks against them and the decision
 * domain sizes its buffers by them, each reading this class; nothing here depends on either.
 */
public final class Limits
{
    /**
     * Longest recipient address in bytes: the most a {@code varAsciiEncoding} length may say in the schema (its
     * {@code maxValue}), which is also the longest e-mail path RFC 5321 allows.
     */
    public static final int MAX_ADDRESS_LENGTH = VarAsciiEncodingDecoder.lengthMaxValue();
    /** Most entries in one CHECK_BATCH, as İYS's own bulk limit. */
    public static final int MAX_BATCH_ENTRIES = 1000;
    /** Largest frame the server accepts: any CHECK_BATCH within the batch and address limits fits. */
    public static final int MAX_FRAME_LENGTH = 256 * 1024;
    /**
     * Most entries a group can carry at this schema version: {@code numInGroup} is a uint16 whose top value, 65,535,
     * is SBE's null value. WELCOME's {@code maxBatchEntries} is a uint32 with room to grow; at this version it means
     * at most this.
     */
    public static final int WIRE_MAX_GROUP_ENTRIES = GroupSizeEncodingDecoder.numInGroupMaxValue();
    /**
     * Longest frame a receiver in Java can hold: {@code frameLength} is a uint32, but a frame is decoded from one
     * buffer indexed by an int.
     */
    public static final int WIRE_MAX_FRAME_LENGTH = Integer.MAX_VALUE - 8;

    private Limits()
    {
    }

    /**
     * What a limit announced in WELCOME means to a sender: WELCOME's limits are uint32s, wider than what the wire
     * can carry at this version, so a value above the wire's bound means the bound (a server announcing a
     * {@code maxAddressLength} of 1,000 still gets no address longer than 254 bytes).
     *
     * @param announced the uint32 from WELCOME, as an unsigned value in a long.
     * @param wireBound the most the wire can carry: {@link #MAX_ADDRESS_LENGTH}, {@link #WIRE_MAX_GROUP_ENTRIES}
     *                  or {@link #WIRE_MAX_FRAME_LENGTH}.
     * @return the announced value, at most the bound and at least 0.
     */
    public static int effective(final long announced, final int wireBound)
    {
        return (int)Math.max(0, Math.min(announced, wireBound));
    }
}
