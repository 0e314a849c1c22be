package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.iys.ConsentRecordParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dealer map in start-up verification and when full (docs/INDEX.md §9, §11): a damaged or lost dealer map, or a
 * list dropped for a full one, never turns a dealer's DENY into an ALLOW; the brand's own answers, which never read
 * the dealer map, are unaffected.
 */
class DealerMapIntegrityTest
{
    private static final long BRAND = 600_001;
    private static final long PHONE = 905_321_234_567L;
    private static final long DEALER = 22_233_344L;
    private static final long OTHER_DEALER = 44_222_419L;

    @TempDir
    Path dataDir;

    private final ConsentRecordParser parser = new ConsentRecordParser();
    private ConsentIndexWriter writer;

    @Test
    void shouldDenyEveryDealerDecisionOfABrandWhoseDealerListHasAWrongChecksum() throws IOException
    {
        final long word0;
        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            final ConsentChange onay = change(PHONE, 1, "[" + DEALER + "]");
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(onay));
            word0 = onay.word0();
            assertEquals(Reason.DEALER_ACCESS, decide(store, DEALER));
        }
        // a disk fault or a hand edit turns the listed dealer into another one: the list would now allow it
        final Path file = brandDir().resolve(BrandIndex.DEALERS_FILE);
        final byte[] bytes = Files.readAllBytes(file);
        final byte[] pattern = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(word0)
            .putInt((int)DEALER).array();
        final int at = IndexIntegrityTest.indexOf(bytes, pattern);
        assertTrue(at >= 0, "the list is in the file");
        ByteBuffer.wrap(bytes, at + 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int)OTHER_DEALER);
        Files.write(file, bytes);

        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertNull(brand.unreadyReason(), "the consents verified: the brand serves");
            assertNotNull(brand.dealerDamage());
            assertTrue(brand.dealerDamage().contains("1 lists with a wrong checksum"), brand.dealerDamage());
            assertEquals(Reason.INDEX_DAMAGED, decide(store, OTHER_DEALER), "the edited list must not allow");
            assertEquals(Reason.INDEX_DAMAGED, decide(store, DEALER));
            assertEquals(Reason.CONSENT, decide(store, ConsentFilter.NO_DEALER), "brand answers are unaffected");
        }
        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            assertNotNull(store.brand(BRAND).dealerDamage(), "the finding is kept across restarts");
            assertTrue(Files.exists(brandDir().resolve(IntegrityFiles.DEALERS_DAMAGED)));
            assertEquals(Reason.INDEX_DAMAGED, decide(store, OTHER_DEALER));
        }
        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            // verified again at every start, it finds the same: said once, not once more per restart
            final String damage = store.brand(BRAND).dealerDamage();
            assertEquals(damage.indexOf("verification failed"), damage.lastIndexOf("verification failed"), damage);
            assertEquals(1, Files.readAllLines(brandDir().resolve(IntegrityFiles.DEALERS_DAMAGED)).size());
        }
    }

    @Test
    void shouldDenyDealerDecisionsWhenTheDealerMapIsLostWhileRecordsPointToIt() throws IOException
    {
        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(change(PHONE, 1, "[" + DEALER + "]")));
            assertEquals(1, store.brand(BRAND).dealerLists());
        }
        Files.delete(brandDir().resolve(BrandIndex.DEALERS_FILE));
        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertNull(brand.unreadyReason());
            assertTrue(brand.dealerDamage().contains("dealer map missing or empty"), brand.dealerDamage());
            assertEquals(Reason.INDEX_DAMAGED, decide(store, DEALER), "not NOT_AUTHORISED: the lists were lost");
            assertEquals(Reason.CONSENT, decide(store, ConsentFilter.NO_DEALER));
        }
    }

    @Test
    void shouldTakeAMissingDealerMapOfAnIndexWithoutListsAsNew() throws IOException
    {
        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(change(PHONE, 1, "")));
            assertEquals(0, store.brand(BRAND).dealerLists());
        }
        // an index written before dealer lists were kept has no dealers.cmap and no flagged record
        Files.delete(brandDir().resolve(BrandIndex.DEALERS_FILE));
        try (ConsentStore store = open(IndexOptions.DEFAULT_MAX_BLOAT_FACTOR))
        {
            assertNull(store.brand(BRAND).dealerDamage());
            assertEquals(Reason.DEALER_NOT_AUTHORISED, decide(store, DEALER));
        }
    }

    @Test
    void shouldDropAListForAFullDealerMapCountItAndNeverAllowOnIt() throws IOException
    {
        // sized for 10,000 lists (docs/INDEX.md §6) with no room to bloat: fill it until a list is dropped
        try (ConsentStore store = open(1.0))
        {
            final BrandIndex brand = store.brand(BRAND);
            assertEquals(BrandIndex.DEALER_ENTRIES_MIN, BrandIndex.dealerEntries(2 * 200_000));
            long phone = PHONE;
            final long limit = PHONE + 150_000;
            while (brand.droppedDealerLists() == 0 && phone < limit)
            {
                phone++;
                assertEquals(ConsentIndexWriter.APPLIED, writer.apply(change(phone, phone, "[" + DEALER + "]")),
                    "the consent is applied whether or not its list fits");
            }
            assertEquals(1, brand.droppedDealerLists(), "a list was dropped within " + (phone - PHONE) + " lists");
            assertTrue(brand.dealerLists() >= BrandIndex.DEALER_ENTRIES_MIN, "dropped only once full: " +
                brand.dealerLists());
            assertEquals(Reason.DEALER_ACCESS_UNKNOWN, decide(store, phone, DEALER),
                "the dropped list's record: not known, never allowed");
            assertEquals(Reason.CONSENT, decide(store, phone, ConsentFilter.NO_DEALER));
            assertEquals(Reason.DEALER_ACCESS, decide(store, PHONE + 1, DEALER), "a list that fitted still counts");
            assertEquals(Reason.DEALER_ACCESS_UNKNOWN, decide(store, PHONE + 1, OTHER_DEALER),
                "once lists are dropped a dealer no list names is unknown, not known to be absent");
        }
    }

    private ConsentStore open(final double maxBloatFactor) throws IOException
    {
        final ConsentStore store = ConsentStore.open(dataDir, new IndexOptions(200_000, maxBloatFactor, brand -> 0)
            .withKey(TestKeys.KEY).withDealerAccessTrusted(brand -> true));
        writer = store.writer();
        if (store.brand(BRAND) == null)
        {
            writer.createBrand(BRAND);
        }
        return store;
    }

    private Path brandDir()
    {
        return dataDir.resolve("brands").resolve(Long.toString(BRAND));
    }

    private ConsentChange change(final long phone, final long tx, final String retailerAccess)
    {
        final ConsentChange change = new ConsentChange();
        final String error = parser.parse(BRAND, "2025-01-01 10:00:00", String.format(Locale.ROOT, "%064x", tx),
            "+" + phone, "BIREYSEL", "MESAJ", "ONAY", "2020-01-01 00:00:00", "HS_WEB", "", retailerAccess, change);
        assertNull(error, error);
        return change;
    }

    private static Reason decide(final ConsentStore store, final long dealer)
    {
        return decide(store, PHONE, dealer);
    }

    private static Reason decide(final ConsentStore store, final long phone, final long dealer)
    {
        final Decider decider = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
            DecisionRecorder.NONE);
        return decider.decide(BRAND, decider.brand(BRAND), Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, "+" + phone, dealer, System.currentTimeMillis());
    }
}
