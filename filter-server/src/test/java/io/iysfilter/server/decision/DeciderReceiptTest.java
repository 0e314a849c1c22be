package io.iysfilter.server.decision;

import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.index.ConsentStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.iysfilter.server.ReceiptAssertions.assertAsked;
import static io.iysfilter.server.ReceiptAssertions.assertRecipient;
import static io.iysfilter.server.ReceiptAssertions.assertRecord;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every decision of a {@link Decider} is recorded before it is answered, with what the index held: the facts
 * recorded per kind of answer, the id on the answer, and the policy for a decision the journal could not take.
 */
class DeciderReceiptTest
{
    private static final long NOW = System.currentTimeMillis();

    @TempDir
    static Path dataDir;
    private static ConsentStore store;

    @BeforeAll
    static void open() throws Exception
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
    }

    @AfterAll
    static void close()
    {
        store.close();
    }

    private record Case(long brand, Channel channel, RecipientType type, MessageKind kind, String recipient,
        Reason reason, long asOf, boolean named, boolean held)
    {
    }

    private static Decider decider(final DecisionRecorder recorder)
    {
        final Decider decider = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder);
        decider.asker(Door.BINARY, Decider.partyName(null, "127.0.0.1"));
        return decider;
    }

    private static Reason decide(final Decider decider, final long brand, final Channel channel,
        final RecipientType type, final MessageKind kind, final String recipient)
    {
        return decider.decide(brand, decider.brand(brand), channel, type, kind, recipient, NOW);
    }

    @Test
    void shouldRecordWhatTheIndexHeldForEachKindOfAnswer()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final Decider decider = decider(recorder);
        final long asOf = store.brand(Fixtures.BRAND).asOfMs();
        final long staleAsOf = store.brand(Fixtures.STALE_BRAND).asOfMs();
        final List<Case> cases = List.of(
            new Case(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.CONSENT, asOf, true, true),
            new Case(Fixtures.BRAND, Channel.MESAJ, RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL,
                Fixtures.REJECTED, Reason.REJECTED, asOf, true, true),
            new Case(Fixtures.BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.EMAIL, Reason.CONSENT, asOf, true, true),
            new Case(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                "+905320000000", Reason.NO_CONSENT, asOf, true, false),
            new Case(Fixtures.BRAND, Channel.ARAMA, RecipientType.TACIR, MessageKind.COMMERCIAL,
                Fixtures.TACIR, Reason.CONSENT, asOf, true, true),
            // answers that read no map still name the recipient, so that their receipts are found by it
            new Case(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.TRANSACTIONAL,
                Fixtures.REJECTED, Reason.EXEMPT, asOf, true, false),
            new Case(Fixtures.STALE_BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.STALE, staleAsOf, true, false),
            // and none when there is no brand to key it with, or no valid recipient
            new Case(600_999, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.UNKNOWN_BRAND, 0, false, false),
            new Case(Fixtures.BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.INVALID_RECIPIENT, asOf, false, false),
            new Case(Fixtures.BRAND, null, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                Fixtures.CONSENTED, Reason.INVALID_REQUEST, asOf, false, false));
        long previous = 0;
        for (final Case c : cases)
        {
            final Reason reason = decide(decider, c.brand(), c.channel(), c.type(), c.kind(), c.recipient());
            assertEquals(c.reason(), reason, c.toString());
            final RecordingRecorder.Receipt receipt = recorder.last();
            assertEquals(receipt.id(), decider.lastDecisionId(), "the answer's id is the recorded one: " + c);
            assertTrue(Long.compareUnsigned(receipt.id(), previous) > 0, "ids are distinct and ordered");
            previous = receipt.id();
            assertEquals(NOW, receipt.timeMs());
            assertAsked(receipt, Door.BINARY, "peer:127.0.0.1", c.brand(), c.channel(), c.type(), c.kind(),
                c.reason(), c.asOf());
            assertEquals(c.asOf(), decider.lastAsOfMs());
            assertRecipient(receipt, c.recipient(), c.named());
            if (c.reason() == Reason.CONSENT || c.reason() == Reason.REJECTED || c.reason() == Reason.NO_CONSENT)
            {
                assertRecord(receipt, store, c.recipient(), c.held());
            }
            else
            {
                // no map was read: the answer rested on no record, whatever the index holds
                assertEquals(ConsentStatus.NONE, receipt.recordStatus(), c.toString());
                assertEquals(0, receipt.recordCreation(), c.toString());
                assertEquals(0, receipt.recordTxDigest(), c.toString());
            }
        }
        assertEquals(cases.size(), recorder.receipts().size(), "one receipt per decision");
        assertNotEquals(recorder.receipts().get(0).recipientKey0(), recorder.receipts().get(1).recipientKey0());
    }

    @Test
    void shouldRecordADecisionMadeBeforeTheRules()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final Decider decider = decider(recorder);
        assertEquals(Reason.INVALID_REQUEST, decider.refuse(0, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Reason.INVALID_REQUEST, NOW));
        assertEquals(recorder.last().id(), decider.lastDecisionId());
        assertAsked(recorder.last(), Door.BINARY, "peer:127.0.0.1", 0, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Reason.INVALID_REQUEST, 0);
        assertEquals(DecisionFacts.RECIPIENT_NONE, recorder.last().recipientForm());
    }

    @Test
    void shouldDenyAnUnrecordedAllowUnderPolicyDenyAndLeaveADenyAsItWas()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false).failing(true);
        final Decider decider = decider(recorder);
        assertEquals(Reason.RECEIPT_UNAVAILABLE, decide(decider, Fixtures.BRAND, Channel.MESAJ,
            RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED));
        assertEquals(DecisionRecorder.NOT_RECORDED, decider.lastDecisionId());
        assertEquals(Reason.RECEIPT_UNAVAILABLE, decide(decider, Fixtures.BRAND, Channel.MESAJ,
            RecipientType.BIREYSEL, MessageKind.TRANSACTIONAL, Fixtures.CONSENTED), "EXEMPT is an ALLOW too");
        assertEquals(Reason.REJECTED, decide(decider, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Fixtures.REJECTED), "a DENY stays the DENY it was");
        assertEquals(DecisionRecorder.NOT_RECORDED, decider.lastDecisionId());
        assertTrue(recorder.receipts().isEmpty());

        recorder.failing(false);
        assertEquals(Reason.CONSENT, decide(decider, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Fixtures.CONSENTED), "recorded again, allowed again");
        assertEquals(recorder.last().id(), decider.lastDecisionId());
    }

    @Test
    void shouldServeAnUnrecordedAllowUnderPolicyAllow()
    {
        final Decider decider = decider(new RecordingRecorder(true).failing(true));
        assertEquals(Reason.CONSENT, decide(decider, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Fixtures.CONSENTED));
        assertEquals(DecisionRecorder.NOT_RECORDED, decider.lastDecisionId());
        final Decider off = decider(DecisionRecorder.NONE);
        assertEquals(Reason.CONSENT, decide(off, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Fixtures.CONSENTED), "the journal off serves every answer");
    }

    @Test
    void shouldTakeARecorderThatThrowsAsOneThatCouldNotRecord()
    {
        final DecisionRecorder throwing = new DecisionRecorder()
        {
            @Override
            public int party(final Door door, final String name)
            {
                return 1;
            }

            @Override
            public long record(final DecisionFacts facts)
            {
                throw new IllegalStateException("journal bug");
            }

            @Override
            public boolean allowsUnrecorded()
            {
                return false;
            }
        };
        final Decider decider = decider(throwing);
        assertEquals(Reason.RECEIPT_UNAVAILABLE, decide(decider, Fixtures.BRAND, Channel.MESAJ,
            RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED));
        assertEquals(DecisionRecorder.NOT_RECORDED, decider.lastDecisionId());
    }

    @Test
    void shouldNumberAPartyOnlyAtItsFirstRecordedDecision()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final Decider decider = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder);
        // a scan: connections from many addresses that never ask anything take no number
        for (int i = 0; i < 1_000; i++)
        {
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder)
                .asker(Door.HTTP, Decider.partyName(null, "10.0." + (i >> 8) + "." + (i & 0xFF)));
            decider.asker(Door.BINARY, Decider.partyName(null, "10.1." + (i >> 8) + "." + (i & 0xFF)));
        }
        assertEquals(List.of(), recorder.parties());

        decider.asker(Door.BINARY, Decider.partyName("acme", "10.2.0.1"));
        assertEquals(Reason.CONSENT, decide(decider, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Fixtures.CONSENTED));
        assertEquals(Reason.REJECTED, decide(decider, Fixtures.BRAND, Channel.MESAJ, RecipientType.UNSPECIFIED,
            MessageKind.COMMERCIAL, Fixtures.REJECTED));
        assertEquals(List.of("client:acme"), recorder.parties(), "named once, at its first decision");
        assertEquals("client:acme", recorder.receipts().get(0).party());
        assertEquals("client:acme", recorder.last().party());
    }

    @Test
    void shouldAnswerDenyForAnAllowOfAPartyTheRunCannotNameUnderPolicyDeny()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false).partiesExhausted(true);
        final Decider decider = decider(recorder);
        assertEquals(Reason.RECEIPT_UNAVAILABLE, decide(decider, Fixtures.BRAND, Channel.MESAJ,
            RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED), "never an ALLOW nobody is named for");
        assertEquals(recorder.last().id(), decider.lastDecisionId(), "the DENY is recorded");
        assertEquals(Reason.RECEIPT_UNAVAILABLE, recorder.last().reason());
        assertEquals(null, recorder.last().party());
        assertEquals(Reason.REJECTED, decide(decider, Fixtures.BRAND, Channel.MESAJ, RecipientType.UNSPECIFIED,
            MessageKind.COMMERCIAL, Fixtures.REJECTED), "a DENY goes out as it is");
        assertEquals(Reason.REJECTED, recorder.last().reason());

        final RecordingRecorder allowing = new RecordingRecorder(true).partiesExhausted(true);
        final Decider served = decider(allowing);
        assertEquals(Reason.CONSENT, decide(served, Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Fixtures.CONSENTED), "policy allow serves it, recorded without a name");
        assertEquals(Reason.CONSENT, allowing.last().reason());
        assertEquals(null, allowing.last().party());
    }

    @Test
    void shouldNameTheAskerAsTheBriefSays()
    {
        assertEquals("client:acme", Decider.partyName("acme", "10.0.0.1"));
        assertEquals("peer:10.0.0.1", Decider.partyName(null, "10.0.0.1"));
        assertEquals("0001000000000001", DecisionIds.text(0x0001_0000_0000_0001L));
        assertEquals("ffffffffffffffff", DecisionIds.text(-1L));
        assertEquals("0000000000000000", DecisionIds.text(DecisionRecorder.NOT_RECORDED));
    }
}
