package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes receipts into a real journal on disk for tests of what reads it, encoded from facts as the recorder does,
 * each day appended in order (a later day closes the one before); party 1 is {@code client:test}.
 */
public final class JournalFiller implements AutoCloseable
{
    private final ReceiptJournal journal;
    private final ReceiptSearch.Protection protection;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
    private final ParsedRecipient parsed = new ParsedRecipient();
    private long lastMs;
    private long nextId = (1L << 48) + 1;

    private JournalFiller(final ReceiptJournal journal, final ReceiptSearch.Protection protection)
    {
        this.journal = journal;
        this.protection = protection;
    }

    /**
     * @param directory  the receipts directory.
     * @param protection keys the recipients.
     * @param nowMs      the time the journal is opened at.
     * @return the filler.
     * @throws IOException when the journal cannot be opened.
     */
    public static JournalFiller open(final Path directory, final ReceiptSearch.Protection protection,
        final long nowMs) throws IOException
    {
        return new JournalFiller(ReceiptJournal.open(directory, (run, party) -> "client:test", nowMs), protection);
    }

    /**
     * @param timeMs    when decided.
     * @param brand     the brand.
     * @param channel   the channel.
     * @param type      the recipient type.
     * @param recipient the recipient.
     * @param reason    the answer.
     * @return the decision id.
     * @throws IOException when the journal fails.
     */
    public long add(final long timeMs, final long brand, final Channel channel, final RecipientType type,
        final String recipient, final Reason reason) throws IOException
    {
        final DecisionFacts facts = new DecisionFacts().begin(timeMs, brand, channel, type, MessageKind.COMMERCIAL)
            .asker(Door.BINARY, 1).answer(reason, timeMs - 1_000);
        if (new RecipientParser().parse(recipient, parsed) != ParsedRecipient.INVALID)
        {
            protection.protect(brand, channel, type, parsed, facts);
        }
        final long id = nextId++;
        MemoryReceipts.encode(facts, id, buffer);
        journal.append(buffer, 0, Math.floorDiv(timeMs, FoundReceipt.DAY_MS));
        lastMs = timeMs;
        return id;
    }

    @Override
    public void close() throws IOException
    {
        journal.seal(lastMs);
        journal.force();
        journal.close();
    }
}
