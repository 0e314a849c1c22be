package io.iysfilter.server.decision;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per row of the decision table (issue 2, point 4).
 */
class ConsentFilterTest
{
    private static final long NOW_MS = 1_800_000_000_000L;
    private static final long HOUR_MS = 3_600_000L;
    private static final String PHONE = "05321234567";
    private static final String EMAIL = "ali@example.com.tr";

    private final FakeLookup lookup = new FakeLookup();
    private final FakeBrand fresh = new FakeBrand(600_001, NOW_MS - HOUR_MS, 72 * HOUR_MS);
    private final ConsentFilter strict = new ConsentFilter(new FilterPolicy(true));
    private final ConsentFilter lenient = new ConsentFilter(new FilterPolicy(false));

    @Test
    void transactionalIsExemptWhateverTheIndexHolds()
    {
        lookup.put(Channel.MESAJ, RecipientType.BIREYSEL, PHONE, ConsentStatus.RET);
        assertEquals(Reason.EXEMPT, decide(strict, fresh, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, PHONE));
        final FakeBrand stale = new FakeBrand(600_001, NOW_MS - 100 * HOUR_MS, 72 * HOUR_MS);
        assertEquals(Reason.EXEMPT, decide(strict, stale, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, PHONE));
        final FakeBrand empty = new FakeBrand(600_001, 0, 72 * HOUR_MS);
        assertEquals(Reason.EXEMPT, decide(strict, empty, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, PHONE), "a brand created but never fed is known");
        assertTrue(Reason.EXEMPT.allows());
        assertEquals(0, lookup.lookups, "an exempt message reads nothing from the index");
    }

    @Test
    void transactionalToABrandWithoutIndexIsUnknownBrandNotExempt()
    {
        assertEquals(Reason.UNKNOWN_BRAND, decide(strict, null, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, PHONE), "PROTOCOL.md §3: an unknown brand is refused before the exemption");
        assertEquals(Reason.UNKNOWN_BRAND, decide(lenient, null, Channel.EPOSTA, RecipientType.TACIR,
            MessageKind.TRANSACTIONAL, EMAIL));
    }

    /**
     * PROTOCOL.md §3 numbers the reasons in the order they are checked; each pair of neighbours meets here in one
     * request to which both apply, and the earlier must win.
     */
    @Test
    void shouldCheckInThePrecedenceProtocolMdStates()
    {
        final FakeBrand damagedAndStale = new FakeBrand(600_001, NOW_MS - 100 * HOUR_MS, 72 * HOUR_MS,
            Reason.INDEX_DAMAGED);
        final FakeBrand verifyingAndStale = new FakeBrand(600_001, 0, 72 * HOUR_MS, Reason.INDEX_VERIFYING);
        final FakeBrand stale = new FakeBrand(600_001, NOW_MS - 100 * HOUR_MS, 72 * HOUR_MS);
        assertEquals(Reason.INVALID_REQUEST, decide(strict, null, null, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, "not an address"), "1 INVALID_REQUEST before 2 INVALID_RECIPIENT");
        assertEquals(Reason.INVALID_RECIPIENT, decide(strict, null, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, EMAIL), "2 INVALID_RECIPIENT before 3 UNKNOWN_BRAND");
        assertEquals(Reason.UNKNOWN_BRAND, decide(strict, null, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, PHONE), "3 UNKNOWN_BRAND before 4 EXEMPT");
        assertEquals(Reason.EXEMPT, decide(strict, damagedAndStale, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, PHONE), "4 EXEMPT before 5 INDEX_DAMAGED");
        assertEquals(Reason.INDEX_DAMAGED, decide(strict, damagedAndStale, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE), "5 INDEX_DAMAGED before 6 STALE");
        assertEquals(Reason.INDEX_VERIFYING, decide(strict, verifyingAndStale, Channel.MESAJ,
            RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE), "5 INDEX_VERIFYING before 6 STALE");
        lookup.fail = true;
        assertEquals(Reason.STALE, decide(strict, stale, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE), "6 STALE before 7 LOOKUP_ERROR");
        assertEquals(0, lookup.lookups, "nothing before 7 reads the index");
        assertEquals(Reason.LOOKUP_ERROR, decide(strict, fresh, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE), "7 LOOKUP_ERROR before 8 the record");
    }

    @Test
    void bireyselWithOnayIsAllowedByConsent()
    {
        lookup.put(Channel.MESAJ, RecipientType.BIREYSEL, PHONE, ConsentStatus.ONAY);
        assertEquals(Reason.CONSENT, commercial(strict, Channel.MESAJ, RecipientType.BIREYSEL, PHONE));
        assertTrue(Reason.CONSENT.allows());
    }

    @Test
    void bireyselWithRetIsDeniedAsRejected()
    {
        lookup.put(Channel.EPOSTA, RecipientType.BIREYSEL, EMAIL, ConsentStatus.RET);
        assertEquals(Reason.REJECTED, commercial(strict, Channel.EPOSTA, RecipientType.BIREYSEL, EMAIL));
        assertFalse(Reason.REJECTED.allows());
    }

    @Test
    void bireyselWithoutRecordIsDeniedAsNoConsentWhateverThePolicy()
    {
        assertEquals(Reason.NO_CONSENT, commercial(strict, Channel.MESAJ, RecipientType.BIREYSEL, PHONE));
        assertEquals(Reason.NO_CONSENT, commercial(lenient, Channel.MESAJ, RecipientType.BIREYSEL, PHONE));
        assertFalse(Reason.NO_CONSENT.allows());
    }

    @Test
    void tacirWithRetIsDeniedAsRejected()
    {
        lookup.put(Channel.ARAMA, RecipientType.TACIR, PHONE, ConsentStatus.RET);
        assertEquals(Reason.REJECTED, commercial(lenient, Channel.ARAMA, RecipientType.TACIR, PHONE));
    }

    @Test
    void tacirWithOnayIsAllowedByConsent()
    {
        lookup.put(Channel.ARAMA, RecipientType.TACIR, PHONE, ConsentStatus.ONAY);
        assertEquals(Reason.CONSENT, commercial(strict, Channel.ARAMA, RecipientType.TACIR, PHONE));
    }

    @Test
    void tacirWithoutRecordFollowsThePolicy()
    {
        assertEquals(Reason.TACIR_NO_RECORD, commercial(lenient, Channel.ARAMA, RecipientType.TACIR, PHONE));
        assertTrue(Reason.TACIR_NO_RECORD.allows());
        assertEquals(Reason.NO_CONSENT, commercial(strict, Channel.ARAMA, RecipientType.TACIR, PHONE));
        assertTrue(FilterPolicy.DEFAULT.tacirRequiresRecord(), "the default is the stricter reading");
    }

    @Test
    void unspecifiedRecipientTypeIsDecidedAsBireysel()
    {
        assertEquals(Reason.NO_CONSENT, commercial(lenient, Channel.MESAJ, RecipientType.UNSPECIFIED, PHONE),
            "not TACIR_NO_RECORD: an unknown type is not a merchant");
        lookup.put(Channel.MESAJ, RecipientType.TACIR, PHONE, ConsentStatus.ONAY);
        assertEquals(Reason.NO_CONSENT, commercial(lenient, Channel.MESAJ, RecipientType.UNSPECIFIED, PHONE),
            "a TACIR record does not answer for an unspecified type");
        lookup.put(Channel.MESAJ, RecipientType.BIREYSEL, PHONE, ConsentStatus.ONAY);
        assertEquals(Reason.CONSENT, commercial(lenient, Channel.MESAJ, RecipientType.UNSPECIFIED, PHONE));
    }

    @Test
    void channelThatDoesNotFitTheAddressIsAnInvalidRecipient()
    {
        lookup.put(Channel.EPOSTA, RecipientType.BIREYSEL, EMAIL, ConsentStatus.ONAY);
        assertEquals(Reason.INVALID_RECIPIENT, commercial(strict, Channel.EPOSTA, RecipientType.BIREYSEL, PHONE));
        assertEquals(Reason.INVALID_RECIPIENT, commercial(strict, Channel.MESAJ, RecipientType.BIREYSEL, EMAIL));
        assertEquals(Reason.INVALID_RECIPIENT, commercial(strict, Channel.ARAMA, RecipientType.BIREYSEL, EMAIL));
        assertEquals(Reason.INVALID_RECIPIENT, decide(strict, fresh, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.TRANSACTIONAL, EMAIL), "even an exempt message needs a valid address");
    }

    @Test
    void unparsableAddressIsAnInvalidRecipient()
    {
        assertEquals(Reason.INVALID_RECIPIENT, commercial(strict, Channel.MESAJ, RecipientType.BIREYSEL, "12345"));
        assertEquals(Reason.INVALID_RECIPIENT, commercial(strict, Channel.EPOSTA, RecipientType.BIREYSEL, "a@b"));
        assertFalse(Reason.INVALID_RECIPIENT.allows());
    }

    @Test
    void brandWithoutIndexIsUnknown()
    {
        lookup.put(Channel.MESAJ, RecipientType.BIREYSEL, PHONE, ConsentStatus.ONAY);
        assertEquals(Reason.UNKNOWN_BRAND, decide(strict, null, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE));
        assertEquals(0, lookup.lookups, "no lookup for an unknown brand");
    }

    @Test
    void commercialPastTheFreshnessBoundIsStale()
    {
        lookup.put(Channel.MESAJ, RecipientType.BIREYSEL, PHONE, ConsentStatus.ONAY);
        final FakeBrand old = new FakeBrand(600_001, NOW_MS - 72 * HOUR_MS - 1, 72 * HOUR_MS);
        assertEquals(Reason.STALE, decide(strict, old, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE));
        final FakeBrand atBound = new FakeBrand(600_001, NOW_MS - 72 * HOUR_MS, 72 * HOUR_MS);
        assertEquals(Reason.CONSENT, decide(strict, atBound, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE));
        final FakeBrand empty = new FakeBrand(600_001, 0, 72 * HOUR_MS);
        assertEquals(Reason.STALE, decide(strict, empty, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE), "no data at all is not fresh data");
    }

    @Test
    void boundSwitchedOffIsNeverStale()
    {
        lookup.put(Channel.MESAJ, RecipientType.BIREYSEL, PHONE, ConsentStatus.ONAY);
        final FakeBrand imported = new FakeBrand(600_001, NOW_MS - 10_000 * HOUR_MS, 0);
        assertEquals(Reason.CONSENT, decide(strict, imported, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE));
    }

    @Test
    void damagedOrUnverifiedIndexIsDeniedForCommercialMessagesWithoutALookup()
    {
        lookup.put(Channel.MESAJ, RecipientType.BIREYSEL, PHONE, ConsentStatus.ONAY);
        for (final Reason unready : new Reason[]{Reason.INDEX_DAMAGED, Reason.INDEX_VERIFYING})
        {
            final FakeBrand brand = new FakeBrand(600_001, NOW_MS, 72 * HOUR_MS, unready);
            assertEquals(unready, decide(strict, brand, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, PHONE), "an ONAY read from an index that cannot be trusted is no consent");
            assertEquals(unready, decide(lenient, brand, Channel.MESAJ, RecipientType.TACIR,
                MessageKind.COMMERCIAL, PHONE));
            assertFalse(unready.allows());
            assertEquals(Reason.EXEMPT, decide(strict, brand, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.TRANSACTIONAL, PHONE), "transactional messages need no index");
        }
        assertEquals(0, lookup.lookups, "a brand that is not ready is never looked up");
    }

    @Test
    void failedLookupIsALookupError()
    {
        lookup.fail = true;
        assertEquals(Reason.LOOKUP_ERROR, commercial(strict, Channel.MESAJ, RecipientType.BIREYSEL, PHONE));
        assertFalse(Reason.LOOKUP_ERROR.allows());
    }

    @Test
    void unknownEnumValuesAreAnInvalidRequest()
    {
        assertEquals(Reason.INVALID_REQUEST, decide(strict, fresh, null, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE));
        assertEquals(Reason.INVALID_REQUEST, decide(strict, fresh, Channel.MESAJ, null, MessageKind.COMMERCIAL,
            PHONE));
        assertEquals(Reason.INVALID_REQUEST, decide(strict, fresh, Channel.MESAJ, RecipientType.BIREYSEL, null,
            PHONE));
    }

    @Test
    void everyDecisionMakesExactlyOneLookupWhenItReachesTheIndex()
    {
        commercial(strict, Channel.MESAJ, RecipientType.BIREYSEL, PHONE);
        assertEquals(1, lookup.lookups);
    }

    private Reason commercial(final ConsentFilter filter, final Channel channel, final RecipientType type,
        final String address)
    {
        return decide(filter, fresh, channel, type, MessageKind.COMMERCIAL, address);
    }

    private Reason decide(final ConsentFilter filter, final BrandState brand, final Channel channel,
        final RecipientType type, final MessageKind kind, final String address)
    {
        final ParsedRecipient recipient = new ParsedRecipient();
        new RecipientParser().parse(address, recipient);
        return filter.decide(lookup, brand, channel, type, kind, recipient, NOW_MS);
    }

    private record FakeBrand(long brandCode, long asOfMs, long freshnessBoundMs, Reason unreadyReason)
        implements BrandState
    {
        FakeBrand(final long brandCode, final long asOfMs, final long freshnessBoundMs)
        {
            this(brandCode, asOfMs, freshnessBoundMs, null);
        }
    }

    private static final class FakeLookup implements ConsentLookup
    {
        private final Map<String, Integer> statuses = new HashMap<>();
        private final RecipientParser parser = new RecipientParser();
        private final ParsedRecipient parsed = new ParsedRecipient();
        private boolean fail;
        private int lookups;

        void put(final Channel channel, final RecipientType type, final String address, final int status)
        {
            parser.parse(address, parsed);
            statuses.put(channel + "/" + type + "/" + parsed, status);
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
            if (fail)
            {
                throw new IllegalStateException("index unreadable");
            }
            return statuses.getOrDefault(channel + "/" + type + "/" + recipient, ConsentStatus.NONE);
        }
    }
}
