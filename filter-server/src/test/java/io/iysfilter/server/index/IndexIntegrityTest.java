package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue "never an accidental ALLOW": what the index does with records from the future, and with files that were
 * flipped, removed, recovered with losses or left by an unfinished import.
 */
class IndexIntegrityTest
{
    private static final long BRAND = 600_001;
    private static final long OTHER = 600_002;
    private static final String PHONE = "+905321234567";
    private static final long NOW_MS = IysTime.parseSeconds("2026-11-30 12:00:00") * 1000;
    private static final IndexOptions OPTIONS = TestKeys.options(1_000).withClock(() -> NOW_MS);

    @TempDir
    Path dataDir;

    private final TestChanges changes = new TestChanges();
    private final ConsentFilter filter = new ConsentFilter(new FilterPolicy(true));

    @Test
    void aRecordFromTheFutureIsRefusedAndNeverBeatsTheRealRet() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            assertEquals(ConsentIndexWriter.APPLIED, apply(writer, "2026-11-29 10:00:00", PHONE, "RET", 1));
            final long asOfBefore = store.brand(BRAND).asOfMs();

            assertEquals(ConsentIndexWriter.REJECTED_FUTURE, apply(writer, "2099-12-31 00:00:00", PHONE, "ONAY", 2),
                "years ahead");
            assertEquals(ConsentIndexWriter.REJECTED_FUTURE, apply(writer, "2026-11-30 12:05:01", PHONE, "ONAY", 3),
                "5 min and 1 s past the clock");

            assertEquals(Reason.REJECTED, decide(store, BRAND, PHONE));
            assertEquals(asOfBefore, store.brand(BRAND).asOfMs(), "a refused record does not move the as-of time");
            assertEquals(1, store.brand(BRAND).entries());
        }
    }

    @Test
    void theAsOfTimeNeverMovesPastNow() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            assertEquals(ConsentIndexWriter.APPLIED, apply(writer, "2026-11-30 12:04:00", PHONE, "ONAY", 1),
                "4 minutes ahead is within the allowed clock skew");
            assertEquals(NOW_MS, store.brand(BRAND).asOfMs(), "as of now, not of the record's future time");

            writer.advanceWatermark(BRAND, NOW_MS + 3_600_000);
            assertEquals(NOW_MS, store.brand(BRAND).watermarkMs(), "a watermark is clamped to now too");
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertEquals(NOW_MS, store.brand(BRAND).asOfMs());
        }
    }

    @Test
    void aFlippedStatusInACleanlyClosedMapFileMakesTheBrandDamaged() throws IOException
    {
        final long[] words = new long[2];
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            writer.createBrand(OTHER);
            final ConsentChange ret = changes.change(BRAND, "2026-11-29 10:00:00", tx(1), PHONE, "BIREYSEL", "MESAJ",
                "RET");
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(ret));
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(changes.change(OTHER, "2026-11-29 10:00:00", tx(1),
                PHONE, "BIREYSEL", "MESAJ", "RET")));
            words[0] = ret.word0();
            words[1] = ret.word1();
        }
        final Path phoneFile = dataDir.resolve("brands").resolve(Long.toString(BRAND)).resolve(BrandIndex.PHONE_FILE);
        flipStatus(phoneFile, words[0], words[1]);

        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertFalse(brand.wasRecovered(), "the file was closed cleanly");
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason());
            assertTrue(brand.damage().contains("1 entries with a wrong checksum"), brand.damage());
            assertEquals(Reason.INDEX_DAMAGED, decide(store, BRAND, PHONE), "the flipped RET must not read as ONAY");
            assertNull(store.brand(OTHER).unreadyReason(), "the other brand is verified and serves");
            assertEquals(Reason.REJECTED, decide(store, OTHER, PHONE));
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertEquals(Reason.INDEX_DAMAGED, store.brand(BRAND).unreadyReason(), "the finding is kept");
            assertTrue(Files.exists(phoneFile.resolveSibling(IntegrityFiles.DAMAGED)));
        }
    }

    @Test
    void aMissingMapFileIsNeverRecreatedEmpty() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            writer.createBrand(OTHER);
            apply(writer, "2026-11-29 10:00:00", PHONE, "RET", 1);
        }
        final Path phoneFile = dataDir.resolve("brands").resolve(Long.toString(BRAND)).resolve(BrandIndex.PHONE_FILE);
        Files.delete(phoneFile);

        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertNotNull(brand, "the brand is known, and known to be damaged");
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason());
            assertTrue(brand.damage().contains("map file missing or empty: phone.cmap"), brand.damage());
            assertEquals(Reason.INDEX_DAMAGED, decide(store, BRAND, PHONE));
            assertFalse(Files.exists(phoneFile), "not recreated empty");
            assertNull(store.brand(OTHER).unreadyReason());

            final ConsentIndexWriter writer = store.writer();
            final java.io.UncheckedIOException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.io.UncheckedIOException.class, () -> apply(writer, "2026-11-29 11:00:00", PHONE, "ONAY", 2));
            assertTrue(refused.getMessage().contains("damaged"), refused.getMessage());
        }
    }

    @Test
    void anEmptiedMapFileIsAsMissingAsADeletedOne() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            apply(writer, "2026-11-29 10:00:00", PHONE, "RET", 1);
        }
        final Path phoneFile = dataDir.resolve("brands").resolve(Long.toString(BRAND)).resolve(BrandIndex.PHONE_FILE);
        Files.write(phoneFile, new byte[0]);

        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertEquals(Reason.INDEX_DAMAGED, store.brand(BRAND).unreadyReason(),
                "Chronicle would write a new empty map into it, and the RET would read as NO_CONSENT");
            assertTrue(store.brand(BRAND).damage().contains("map file missing or empty: phone.cmap"),
                store.brand(BRAND).damage());
            assertEquals(0, Files.size(phoneFile), "left as found");
        }
    }

    @Test
    void aTruncatedMapFileLeavesTheBrandDamagedAndTheOthersServing() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            writer.createBrand(OTHER);
            apply(writer, "2026-11-29 10:00:00", PHONE, "RET", 1);
        }
        final Path phoneFile = dataDir.resolve("brands").resolve(Long.toString(BRAND)).resolve(BrandIndex.PHONE_FILE);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(phoneFile,
            java.nio.file.StandardOpenOption.WRITE))
        {
            channel.truncate(channel.size() / 2);
        }

        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertEquals(Reason.INDEX_DAMAGED, store.brand(BRAND).unreadyReason(), store.brand(BRAND).damage());
            assertEquals(Reason.INDEX_DAMAGED, decide(store, BRAND, PHONE));
            assertNull(store.brand(OTHER).unreadyReason(), "the other brand opens, verifies and serves");
        }
    }

    @Test
    void recoveryThatFindsCorruptionLeavesTheBrandDamaged() throws IOException
    {
        final long[] words = new long[2];
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            for (int i = 0; i < 5; i++)
            {
                final ConsentChange change = changes.change(BRAND, "2026-11-29 10:00:00", tx(i),
                    String.format(Locale.ROOT, "+90532%07d", i), "BIREYSEL", "MESAJ", "RET");
                writer.apply(change);
                words[0] = change.word0();
                words[1] = change.word1();
            }
        }
        final Path brandDir = dataDir.resolve("brands").resolve(Long.toString(BRAND));
        flipStatus(brandDir.resolve(BrandIndex.PHONE_FILE), words[0], words[1]);
        markOpen(brandDir);

        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertTrue(brand.wasRecovered());
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason(),
                "whatever recovery did with the corrupt entry, the brand cannot be trusted");
            assertTrue(brand.damage().contains("recovery after an unclean shutdown found"), brand.damage());
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertFalse(brand.wasRecovered(), "closed cleanly after recovery");
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason(), "and still damaged: the loss is remembered");
        }
    }

    @Test
    void anImportThatDidNotFinishLeavesTheBrandDamagedUntilItDoes() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            store.importStarted(BRAND, "import of /data/2026-11-29.csv");
            apply(writer, "2026-11-29 10:00:00", PHONE, "ONAY", 1);
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertEquals(Reason.INDEX_DAMAGED, store.brand(BRAND).unreadyReason());
            assertTrue(store.brand(BRAND).damage().contains("an import did not finish: import of /data/2026-11-29.csv"),
                store.brand(BRAND).damage());
            assertEquals(Reason.INDEX_DAMAGED, decide(store, BRAND, PHONE));

            store.importStarted(BRAND, "import of /data/2026-11-30.csv");
            store.importStarted(BRAND, "import of /data/2026-11-29.csv");
            store.importFinished(BRAND, "import of /data/2026-11-29.csv");
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertEquals(Reason.INDEX_DAMAGED, store.brand(BRAND).unreadyReason(),
                "running the unfinished import again finished it, but another import is still unfinished");
            assertTrue(store.brand(BRAND).damage().endsWith("an import did not finish: import of " +
                "/data/2026-11-30.csv"), store.brand(BRAND).damage());
            store.importFinished(BRAND, "import of /data/2026-11-30.csv");
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertNull(store.brand(BRAND).unreadyReason());
            assertEquals(Reason.CONSENT, decide(store, BRAND, PHONE));
        }
    }

    @Test
    void anIndexHoldingARecordFromTheFutureIsDamagedAtOpen() throws IOException
    {
        final IndexOptions later = OPTIONS.withClock(() -> IysTime.parseSeconds("2099-12-31 12:00:00") * 1000);
        try (ConsentStore store = ConsentStore.open(dataDir, later))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            apply(writer, "2026-11-29 10:00:00", PHONE, "RET", 1);
            assertEquals(ConsentIndexWriter.APPLIED, apply(writer, "2099-12-31 00:00:00", PHONE, "ONAY", 2),
                "written while the clock said 2099, as an index poisoned before this check existed would be");
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertEquals(Reason.INDEX_DAMAGED, brand.unreadyReason());
            assertTrue(brand.damage().contains("dated in the future"), brand.damage());
            assertEquals(Reason.INDEX_DAMAGED, decide(store, BRAND, PHONE));
        }
    }

    @Test
    void aWriterFaultOnAMappedFileHoldsEveryBrandDamagedAcrossARestart() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            writer.createBrand(OTHER);
            apply(writer, "2026-11-29 10:00:00", PHONE, "ONAY", 1);
            writer.faulted("disk full: a page of a memory-mapped index file could not be backed");
            for (final long code : new long[]{BRAND, OTHER})
            {
                assertEquals(Reason.INDEX_DAMAGED, store.brand(code).unreadyReason(), "a lost write may be a RET");
                assertTrue(store.brand(code).damage().contains("the index writer faulted"), store.brand(code).damage());
            }
            assertEquals(Reason.INDEX_DAMAGED, decide(store, BRAND, PHONE));
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            assertTrue(store.brand(BRAND).wasRecovered(), "the close after the fault was no clean one");
            assertEquals(Reason.INDEX_DAMAGED, store.brand(BRAND).unreadyReason(),
                "a lost write leaves a valid older entry, which no verification can tell: an operator reconciles");
            assertTrue(Files.exists(dataDir.resolve("brands").resolve(Long.toString(BRAND))
                .resolve(IntegrityFiles.DAMAGED)));
        }
    }

    @Test
    void aLargeBrandAnswersVerifyingUntilTheBackgroundVerificationPasses() throws Exception
    {
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            apply(writer, "2026-11-29 10:00:00", PHONE, "ONAY", 1);
            apply(writer, "2026-11-29 10:00:00", "+905321234568", "RET", 2);
        }
        try (ConsentStore store = ConsentStore.open(dataDir, OPTIONS.withSyncVerifyEntries(1)))
        {
            assertEquals(Reason.INDEX_VERIFYING, store.brand(BRAND).unreadyReason(), "2 entries > 1: not verified yet");
            assertEquals(Reason.INDEX_VERIFYING, decide(store, BRAND, PHONE));
            store.startBackgroundVerification();
            store.awaitVerification();
            assertNull(store.brand(BRAND).unreadyReason());
            assertEquals(Reason.CONSENT, decide(store, BRAND, PHONE));
        }
    }

    private Reason decide(final ConsentStore store, final long brandCode, final String recipient)
    {
        final IndexLookup lookup = store.newLookup();
        final BrandState brand = lookup.brand(brandCode);
        final ParsedRecipient parsed = new ParsedRecipient();
        new RecipientParser().parse(recipient, parsed);
        return filter.decide(lookup, brand, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, parsed,
            NOW_MS);
    }

    private int apply(final ConsentIndexWriter writer, final String creation, final String recipient,
        final String status, final int tx)
    {
        return writer.apply(changes.change(BRAND, creation, tx(tx), recipient, "BIREYSEL", "MESAJ", status));
    }

    private static String tx(final int i)
    {
        return String.format(Locale.ROOT, "%064x", i);
    }

    /**
     * Find the stored value (two little-endian words) in a map file and turn its RET into an ONAY: status bits 46-47
     * of word1, in the word's byte 5.
     */
    private static void flipStatus(final Path file, final long word0, final long word1) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final ByteBuffer pattern = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(word0).putLong(word1);
        final int at = indexOf(bytes, pattern.array());
        assertTrue(at >= 0, "the value is in the file");
        assertEquals(ConsentStatus.RET, ConsentValueDescriptor.status(word1));
        bytes[at + 8 + 5] ^= (byte)0xC0;
        Files.write(file, bytes);
    }

    /**
     * @return where needle first occurs in haystack, or -1: for finding a stored entry's bytes in a map file.
     */
    static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void markOpen(final Path brandDir) throws IOException
    {
        final Path meta = brandDir.resolve(BrandMeta.FILE_NAME);
        final String text = Files.readString(meta, StandardCharsets.UTF_8);
        assertTrue(text.contains("state=closed"));
        Files.writeString(meta, text.replace("state=closed", "state=open"), StandardCharsets.UTF_8);
    }
}
