package io.iysfilter.server.logging;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RecipientsTest
{
    @AfterEach
    void maskAgain()
    {
        Recipients.logWhole(false);
    }

    @Test
    void shouldMaskPhoneNumbersInEachCommonForm()
    {
        assertEquals("+90532*****67", Recipients.mask("+905321234567"));
        assertEquals("90532*****67", Recipients.mask("905321234567"));
        assertEquals("0532*****67", Recipients.mask("05321234567"));
        assertEquals("532*****67", Recipients.mask("5321234567"));
        assertEquals("*****67", Recipients.mask("1234567"));
    }

    @Test
    void shouldMaskEmailAddressesToTheirFirstCharacterAndDomain()
    {
        assertEquals("a***@example.com", Recipients.mask("ayse@example.com"));
        assertEquals("A***@Example.COM", Recipients.mask(" Ali.Veli@Example.COM "));
        assertEquals("***@example.com", Recipients.mask("@example.com"));
    }

    @Test
    void shouldMaskWhatDidNotParseToItsEnds()
    {
        assertEquals("n*********e", Recipients.mask("not a phone"));
        assertEquals("**", Recipients.mask("ab"));
        assertEquals(null, Recipients.mask(null));
    }

    @Test
    void shouldMaskEveryRecipientInFreeTextAndLeaveTheRest()
    {
        final String tx = "0123456789abcdef".repeat(4);
        assertEquals("{recipient=+90532*****67, transactionId=" + tx + ", note=a***@example.com.tr, n=42}",
            Recipients.maskText("{recipient=+905321234567, transactionId=" + tx +
                ", note=ayse@example.com.tr, n=42}"));
        assertEquals("invalid recipient: '0532*****67'", Recipients.maskText("invalid recipient: '05321234567'"));
    }

    @Test
    void shouldLogRecipientsWholeWhenAskedTo()
    {
        Recipients.logWhole(true);
        assertEquals("+905321234567", Recipients.mask("+905321234567"));
        assertEquals("x ayse@example.com", Recipients.maskText("x ayse@example.com"));
    }
}
