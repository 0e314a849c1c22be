package io.iysfilter.server.decision;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
}
