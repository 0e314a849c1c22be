package io.iysfilter.server.binary;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.CheckBatchEncoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseDecoder;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.decision.RecordingRecorder;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

import static io.iysfilter.server.ReceiptAssertions.assertAsked;
import static io.iysfilter.server.ReceiptAssertions.assertRecipient;
import static io.iysfilter.server.ReceiptAssertions.assertRecord;
import static io.iysfilter.server.binary.ResponseFrames.single;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * CHECK and CHECK_BATCH answers carry the id of the receipt their decision was recorded under, and the receipt holds
 * what was asked and what the index held; the receipt policy applies to every answer.
 */
class BinaryReceiptTest
{
    @TempDir
    static Path dataDir;
    private static ConsentStore store;
    private static long asOf;

    @BeforeAll
    static void open() throws Exception
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
        asOf = store.brand(Fixtures.BRAND).asOfMs();
    }

    @AfterAll
    static void close()
    {
        store.close();
    }

    private static EmbeddedChannel connect(final DecisionRecorder recorder)
    {
        return new EmbeddedChannel(BinaryEndpoint.newConnection(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder), new ServerCounters(),
            "iys-filter/test"));
    }

    private static CheckResponseDecoder response(final byte[] frame)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(new UnsafeBuffer(frame),
            FrameDescriptor.MESSAGE_HEADER_OFFSET);
        assertEquals(FrameDescriptor.SCHEMA_VERSION, header.version(),
            "answered at the server's version, which carries decision ids (3 on)");
        return new CheckResponseDecoder().wrap(new UnsafeBuffer(frame), FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
    }

    @Test
    void shouldAnswerACheckWithTheIdOfItsReceipt()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final EmbeddedChannel channel = connect(recorder);
        channel.writeInbound(Unpooled.wrappedBuffer(BinaryFrameHandlerTest.check(7, Fixtures.CONSENTED)));
        final CheckResponseDecoder answer = response(single(channel));
        assertEquals(io.iysfilter.protocol.codecs.Reason.CONSENT, answer.reason());
        final RecordingRecorder.Receipt receipt = recorder.last();
        assertEquals(receipt.id(), answer.decisionId());
        assertEquals(asOf, answer.asOf());
        assertAsked(receipt, Door.BINARY, "peer:embedded", Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, Reason.CONSENT, answer.asOf());
        assertRecipient(receipt, Fixtures.CONSENTED, true);
        assertRecord(receipt, store, Fixtures.CONSENTED, true);

        channel.writeInbound(Unpooled.wrappedBuffer(BinaryFrameHandlerTest.check(8, "+905320000000")));
        final CheckResponseDecoder none = response(single(channel));
        assertEquals(recorder.last().id(), none.decisionId());
        assertEquals(Reason.NO_CONSENT, recorder.last().reason());
        assertRecord(recorder.last(), store, "+905320000000", false);
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldGiveEachEntryOfABatchItsOwnReceipt()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final EmbeddedChannel channel = connect(recorder);
        final String[] recipients = {Fixtures.CONSENTED, Fixtures.REJECTED, Fixtures.CONSENTED, "not a phone"};
        channel.writeInbound(Unpooled.wrappedBuffer(batch(9, Fixtures.BRAND, recipients)));
        final byte[] frame = single(channel);
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(new UnsafeBuffer(frame),
            FrameDescriptor.MESSAGE_HEADER_OFFSET);
        final CheckBatchResponseDecoder answer = new CheckBatchResponseDecoder().wrap(new UnsafeBuffer(frame),
            FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final List<Long> ids = new ArrayList<>();
        final List<RecordingRecorder.Receipt> receipts = recorder.receipts();
        int i = 0;
        for (final CheckBatchResponseDecoder.ResultsDecoder result : answer.results())
        {
            ids.add(result.decisionId());
            assertEquals(receipts.get(i).id(), result.decisionId(), "entry " + i);
            assertEquals(receipts.get(i).reason().wire(), result.reason(), "entry " + i);
            i++;
        }
        assertEquals(recipients.length, receipts.size(), "one receipt per entry");
        assertEquals(recipients.length, new HashSet<>(ids).size(), "distinct ids: " + ids);
        assertRecord(receipts.get(1), store, Fixtures.REJECTED, true);
        assertRecipient(receipts.get(1), Fixtures.REJECTED, true);
        assertEquals(Reason.INVALID_RECIPIENT, receipts.get(3).reason());
        assertRecipient(receipts.get(3), "not a phone", false);

        channel.writeInbound(Unpooled.wrappedBuffer(batch(10, 0, new String[]{Fixtures.CONSENTED})));
        single(channel);
        assertAsked(recorder.last(), Door.BINARY, "peer:embedded", 0, Channel.MESAJ, RecipientType.UNSPECIFIED,
            MessageKind.COMMERCIAL, Reason.INVALID_REQUEST, 0);
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldDenyAnUnrecordedAllowUnderPolicyDenyAndServeItUnderAllow()
    {
        final EmbeddedChannel denying = connect(new RecordingRecorder(false).failing(true));
        denying.writeInbound(Unpooled.wrappedBuffer(BinaryFrameHandlerTest.check(1, Fixtures.CONSENTED)));
        final CheckResponseDecoder refused = response(single(denying));
        assertEquals(io.iysfilter.protocol.codecs.Reason.RECEIPT_UNAVAILABLE, refused.reason());
        assertEquals(Verdict.DENY, refused.verdict());
        assertEquals(0, refused.decisionId());
        denying.writeInbound(Unpooled.wrappedBuffer(BinaryFrameHandlerTest.check(2, Fixtures.REJECTED)));
        assertEquals(io.iysfilter.protocol.codecs.Reason.REJECTED, response(single(denying)).reason(),
            "a DENY stays as it was");
        denying.writeInbound(Unpooled.wrappedBuffer(batch(3, Fixtures.BRAND, new String[]{Fixtures.CONSENTED})));
        final byte[] frame = single(denying);
        final CheckBatchResponseDecoder batch = new CheckBatchResponseDecoder().wrap(new UnsafeBuffer(frame),
            FrameDescriptor.MESSAGE_OFFSET, new MessageHeaderDecoder().wrap(new UnsafeBuffer(frame),
            FrameDescriptor.MESSAGE_HEADER_OFFSET).blockLength(), 3);
        final CheckBatchResponseDecoder.ResultsDecoder result = batch.results().next();
        assertEquals(io.iysfilter.protocol.codecs.Reason.RECEIPT_UNAVAILABLE, result.reason());
        assertEquals(Verdict.DENY, result.verdict());
        denying.finishAndReleaseAll();

        final EmbeddedChannel serving = connect(new RecordingRecorder(true).failing(true));
        serving.writeInbound(Unpooled.wrappedBuffer(BinaryFrameHandlerTest.check(1, Fixtures.CONSENTED)));
        final CheckResponseDecoder served = response(single(serving));
        assertEquals(io.iysfilter.protocol.codecs.Reason.CONSENT, served.reason());
        assertEquals(0, served.decisionId(), "served, not recorded");
        serving.finishAndReleaseAll();
    }

    @Test
    void shouldNameTheDealerARequestNamedInItsReceiptAndNoneForTheBrandItself()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final EmbeddedChannel channel = connect(recorder);
        final byte[] dealerCheck = BinaryFrameHandlerTest.check(11, Fixtures.CONSENTED);
        new UnsafeBuffer(dealerCheck).putInt(FrameDescriptor.MESSAGE_OFFSET + CheckEncoder.dealerCodeEncodingOffset(),
            22_233_344, FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(dealerCheck));
        assertEquals(recorder.last().id(), response(single(channel)).decisionId());
        assertEquals(22_233_344L, recorder.last().dealerCode(), "the CHECK's dealer");

        channel.writeInbound(Unpooled.wrappedBuffer(BinaryFrameHandlerTest.check(12, Fixtures.CONSENTED)));
        single(channel);
        assertEquals(0, recorder.last().dealerCode(), "no dealer named: the brand itself");

        final byte[] dealerBatch = batch(13, Fixtures.BRAND, new String[]{Fixtures.CONSENTED, "not a phone"});
        new UnsafeBuffer(dealerBatch).putInt(FrameDescriptor.MESSAGE_OFFSET +
            CheckBatchEncoder.dealerCodeEncodingOffset(), (int)0xFFFF_FFF0L, FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(dealerBatch));
        single(channel);
        final List<RecordingRecorder.Receipt> receipts = recorder.receipts();
        assertEquals(0xFFFF_FFF0L, receipts.get(2).dealerCode(), "a batch entry: the batch's dealer, unsigned");
        assertEquals(0xFFFF_FFF0L, receipts.get(3).dealerCode(), "an invalid entry of the batch too");

        final byte[] refused = batch(14, 0, new String[]{Fixtures.CONSENTED});
        new UnsafeBuffer(refused).putInt(FrameDescriptor.MESSAGE_OFFSET +
            CheckBatchEncoder.dealerCodeEncodingOffset(), 77, FrameDescriptor.BYTE_ORDER);
        channel.writeInbound(Unpooled.wrappedBuffer(refused));
        single(channel);
        assertEquals(Reason.INVALID_REQUEST, recorder.last().reason());
        assertEquals(77, recorder.last().dealerCode(), "a request refused before the rules names its dealer too");
        channel.finishAndReleaseAll();
    }

    private static byte[] batch(final long correlationId, final long brand, final String[] recipients)
    {
        final byte[] bytes = new byte[64 * 1024];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final CheckBatchEncoder encoder = new CheckBatchEncoder();
        final CheckBatchEncoder.EntriesEncoder entries = encoder
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .brandCode(brand)
            .entriesCount(recipients.length);
        for (final String recipient : recipients)
        {
            entries.next().channel(io.iysfilter.protocol.codecs.Channel.MESAJ)
                .recipientType(io.iysfilter.protocol.codecs.RecipientType.UNSPECIFIED)
                .messageKind(io.iysfilter.protocol.codecs.MessageKind.COMMERCIAL).recipient(recipient);
        }
        final int length = FrameDescriptor.MESSAGE_OFFSET + encoder.encodedLength();
        FrameDescriptor.frameLength(buffer, 0, length);
        return Arrays.copyOf(bytes, length);
    }
}
