package io.iysfilter.server.binary;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The domain enums and the wire enums are two definitions of one contract: names and codes must match, and a
 * reason's verdict must be the one docs/PROTOCOL.md promises (codes below 16 allow).
 */
class WireEnumsTest
{
    @Test
    void everyReasonHasTheWireCodeOfItsName()
    {
        for (final Reason reason : Reason.values())
        {
            final io.iysfilter.protocol.codecs.Reason wire =
                io.iysfilter.protocol.codecs.Reason.get((short)reason.code());
            assertEquals(reason.name(), wire.name());
            assertEquals(reason.allows(), reason.code() < 16, reason.name());
        }
        assertEquals(Reason.values().length, io.iysfilter.protocol.codecs.Reason.values().length - 2,
            "every wire reason but SBE_UNKNOWN and NULL_VAL has a domain twin");
    }

    @Test
    void channelsTypesAndKindsShareTheirCodes()
    {
        for (final io.iysfilter.protocol.codecs.Channel wire : io.iysfilter.protocol.codecs.Channel.values())
        {
            if (wire.ordinal() < 3)
            {
                assertSame(Channel.valueOf(wire.name()), Channel.fromCode(wire.value()));
            }
        }
        for (final io.iysfilter.protocol.codecs.RecipientType wire :
            io.iysfilter.protocol.codecs.RecipientType.values())
        {
            if (wire.ordinal() < 3)
            {
                assertSame(RecipientType.valueOf(wire.name()), RecipientType.fromCode(wire.value()));
            }
        }
        for (final io.iysfilter.protocol.codecs.MessageKind wire : io.iysfilter.protocol.codecs.MessageKind.values())
        {
            if (wire.ordinal() < 2)
            {
                assertSame(MessageKind.valueOf(wire.name()), MessageKind.fromCode(wire.value()));
            }
        }
    }
}
