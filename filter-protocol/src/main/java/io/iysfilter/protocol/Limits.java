package io.iysfilter.protocol;

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

    private Limits()
    {
    }
}
