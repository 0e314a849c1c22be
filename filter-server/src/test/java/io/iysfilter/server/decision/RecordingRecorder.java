package io.iysfilter.server.decision;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link DecisionRecorder} for tests: keeps a copy of every decision it records, gives ids as the journal does
 * (run 1, sequence from 1), names parties in order from 1, and can be made to fail (return
 * {@link DecisionRecorder#NOT_RECORDED}) to test the policy.
 */
public final class RecordingRecorder implements DecisionRecorder
{
    /** The run of the ids this recorder gives. */
    public static final long RUN = 1L << 48;

    /**
     * One recorded decision, copied out of its facts.
     *
     * @param id              the decision id given.
     * @param door            the endpoint.
     * @param party           who asked, by name.
     * @param timeMs          when.
     * @param brandCode       the brand asked.
     * @param asOfMs          the brand's as-of.
     * @param channel         the channel asked.
     * @param type            the recipient type asked.
     * @param kind            the kind asked.
     * @param reason          the answer recorded.
     * @param recipientForm   a {@link DecisionFacts} RECIPIENT_ constant.
     * @param recipientKey0   the key's first word.
     * @param recipientKey1   the key's second word.
     * @param recordStatus    the record's status, NONE for no record.
     * @param recordCreation  the record's creationDate, epoch seconds.
     * @param recordTxDigest  the record's transaction id digest.
     * @param dealerCode      the dealer the request named, 0 for none.
     */
    public record Receipt(long id, Door door, String party, long timeMs, long brandCode, long asOfMs, Channel channel,
        RecipientType type, MessageKind kind, Reason reason, int recipientForm, long recipientKey0,
        long recipientKey1, int recordStatus, long recordCreation, long recordTxDigest, long dealerCode)
    {
    }

    private final boolean allowsUnrecorded;
    private final List<String> parties = new ArrayList<>();
    private final List<Receipt> receipts = new ArrayList<>();
    private volatile boolean failing;
    private volatile boolean partiesExhausted;
    private long sequence;

    /**
     * @param allowsUnrecorded the policy: true for {@code allow}, false for {@code deny}.
     */
    public RecordingRecorder(final boolean allowsUnrecorded)
    {
        this.allowsUnrecorded = allowsUnrecorded;
    }

    /**
     * @param failing whether every decision from now on goes unrecorded, as with a full queue or a failed disk.
     * @return this.
     */
    public RecordingRecorder failing(final boolean failing)
    {
        this.failing = failing;
        return this;
    }

    /**
     * @param exhausted whether new names get party 0 from now on, as when a run has numbered 65,535 names.
     * @return this.
     */
    public RecordingRecorder partiesExhausted(final boolean exhausted)
    {
        this.partiesExhausted = exhausted;
        return this;
    }

    @Override
    public synchronized int party(final Door door, final String name)
    {
        if (partiesExhausted)
        {
            return 0;
        }
        parties.add(name);
        return parties.size();
    }

    /**
     * @return the names numbered so far, in order.
     */
    public synchronized List<String> parties()
    {
        return List.copyOf(parties);
    }

    @Override
    public synchronized long record(final DecisionFacts facts)
    {
        if (failing)
        {
            return NOT_RECORDED;
        }
        final long id = RUN | ++sequence;
        receipts.add(new Receipt(id, facts.door(), facts.party() == 0 ? null : parties.get(facts.party() - 1),
            facts.timeMs(), facts.brandCode(), facts.asOfMs(), facts.channel(), facts.type(), facts.kind(),
            facts.reason(), facts.recipientForm(), facts.recipientKey0(), facts.recipientKey1(),
            facts.recordStatus(), facts.recordCreationSec(), facts.recordTxDigest(), facts.dealerCode()));
        return id;
    }

    @Override
    public boolean allowsUnrecorded()
    {
        return allowsUnrecorded;
    }

    /**
     * @return a copy of what was recorded, in order.
     */
    public synchronized List<Receipt> receipts()
    {
        return List.copyOf(receipts);
    }

    /**
     * @return the last receipt recorded.
     */
    public synchronized Receipt last()
    {
        return receipts.get(receipts.size() - 1);
    }
}
