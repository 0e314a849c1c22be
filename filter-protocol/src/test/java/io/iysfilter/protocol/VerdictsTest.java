package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.Verdict;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerdictsTest
{
    /** The reasons docs/PROTOCOL.md lists with ALLOW; every other one denies. */
    private static final Set<Reason> ALLOWING = EnumSet.of(Reason.CONSENT, Reason.EXEMPT, Reason.TACIR_NO_RECORD,
        Reason.DEALER_ACCESS);

    @Test
    void shouldAllowOnlyTheAllowingReasonsAndDenyTheValuesSbeAdds()
    {
        for (final Reason reason : Reason.values())
        {
            final Verdict expected = ALLOWING.contains(reason) ? Verdict.ALLOW : Verdict.DENY;
            assertEquals(expected, Verdicts.verdictOf(reason), reason.name());
            assertEquals(expected == Verdict.ALLOW, Verdicts.allows(reason.value()), reason.name());
        }
        assertEquals(Verdict.DENY, Verdicts.verdictOf(Reason.SBE_UNKNOWN));
        assertEquals(Verdict.DENY, Verdicts.verdictOf(Reason.NULL_VAL));
    }

    @Test
    void shouldAllowExactlyTheCodesOneToFifteenWhetherKnownOrNot()
    {
        for (int code = 0; code <= 255; code++)
        {
            assertEquals(code >= 1 && code <= 15, Verdicts.allows(code), "code " + code);
        }
        assertTrue(Verdicts.allows(Verdicts.FIRST_DENY_REASON - 1));
        assertFalse(Verdicts.allows(Verdicts.FIRST_DENY_REASON));
        assertFalse(Verdicts.allows(-1), "a negative code is no reason: deny");
        assertFalse(Verdicts.allows(Integer.MIN_VALUE));
        assertFalse(Verdicts.allows(Integer.MAX_VALUE));
    }
}
