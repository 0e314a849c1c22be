package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.CheckBatchEncoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseEncoder;
import io.iysfilter.protocol.codecs.GroupSizeEncodingEncoder;
import io.iysfilter.protocol.codecs.VarAsciiEncodingEncoder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitsTest
{
    @Test
    void shouldTakeTheAddressLimitFromTheSchemasVarAsciiLength()
    {
        assertEquals(254, Limits.MAX_ADDRESS_LENGTH);
        assertEquals(VarAsciiEncodingEncoder.lengthMaxValue(), Limits.MAX_ADDRESS_LENGTH);
    }

    @Test
    void shouldFitTheLargestCheckBatchAndItsResponseInOneFrame()
    {
        final int largestRequest = FrameDescriptor.MESSAGE_OFFSET + CheckBatchEncoder.BLOCK_LENGTH +
            GroupSizeEncodingEncoder.ENCODED_LENGTH + Limits.MAX_BATCH_ENTRIES *
            (CheckBatchEncoder.EntriesEncoder.sbeBlockLength() + 1 + Limits.MAX_ADDRESS_LENGTH);
        final int largestResponse = FrameDescriptor.MESSAGE_OFFSET + CheckBatchResponseEncoder.BLOCK_LENGTH +
            GroupSizeEncodingEncoder.ENCODED_LENGTH +
            Limits.MAX_BATCH_ENTRIES * CheckBatchResponseEncoder.ResultsEncoder.sbeBlockLength();
        assertTrue(largestRequest <= Limits.MAX_FRAME_LENGTH, "largest CHECK_BATCH: " + largestRequest);
        assertTrue(largestResponse <= Limits.MAX_FRAME_LENGTH, "largest CHECK_BATCH_RESPONSE: " + largestResponse);
    }
}
