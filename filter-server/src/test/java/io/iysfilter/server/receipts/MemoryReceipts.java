package io.iysfilter.server.receipts;

import io.iysfilter.protocol.receipts.ReceiptDecoder;
import io.iysfilter.protocol.receipts.ReceiptEncoder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A journal in memory for tests of what reads it: receipts encoded from facts as the brief's "Receipt fields from
 * facts" says the recorder encodes them, filed by UTC day, with a day's digest and party names of its own.
 */
public final class MemoryReceipts implements ReceiptSource
{
    private final TreeMap<Long, List<byte[]>> days = new TreeMap<>();
    private final Map<Long, DayDigest> digests = new HashMap<>();
    private final Map<Long, String> parties = new HashMap<>();
    private final ReceiptSearch.Protection protection;
    private final RecipientParser parser = new RecipientParser();
    private final ParsedRecipient parsed = new ParsedRecipient();
    private long nextId = (1L << 48) + 1;

    /**
     * @param protection keys the recipients of the receipts added.
     */
    public MemoryReceipts(final ReceiptSearch.Protection protection)
    {
        this.protection = protection;
    }

    /**
     * A stand-in for the index's keying, for tests of the search alone: a different key per brand, channel, type
     * and recipient, as the real one gives.
     */
    public static final ReceiptSearch.Protection FAKE_PROTECTION = (brand, channel, type, recipient, facts) ->
    {
        long h = brand * 0x9E3779B97F4A7C15L ^ channel.ordinal() * 31L ^ type.effective().ordinal() * 131L;
        if (recipient.kind() == ParsedRecipient.PHONE)
        {
            h = mix(h ^ recipient.phoneDigits());
            facts.recipient(DecisionFacts.RECIPIENT_PHONE, h, 0);
        }
        else if (recipient.kind() == ParsedRecipient.EMAIL)
        {
            for (int i = 0; i < recipient.emailLength(); i++)
            {
                h = mix(h ^ recipient.emailBuffer().getByte(i));
            }
            facts.recipient(DecisionFacts.RECIPIENT_EMAIL, h, mix(h + 1));
        }
    };

    private static long mix(final long value)
    {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Record a decision's receipt.
     *
     * @param timeMs    when.
     * @param brand     the brand asked.
     * @param channel   the channel.
     * @param type      the recipient type.
     * @param recipient the recipient.
     * @param reason    the answer.
     * @param party     the party number (named {@code client:test<party>}).
     * @return its decision id.
     */
    public long add(final long timeMs, final long brand, final Channel channel, final RecipientType type,
        final String recipient, final io.iysfilter.server.decision.Reason reason, final int party)
    {
        final DecisionFacts facts = new DecisionFacts().begin(timeMs, brand, channel, type,
            io.iysfilter.server.decision.MessageKind.COMMERCIAL).asker(Door.HTTP, party)
            .answer(reason, timeMs - 5_000);
        if (parser.parse(recipient, parsed) != ParsedRecipient.INVALID)
        {
            protection.protect(brand, channel, type, parsed, facts);
        }
        if (reason == io.iysfilter.server.decision.Reason.CONSENT)
        {
            facts.record(ConsentStatus.ONAY, timeMs / 1000 - 86_400, 0x0000_A1B2_C3D4_E5F6L);
        }
        final long id = nextId++;
        parties.put((id >>> 48) << 16 | party, "client:test" + party);
        final long epochDay = Math.floorDiv(timeMs, FoundReceipt.DAY_MS);
        final byte[] bytes = new byte[ReceiptEncoder.BLOCK_LENGTH];
        encode(facts, id, new UnsafeBuffer(bytes));
        days.computeIfAbsent(epochDay, d -> new ArrayList<>()).add(bytes);
        digests.put(epochDay, new DayDigest(epochDay, false, "head" + epochDay + "-" + Long.toHexString(id), id));
        return id;
    }

    /**
     * @param epochDay a day held.
     * @param root     the root it is closed with.
     */
    public void close(final long epochDay, final String root)
    {
        digests.put(epochDay, new DayDigest(epochDay, true, root, digests.get(epochDay).covers()));
    }

    static void encode(final DecisionFacts facts, final long id, final UnsafeBuffer buffer)
    {
        final long timeMs = facts.timeMs();
        final long epochDay = Math.floorDiv(timeMs, FoundReceipt.DAY_MS);
        final long lag = facts.asOfMs() == 0 ? 0xFFFF_FFFFL : Math.max(0, timeMs - facts.asOfMs());
        final ReceiptEncoder receipt = new ReceiptEncoder().wrap(buffer, 0)
            .decisionId(id)
            .dayMillis(timeMs - epochDay * FoundReceipt.DAY_MS)
            .brand(facts.brandCode())
            .asOfLag(lag > 0xFFFF_FFFFL ? 0xFFFF_FFFFL : lag)
            .recordCreation(facts.recordCreationSec())
            .party(facts.party())
            .door(io.iysfilter.protocol.receipts.Door.get((short)facts.door().code()))
            .channel(facts.channel() == null ? io.iysfilter.protocol.receipts.Channel.UNKNOWN :
                io.iysfilter.protocol.receipts.Channel.get((short)facts.channel().code()))
            .reason(facts.reason().wire().value())
            .dealer(facts.dealerCode());
        buffer.putLong(ReceiptEncoder.recipientEncodingOffset(), facts.recipientKey0(), ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(ReceiptEncoder.recipientEncodingOffset() + 8, (int)facts.recipientKey1(),
            ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++)
        {
            receipt.recordTx(i, (short)(facts.recordTxDigest() >>> (8 * i) & 0xFF));
        }
        receipt.flags().clear()
            .tacir(facts.type() == RecipientType.TACIR)
            .transactional(facts.kind() == io.iysfilter.server.decision.MessageKind.TRANSACTIONAL)
            .recordOnay(facts.recordStatus() == ConsentStatus.ONAY)
            .recordRet(facts.recordStatus() == ConsentStatus.RET)
            .emailKey(facts.recipientForm() == DecisionFacts.RECIPIENT_EMAIL)
            .requestInvalid(facts.channel() == null || facts.type() == null || facts.kind() == null);
    }

    @Override
    public long[] days()
    {
        return days.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public void read(final long epochDay, final Visitor visitor)
    {
        for (final byte[] bytes : days.getOrDefault(epochDay, List.of()))
        {
            final ReceiptDecoder receipt = new ReceiptDecoder().wrap(new UnsafeBuffer(bytes), 0,
                ReceiptDecoder.BLOCK_LENGTH, ReceiptDecoder.SCHEMA_VERSION);
            if (!visitor.receipt(receipt, parties.get((receipt.decisionId() >>> 48) << 16 | receipt.party())))
            {
                return;
            }
        }
    }

    @Override
    public DayDigest digest(final long epochDay)
    {
        return digests.getOrDefault(epochDay, new DayDigest(epochDay, false, null, 0));
    }
}
