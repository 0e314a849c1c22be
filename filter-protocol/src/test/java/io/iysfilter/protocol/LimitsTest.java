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

    @Test
    void shouldBoundWelcomesWiderLimitsByWhatTheWireCarries()
    {
        assertEquals(65_534, Limits.WIRE_MAX_GROUP_ENTRIES, "numInGroup is a uint16 and 65,535 is its null value");
        assertEquals(254, Limits.effective(1_000, Limits.MAX_ADDRESS_LENGTH));
        assertEquals(100, Limits.effective(100, Limits.MAX_ADDRESS_LENGTH), "a smaller announced limit holds");
        assertEquals(65_534, Limits.effective(0xFFFF_FFFFL, Limits.WIRE_MAX_GROUP_ENTRIES));
        assertEquals(Limits.MAX_BATCH_ENTRIES, Limits.effective(Limits.MAX_BATCH_ENTRIES,
            Limits.WIRE_MAX_GROUP_ENTRIES));
        assertEquals(Integer.MAX_VALUE - 8, Limits.effective(0xFFFF_FFFFL, Limits.WIRE_MAX_FRAME_LENGTH));
        assertEquals(0, Limits.effective(-1, Limits.MAX_ADDRESS_LENGTH));
    }
}
