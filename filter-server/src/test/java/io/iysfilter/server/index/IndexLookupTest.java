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
import io.iysfilter.server.decision.RecipientType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A lookup reads through the brand it resolved, and a brand handed to it from elsewhere is resolved by its code:
 * never another brand's maps, and a brand the store does not hold is an error (the decision's LOOKUP_ERROR).
 */
class IndexLookupTest
{
    private static final long BRAND = 600_001;
    private static final long OTHER_BRAND = 600_002;
    private static final long PHONE = 905_321_234_567L;
    private static final String CREATION = "2025-01-01 10:00:00";

    @TempDir
    Path dataDir;

    private final TestChanges changes = new TestChanges();
    private final ParsedRecipient recipient = new ParsedRecipient();

    @Test
    void shouldReadTheBrandHandedInEvenWhenAnotherWasResolvedLast() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            writer.createBrand(OTHER_BRAND);
            writer.apply(changes.change(BRAND, CREATION, "a".repeat(64), "+" + PHONE, "BIREYSEL", "MESAJ", "ONAY"));
            writer.apply(changes.change(OTHER_BRAND, CREATION, "b".repeat(64), "+" + PHONE, "BIREYSEL", "MESAJ",
                "RET"));

            final IndexLookup lookup = store.newLookup();
            final BrandState brand = lookup.brand(BRAND);
            assertEquals(ConsentStatus.ONAY, status(lookup, brand));
            final BrandState other = lookup.brand(OTHER_BRAND);
            assertEquals(ConsentStatus.ONAY, status(lookup, brand), "the brand handed in, not the last resolved");
            assertEquals(ConsentStatus.RET, status(lookup, other));
            assertEquals(ConsentStatus.ONAY, status(lookup, store.brand(BRAND)), "the store's handle of the brand");
            assertEquals(ConsentStatus.RET, status(lookup, store.brand(OTHER_BRAND)));
        }
    }

    @Test
    void shouldRefuseABrandTheStoreDoesNotHoldSoTheDecisionIsLookupError() throws IOException
    {
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(1_000)))
        {
            store.writer().createBrand(BRAND);
            final BrandState foreign = new BrandState()
            {
                @Override
                public long brandCode()
                {
                    return 600_009;
                }

                @Override
                public long asOfMs()
                {
                    return System.currentTimeMillis();
                }

                @Override
                public long freshnessBoundMs()
                {
                    return 0;
                }

                @Override
                public Reason unreadyReason()
                {
                    return null;
                }
            };
            final IndexLookup lookup = store.newLookup();
            lookup.brand(BRAND);
            assertThrows(IllegalStateException.class, () -> status(lookup, foreign));
            final Decider decider = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                DecisionRecorder.NONE);
            assertEquals(Reason.LOOKUP_ERROR, decider.decide(BRAND, foreign, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, "+" + PHONE, System.currentTimeMillis()));
        }
    }

    private int status(final IndexLookup lookup, final BrandState brand)
    {
        return lookup.status(brand, Channel.MESAJ, RecipientType.BIREYSEL, recipient.phone(PHONE));
    }
}
