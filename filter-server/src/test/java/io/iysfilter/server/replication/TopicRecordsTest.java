package io.iysfilter.server.replication;

import io.iysfilter.server.index.ConsentChange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicRecordsTest
{
    private static final long BRAND = 600_001;

    private final TopicRecords records = new TopicRecords();

    @Test
    void aConsentRecordRoundTripsIntoAKeyedChange()
    {
        final ConsentChange applied = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_EMAIL, -7L, 42L, 11L, 12L);
        final byte[] key = records.consentKey(applied);
        final byte[] value = records.consentValue(applied);
        assertEquals(TopicRecords.KEY_LENGTH, key.length);
        assertEquals(35, key.length, "header 8 + kind 1 + brand 8 + key kind 1 + source 1 + two words 16");

        assertEquals(TopicRecords.CONSENT, records.decode(key, value));
        final ConsentChange replica = records.fill(new ConsentChange());
        assertTrue(replica.keyed());
        assertEquals(BRAND, replica.brandCode());
        assertEquals(ConsentChange.KEY_EMAIL, replica.keyKind());
        assertEquals(-7L, replica.key0());
        assertEquals(42L, replica.key1());
        assertEquals(11L, replica.word0());
        assertEquals(12L, replica.word1());
    }

    @Test
    void aPhoneKeyHasNoSecondWordWhateverTheChangeHeld()
    {
        final ConsentChange applied = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 99L, 1L, 2L);
        final byte[] key = records.consentKey(applied);
        assertArrayEquals(key, records.consentKey(BRAND, ConsentChange.KEY_PHONE, 5L, 0L));
        assertEquals(TopicRecords.CONSENT, records.decode(key, records.consentValue(applied)));
        assertEquals(0L, records.key1());
    }

    @Test
    void oneConsentHasOneKeyAndDistinctConsentsDistinctKeys()
    {
        assertArrayEquals(records.consentKey(BRAND, ConsentChange.KEY_PHONE, 5L, 0L),
            records.consentKey(BRAND, ConsentChange.KEY_PHONE, 5L, 0L));
        assertFalse(Arrays.equals(records.consentKey(BRAND, ConsentChange.KEY_PHONE, 5L, 0L),
            records.consentKey(BRAND + 1, ConsentChange.KEY_PHONE, 5L, 0L)));
        assertFalse(Arrays.equals(records.cursorKey(BRAND, TopicRecords.SOURCE_HS),
            records.cursorKey(BRAND, TopicRecords.SOURCE_IYS)));
        assertFalse(Arrays.equals(records.watermarkKey(BRAND), records.cursorKey(BRAND, TopicRecords.SOURCE_HS)));
    }

    @Test
    void watermarksAndCursorsRoundTrip()
    {
        assertEquals(TopicRecords.WATERMARK, records.decode(records.watermarkKey(BRAND),
            records.watermarkValue(BRAND, 1_700_000_000_000L)));
        assertEquals(BRAND, records.brand());
        assertEquals(1_700_000_000_000L, records.watermarkMs());

        assertEquals(TopicRecords.CURSOR, records.decode(records.cursorKey(BRAND, TopicRecords.SOURCE_IYS),
            records.cursorValue(BRAND, TopicRecords.SOURCE_IYS, "2025-01-01 10:00:00.123|abc", 77L)));
        assertEquals(TopicRecords.SOURCE_IYS, records.source());
        assertEquals("2025-01-01 10:00:00.123|abc", records.cursor());
        assertEquals(77L, records.acceptedMs());
        assertEquals("IYS", TopicRecords.sourceName(records.source()));
        assertEquals(TopicRecords.SOURCE_HS, TopicRecords.source("HS"));
    }

    @Test
    void shouldRefuseRecordsThatDoNotDecodeExactly()
    {
        final byte[] key = records.consentKey(BRAND, ConsentChange.KEY_PHONE, 5L, 0L);
        final byte[] value = records.consentValue(
            new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 1L, 2L));

        assertThrows(IllegalArgumentException.class, () -> records.decode(key, null), "a tombstone");
        assertThrows(IllegalArgumentException.class, () -> records.decode(null, value), "no key");
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(Arrays.copyOf(key, key.length - 1), value), "a short key");
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(key, Arrays.copyOf(value, value.length + 1)), "a long value");
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(records.consentKey(BRAND, ConsentChange.KEY_PHONE, 6L, 0L), value),
            "a key naming another consent");
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(records.watermarkKey(BRAND), value), "a watermark key over a consent");
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(key, records.watermarkValue(BRAND, 1L)), "a consent key over a watermark");

        final byte[] otherSchema = key.clone();
        otherSchema[4]++;
        assertThrows(IllegalArgumentException.class, () -> records.decode(otherSchema, value), "another schema");
        final byte[] unknownKind = key.clone();
        unknownKind[8] = 9;
        assertThrows(IllegalArgumentException.class, () -> records.decode(unknownKind, value), "an unknown kind");

        final byte[] cursorKey = records.cursorKey(BRAND, TopicRecords.SOURCE_HS);
        final byte[] cursor = records.cursorValue(BRAND, TopicRecords.SOURCE_HS, "abc", 0);
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(cursorKey, Arrays.copyOf(cursor, cursor.length - 1)), "a cut cursor");
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(records.cursorKey(BRAND, TopicRecords.SOURCE_IYS), cursor), "another source");
        assertThrows(IllegalArgumentException.class,
            () -> records.cursorValue(BRAND, TopicRecords.SOURCE_HS, "ç", 0), "not ASCII");
    }

    @Test
    void everyRecordOfABrandGoesToOnePartition()
    {
        assertEquals(TopicRecords.partition(BRAND, 12), TopicRecords.partition(BRAND, 12));
        assertEquals(BRAND % 12, TopicRecords.partition(BRAND, 12));
        assertTrue(TopicRecords.partition(-1L, 12) >= 0, "an unsigned brand code");
    }
}
