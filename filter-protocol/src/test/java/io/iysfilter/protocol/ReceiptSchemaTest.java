package io.iysfilter.protocol;

import io.iysfilter.protocol.receipts.Channel;
import io.iysfilter.protocol.receipts.DealerPartyEntryDecoder;
import io.iysfilter.protocol.receipts.DealerPartyEntryEncoder;
import io.iysfilter.protocol.receipts.Door;
import io.iysfilter.protocol.receipts.MessageHeaderEncoder;
import io.iysfilter.protocol.receipts.PartyReceiptDecoder;
import io.iysfilter.protocol.receipts.PartyReceiptEncoder;
import io.iysfilter.protocol.receipts.ReceiptDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receipt schema (7701) as the journal files receipts from version 4: a {@code PartyReceipt} of 48 bytes that
 * shares a {@code Receipt}'s first 42 bytes, flags and reason, with the party, door, channel and dealer in one uint32
 * naming a day party (bits 0-23), the door (bits 24-26) and the channel (bits 27-28); a {@code DealerPartyEntry}
 * numbering a day party. Golden vectors pin the bytes, so a schema change that moves them fails here.
 */
class ReceiptSchemaTest
{
    private static final int DAY_PARTY = 258;
    private static final long DEALER = 4_000_000_123L;

    @Test
    void shouldKeepAPartyReceiptIn48BytesSharingTheReceiptsFirst42() throws Exception
    {
        assertEquals(4, PartyReceiptEncoder.SCHEMA_VERSION);
        assertEquals("1.3.0", PartyReceiptEncoder.SEMANTIC_VERSION);
        assertEquals(5, PartyReceiptEncoder.TEMPLATE_ID);
        assertEquals(6, DealerPartyEntryEncoder.TEMPLATE_ID);
        assertEquals(48, PartyReceiptEncoder.BLOCK_LENGTH);
        assertEquals(12, DealerPartyEntryEncoder.BLOCK_LENGTH);
        assertEquals(52, ReceiptDecoder.BLOCK_LENGTH, "the queue's Receipt is unchanged");
        assertEquals(ReceiptDecoder.decisionIdEncodingOffset(), PartyReceiptDecoder.decisionIdEncodingOffset());
        assertEquals(ReceiptDecoder.dayMillisEncodingOffset(), PartyReceiptDecoder.dayMillisEncodingOffset());
        assertEquals(ReceiptDecoder.brandEncodingOffset(), PartyReceiptDecoder.brandEncodingOffset());
        assertEquals(ReceiptDecoder.recipientEncodingOffset(), PartyReceiptDecoder.recipientEncodingOffset());
        assertEquals(ReceiptDecoder.asOfLagEncodingOffset(), PartyReceiptDecoder.asOfLagEncodingOffset());
        assertEquals(ReceiptDecoder.recordCreationEncodingOffset(),
            PartyReceiptDecoder.recordCreationEncodingOffset());
        assertEquals(ReceiptDecoder.recordTxEncodingOffset(), PartyReceiptDecoder.recordTxEncodingOffset());
        assertEquals(42, PartyReceiptDecoder.partyDoorChannelEncodingOffset());
        assertEquals(ReceiptDecoder.partyEncodingOffset(), PartyReceiptDecoder.partyDoorChannelEncodingOffset());
        assertEquals(ReceiptDecoder.flagsEncodingOffset(), PartyReceiptDecoder.flagsEncodingOffset());
        assertEquals(ReceiptDecoder.reasonEncodingOffset(), PartyReceiptDecoder.reasonEncodingOffset());
    }

    @Test
    void shouldFitEveryDoorIn3BitsAndEveryChannelIn2()
    {
        for (final Door door : Door.values())
        {
            assertTrue(door == Door.NULL_VAL || door == Door.SBE_UNKNOWN || door.value() <= 0x7,
                door + " fits bits 24-26");
        }
        for (final Channel channel : Channel.values())
        {
            assertTrue(channel == Channel.NULL_VAL || channel == Channel.SBE_UNKNOWN ||
                channel.value() <= 0x3, channel + " fits bits 27-28");
        }
    }

    @Test
    void shouldEncodeThePartyReceiptGoldenVector()
    {
        final UnsafeBuffer golden = GoldenVectorsTest.load("receipt-party-v4.hex");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[golden.capacity()]);
        final PartyReceiptEncoder encoder = new PartyReceiptEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .decisionId(0x0001_0000_0000_0a3fL)
            .dayMillis(43_200_000)
            .brand(600_001)
            .putRecipient(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0, 12)
            .asOfLag(250)
            .recordCreation(1_700_000_000L)
            .putRecordTx(new byte[] {(byte)0xa1, (byte)0xa2, (byte)0xa3, (byte)0xa4, (byte)0xa5, (byte)0xa6}, 0, 6)
            .partyDoorChannel(DAY_PARTY | Door.BINARY.value() << 24 | Channel.MESAJ.value() << 27);
        encoder.flags().clear().recordOnay(true);
        encoder.reason((short)1);
        assertEquals(GoldenHex.format(bytes(golden)), GoldenHex.format(bytes(buffer)));

        final PartyReceiptDecoder decoder = new PartyReceiptDecoder().wrap(golden,
            MessageHeaderEncoder.ENCODED_LENGTH, PartyReceiptDecoder.BLOCK_LENGTH, PartyReceiptDecoder.SCHEMA_VERSION);
        final long word = decoder.partyDoorChannel();
        assertEquals(DAY_PARTY, word & 0xFF_FFFF);
        assertEquals(Door.BINARY.value(), (word >>> 24) & 0x7);
        assertEquals(Channel.MESAJ.value(), (word >>> 27) & 0x3);
        assertTrue(decoder.flags().recordOnay());
        assertEquals(1, decoder.reason());
    }

    @Test
    void shouldEncodeTheDealerPartyEntryGoldenVector()
    {
        final UnsafeBuffer golden = GoldenVectorsTest.load("receipt-dealer-party-entry-v4.hex");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[golden.capacity()]);
        new DealerPartyEntryEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .dayParty(DAY_PARTY)
            .run(1)
            .party(7)
            .dealer(DEALER);
        assertEquals(GoldenHex.format(bytes(golden)), GoldenHex.format(bytes(buffer)));
        final DealerPartyEntryDecoder decoder = new DealerPartyEntryDecoder().wrap(golden,
            MessageHeaderEncoder.ENCODED_LENGTH, DealerPartyEntryDecoder.BLOCK_LENGTH,
            DealerPartyEntryDecoder.SCHEMA_VERSION);
        assertEquals(DEALER, decoder.dealer(), "the full unsigned 32 bits");
    }

    private static byte[] bytes(final UnsafeBuffer buffer)
    {
        final byte[] bytes = new byte[buffer.capacity()];
        buffer.getBytes(0, bytes);
        return bytes;
    }
}
