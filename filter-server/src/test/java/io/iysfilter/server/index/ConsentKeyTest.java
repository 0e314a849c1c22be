package io.iysfilter.server.index;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key and value bytes are the index's on-disk format: existing brand directories are read with keys derived
 * today. The expected words were computed by the code that wrote those directories (before readers and the writer
 * shared {@link ConsentKey}); any change to them means a rebuild, not a refactoring.
 */
class ConsentKeyTest
{
    private static final long SEED = 0x1234_5678_9ABC_DEF0L;

    private final ConsentKey key = new ConsentKey();
    private final ParsedRecipient recipient = new ParsedRecipient();

    @Test
    void shouldDerivePhoneKeysAsExistingIndexesHoldThem()
    {
        key.set(SEED, Channel.MESAJ, RecipientType.TACIR, recipient.phone(905_321_234_567L));
        assertTrue(key.isPhone());
        assertEquals(0xA00000D2C959C087L, key.phoneKey().getValue());

        key.set(SEED, Channel.ARAMA, RecipientType.BIREYSEL, recipient.phone(905_321_234_567L));
        assertEquals(0x400000D2C959C087L, key.phoneKey().getValue());
    }

    @Test
    void shouldDeriveEmailKeysAsExistingIndexesHoldThem()
    {
        new RecipientParser().parse(" Ali@Example.COM", recipient);

        key.set(SEED, Channel.EPOSTA, RecipientType.BIREYSEL, recipient);
        assertFalse(key.isPhone());
        assertEquals(0x262A36755C1C805AL, key.emailKey().getHigh());
        assertEquals(0xED44E7049285E13DL, key.emailKey().getLow());

        key.set(SEED, Channel.EPOSTA, RecipientType.TACIR, recipient);
        assertEquals(0x262A36755C1C805AL, key.emailKey().getHigh());
        assertEquals(0xED44E7049285E13EL, key.emailKey().getLow());
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
