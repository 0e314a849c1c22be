package io.iysfilter.server.decision;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RecipientParserTest
{
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient parsed = new ParsedRecipient();

    @ParameterizedTest
    @ValueSource(strings = {
        "05321234567", "5321234567", "905321234567", "+905321234567", "+90 532 123 45 67", "0 (532) 123-45-67",
        "  +90-532-123-45-67\t", "00905321234567", "0532.123.45.67"})
    void shouldNormaliseEveryTurkishFormToE164(final String text)
    {
        assertEquals(ParsedRecipient.PHONE, parser.parse(text, parsed));
        assertEquals(905_321_234_567L, parsed.phoneDigits());
        assertEquals("+905321234567", parsed.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"+4915112345678", "004915112345678"})
    void shouldKeepForeignE164Numbers(final String text)
    {
        assertEquals(ParsedRecipient.PHONE, parser.parse(text, parsed));
        assertEquals(4_915_112_345_678L, parsed.phoneDigits());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "   ", "12345", "532123456", "053212345678", "+90532123456", "+9005321234567", "00321234",
        "+", "++905321234567", "90532123456a", "5321234567+", "+0123456789", "0532 123 45 67 8", "05021234567x",
        "+1234567", "+1234567890123456", "1905321234567"})
    void shouldRefuseWhatIsNotAPhone(final String text)
    {
        assertEquals(ParsedRecipient.INVALID, parser.parse(text, parsed), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ali@example.com.tr", " Ali@Example.COM.TR ", "ALI@EXAMPLE.COM.TR\n"})
    void shouldTrimAndLowerCaseEmail(final String text)
    {
        assertEquals(ParsedRecipient.EMAIL, parser.parse(text, parsed));
        assertEquals("ali@example.com.tr", parsed.toString());
        assertEquals("ali@example.com.tr".length(), parsed.emailLength());
    }

    @ParameterizedTest
    @ValueSource(strings = {"first.last+promo@sub.example.org", "o'brien@example.ie", "x_y-z@a-b.co"})
    void shouldAcceptUsualEmailForms(final String text)
    {
        assertEquals(ParsedRecipient.EMAIL, parser.parse(text, parsed), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "@example.com", "ali@", "ali@localhost", "ali@@example.com", "a@b@example.com", "ali veli@example.com",
        ".ali@example.com", "ali.@example.com", "a..li@example.com", "ali@example..com", "ali@-example.com",
        "ali@example.com-", "ayşe@example.com", "ali@exam_ple.com", "ali@.example.com", "ali(x)@example.com"})
    void shouldRefuseWhatIsNotAnEmail(final String text)
    {
        assertEquals(ParsedRecipient.INVALID, parser.parse(text, parsed), text);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 65})
    void shouldLimitTheLocalPartTo64(final int length)
    {
        final int kind = parser.parse("a".repeat(length) + "@example.com", parsed);
        assertEquals(length <= 64 ? ParsedRecipient.EMAIL : ParsedRecipient.INVALID, kind);
    }

    @ParameterizedTest
    @ValueSource(ints = {254, 255})
    void shouldLimitTheAddressTo254Bytes(final int length)
    {
        final String address = "a@" + "b".repeat(length - 6) + ".com";
        assertEquals(length, address.length());
        final int kind = parser.parse(address, parsed);
        assertEquals(length <= 254 ? ParsedRecipient.EMAIL : ParsedRecipient.INVALID, kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", "\t", "\r\n", "\n"})
    void shouldCountBlanksAgainstThe254BytesAsSent(final String blank)
    {
        final String address = "a@" + "b".repeat(248) + ".com";
        assertEquals(254, address.length());
        assertEquals(ParsedRecipient.EMAIL, parser.parse(address, parsed));
        assertEquals(ParsedRecipient.INVALID, parser.parse(blank + address, parsed),
            "more than 254 bytes as sent is refused before trimming, as a length byte of 255 is on the wire");
        final UnsafeBuffer wire = new UnsafeBuffer((address + blank).getBytes(StandardCharsets.US_ASCII));
        assertEquals(ParsedRecipient.INVALID, parser.parse(wire, 0, wire.capacity(), parsed));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\t05321234567", "05321234567\t", "\r\n05321234567\r\n", " \t 05321234567 \n", "\tali@example.com.tr",
        "ali@example.com.tr\r\n", " \t\r\nali@example.com.tr"})
    void shouldTrimSpaceTabCrAndLfAtTheEnds(final String text)
    {
        final int kind = parser.parse(text, parsed);
        assertEquals(text.contains("@") ? ParsedRecipient.EMAIL : ParsedRecipient.PHONE, kind, text);
        assertEquals(text.contains("@") ? "ali@example.com.tr" : "+905321234567", parsed.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\u000005321234567", "05321234567\u0000", "0532\u00001234567", "0532\t1234567", "0532\n1234567",
        "\u000b05321234567", "\f05321234567", "05321234567\u007f", "\u007f05321234567", "\u00a005321234567",
        "ali@example.com.tr\u0000", "ali\u0000@example.com.tr", "ali@exam\u0000ple.com.tr", "\u0000ali@example.com.tr",
        "ali\t@example.com.tr", "ali@example.com.tr\u007f", "ali\u007f@example.com.tr", "\u000bali@example.com.tr",
        "ali@example.com.tr\f", "\u001bali@example.com.tr", "ali@example.com.tr\u0085", "\u00a0ali@example.com.tr"})
    void shouldRefuseAnyOtherControlCharacterAnywhereAndBlanksInside(final String text)
    {
        assertEquals(ParsedRecipient.INVALID, parser.parse(text, parsed), text);
        final byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)text.charAt(i);
        }
        assertEquals(ParsedRecipient.INVALID, parser.parse(new UnsafeBuffer(bytes), 0, bytes.length, parsed),
            "the same from the wire's bytes");
    }
}
