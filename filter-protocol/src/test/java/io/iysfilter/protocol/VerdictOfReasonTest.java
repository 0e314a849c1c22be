package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VerdictOfReasonTest
{
    @Test
    void onlyTheAllowingReasonsAllowAndAnUnknownReasonDenies()
    {
        for (final Reason reason : Reason.values())
        {
            final boolean allows = reason == Reason.CONSENT || reason == Reason.EXEMPT ||
                reason == Reason.TACIR_NO_RECORD;
            assertEquals(allows ? Verdict.ALLOW : Verdict.DENY, FrameDescriptor.verdictOf(reason), reason.name());
        }
    }
}
