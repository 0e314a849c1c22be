package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key and value bytes are the index's on-disk format (format 2): existing brand directories are read with keys
 * derived today. The expected keyed words under the tests' key were computed by an independent implementation of
 * HMAC-SHA-256, Speck64/128 and SipHash-2-4-128 (Python, checked against the same published vectors as
 * {@link Speck64Test} and {@link SipHashTest}); any change to them means a re-import, not a refactoring.
 */
class ConsentKeyTest
{
    private static final long BRAND = 600_001;

    private final BrandKeys keys = TestKeys.KEY.brandKeys(BRAND);
    private final ConsentKey key = new ConsentKey();
    private final ParsedRecipient recipient = new ParsedRecipient();

    @Test
    void shouldPackPhoneKeysAsBefore()
    {
        assertEquals(0xA00000D2C959C087L,
            ConsentKeyDescriptor.phoneKey(Channel.MESAJ, RecipientType.TACIR, 905_321_234_567L));
        assertEquals(0x400000D2C959C087L,
            ConsentKeyDescriptor.phoneKey(Channel.ARAMA, RecipientType.BIREYSEL, 905_321_234_567L));
    }

    @Test
    void shouldStorePhoneKeysPermutedUnderTheBrandsKey()
    {
        key.set(keys, Channel.MESAJ, RecipientType.TACIR, recipient.phone(905_321_234_567L));
        assertTrue(key.isPhone());
        assertEquals(0xbd6028a88006d027L, key.phoneKey().getValue());
        assertEquals(0xA00000D2C959C087L, keys.unpermutePhone(key.phoneKey().getValue()), "inverted with the key");

        key.set(keys, Channel.ARAMA, RecipientType.BIREYSEL, recipient.phone(905_321_234_567L));
        assertEquals(0x82c0db7c8513b31fL, key.phoneKey().getValue());
    }

    @Test
    void shouldDeriveEmailKeysWithTheBrandsKeyedHash()
    {
        new RecipientParser().parse(" Ali@Example.COM", recipient);

        key.set(keys, Channel.EPOSTA, RecipientType.BIREYSEL, recipient);
        assertFalse(key.isPhone());
        assertEquals(0x172cf20bb11720aeL, key.emailKey().getHigh());
        assertEquals(0xa9cf93bed7a5aa75L, key.emailKey().getLow());

        key.set(keys, Channel.EPOSTA, RecipientType.TACIR, recipient);
        assertEquals(0x172cf20bb11720aeL, key.emailKey().getHigh());
        assertEquals(0xa9cf93bed7a5aa76L, key.emailKey().getLow());
    }

    @Test
    void shouldDeriveUnrelatedKeysPerBrandAndPerKey()
    {
        key.set(keys, Channel.MESAJ, RecipientType.TACIR, recipient.phone(905_321_234_567L));
        final long brandOne = key.phoneKey().getValue();
        key.set(TestKeys.KEY.brandKeys(BRAND + 1), Channel.MESAJ, RecipientType.TACIR,
            recipient.phone(905_321_234_567L));
        assertNotEquals(brandOne, key.phoneKey().getValue());
        key.set(IndexKey.generate().brandKeys(BRAND), Channel.MESAJ, RecipientType.TACIR,
            recipient.phone(905_321_234_567L));
        assertNotEquals(brandOne, key.phoneKey().getValue());
    }

    @Test
    void shouldKeepTheKeyCheckValueOfTheFormat()
    {
        assertEquals("4d0519bafc220981abf077c01e5ecd7a", TestKeys.KEY.checkValue(BRAND));
    }

    @Test
    void shouldPackValuesAsExistingIndexesHoldThem()
    {
        final ConsentChange change = new ConsentChange().set(600_001, Channel.MESAJ, RecipientType.BIREYSEL,
            recipient.phone(905_321_234_567L), 2, 1_735_725_600L, 1_577_836_800L, 3, 0xABCDEF012345L, 1);
        assertEquals(0x67751220ABCDEF01L, change.word0());
        assertEquals(0x23459782F84000C1L, change.word1());
        assertEquals(0xABCDEF012345L, ConsentValueDescriptor.txDigest(change.word0(), change.word1()));
        assertEquals(3, ConsentValueDescriptor.source(change.word1()));
    }
}
