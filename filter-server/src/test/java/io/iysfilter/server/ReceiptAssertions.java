package io.iysfilter.server;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.decision.RecordingRecorder;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.RecipientProtection;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a receipt must hold, computed apart from the decision: the protected recipient by {@link RecipientProtection}
 * under the tests' key, and the record as the index holds it (read by the key of a change, the writer's way).
 */
public final class ReceiptAssertions
{
    private ReceiptAssertions()
    {
    }

    /**
     * The request and the answer of a receipt.
     *
     * @param receipt  the receipt.
     * @param door     the endpoint expected.
     * @param party    the party name expected.
     * @param brand    the brand asked.
     * @param channel  the channel asked.
     * @param type     the recipient type asked.
     * @param kind     the kind asked.
     * @param reason   the reason expected.
     * @param asOfMs   the as-of expected.
     */
    public static void assertAsked(final RecordingRecorder.Receipt receipt, final Door door, final String party,
        final long brand, final Channel channel, final RecipientType type, final MessageKind kind, final Reason reason,
        final long asOfMs)
    {
        final String what = receipt.toString();
        assertEquals(door, receipt.door(), what);
        assertEquals(party, receipt.party(), what);
        assertEquals(brand, receipt.brandCode(), what);
        assertEquals(channel, receipt.channel(), what);
        assertEquals(type, receipt.type(), what);
        assertEquals(kind, receipt.kind(), what);
        assertEquals(reason, receipt.reason(), what);
        assertEquals(asOfMs, receipt.asOfMs(), what);
    }

    /**
     * The protected recipient and the record of a receipt: the recipient's key under the tests' key (none when
     * {@code protectedForm} is false), and the record the index holds for it (or none).
     *
     * @param receipt       the receipt.
     * @param recipient     the recipient as asked.
     * @param protectedForm whether the receipt must name the recipient.
     */
    public static void assertRecipient(final RecordingRecorder.Receipt receipt, final String recipient,
        final boolean protectedForm)
    {
        final String what = receipt.toString();
        final ParsedRecipient parsed = new ParsedRecipient();
        new RecipientParser().parse(recipient, parsed);
        final DecisionFacts expected = new DecisionFacts();
        if (protectedForm)
        {
            RecipientProtection.of(TestKeys.KEY).protect(receipt.brandCode(), receipt.channel(), receipt.type(),
                parsed, expected);
            assertEquals(receipt.channel().isPhone() ? DecisionFacts.RECIPIENT_PHONE : DecisionFacts.RECIPIENT_EMAIL,
                expected.recipientForm(), "a valid recipient that fits the channel: " + recipient);
        }
        assertEquals(expected.recipientForm(), receipt.recipientForm(), what);
        assertEquals(expected.recipientKey0(), receipt.recipientKey0(), what);
        assertEquals(expected.recipientKey1(), receipt.recipientKey1(), what);
    }

    /**
     * The record of a receipt is the one the index holds for the recipient (or none).
     *
     * @param receipt   the receipt.
     * @param store     the index the decision read.
     * @param recipient the recipient as asked.
     * @param held      whether the index must hold a record for it (checked, so a test cannot pass on "none").
     */
    public static void assertRecord(final RecordingRecorder.Receipt receipt, final ConsentStore store,
        final String recipient, final boolean held)
    {
        final String what = receipt.toString();
        final ParsedRecipient parsed = new ParsedRecipient();
        new RecipientParser().parse(recipient, parsed);
        final long[] words = new long[2];
        final boolean found = store.newLookup().storedValue(new ConsentChange().set(receipt.brandCode(),
            receipt.channel(), receipt.type().effective(), parsed, ConsentStatus.ONAY, 0, 0, 0, 0, 0), words);
        assertEquals(held, found, "the index holds a record for " + recipient);
        assertEquals(found ? ConsentValueDescriptor.status(words[1]) : ConsentStatus.NONE, receipt.recordStatus(),
            what);
        assertEquals(found ? ConsentValueDescriptor.creationSec(words[0]) : 0, receipt.recordCreation(), what);
        assertEquals(found ? ConsentValueDescriptor.txDigest(words[0], words[1]) : 0, receipt.recordTxDigest(),
            what);
    }

    /**
     * @param receipt a receipt.
     * @return its id as the endpoints write it.
     */
    public static String idText(final RecordingRecorder.Receipt receipt)
    {
        return DecisionIds.text(receipt.id());
    }
}
