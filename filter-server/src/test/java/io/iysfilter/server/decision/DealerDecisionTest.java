package io.iysfilter.server.decision;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dealer's rule (issue 18, docs/INDEX.md "Dealer decisions"): with no dealer nothing changes and no dealer list
 * is read; with one, only an ONAY whose retailerAccess lists the dealer allows, a RET denies for everyone, exempt and
 * TACIR rules are the brand's, and a brand whose dealer lists are not trusted answers DEALER_ACCESS_UNKNOWN.
 */
class DealerDecisionTest
{
    private static final long NOW_MS = 1_800_000_000_000L;
    private static final long HOUR_MS = 3_600_000L;
    private static final String PHONE = "05321234567";
    private static final long DEALER = 22_233_344L;
    private static final long OTHER_DEALER = 44_222_419L;

    private final FakeLookup lookup = new FakeLookup();
    private final FakeBrand trusted = new FakeBrand(NOW_MS - HOUR_MS, null, true);
    private final FakeBrand untrusted = new FakeBrand(NOW_MS - HOUR_MS, null, false);
    private final ConsentFilter strict = new ConsentFilter(new FilterPolicy(true));
    private final ConsentFilter lenient = new ConsentFilter(new FilterPolicy(false));

    @Test
    void shouldDecideWithoutADealerAsBeforeAndReadNoDealerList()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.ONAY, Set.of(DEALER));
        assertEquals(Reason.CONSENT, decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            ConsentFilter.NO_DEALER));
        assertEquals(Reason.CONSENT, decide(strict, untrusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            ConsentFilter.NO_DEALER), "the trust setting concerns dealers only");
        assertEquals(2, lookup.lookups);
        assertEquals(0, lookup.dealerReads, "a brand's own check never reads a dealer list");
    }

    @Test
    void shouldAllowADealerTheOnayListsWithOneMoreRead()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.ONAY, Set.of(OTHER_DEALER, DEALER));
        final Reason reason = decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, DEALER);
        assertEquals(Reason.DEALER_ACCESS, reason);
        assertTrue(reason.allows());
        assertEquals(1, lookup.lookups);
        assertEquals(1, lookup.dealerReads);
    }

    @Test
    void shouldDenyADealerTheOnayDoesNotList()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.ONAY, Set.of(OTHER_DEALER));
        final Reason reason = decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, DEALER);
        assertEquals(Reason.DEALER_NOT_AUTHORISED, reason);
        assertFalse(reason.allows());
    }

    @Test
    void shouldDenyEveryDealerAnOnayWithoutAListAsTheBrandsOwnConsent()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.ONAY, Set.of());
        assertEquals(Reason.DEALER_NOT_AUTHORISED, decide(strict, trusted, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, DEALER), "a consent given to the brand is a dealer's only through access");
        assertEquals(Reason.CONSENT, decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            ConsentFilter.NO_DEALER));
    }

    @Test
    void shouldDenyEveryoneARetAsRejectedWhateverTheTrust()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.RET, Set.of());
        assertEquals(Reason.REJECTED, decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            DEALER));
        assertEquals(Reason.REJECTED, decide(strict, untrusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            DEALER));
        assertEquals(Reason.REJECTED, decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            ConsentFilter.NO_DEALER));
        assertEquals(0, lookup.dealerReads);
    }

    @Test
    void shouldAnswerDealerAccessUnknownForABrandWhoseListsAreNotTrustedWithoutReadingThem()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.ONAY, Set.of(DEALER));
        final Reason reason = decide(strict, untrusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, DEALER);
        assertEquals(Reason.DEALER_ACCESS_UNKNOWN, reason);
        assertFalse(reason.allows());
        assertEquals(0, lookup.dealerReads);
    }

    @Test
    void shouldApplyTheBrandsExemptStaleAndUnreadyRulesToADealer()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.RET, Set.of());
        assertEquals(Reason.EXEMPT, decide(strict, untrusted, RecipientType.BIREYSEL, MessageKind.TRANSACTIONAL,
            DEALER));
        assertEquals(Reason.UNKNOWN_BRAND, decide(strict, null, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            DEALER));
        final FakeBrand stale = new FakeBrand(NOW_MS - 100 * HOUR_MS, null, true);
        assertEquals(Reason.STALE, decide(strict, stale, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, DEALER));
        final FakeBrand damaged = new FakeBrand(NOW_MS, Reason.INDEX_DAMAGED, true);
        assertEquals(Reason.INDEX_DAMAGED, decide(strict, damaged, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            DEALER));
    }

    @Test
    void shouldApplyTheBrandsTacirAndNoRecordRulesToADealer()
    {
        assertEquals(Reason.NO_CONSENT, decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            DEALER));
        assertEquals(Reason.NO_CONSENT, decide(strict, trusted, RecipientType.TACIR, MessageKind.COMMERCIAL,
            DEALER), "tacir-requires-record: a dealer as the brand");
        assertEquals(Reason.TACIR_NO_RECORD, decide(lenient, untrusted, RecipientType.TACIR,
            MessageKind.COMMERCIAL, DEALER), "a TACIR with no record needs no consent, so no access either");
        lookup.put(RecipientType.TACIR, ConsentStatus.ONAY, Set.of());
        assertEquals(Reason.DEALER_NOT_AUTHORISED, decide(lenient, trusted, RecipientType.TACIR,
            MessageKind.COMMERCIAL, DEALER), "an ONAY on file is decided on its list, for a TACIR too");
    }

    @Test
    void shouldAnswerLookupErrorWhenTheDealerListCannotBeRead()
    {
        lookup.put(RecipientType.BIREYSEL, ConsentStatus.ONAY, Set.of(DEALER));
        lookup.failDealers = true;
        assertEquals(Reason.LOOKUP_ERROR, decide(strict, trusted, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            DEALER));
    }

    private Reason decide(final ConsentFilter filter, final BrandState brand, final RecipientType type,
        final MessageKind kind, final long dealer)
    {
        final ParsedRecipient recipient = new ParsedRecipient();
        new RecipientParser().parse(PHONE, recipient);
        return filter.decide(lookup, brand, Channel.MESAJ, type, kind, recipient, dealer, NOW_MS, null);
    }

    private record FakeBrand(long asOfMs, Reason unreadyReason, boolean dealerAccessTrusted) implements BrandState
    {
        @Override
        public long brandCode()
        {
            return 600_001;
        }

        @Override
        public long freshnessBoundMs()
        {
            return 72 * HOUR_MS;
        }
    }

    private static final class FakeLookup implements ConsentLookup
    {
        private final Map<RecipientType, Integer> statuses = new HashMap<>();
        private final Map<RecipientType, Set<Long>> dealers = new HashMap<>();
        private RecipientType last;
        private boolean failDealers;
        private int lookups;
        private int dealerReads;

        void put(final RecipientType type, final int status, final Set<Long> listed)
        {
            statuses.put(type, status);
            dealers.put(type, listed);
        }

        @Override
        public BrandState brand(final long brandCode)
        {
            throw new UnsupportedOperationException("the filter is handed its brand");
        }

        @Override
        public int status(final BrandState brand, final Channel channel, final RecipientType type,
            final ParsedRecipient recipient)
        {
            lookups++;
            last = type;
            return statuses.getOrDefault(type, ConsentStatus.NONE);
        }

        @Override
        public boolean dealerListed(final long dealerCode)
        {
            dealerReads++;
            if (failDealers)
            {
                throw new IllegalStateException("dealer map unreadable");
            }
            return dealers.getOrDefault(last, Set.of()).contains(dealerCode);
        }
    }
}
