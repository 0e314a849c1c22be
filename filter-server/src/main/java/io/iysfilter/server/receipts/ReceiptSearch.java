package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.ReceiptDecoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Finds one brand's receipts of one recipient in the journal. The journal holds no recipient in plain: it holds the
 * brand's index key of it (docs/RECEIPTS.md, "The protected recipient"), which depends on the channel and the
 * recipient type, so a phone number is searched under its four keys (ARAMA and MESAJ, BIREYSEL and TACIR) and an
 * e-mail address under its two (BIREYSEL and TACIR), computed with the data directory's index key exactly as the
 * index computes them. Every receipt of the days in range is read and compared: a scan, meant for the rare question
 * of a complaint or an audit, not for the hot path.
 * <p>
 * A day is all or nothing: the source may refuse a day part way through ({@link ReceiptSource#read}: its parties
 * not as the journal writes them, so no receipt of it can be attributed), having handed over its earlier receipts
 * already; so a day's matches are held until the day has been read whole, and only then handed on. What is held is
 * one recipient's receipts of one brand in one day, never the day's receipts.
 */
public final class ReceiptSearch
{
    /** What the search reads of a receipt's recipient: the 12 bytes of the schema. */
    private static final int RECIPIENT_OFFSET = ReceiptDecoder.recipientEncodingOffset();
    private static final Channel[] PHONE_CHANNELS = {Channel.ARAMA, Channel.MESAJ};
    private static final RecipientType[] TYPES = {RecipientType.BIREYSEL, RecipientType.TACIR};

    /**
     * How a recipient is keyed for a brand: the index's own derivation ({@code index.RecipientProtection}), which
     * fills {@link DecisionFacts#recipient} as a decision does.
     */
    @FunctionalInterface
    public interface Protection
    {
        /**
         * @param brandCode the brand.
         * @param channel   the channel.
         * @param type      the recipient type.
         * @param recipient the parsed recipient.
         * @param facts     receives the key.
         */
        void protect(long brandCode, Channel channel, RecipientType type, ParsedRecipient recipient,
            DecisionFacts facts);
    }

    /**
     * One day searched, with its digest, so that a result (even an empty one) names what it was read from.
     *
     * @param digest  the day's root, or its chain head when still open.
     * @param matches the receipts found in it.
     */
    public record DaySearched(ReceiptSource.DayDigest digest, long matches)
    {
    }

    private final ReceiptSource source;
    private final Protection protection;

    /**
     * @param source     the journal.
     * @param protection the brand's keying of recipients; used by one search at a time (it need not be
     *                   thread-safe).
     */
    public ReceiptSearch(final ReceiptSource source, final Protection protection)
    {
        this.source = source;
        this.protection = protection;
    }

    /**
     * The protected forms of a recipient under which a brand's receipts hold it.
     *
     * @param protection the keying.
     * @param brandCode  the brand.
     * @param recipient  the recipient as written.
     * @return the keys, each as {@code {form, key0, low 32 bits of key1}}.
     * @throws IllegalArgumentException when the recipient is neither a phone number nor an e-mail address.
     */
    static long[][] keysOf(final Protection protection, final long brandCode, final String recipient)
    {
        final ParsedRecipient parsed = new ParsedRecipient();
        final int kind = new RecipientParser().parse(recipient, parsed);
        if (kind == ParsedRecipient.INVALID)
        {
            throw new IllegalArgumentException("recipient: not a phone number or e-mail address");
        }
        final Channel[] channels = kind == ParsedRecipient.PHONE ? PHONE_CHANNELS : new Channel[]{Channel.EPOSTA};
        final List<long[]> keys = new ArrayList<>();
        final DecisionFacts facts = new DecisionFacts();
        for (final Channel channel : channels)
        {
            for (final RecipientType type : TYPES)
            {
                facts.begin(0, brandCode, channel, type, null);
                protection.protect(brandCode, channel, type, parsed, facts);
                if (facts.recipientForm() == DecisionFacts.RECIPIENT_NONE)
                {
                    throw new IllegalArgumentException("recipient: cannot be keyed for brand " + brandCode);
                }
                keys.add(new long[]{facts.recipientForm(), facts.recipientKey0(),
                    facts.recipientKey1() & 0xFFFF_FFFFL});
            }
        }
        return keys.toArray(new long[0][]);
    }

    /**
     * Search.
     *
     * @param query the brand, recipient and range.
     * @param found told each receipt found, in journal order, a day's once the day has been read whole (none of a
     *              day the journal refuses); returns false to stop the search.
     * @return the days searched, each with its digest and the receipts found in it.
     * @throws IOException              when the journal cannot be read, or refuses a day.
     * @throws IllegalArgumentException when the query is bad, saying why.
     */
    public List<DaySearched> search(final ReceiptQuery query, final Predicate<FoundReceipt> found)
        throws IOException
    {
        final String problem = query.problem();
        if (problem != null)
        {
            throw new IllegalArgumentException(problem);
        }
        final long[][] keys;
        synchronized (protection)
        {
            keys = keysOf(protection, query.brandCode(), query.recipient());
        }
        final long firstDay = query.fromMs() == Long.MIN_VALUE ? Long.MIN_VALUE :
            Math.floorDiv(query.fromMs(), FoundReceipt.DAY_MS);
        final long lastDay = query.toMs() == Long.MAX_VALUE ? Long.MAX_VALUE :
            Math.floorDiv(query.toMs() - 1, FoundReceipt.DAY_MS);
        final List<DaySearched> days = new ArrayList<>();
        final List<FoundReceipt> dayMatches = new ArrayList<>();
        for (final long day : source.days())
        {
            if (day < firstDay || day > lastDay)
            {
                continue;
            }
            dayMatches.clear();
            source.read(day, (receipt, party) ->
            {
                final long timeMs = day * FoundReceipt.DAY_MS + receipt.dayMillis();
                if (receipt.brand() == query.brandCode() && timeMs >= query.fromMs() && timeMs < query.toMs() &&
                    matches(receipt, keys))
                {
                    dayMatches.add(FoundReceipt.decode(receipt, day, party));
                }
                return true;
            });
            // the day was read whole: none of it is refused, and its matches may go
            long matches = 0;
            boolean stopped = false;
            for (int i = 0; i < dayMatches.size() && !stopped; i++)
            {
                matches++;
                stopped = !found.test(dayMatches.get(i));
            }
            days.add(new DaySearched(source.digest(day), matches));
            if (stopped)
            {
                break;
            }
        }
        return days;
    }

    private static boolean matches(final ReceiptDecoder receipt, final long[][] keys)
    {
        final int form = receipt.flags().emailKey() ? DecisionFacts.RECIPIENT_EMAIL : DecisionFacts.RECIPIENT_PHONE;
        final long key0 = receipt.buffer().getLong(receipt.offset() + RECIPIENT_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final long key1 = receipt.buffer().getInt(receipt.offset() + RECIPIENT_OFFSET + 8, ByteOrder.LITTLE_ENDIAN) &
            0xFFFF_FFFFL;
        for (final long[] key : keys)
        {
            if (key[0] == form && key[1] == key0 && key[2] == key1)
            {
                return true;
            }
        }
        return false;
    }
}
