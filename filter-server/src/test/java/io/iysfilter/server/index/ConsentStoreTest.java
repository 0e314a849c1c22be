package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsentStoreTest
{
    private static final long BRAND = 600_001;
    private static final IndexOptions OPTIONS = TestKeys.options(1_000);

    @TempDir
    Path dataDir;

    private final TestChanges changes = new TestChanges();
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient parsed = new ParsedRecipient();

    @Test
    void shouldApplyAndLookUpPhonesAndEmailsPerChannelAndType() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            apply(writer, "2025-01-01 10:00:00", "+905321234567", "BIREYSEL", "MESAJ", "ONAY");
            apply(writer, "2025-01-01 10:00:00", "05321234567", "BIREYSEL", "ARAMA", "RET");
            apply(writer, "2025-01-01 10:00:00", "Ali@Example.com", "BIREYSEL", "EPOSTA", "ONAY");
            apply(writer, "2025-01-01 10:00:00", "ali@example.com", "TACIR", "EPOSTA", "RET");

            final IndexLookup lookup = store.newLookup();
            final BrandState brand = lookup.brand(BRAND);
            final RecipientType bireysel = RecipientType.BIREYSEL;
            assertEquals(ConsentStatus.ONAY, status(lookup, brand, Channel.MESAJ, bireysel, "5321234567"));
            assertEquals(ConsentStatus.RET, status(lookup, brand, Channel.ARAMA, bireysel, "5321234567"));
            assertEquals(ConsentStatus.NONE, status(lookup, brand, Channel.MESAJ, RecipientType.TACIR, "5321234567"));
            assertEquals(ConsentStatus.ONAY,
                status(lookup, brand, Channel.EPOSTA, RecipientType.BIREYSEL, " ALI@example.COM"));
            assertEquals(ConsentStatus.RET,
                status(lookup, brand, Channel.EPOSTA, RecipientType.TACIR, "ali@example.com"));
            assertEquals(ConsentStatus.NONE,
                status(lookup, brand, Channel.EPOSTA, RecipientType.BIREYSEL, "veli@example.com"));
            assertEquals(4, store.brand(BRAND).entries());
            assertEquals(IysTime.parseSeconds("2025-01-01 10:00:00") * 1000, brand.asOfMs());
            assertNull(lookup.brand(600_002));
        }
    }

    @Test
    void shouldKeepTheNewestRecordInIysOrder() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            assertEquals(ConsentIndexWriter.APPLIED,
                apply(writer, "2025-01-02 10:00:00", "05321234567", "BIREYSEL", "MESAJ", "RET"));
            assertEquals(ConsentIndexWriter.SUPERSEDED,
                apply(writer, "2025-01-01 10:00:00", "05321234567", "BIREYSEL", "MESAJ", "ONAY"),
                "an older ONAY arriving late must not undo a RET");
            assertEquals(ConsentStatus.RET, status(store, Channel.MESAJ, "05321234567"));

            final ConsentChange sameSecondLowTx = changes.change(BRAND, "2025-01-03 10:00:00",
                "0000000000aa" + "0".repeat(52), "05321234567", "BIREYSEL", "MESAJ", "ONAY");
            final ConsentChange sameSecondHighTx = changes.change(BRAND, "2025-01-03 10:00:00",
                "0000000000ff" + "0".repeat(52), "05321234567", "BIREYSEL", "MESAJ", "RET");
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(sameSecondHighTx));
            assertEquals(ConsentIndexWriter.SUPERSEDED, writer.apply(sameSecondLowTx),
                "same creationDate: the higher transactionId is the later movement");
            assertEquals(ConsentStatus.RET, status(store, Channel.MESAJ, "05321234567"));
            assertEquals(ConsentIndexWriter.SUPERSEDED, writer.apply(sameSecondHighTx), "replaying changes nothing");
            // the writer's own loop tells a replay (the key holds exactly this) from an older change, for its tap
            assertEquals(ConsentIndexWriter.EQUAL, writer.applyTelling(sameSecondHighTx),
                "a replayed change is EQUAL to what the key holds");
            assertEquals(ConsentIndexWriter.SUPERSEDED, writer.applyTelling(sameSecondLowTx),
                "an older change stays SUPERSEDED");
            assertEquals(ConsentStatus.RET, status(store, Channel.MESAJ, "05321234567"));
        }
    }

    @Test
    void shouldReachTheSameIndexWhateverTheOrderOfChanges() throws IOException
    {
        final Random random = new Random(20_261_123);
        final String[] recipients = new String[24];
        for (int i = 0; i < recipients.length; i++)
        {
            recipients[i] = i % 3 == 0 ? "user" + i + "@example.com" : String.format(Locale.ROOT, "+90532%07d", i);
        }
        final List<String[]> records = new ArrayList<>();
        for (int i = 0; i < 300; i++)
        {
            final String recipient = recipients[random.nextInt(recipients.length)];
            final String type = recipient.contains("@") ? "EPOSTA" : random.nextBoolean() ? "MESAJ" : "ARAMA";
            final String recipientType = random.nextInt(4) == 0 ? "TACIR" : "BIREYSEL";
            final String creation = String.format(Locale.ROOT, "2025-03-%02d 12:00:%02d", 1 + random.nextInt(5),
                random.nextInt(3));
            final String tx = String.format(Locale.ROOT, "%016x%016x%016x%016x", random.nextLong(), random.nextLong(),
                random.nextLong(), random.nextLong());
            records.add(new String[]{creation, tx, recipient, recipientType, type,
                random.nextBoolean() ? "ONAY" : "RET"});
        }
        final Map<String, String[]> model = new HashMap<>();
        for (final String[] record : records)
        {
            final String key = record[4] + "/" + record[3] + "/" + record[2];
            final String[] current = model.get(key);
            if (current == null || (record[0] + record[1]).compareTo(current[0] + current[1]) > 0)
            {
                model.put(key, record);
            }
        }

        for (int permutation = 0; permutation < 4; permutation++)
        {
            final List<String[]> shuffled = new ArrayList<>(records);
            Collections.shuffle(shuffled, random);
            shuffled.addAll(records.subList(0, 50));
            try (ConsentStore store = ConsentStore.open(dataDir.resolve("p" + permutation), OPTIONS))
            {
                final ConsentIndexWriter writer = store.writer();
                writer.createBrand(BRAND);
                for (final String[] record : shuffled)
                {
                    writer.apply(changes.change(BRAND, record[0], record[1], record[2], record[3], record[4],
                        record[5]));
                }
                final IndexLookup lookup = store.newLookup();
                final BrandState brand = lookup.brand(BRAND);
                for (final String[] winner : model.values())
                {
                    final int expected = "ONAY".equals(winner[5]) ? ConsentStatus.ONAY : ConsentStatus.RET;
                    assertEquals(expected, status(lookup, brand, Channel.valueOf(winner[4]),
                        RecipientType.valueOf(winner[3]), winner[2]), "permutation " + permutation + ": " +
                        String.join(",", winner));
                    assertEquals(ConsentIndexWriter.SUPERSEDED, writer.apply(changes.change(BRAND, winner[0],
                        winner[1], winner[2], winner[3], winner[4], winner[5])), "the winner is what is stored");
                }
                assertEquals(model.size(), store.brand(BRAND).entries());
            }
        }
    }

    @Test
    void shouldGrowPastItsConfiguredEntries() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            for (int i = 0; i < 5_000; i++)
            {
                assertEquals(ConsentIndexWriter.APPLIED, apply(writer, "2025-01-01 10:00:00",
                    String.format(Locale.ROOT, "+90533%07d", i), "BIREYSEL", "MESAJ", "ONAY"));
            }
            assertEquals(5_000, store.brand(BRAND).entries());
            assertEquals(ConsentStatus.ONAY, status(store, Channel.MESAJ, "+905330004999"));
        }
    }

    @Test
    void shouldReopenWithDataAndAsOfAfterACleanClose() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            apply(writer, "2025-06-01 09:00:00", "05321234567", "BIREYSEL", "MESAJ", "ONAY");
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertNotNull(brand);
            assertFalse(brand.wasRecovered());
            assertEquals(IysTime.parseSeconds("2025-06-01 09:00:00") * 1000, brand.asOfMs());
            assertEquals(ConsentStatus.ONAY, status(store, Channel.MESAJ, "05321234567"));
        }
    }

    @Test
    void shouldKeepEntriesVerifiableWhenNewerRecordsReplaceThemInPlace() throws IOException
    {
        // the writer replaces a stored value in place under one query context: the entry's checksum must follow,
        // or the next open finds the brand damaged
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            for (int i = 0; i < 200; i++)
            {
                final String phone = String.format(Locale.ROOT, "+90533%07d", i);
                final String email = "user" + i + "@example.com";
                assertEquals(ConsentIndexWriter.APPLIED,
                    apply(writer, "2025-01-01 10:00:00", phone, "BIREYSEL", "MESAJ", "ONAY"));
                assertEquals(ConsentIndexWriter.APPLIED,
                    apply(writer, "2025-01-01 10:00:00", email, "BIREYSEL", "EPOSTA", "ONAY"));
                assertEquals(ConsentIndexWriter.APPLIED,
                    apply(writer, "2025-01-02 10:00:00", phone, "BIREYSEL", "MESAJ", "RET"));
                assertEquals(ConsentIndexWriter.APPLIED,
                    apply(writer, "2025-01-02 10:00:00", email, "BIREYSEL", "EPOSTA", "RET"));
                assertEquals(ConsentIndexWriter.SUPERSEDED,
                    apply(writer, "2025-01-01 12:00:00", phone, "BIREYSEL", "MESAJ", "ONAY"));
            }
            assertEquals(400, store.brand(BRAND).entries());
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertNull(brand.unreadyReason(), "verified at open: " + brand.damage());
            assertEquals(400, brand.entries());
            final IndexLookup lookup = store.newLookup();
            for (int i = 0; i < 200; i++)
            {
                assertEquals(ConsentStatus.RET, status(lookup, brand, Channel.MESAJ, RecipientType.BIREYSEL,
                    String.format(Locale.ROOT, "+90533%07d", i)));
                assertEquals(ConsentStatus.RET, status(lookup, brand, Channel.EPOSTA, RecipientType.BIREYSEL,
                    "user" + i + "@example.com"));
            }
        }
    }

    @Test
    void shouldLetOnlyOneProcessOpenTheDataDirectory() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertNotNull(store);
            final IOException refused = assertThrows(IOException.class, () -> ConsentStore.open(dataDir, OPTIONS));
            assertTrue(refused.getMessage().contains("in use by another process"), refused.getMessage());
        }
        ConsentStore.open(dataDir, OPTIONS).close();
    }

    @Test
    void shouldHaveOneWriter() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            store.writer();
            assertThrows(IllegalStateException.class, store::writer);
        }
    }

    @Test
    void shouldRefuseAChangeForABrandWithoutIndex() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            assertThrows(IllegalStateException.class, () -> apply(writer, "2025-01-01 10:00:00", "05321234567",
                "BIREYSEL", "MESAJ", "ONAY"));
        }
    }

    @Test
    void aChangeKeyedByOneStoreAppliesUnderTheSameKeyInAnotherWithTheSameIndexKey() throws IOException
    {
        final List<ConsentChange> described = new ArrayList<>();
        try (ConsentStore fetcher = ConsentStore.open(dataDir.resolve("fetcher"), OPTIONS))
        {
            final ConsentIndexWriter writer = fetcher.writer();
            writer.createBrand(BRAND);
            for (final String[] record : new String[][] {
                {"2025-01-01 10:00:00", "+905321234567", "BIREYSEL", "MESAJ", "ONAY"},
                {"2025-01-02 10:00:00", "ali@example.com", "TACIR", "EPOSTA", "RET"}})
            {
                final String tx = Integer.toHexString(String.join("|", record).hashCode());
                final ConsentChange change = changes.change(BRAND, record[0], "0".repeat(64 - tx.length()) + tx,
                    record[1], record[2], record[3], record[4]);
                assertEquals(ConsentChange.KEY_NONE, change.keyKind());
                assertEquals(ConsentIndexWriter.APPLIED, writer.apply(change));
                assertFalse(change.keyed());
                final ConsentChange keyed = new ConsentChange().setKeyed(BRAND, change.keyKind(), change.key0(),
                    change.key1(), change.word0(), change.word1());
                described.add(keyed);
            }
            assertEquals(ConsentChange.KEY_PHONE, described.get(0).keyKind());
            assertEquals(0, described.get(0).key1());
            assertEquals(ConsentChange.KEY_EMAIL, described.get(1).keyKind());
        }

        try (ConsentStore replica = ConsentStore.open(dataDir.resolve("replica"), OPTIONS))
        {
            final ConsentIndexWriter writer = replica.writer();
            writer.createBrand(BRAND);
            for (final ConsentChange change : described)
            {
                assertEquals(ConsentIndexWriter.APPLIED, writer.apply(change));
                assertEquals(ConsentIndexWriter.SUPERSEDED, writer.apply(change), "the same change twice");
            }
            final IndexLookup lookup = replica.newLookup();
            final BrandState brand = lookup.brand(BRAND);
            assertEquals(ConsentStatus.ONAY, status(lookup, brand, Channel.MESAJ, RecipientType.BIREYSEL,
                "05321234567"));
            assertEquals(ConsentStatus.NONE, status(lookup, brand, Channel.ARAMA, RecipientType.BIREYSEL,
                "05321234567"));
            assertEquals(ConsentStatus.RET, status(lookup, brand, Channel.EPOSTA, RecipientType.TACIR,
                "ali@example.com"));
            assertEquals(ConsentStatus.NONE, status(lookup, brand, Channel.EPOSTA, RecipientType.BIREYSEL,
                "ali@example.com"));
            final long[] words = new long[2];
            assertTrue(lookup.storedValue(described.get(1), words));
            assertEquals(described.get(1).word0(), words[0]);
        }
    }

    @Test
    void shouldRefuseAKeyedChangeWithoutAKeyKind()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new ConsentChange().setKeyed(BRAND, ConsentChange.KEY_NONE, 1, 2, 3, 4));
    }

    private int apply(final ConsentIndexWriter writer, final String creation, final String recipient,
        final String recipientType, final String type, final String status)
    {
        final String tx = Integer.toHexString((creation + recipient + type + recipientType + status).hashCode());
        return writer.apply(changes.change(BRAND, creation, "0".repeat(64 - tx.length()) + tx, recipient,
            recipientType, type, status));
    }

    private int status(final ConsentStore store, final Channel channel, final String recipient)
    {
        final IndexLookup lookup = store.newLookup();
        return status(lookup, lookup.brand(BRAND), channel, RecipientType.BIREYSEL, recipient);
    }

    private int status(final IndexLookup lookup, final BrandState brand, final Channel channel,
        final RecipientType type, final String recipient)
    {
        parser.parse(recipient, parsed);
        return lookup.status(brand, channel, type, parsed);
    }
}
