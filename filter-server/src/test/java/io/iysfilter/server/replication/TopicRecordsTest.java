package io.iysfilter.server.replication;

import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentValueDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
    void aConsentRecordCarriesItsDealerListSoTheReplicasWriterStoresWhatTheFetchersDid()
    {
        final int[] dealers = {22_233_344, (int)4_000_000_000L, 7};
        final ConsentChange applied = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L, 12L)
            .dealers(dealers, dealers.length);
        final byte[] value = records.consentValue(applied);
        assertEquals(8 + 49 + 4 + 3 * 4, value.length, "header, block, group header, 4 bytes a dealer");

        assertEquals(TopicRecords.CONSENT, records.decode(records.consentKey(applied), value));
        final ConsentChange replica = records.fill(new ConsentChange());
        assertEquals(3, replica.dealerCount());
        assertEquals(22_233_344, replica.dealerCodes()[0]);
        assertEquals(4_000_000_000L, replica.dealerCodes()[1] & 0xFFFF_FFFFL, "an unsigned 32-bit dealer number");
        assertEquals(7, replica.dealerCodes()[2]);
        assertEquals(0, replica.accessFetchedMs(), "a list that came with the record");
        assertEquals(applied.word1(), replica.word1(), "flagged as carrying a list, as the fetcher stored it");
        assertTrue((replica.word1() & ConsentValueDescriptor.FLAG_DEALERS) != 0);

        final ConsentChange plain = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L, 12L);
        assertEquals(TopicRecords.CONSENT, records.decode(records.consentKey(plain), records.consentValue(plain)));
        assertEquals(0, records.fill(new ConsentChange()).dealerCount(), "a record without a list fills none");
    }

    @Test
    void anAccessListCarriesTheTimeItWasReadAndMayBeEmpty()
    {
        final ConsentChange applied = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_EMAIL, 5L, 6L, 11L, 12L)
            .dealerAccess(new int[0], 0, 1_700_000_000_000L);
        assertEquals(TopicRecords.CONSENT, records.decode(records.consentKey(applied),
            records.consentValue(applied)));
        final ConsentChange replica = records.fill(new ConsentChange());
        assertEquals(0, replica.dealerCount(), "İYS named no dealer");
        assertEquals(1_700_000_000_000L, replica.accessFetchedMs());
        assertTrue((replica.word1() & ConsentValueDescriptor.FLAG_DEALERS) != 0);
    }

    @Test
    void aVersion1RecordStillDecodesAsARecordWithoutAList()
    {
        final ConsentChange applied = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L, 12L);
        final byte[] key = records.consentKey(applied);
        final byte[] version2 = records.consentValue(applied);
        // a version 1 record is the version 2 block's first 41 bytes under a version 1 header
        final byte[] version1 = Arrays.copyOf(version2, 8 + 41);
        version1[0] = 41;
        version1[6] = 1;
        final byte[] version1Key = key.clone();
        version1Key[6] = 1;
        assertEquals(TopicRecords.CONSENT, records.decode(version1Key, version1));
        final ConsentChange replica = records.fill(new ConsentChange());
        assertEquals(11L, replica.word0());
        assertEquals(12L, replica.word1());
        assertEquals(0, replica.dealerCount());

        final byte[] watermark = records.watermarkValue(BRAND, 77L);
        final byte[] watermarkKey = records.watermarkKey(BRAND);
        watermark[6] = 1;
        watermarkKey[6] = 1;
        assertEquals(TopicRecords.WATERMARK, records.decode(watermarkKey, watermark), "unchanged since version 1");

        final byte[] cut = Arrays.copyOf(version1, version1.length - 1);
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, cut), "a cut version 1 record");
        final byte[] future = version2.clone();
        future[6] = 3;
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, future), "a version this reads not");
    }

    @Test
    void shouldRefuseADealerGroupThatDoesNotDecodeExactly()
    {
        final int[] dealers = {1, 2};
        final ConsentChange applied = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L, 12L)
            .dealers(dealers, 2);
        final byte[] key = records.consentKey(applied);
        final byte[] value = records.consentValue(applied);
        final int group = 8 + 49;

        assertThrows(IllegalArgumentException.class,
            () -> records.decode(key, Arrays.copyOf(value, value.length - 1)), "a cut group");
        assertThrows(IllegalArgumentException.class,
            () -> records.decode(key, Arrays.copyOf(value, group + 2)), "a cut group header");
        final byte[] moreEntries = value.clone();
        moreEntries[group + 2] = 3;
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, moreEntries), "a count past the end");
        final byte[] wideEntries = value.clone();
        wideEntries[group] = 8;
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, wideEntries), "entries of 8 bytes");
        final byte[] zero = value.clone();
        Arrays.fill(zero, group + 4, group + 8, (byte)0);
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, zero), "dealer number 0");

        final ConsentChange unflagged = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L,
            12L);
        final byte[] listWithoutFlag = records.consentValue(unflagged);
        final byte[] withList = Arrays.copyOf(listWithoutFlag, listWithoutFlag.length + 4);
        withList[group + 2] = 1;
        withList[group + 4] = 9;
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, withList),
            "a list on a record not flagged as carrying one");

        final int[] tooMany = new int[101];
        Arrays.fill(tooMany, 1);
        final byte[] longest = records.consentValue(new ConsentChange()
            .setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L, 12L).dealers(tooMany, 100));
        assertEquals(TopicRecords.CONSENT, records.decode(key, longest), "100 dealers, İYS's most");
        final byte[] tooLong = Arrays.copyOf(longest, longest.length + 4);
        tooLong[group + 2] = 101;
        tooLong[tooLong.length - 1] = 1;
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, tooLong), "101 dealers");
    }

    @Test
    void shouldRefuseAnAccessListReadTimeTheWriterCouldNotStore()
    {
        final ConsentChange listed = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L, 12L)
            .dealerAccess(new int[] {7}, 1, 1_700_000_000_000L);
        final byte[] key = records.consentKey(listed);
        final byte[] value = records.consentValue(listed);
        final int fetchedAt = 8 + 41;

        final byte[] underASecond = value.clone();
        ByteBuffer.wrap(underASecond, fetchedAt, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(999);
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, underASecond),
            "1..999 ms: the dealer map keeps whole seconds, 0 meaning none; the writer would refuse it");
        final byte[] past2106 = value.clone();
        ByteBuffer.wrap(past2106, fetchedAt, 8).order(ByteOrder.LITTLE_ENDIAN).putLong((1L << 32) * 1000);
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, past2106), "past 32-bit seconds");

        final ConsentChange unflagged = new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_PHONE, 5L, 0L, 11L,
            12L);
        final byte[] readTimeWithoutFlag = records.consentValue(unflagged);
        ByteBuffer.wrap(readTimeWithoutFlag, fetchedAt, 8).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(1_700_000_000_000L);
        assertThrows(IllegalArgumentException.class, () -> records.decode(key, readTimeWithoutFlag),
            "an access list on a record not flagged as carrying one: filled, it would flag the replica's copy");
    }

    @Test
    void everyRecordOfABrandGoesToOnePartition()
    {
        assertEquals(TopicRecords.partition(BRAND, 12), TopicRecords.partition(BRAND, 12));
        assertEquals(BRAND % 12, TopicRecords.partition(BRAND, 12));
        assertTrue(TopicRecords.partition(-1L, 12) >= 0, "an unsigned brand code");
    }
}
