package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A brand's phone and e-mail maps are sized apart (a brand of mostly phones need not reserve the phones' size for its
 * e-mails), the sizing is kept in the brand's metadata, and a brand whose metadata predates it still opens.
 */
class MapSizingTest
{
    private static final long BRAND = 600_001;
    private static final long LARGE = 200_000;
    private static final long SMALL = 2_000;

    @TempDir
    Path dataDir;

    @Test
    void shouldSizeTheTwoMapsApart() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(LARGE)))
        {
            store.writer().createBrand(BRAND);
        }
        try (ConsentStore store = ConsentStore.open(dataDir.resolve("apart"),
            TestKeys.options(LARGE).withMapEntries(LARGE, SMALL)))
        {
            store.writer().createBrand(BRAND);
        }
        final long samePhone = Files.size(file(dataDir, BrandIndex.PHONE_FILE));
        final long sameEmail = Files.size(file(dataDir, BrandIndex.EMAIL_FILE));
        final long apartPhone = Files.size(file(dataDir.resolve("apart"), BrandIndex.PHONE_FILE));
        final long apartEmail = Files.size(file(dataDir.resolve("apart"), BrandIndex.EMAIL_FILE));

        assertEquals(samePhone, apartPhone, "the phone map is sized as before");
        assertTrue(apartEmail * 10 < sameEmail, "an e-mail map sized for " + SMALL + " takes " + apartEmail +
            " bytes, one sized for " + LARGE + " " + sameEmail);
        final BrandMeta meta = BrandMeta.read(brandDir(dataDir.resolve("apart")));
        assertEquals(LARGE, meta.phoneEntries);
        assertEquals(SMALL, meta.emailEntries);
    }

    @Test
    void shouldKeepEachMapsSizingWhenReopenedWithOtherOptions() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000).withMapEntries(LARGE, SMALL)))
        {
            store.writer().createBrand(BRAND);
        }
        final long emailBytes = Files.size(file(dataDir, BrandIndex.EMAIL_FILE));
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(LARGE)))
        {
            assertNull(store.brand(BRAND).unreadyReason());
        }
        final BrandMeta meta = BrandMeta.read(brandDir(dataDir));
        assertEquals(LARGE, meta.phoneEntries);
        assertEquals(SMALL, meta.emailEntries);
        assertEquals(emailBytes, Files.size(file(dataDir, BrandIndex.EMAIL_FILE)));
    }

    @Test
    void shouldOpenABrandWhoseMetadataHasOneSizingForBoth() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(LARGE)))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            final TestChanges changes = new TestChanges();
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(
                changes.change(BRAND, "2025-01-01 10:00:00", "0".repeat(63) + "1", "+905321234567", "BIREYSEL",
                    "MESAJ", "ONAY")));
        }
        // brand.meta as a server before per-map sizing wrote it: entriesPerMap alone
        final Path metaFile = brandDir(dataDir).resolve(BrandMeta.FILE_NAME);
        final String before = Files.readString(metaFile);
        final String old = before.replaceAll("(?m)^(phoneEntries|emailEntries)=.*\\R", "");
        assertTrue(old.contains("entriesPerMap=" + LARGE) && !old.contains("phoneEntries"), old);
        Files.writeString(metaFile, old);

        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(SMALL)))
        {
            assertNull(store.brand(BRAND).unreadyReason());
            final IndexLookup lookup = store.newLookup();
            final ParsedRecipient parsed = new ParsedRecipient();
            new RecipientParser().parse("5321234567", parsed);
            assertEquals(ConsentStatus.ONAY,
                lookup.status(lookup.brand(BRAND), Channel.MESAJ, RecipientType.BIREYSEL, parsed));
        }
        final BrandMeta meta = BrandMeta.read(brandDir(dataDir));
        assertEquals(LARGE, meta.phoneEntries);
        assertEquals(LARGE, meta.emailEntries);
    }

    private static Path brandDir(final Path data)
    {
        return data.resolve("brands").resolve(Long.toString(BRAND));
    }

    private static Path file(final Path data, final String name)
    {
        return brandDir(data).resolve(name);
    }
}
