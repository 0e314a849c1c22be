package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.iys.ConsentRecordParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dealer map beside a brand's consents (docs/INDEX.md "Dealer decisions"): written by the single writer in the
 * same change as the consent, replaced by a newer ONAY's list, cleared by a change without one, never read for a
 * consent without one, and tied to the one record it came with.
 */
class DealerListsTest
{
    private static final long BRAND = 600_001;
    private static final long PHONE = 905_321_234_567L;
    private static final String EMAIL = "ali@example.com.tr";
    private static final long DEALER = 22_233_344L;
    private static final long OTHER_DEALER = 44_222_419L;

    @TempDir
    Path dataDir;

    private final ConsentRecordParser parser = new ConsentRecordParser();
    private final ParsedRecipient recipient = new ParsedRecipient();
    private ConsentIndexWriter writer;

    @Test
    void shouldKeepNoListAndSetNoFlagForAConsentWithoutDealers() throws IOException
    {
        try (ConsentStore store = open())
        {
            final ConsentChange plain = change("2025-01-01 10:00:00", "a", "ONAY", "");
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(plain));
            assertEquals(0, ConsentValueDescriptor.flags(plain.word1()), "the value's bits are as before dealers");
            assertEquals(0, store.brand(BRAND).dealerLists(), "a consent without dealers costs no dealer entry");
            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertFalse(lookup.dealerListed(DEALER));
        }
    }

    @Test
    void shouldListTheDealersOfAnOnayAndReplaceThemWithANewerOnesAndClearThemWithoutOne() throws IOException
    {
        try (ConsentStore store = open())
        {
            final IndexLookup lookup = store.newLookup();
            final BrandState brand = store.brand(BRAND);

            writer.apply(change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "," + OTHER_DEALER + "]"));
            assertEquals(1, store.brand(BRAND).dealerLists());
            assertEquals(ConsentStatus.ONAY, status(lookup, brand));
            assertTrue(lookup.dealerListed(DEALER));
            assertTrue(lookup.dealerListed(OTHER_DEALER));
            assertFalse(lookup.dealerListed(33_333_333L));

            writer.apply(change("2025-01-02 10:00:00", "b", "ONAY", "[" + OTHER_DEALER + "]"));
            assertEquals(ConsentStatus.ONAY, status(lookup, brand));
            assertFalse(lookup.dealerListed(DEALER), "a newer ONAY's list replaces the old one: access removed");
            assertTrue(lookup.dealerListed(OTHER_DEALER));

            assertEquals(ConsentIndexWriter.SUPERSEDED,
                writer.apply(change("2024-12-31 10:00:00", "c", "ONAY", "[" + DEALER + "]")));
            assertEquals(ConsentStatus.ONAY, status(lookup, brand));
            assertFalse(lookup.dealerListed(DEALER), "an older record's list never lands");

            writer.apply(change("2025-01-03 10:00:00", "d", "ONAY", ""));
            assertEquals(ConsentStatus.ONAY, status(lookup, brand));
            assertFalse(lookup.dealerListed(OTHER_DEALER), "a change without the field clears the list");
            assertEquals(0, store.brand(BRAND).dealerLists());
        }
    }

    @Test
    void shouldClearTheListWhenARetArrivesAndDenyEveryDealer() throws IOException
    {
        try (ConsentStore store = open())
        {
            writer.apply(change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]"));
            writer.apply(change("2025-01-02 10:00:00", "b", "RET", "[" + DEALER + "]"));
            assertEquals(0, store.brand(BRAND).dealerLists(), "a RET keeps no list, even one İYS sent with it");
            final Decider decider = decider(store);
            assertEquals(Reason.REJECTED, decider.decide(BRAND, decider.brand(BRAND), Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "+" + PHONE, DEALER, System.currentTimeMillis()));
        }
    }

    @Test
    void shouldKeepAnEmailsListApartFromAPhonesAndDecideBothEndToEnd() throws IOException
    {
        try (ConsentStore store = open())
        {
            writer.apply(change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]"));
            final ConsentChange email = new ConsentChange();
            assertNull(parser.parse(BRAND, "2025-01-01 10:00:00", "e".repeat(64), EMAIL, "BIREYSEL", "EPOSTA",
                "ONAY", "2020-01-01 00:00:00", "HS_WEB", "", "[" + OTHER_DEALER + "]", email));
            writer.apply(email);
            assertEquals(2, store.brand(BRAND).dealerLists());

            final Decider decider = decider(store);
            final long now = System.currentTimeMillis();
            final BrandState brand = decider.brand(BRAND);
            assertEquals(Reason.DEALER_ACCESS, decider.decide(BRAND, brand, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, "+" + PHONE, DEALER, now));
            assertEquals(Reason.DEALER_NOT_AUTHORISED, decider.decide(BRAND, brand, Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "+" + PHONE, OTHER_DEALER, now));
            assertEquals(Reason.DEALER_ACCESS, decider.decide(BRAND, brand, Channel.EPOSTA, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, EMAIL, OTHER_DEALER, now));
            assertEquals(Reason.DEALER_NOT_AUTHORISED, decider.decide(BRAND, brand, Channel.EPOSTA,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, EMAIL, DEALER, now));
            assertEquals(Reason.CONSENT, decider.decide(BRAND, brand, Channel.EPOSTA, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, EMAIL, now), "no dealer: as before");
            assertEquals(Reason.NO_CONSENT, decider.decide(BRAND, brand, Channel.ARAMA, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, "+" + PHONE, DEALER, now), "another channel's key has no record at all");
        }
    }

    @Test
    void shouldListNobodyForAFlaggedRecordWhoseListDidNotComeWithIt() throws IOException
    {
        try (ConsentStore store = open())
        {
            final ConsentChange listed = change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]");
            writer.apply(listed);
            // a newer record flagged as carrying a list, but without it, as a replica gets one from the topic
            final ConsentChange newer = change("2025-01-02 10:00:00", "b", "ONAY", "[" + DEALER + "]");
            final ConsentChange keyed = new ConsentChange().setKeyed(BRAND, listed.keyKind(), listed.key0(),
                listed.key1(), newer.word0(), newer.word1());
            assertTrue((ConsentValueDescriptor.flags(keyed.word1()) & ConsentValueDescriptor.FLAG_DEALERS) != 0);
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(keyed));
            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertFalse(lookup.dealerListed(DEALER), "the old record's list is not the new record's");
        }
    }

    @Test
    void shouldWriteTheListWhenTheSameRecordIsAppliedAgainAfterItsValueLandedAlone() throws IOException
    {
        try (ConsentStore store = open())
        {
            final ConsentChange listed = change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]");
            final ConsentKey key = new ConsentKey();
            key.set(TestKeys.options(1_000).key().brandKeys(BRAND), Channel.MESAJ, RecipientType.BIREYSEL,
                recipient.phone(PHONE));
            key.describe(listed);
            // the value landed but its list did not, as after a crash between the two writes
            final ConsentChange valueAlone = new ConsentChange().setKeyed(BRAND, listed.keyKind(), listed.key0(),
                listed.key1(), listed.word0(), listed.word1());
            assertEquals(ConsentIndexWriter.APPLIED, writer.apply(valueAlone));
            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertFalse(lookup.dealerListed(DEALER), "flagged, no list: nobody");

            // the feed's cursor never passed the page, so the record comes again, equal, and its list is written
            assertEquals(ConsentIndexWriter.SUPERSEDED, writer.apply(listed), "the same record: equal");
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertTrue(lookup.dealerListed(DEALER));

            assertEquals(ConsentIndexWriter.SUPERSEDED, writer.apply(valueAlone));
            assertTrue(lookup.dealerListed(DEALER), "an equal record without a list leaves the list");
        }
    }

    @Test
    void shouldGiveAWalkedRecordItsOwnStoredListSoARepublicationCarriesIt() throws IOException
    {
        try (ConsentStore store = open())
        {
            final ConsentChange listed = change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "," +
                OTHER_DEALER + "]");
            writer.apply(listed);
            final ConsentChange email = new ConsentChange();
            assertNull(parser.parse(BRAND, "2025-01-01 10:00:00", "e".repeat(64), EMAIL, "BIREYSEL", "EPOSTA",
                "ONAY", "2020-01-01 00:00:00", "HS_WEB", "", "", email));
            writer.apply(email);
            final List<String> walked = new ArrayList<>();
            assertEquals(2, store.brand(BRAND).forEachConsent((change) -> walked.add(change.keyKind() + ":" +
                change.word1() + ":" + change.dealerCount() + ":" + (change.dealerCount() == 0 ? "" :
                change.dealerCodes()[0] + "," + change.dealerCodes()[1]))));
            assertTrue(walked.contains(ConsentChange.KEY_PHONE + ":" + listed.word1() + ":2:" + DEALER + "," +
                OTHER_DEALER), walked.toString());
            assertTrue(walked.contains(ConsentChange.KEY_EMAIL + ":" + email.word1() + ":0:"), walked.toString());
        }
    }

    @Test
    void shouldKeepAnAccessListsReadTimeAndAnEmptyAccessListAcrossARestart() throws IOException
    {
        final long fetchedMs = 1_764_000_000_123L;
        try (ConsentStore store = open())
        {
            writer.apply(change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]")
                .dealerAccess(new int[] {(int)OTHER_DEALER}, 1, fetchedMs));
            final ConsentChange email = new ConsentChange();
            assertNull(parser.parse(BRAND, "2025-01-01 10:00:00", "e".repeat(64), EMAIL, "BIREYSEL", "EPOSTA",
                "ONAY", "2020-01-01 00:00:00", "HS_WEB", "", "", email));
            writer.apply(email.dealerAccess(new int[0], 0, fetchedMs));
            assertEquals(2, store.brand(BRAND).dealerLists(), "an empty list read from İYS is stored too");
        }
        try (ConsentStore store = open())
        {
            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertTrue(lookup.dealerListed(OTHER_DEALER), "the list read from İYS replaced the record's own");
            assertEquals(fetchedMs / 1000 * 1000, lookup.dealerListFetchedMs(), "its read time, to the second");
            assertFalse(lookup.dealerListed(DEALER));

            assertEquals(ConsentStatus.ONAY, lookup.status(store.brand(BRAND), Channel.EPOSTA, RecipientType.BIREYSEL,
                recipient(EMAIL)));
            assertFalse(lookup.dealerListed(DEALER), "İYS named nobody");
            assertEquals(fetchedMs / 1000 * 1000, lookup.dealerListFetchedMs(), "an empty list read is kept too");

            writer.apply(change("2025-01-02 10:00:00", "b", "ONAY", "[" + DEALER + "]"));
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertTrue(lookup.dealerListed(DEALER));
            assertEquals(0, lookup.dealerListFetchedMs(), "a newer record's own list is not one read from İYS");
        }
    }

    @Test
    void shouldKeepTheAccessListOfARecordWhenTheFeedBringsThatRecordAgainWithItsOwnList() throws IOException
    {
        final long fetchedMs = 1_764_000_000_000L;
        try (ConsentStore store = open())
        {
            final ConsentChange fromFeed = change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]");
            writer.apply(fromFeed);
            // İYS's access call, asked later about this very record, says the dealer's access was removed
            writer.apply(change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]")
                .dealerAccess(new int[0], 0, fetchedMs));
            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertFalse(lookup.dealerListed(DEALER), "access removed");

            // the same record again, with the list it was created with (pushed then pulled, a page fetched again)
            final ConsentChange again = change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]");
            assertEquals(ConsentIndexWriter.SUPERSEDED, writer.apply(again), "the same record: equal");
            assertEquals(0, again.dealerCount(), "what the tap publishes is the list the index kept, so a replica " +
                "reading the compacted topic from its start finds that list, not the feed's");
            assertEquals(fetchedMs, again.accessFetchedMs());
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertFalse(lookup.dealerListed(DEALER), "the record's own list is older news than İYS's access call: " +
                "the removed dealer is not given access back");
            assertEquals(fetchedMs, lookup.dealerListFetchedMs(), "the access list and its read time stay");

            writer.apply(change("2025-01-02 10:00:00", "b", "ONAY", "[" + DEALER + "]"));
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertTrue(lookup.dealerListed(DEALER), "a newer record's list replaces it");
        }
    }

    @Test
    void shouldKeepListsAcrossARestartAndOpenAnIndexWrittenBeforeDealers() throws IOException
    {
        try (ConsentStore store = open())
        {
            writer.apply(change("2025-01-01 10:00:00", "a", "ONAY", "[" + DEALER + "]"));
            assertEquals(1, store.brand(BRAND).dealerLists());
        }
        try (ConsentStore store = open())
        {
            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)));
            assertTrue(lookup.dealerListed(DEALER), "the list is on disk with its consent");
        }
        Files.delete(dataDir.resolve("brands").resolve(Long.toString(BRAND)).resolve(BrandIndex.DEALERS_FILE));
        try (ConsentStore store = open())
        {
            final BrandIndex brand = store.brand(BRAND);
            assertNull(brand.damage(), "an index without a dealer map is one written before dealers were kept");
            final IndexLookup lookup = store.newLookup();
            assertEquals(ConsentStatus.ONAY, status(lookup, brand));
            assertFalse(lookup.dealerListed(DEALER), "a flagged record whose list is gone lists nobody");
        }
    }

    /**
     * A dealer's decision allocates nothing, its dealer read included: measured on this thread alone, over many
     * decisions, not warmed up for C2 (as RespAllocationTest does), below what one allocation per decision costs.
     */
    @Test
    void shouldDecideWithAndWithoutADealerWithoutAllocating() throws IOException
    {
        try (ConsentStore store = open())
        {
            writer.apply(change("2025-01-01 10:00:00", "a", "ONAY", "[" + OTHER_DEALER + "," + DEALER + "]"));
            final IndexLookup lookup = store.newLookup();
            final ConsentFilter filter = new ConsentFilter(FilterPolicy.DEFAULT);
            final BrandState brand = lookup.brand(BRAND);
            final ParsedRecipient phone = new ParsedRecipient().phone(PHONE);
            final long now = System.currentTimeMillis();
            for (final long dealer : new long[]{ConsentFilter.NO_DEALER, DEALER, 33_333_333L})
            {
                final Reason expected = dealer == ConsentFilter.NO_DEALER ? Reason.CONSENT :
                    dealer == DEALER ? Reason.DEALER_ACCESS : Reason.DEALER_NOT_AUTHORISED;
                for (int i = 0; i < 5_000; i++)
                {
                    assertEquals(expected, filter.decide(lookup, brand, Channel.MESAJ, RecipientType.BIREYSEL,
                        MessageKind.COMMERCIAL, phone, dealer, now, null));
                }
                final com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
                final long thread = Thread.currentThread().getId();
                final int decisions = 20_000;
                final long before = threads.getThreadAllocatedBytes(thread);
                Reason last = null;
                for (int i = 0; i < decisions; i++)
                {
                    last = filter.decide(lookup, brand, Channel.MESAJ, RecipientType.BIREYSEL,
                        MessageKind.COMMERCIAL, phone, dealer, now, null);
                }
                final double perDecision = (double)(threads.getThreadAllocatedBytes(thread) - before) / decisions;
                assertEquals(expected, last);
                assertTrue(perDecision < 8, "allocated " + perDecision + " bytes per decision, dealer " + dealer);
            }
        }
    }

    private ConsentStore open() throws IOException
    {
        // records of 2025, so no freshness bound; the brand's dealer lists trusted, as dealer-access-trust-feed does
        final ConsentStore store = ConsentStore.open(dataDir, new IndexOptions(1_000,
            IndexOptions.DEFAULT_MAX_BLOAT_FACTOR, brand -> 0).withKey(TestKeys.KEY)
            .withDealerAccessTrusted(brand -> true));
        writer = store.writer();
        if (store.brand(BRAND) == null)
        {
            writer.createBrand(BRAND);
        }
        return store;
    }

    private Decider decider(final ConsentStore store)
    {
        return new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), DecisionRecorder.NONE);
    }

    private ConsentChange change(final String creationDate, final String tx, final String status,
        final String retailerAccess)
    {
        final ConsentChange change = new ConsentChange();
        final String error = parser.parse(BRAND, creationDate, tx.repeat(64), "+" + PHONE, "BIREYSEL", "MESAJ",
            status, "2020-01-01 00:00:00", "HS_WEB", "", retailerAccess, change);
        assertNull(error, error);
        return change;
    }

    private ParsedRecipient recipient(final String address)
    {
        final ParsedRecipient parsed = new ParsedRecipient();
        new RecipientParser().parse(address, parsed);
        return parsed;
    }

    private int status(final IndexLookup lookup, final BrandState brand)
    {
        return lookup.status(brand, Channel.MESAJ, RecipientType.BIREYSEL, recipient.phone(PHONE));
    }
}
