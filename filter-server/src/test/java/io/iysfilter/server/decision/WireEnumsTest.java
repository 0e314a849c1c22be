package io.iysfilter.server.decision;

import io.iysfilter.protocol.Verdicts;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The domain enums and the SBE enums generated from the schema are one contract, bound by one table (each domain
 * constant names its wire twin). Checked both ways, for every constant: a domain constant has a twin of the same
 * name and code and is found again by that code; a wire constant is the twin of exactly one domain constant, except
 * the two SBE adds ({@code SBE_UNKNOWN}, {@code NULL_VAL}), which map to nothing; and no other code maps.
 */
class WireEnumsTest
{
    private static final String SBE_UNKNOWN = "SBE_UNKNOWN";
    private static final String NULL_VAL = "NULL_VAL";

    @Test
    void shouldBindEveryChannelToItsWireTwinBothWays()
    {
        assertOneTable(Channel.values(), io.iysfilter.protocol.codecs.Channel.values(), Channel::wire,
            io.iysfilter.protocol.codecs.Channel::value, Channel::code, Channel::fromCode);
        for (final io.iysfilter.protocol.codecs.Channel wire : io.iysfilter.protocol.codecs.Channel.values())
        {
            final Channel twin = Channel.fromWire(wire);
            assertSame(isAddedBySbe(wire) ? null : Channel.valueOf(wire.name()), twin, wire.name());
        }
    }

    @Test
    void shouldBindEveryRecipientTypeToItsWireTwinBothWays()
    {
        assertOneTable(RecipientType.values(), io.iysfilter.protocol.codecs.RecipientType.values(),
            RecipientType::wire, io.iysfilter.protocol.codecs.RecipientType::value, RecipientType::code,
            RecipientType::fromCode);
        for (final io.iysfilter.protocol.codecs.RecipientType wire :
            io.iysfilter.protocol.codecs.RecipientType.values())
        {
            final RecipientType twin = RecipientType.fromWire(wire);
            assertSame(isAddedBySbe(wire) ? null : RecipientType.valueOf(wire.name()), twin, wire.name());
        }
    }

    @Test
    void shouldBindEveryMessageKindToItsWireTwinBothWays()
    {
        assertOneTable(MessageKind.values(), io.iysfilter.protocol.codecs.MessageKind.values(), MessageKind::wire,
            io.iysfilter.protocol.codecs.MessageKind::value, MessageKind::code, MessageKind::fromCode);
    }

    @Test
    void shouldBindEveryReasonToItsWireTwinBothWays()
    {
        final Reason[] reasons = Reason.values();
        assertOneTable(reasons, io.iysfilter.protocol.codecs.Reason.values(), Reason::wire,
            io.iysfilter.protocol.codecs.Reason::value, (reason) -> reason.wire().value(), (code) ->
            {
                for (final Reason reason : reasons)
                {
                    if (reason.wire().value() == code)
                    {
                        return reason;
                    }
                }
                return null;
            });
    }

    @Test
    void shouldGiveEveryReasonTheVerdictOfTheProtocolsRule()
    {
        for (final Reason reason : Reason.values())
        {
            final io.iysfilter.protocol.codecs.Verdict verdict = Verdicts.verdictOf(reason.wire());
            assertEquals(verdict == io.iysfilter.protocol.codecs.Verdict.ALLOW, reason.allows(), reason.name());
            assertEquals(verdict.name(), reason.verdict(), reason.name());
        }
        assertEquals(List.of(Reason.CONSENT, Reason.EXEMPT, Reason.TACIR_NO_RECORD, Reason.DEALER_ACCESS),
            List.of(Reason.values()).stream().filter(Reason::allows).toList(), "the reasons that allow");
    }

    @Test
    void shouldAnswerNullForAnUnknownRawCode()
    {
        for (final int code : new int[] {-1, 4, 255, 256, Integer.MAX_VALUE, Integer.MIN_VALUE})
        {
            assertNull(Channel.fromCode(code), "channel " + code);
            assertNull(RecipientType.fromCode(code), "recipient type " + code);
            assertNull(MessageKind.fromCode(code), "message kind " + code);
        }
        assertNull(Channel.fromCode(0), "channel 0 is not a channel");
        assertNull(MessageKind.fromCode(2));
        assertNull(RecipientType.fromCode(3));
    }

    private static <D extends Enum<D>, W extends Enum<W>> void assertOneTable(
        final D[] domain,
        final W[] wire,
        final Function<D, W> twinOf,
        final ToIntFunction<W> wireCode,
        final ToIntFunction<D> domainCode,
        final IntFunction<D> byCode)
    {
        // domain -> wire: a twin of the same name and code, found again by that code
        for (final D constant : domain)
        {
            final W twin = twinOf.apply(constant);
            assertNotNull(twin, constant.name());
            assertEquals(constant.name(), twin.name(), "names");
            assertEquals(wireCode.applyAsInt(twin), domainCode.applyAsInt(constant), constant.name() + " code");
            assertSame(constant, byCode.apply(domainCode.applyAsInt(constant)), constant.name() + " by code");
        }

        // wire -> domain: every wire constant but the two SBE adds is the twin of exactly one domain constant
        final List<String> unmapped = new ArrayList<>();
        for (final W constant : wire)
        {
            final List<D> twins = new ArrayList<>();
            for (final D candidate : domain)
            {
                if (twinOf.apply(candidate) == constant)
                {
                    twins.add(candidate);
                }
            }
            if (isAddedBySbe(constant))
            {
                assertEquals(List.of(), twins, constant.name() + " is SBE's own and must map to nothing");
                assertNull(byCode.apply(wireCode.applyAsInt(constant)), constant.name() + " by code");
            }
            else if (twins.size() != 1)
            {
                unmapped.add(constant.name() + " -> " + twins);
            }
            else
            {
                assertSame(twins.get(0), byCode.apply(wireCode.applyAsInt(constant)), constant.name() + " by code");
            }
        }
        assertEquals(List.of(), unmapped, "wire constants without exactly one domain twin");
        assertEquals(wire.length - 2, domain.length, "one domain constant per wire constant but the SBE adds");

        // no raw code maps to anything but the constant of that code
        int mapped = 0;
        for (int code = 0; code <= 255; code++)
        {
            final D constant = byCode.apply(code);
            if (constant != null)
            {
                assertEquals(code, domainCode.applyAsInt(constant), "code " + code);
                mapped++;
            }
        }
        assertEquals(domain.length, mapped, "codes that map");
    }

    private static boolean isAddedBySbe(final Enum<?> wire)
    {
        return SBE_UNKNOWN.equals(wire.name()) || NULL_VAL.equals(wire.name());
    }
}
