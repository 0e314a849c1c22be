package io.iysfilter.server.http;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.RecipientType;

import java.util.List;
import java.util.Map;

/**
 * The query parameters every HTTP decision takes, validated once: {@code brand} and {@code channel} required,
 * {@code recipientType} (absent: UNSPECIFIED), {@code kind} (absent: COMMERCIAL) and {@code dealer} (an İYS dealer
 * number; absent: the brand itself sends) optional.
 *
 * @param brandCode the brand, or -1 when invalid.
 * @param channel   the channel, or null when invalid.
 * @param type      the recipient type, or null when invalid.
 * @param kind      the kind, or null when invalid.
 * @param dealerCode the dealer that sends, 0 when none ({@link ConsentFilter#NO_DEALER}), -1 when invalid.
 * @param problem   null when all are valid, else what is wrong with the first bad one, naming it.
 */
record DecisionParameters(
    long brandCode, Channel channel, RecipientType type, MessageKind kind, long dealerCode, String problem)
{
    static DecisionParameters parse(final Map<String, List<String>> parameters)
    {
        final String brandText = first(parameters, "brand");
        final String channelText = first(parameters, "channel");
        final String typeText = first(parameters, "recipientType");
        final String kindText = first(parameters, "kind");
        final String dealerText = first(parameters, "dealer");
        final long brandCode = parseCode(brandText);
        final Channel channel = channelText == null ? null : Channel.fromName(channelText);
        final RecipientType type = typeText == null ? RecipientType.UNSPECIFIED : RecipientType.fromName(typeText);
        final MessageKind kind = kindText == null ? MessageKind.COMMERCIAL : MessageKind.fromName(kindText);
        final long dealerCode = dealerText == null ? ConsentFilter.NO_DEALER : parseCode(dealerText);
        final String problem = brandCode < 0 ? "brand: '" + brandText + "' (expected: an İYS brand code, 1.." +
            0xFFFF_FFFFL + ")" :
            channel == null ? "channel: '" + channelText + "' (expected: ARAMA, MESAJ or EPOSTA)" :
            type == null ? "recipientType: '" + typeText + "' (expected: BIREYSEL or TACIR)" :
            kind == null ? "kind: '" + kindText + "' (expected: COMMERCIAL or TRANSACTIONAL)" :
            dealerCode < 0 ? "dealer: '" + dealerText + "' (expected: an İYS dealer number, 1.." + 0xFFFF_FFFFL +
            ", or no dealer parameter when the brand sends)" : null;
        return new DecisionParameters(brandCode, channel, type, kind, dealerCode, problem);
    }

    /**
     * @param text digits.
     * @return the number, 1..2^32-1, or -1 when the text is not one.
     */
    static long parseCode(final String text)
    {
        if (text == null || text.isEmpty() || text.length() > 10)
        {
            return -1;
        }
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) < '0' || text.charAt(i) > '9')
            {
                return -1;
            }
        }
        final long value = Long.parseLong(text);
        return value >= 1 && value <= 0xFFFF_FFFFL ? value : -1;
    }

    static String first(final Map<String, List<String>> parameters, final String name)
    {
        final List<String> values = parameters.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
