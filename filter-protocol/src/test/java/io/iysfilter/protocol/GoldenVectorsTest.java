package io.iysfilter.protocol;

import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckBatchDecoder;
import io.iysfilter.protocol.codecs.CheckBatchEncoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseDecoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseEncoder;
import io.iysfilter.protocol.codecs.CheckDecoder;
import io.iysfilter.protocol.codecs.CheckEncoder;
import io.iysfilter.protocol.codecs.CheckResponseDecoder;
import io.iysfilter.protocol.codecs.CheckResponseEncoder;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.ErrorDecoder;
import io.iysfilter.protocol.codecs.ErrorEncoder;
import io.iysfilter.protocol.codecs.HelloDecoder;
import io.iysfilter.protocol.codecs.HelloEncoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.protocol.codecs.WelcomeDecoder;
import io.iysfilter.protocol.codecs.WelcomeEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every message's canonical encoding lives in src/test/resources/golden/*.hex, the vectors other-language clients
 * test against. Each test decodes its vector and checks every field, then encodes the same values and compares the
 * bytes, so a change to the schema, the framing or the codecs that alters the wire fails here.
 */
class GoldenVectorsTest
{
    private static final String MAX_EMAIL = "a".repeat(64) + "@" + "b".repeat(182) + ".com.tr";
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();

    @Test
    void shouldMatchHello()
    {
        final UnsafeBuffer golden = load("hello.hex");
        assertHeader(golden, HelloDecoder.TEMPLATE_ID, HelloDecoder.BLOCK_LENGTH);
        final HelloDecoder decoder = new HelloDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(1L, decoder.correlationId());
        assertEquals(1, decoder.protocolVersion());

        final UnsafeBuffer encoded = frame(new HelloEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(1L)
            .protocolVersion(1)
            .encodedLength());
        assertBytes(golden, encoded);
    }

    @Test
    void shouldMatchHelloWithAToken()
    {
        final String token = "iysf_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        final UnsafeBuffer golden = load("hello-token.hex");
        assertHeader(golden, HelloDecoder.TEMPLATE_ID, HelloDecoder.BLOCK_LENGTH);
        assertEquals(2, header.version(), "the token came with version 2");
        final HelloDecoder decoder = new HelloDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(1L, decoder.correlationId());
        assertEquals(2, decoder.protocolVersion());
        assertEquals(token, decoder.token());
        assertEquals(golden.capacity(), FrameDescriptor.MESSAGE_OFFSET + decoder.encodedLength(),
            "the token ends the frame");

        assertBytes(golden, frame(new HelloEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(1L)
            .protocolVersion(2)
            .token(token)
            .encodedLength()));

        final UnsafeBuffer empty = load("hello-no-token.hex");
        assertHeader(empty, HelloDecoder.TEMPLATE_ID, HelloDecoder.BLOCK_LENGTH);
        final HelloDecoder withoutToken = new HelloDecoder().wrap(empty, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(0, withoutToken.tokenLength());
        assertBytes(empty, frame(new HelloEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(1L)
            .protocolVersion(2)
            .token("")
            .encodedLength()));
    }

    @Test
    void shouldReadAVersionOneHelloAsOneWithoutAToken()
    {
        final UnsafeBuffer golden = load("hello.hex");
        assertHeader(golden, HelloDecoder.TEMPLATE_ID, HelloDecoder.BLOCK_LENGTH);
        assertEquals(1, header.version());
        final HelloDecoder decoder = new HelloDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(0, decoder.tokenLength(), "a field since version 2 reads as empty in a version-1 frame");
    }

    @Test
    void shouldMatchWelcome()
    {
        final UnsafeBuffer golden = load("welcome.hex");
        assertHeader(golden, WelcomeDecoder.TEMPLATE_ID, WelcomeDecoder.BLOCK_LENGTH);
        final WelcomeDecoder decoder = new WelcomeDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(1L, decoder.correlationId());
        assertEquals(1, decoder.protocolVersion());
        assertEquals(Limits.MAX_FRAME_LENGTH, decoder.maxFrameLength());
        assertEquals(Limits.MAX_BATCH_ENTRIES, decoder.maxBatchEntries());
        assertEquals(Limits.MAX_ADDRESS_LENGTH, decoder.maxAddressLength());
        assertEquals("iys-filter/0.1.0", decoder.serverName());

        final UnsafeBuffer encoded = frame(new WelcomeEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(1L)
            .protocolVersion(1)
            .maxFrameLength(Limits.MAX_FRAME_LENGTH)
            .maxBatchEntries(Limits.MAX_BATCH_ENTRIES)
            .maxAddressLength(Limits.MAX_ADDRESS_LENGTH)
            .serverName("iys-filter/0.1.0")
            .encodedLength());
        assertBytes(golden, encoded);
    }

    @Test
    void shouldMatchCheckOfPhone()
    {
        assertCheck("check-phone.hex", 42L, 600_001L, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            "+905321234567");
    }

    @Test
    void shouldMatchCheckOfLongestEmail()
    {
        assertEquals(Limits.MAX_ADDRESS_LENGTH, MAX_EMAIL.length());
        assertCheck("check-email-max.hex", 0x0102030405060708L, 4_294_967_295L, Channel.EPOSTA,
            RecipientType.TACIR, MessageKind.TRANSACTIONAL, MAX_EMAIL);
    }

    @Test
    void shouldMatchCheckOfADealerAndOfNoDealerAtVersionFour()
    {
        assertCheck("check-dealer-v4.hex", 43L, 600_001L, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, "+905321234567", 22_233_344L);
        assertCheck("check-no-dealer-v4.hex", 42L, 600_001L, Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, "+905321234567", CheckDecoder.dealerCodeNullValue());
    }

    @Test
    void shouldMatchCheckBatchOfADealerAtVersionFour()
    {
        assertCheckBatch("check-batch-dealer-v4.hex", 22_233_344L, List.of(
            new Entry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "+905321234567"),
            new Entry(Channel.EPOSTA, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "ali@example.com.tr")));
    }

    @Test
    void shouldDecodeARecipientLengthOf255WhichNoEncoderMayWrite()
    {
        final UnsafeBuffer golden = load("check-recipient-255.hex");
        assertHeader(golden, CheckDecoder.TEMPLATE_ID, CheckDecoder.dealerCodeEncodingOffset());
        final CheckDecoder decoder = new CheckDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(44L, decoder.correlationId());
        assertEquals(600_001L, decoder.brandCode());
        assertEquals(Channel.MESAJ, decoder.channel());
        assertEquals(255, decoder.recipientLength(), "well-formed framing: the length byte says what follows");
        final String recipient = decoder.recipient();
        assertEquals("+905321234567" + " ".repeat(242), recipient);
        assertEquals(golden.capacity(), FrameDescriptor.MESSAGE_OFFSET + decoder.encodedLength(),
            "the recipient ends the frame");

        final CheckEncoder encoder = new CheckEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(44L)
            .brandCode(600_001L)
            .channel(Channel.MESAJ)
            .recipientType(RecipientType.BIREYSEL)
            .messageKind(MessageKind.COMMERCIAL);
        assertThrows(IllegalStateException.class, () -> encoder.recipient(recipient),
            "varAscii's maxValue is " + Limits.MAX_ADDRESS_LENGTH + ": a conforming encoder refuses 255");
    }

    @Test
    void shouldMatchCheckResponse()
    {
        assertCheckResponse("check-response-v3.hex", 42L, 1_763_892_000_000L, Verdict.DENY, Reason.REJECTED,
            0x0001_0000_0000_0001L);
    }

    @Test
    void shouldMatchCheckResponseOfAnUnrecordedAllowRefused()
    {
        assertEquals(25, Reason.RECEIPT_UNAVAILABLE.value());
        assertEquals(Verdict.DENY, Verdicts.verdictOf(Reason.RECEIPT_UNAVAILABLE));
        assertCheckResponse("check-response-receipt-unavailable.hex", 45L, 1_763_892_000_000L, Verdict.DENY,
            Reason.RECEIPT_UNAVAILABLE, 0L);
    }

    @Test
    void shouldReadVersionOneCheckResponsesAsNotRecorded()
    {
        assertVersionOneCheckResponse("check-response.hex", 42L, 1_763_892_000_000L, Reason.REJECTED);
        assertVersionOneCheckResponse("check-response-index-damaged.hex", 43L, 0L, Reason.INDEX_DAMAGED);
        assertEquals(23, Reason.INDEX_DAMAGED.value());
        assertEquals(24, Reason.INDEX_VERIFYING.value());
    }

    @Test
    void shouldLetAVersionTwoDecoderReadVersionThreeCheckResponses()
    {
        final UnsafeBuffer golden = load("check-response-v3.hex");
        final io.iysfilter.protocol.codecs.v2.MessageHeaderDecoder oldHeader =
            new io.iysfilter.protocol.codecs.v2.MessageHeaderDecoder().wrap(golden,
                FrameDescriptor.MESSAGE_HEADER_OFFSET);
        assertEquals(3, oldHeader.version());
        assertEquals(io.iysfilter.protocol.codecs.v2.CheckResponseDecoder.TEMPLATE_ID, oldHeader.templateId());
        final io.iysfilter.protocol.codecs.v2.CheckResponseDecoder old =
            new io.iysfilter.protocol.codecs.v2.CheckResponseDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
                oldHeader.blockLength(), oldHeader.version());
        assertEquals(42L, old.correlationId());
        assertEquals(1_763_892_000_000L, old.asOf());
        assertEquals(io.iysfilter.protocol.codecs.v2.Verdict.DENY, old.verdict());
        assertEquals(io.iysfilter.protocol.codecs.v2.Reason.REJECTED, old.reason());
        assertEquals(golden.capacity(), FrameDescriptor.MESSAGE_OFFSET + old.encodedLength(),
            "the old decoder steps over the block by the header's blockLength, decision id included");

        final UnsafeBuffer refused = load("check-response-receipt-unavailable.hex");
        oldHeader.wrap(refused, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        old.wrap(refused, FrameDescriptor.MESSAGE_OFFSET, oldHeader.blockLength(), oldHeader.version());
        assertEquals(io.iysfilter.protocol.codecs.v2.Verdict.DENY, old.verdict(),
            "a reason the old client does not know still comes with DENY");
        assertEquals(io.iysfilter.protocol.codecs.v2.Reason.SBE_UNKNOWN, old.reason());
        assertEquals(25, old.reasonRaw());
    }

    @Test
    void shouldLetAVersionTwoDecoderReadVersionThreeCheckBatchResponses()
    {
        final UnsafeBuffer golden = load("check-batch-response-v3-3.hex");
        final io.iysfilter.protocol.codecs.v2.MessageHeaderDecoder oldHeader =
            new io.iysfilter.protocol.codecs.v2.MessageHeaderDecoder().wrap(golden,
                FrameDescriptor.MESSAGE_HEADER_OFFSET);
        final io.iysfilter.protocol.codecs.v2.CheckBatchResponseDecoder old =
            new io.iysfilter.protocol.codecs.v2.CheckBatchResponseDecoder().wrap(golden,
                FrameDescriptor.MESSAGE_OFFSET, oldHeader.blockLength(), oldHeader.version());
        assertEquals(9L, old.correlationId());
        assertEquals(1_763_892_000_000L, old.asOf());
        final List<String> results = new ArrayList<>();
        for (final io.iysfilter.protocol.codecs.v2.CheckBatchResponseDecoder.ResultsDecoder result : old.results())
        {
            results.add(result.verdict() + " " + result.reason());
        }
        assertEquals(List.of("ALLOW CONSENT", "DENY NO_CONSENT", "ALLOW EXEMPT"), results,
            "each entry is stepped over by the group's blockLength, its decision id included");
        assertEquals(golden.capacity(), FrameDescriptor.MESSAGE_OFFSET + old.encodedLength());
    }

    @Test
    void shouldLetAVersionThreeDecoderReadWhatAVersionTwoServerSent()
    {
        final io.iysfilter.protocol.codecs.v2.CheckBatchResponseEncoder oldEncoder =
            new io.iysfilter.protocol.codecs.v2.CheckBatchResponseEncoder();
        oldEncoder.wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET,
                new io.iysfilter.protocol.codecs.v2.MessageHeaderEncoder())
            .correlationId(9L)
            .asOf(1_763_892_000_000L)
            .resultsCount(1)
            .next()
            .verdict(io.iysfilter.protocol.codecs.v2.Verdict.ALLOW)
            .reason(io.iysfilter.protocol.codecs.v2.Reason.CONSENT);
        final UnsafeBuffer v2 = frameOld(oldEncoder.encodedLength());
        header.wrap(v2, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        assertEquals(2, header.version());
        final CheckBatchResponseDecoder decoder = new CheckBatchResponseDecoder().wrap(v2,
            FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        final CheckBatchResponseDecoder.ResultsDecoder results = decoder.results();
        assertEquals(1, results.count());
        results.next();
        assertEquals(Reason.CONSENT, results.reason());
        assertEquals(0L, results.decisionId(), "a field since version 3 reads as 0, not recorded, from version 2");
    }

    private void assertCheckResponse(final String file, final long correlationId, final long asOf,
        final Verdict verdict, final Reason reason, final long decisionId)
    {
        final UnsafeBuffer golden = load(file);
        assertHeader(golden, CheckResponseDecoder.TEMPLATE_ID, CheckResponseDecoder.BLOCK_LENGTH);
        assertEquals(3, header.version(), "the decision id came with version 3");
        final CheckResponseDecoder decoder = new CheckResponseDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(correlationId, decoder.correlationId());
        assertEquals(asOf, decoder.asOf());
        assertEquals(verdict, decoder.verdict());
        assertEquals(reason, decoder.reason());
        assertEquals(decisionId, decoder.decisionId());

        final UnsafeBuffer encoded = frame(new CheckResponseEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .asOf(asOf)
            .verdict(verdict)
            .reason(reason)
            .decisionId(decisionId)
            .encodedLength());
        assertBytes(golden, encoded);
    }

    /**
     * A CHECK_RESPONSE written before version 3 (18-byte block, no decision id): today's decoder reads it, with
     * decision id 0, and the version-2 encoder still writes exactly these bytes.
     */
    private void assertVersionOneCheckResponse(final String file, final long correlationId, final long asOf,
        final Reason reason)
    {
        final UnsafeBuffer golden = load(file);
        assertHeader(golden, CheckResponseDecoder.TEMPLATE_ID,
            io.iysfilter.protocol.codecs.v2.CheckResponseDecoder.BLOCK_LENGTH);
        assertEquals(1, header.version());
        final CheckResponseDecoder decoder = new CheckResponseDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(correlationId, decoder.correlationId());
        assertEquals(asOf, decoder.asOf());
        assertEquals(Verdict.DENY, decoder.verdict());
        assertEquals(reason, decoder.reason());
        assertEquals(0L, decoder.decisionId(), "a field since version 3 reads as 0, not recorded, before it");
        assertEquals(golden.capacity(), FrameDescriptor.MESSAGE_OFFSET + decoder.encodedLength());

        final UnsafeBuffer encoded = frameOld(new io.iysfilter.protocol.codecs.v2.CheckResponseEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET,
                new io.iysfilter.protocol.codecs.v2.MessageHeaderEncoder())
            .correlationId(correlationId)
            .asOf(asOf)
            .verdict(io.iysfilter.protocol.codecs.v2.Verdict.DENY)
            .reason(io.iysfilter.protocol.codecs.v2.Reason.get(reason.value()))
            .encodedLength());
        new MessageHeaderEncoder().wrap(encoded, FrameDescriptor.MESSAGE_HEADER_OFFSET).version(1);
        assertBytes(golden, encoded);
    }

    @Test
    void shouldMatchCheckBatchOfZeroOneAndThreeEntries()
    {
        assertCheckBatch("check-batch-0.hex", List.of());
        assertCheckBatch("check-batch-1.hex", List.of(
            new Entry(Channel.MESAJ, RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL, "05321234567")));
        assertCheckBatch("check-batch-3.hex", List.of(
            new Entry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "+905321234567"),
            new Entry(Channel.EPOSTA, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "ali@example.com.tr"),
            new Entry(Channel.ARAMA, RecipientType.TACIR, MessageKind.TRANSACTIONAL, "0 (532) 123-45-67")));
    }

    @Test
    void shouldMatchCheckBatchResponses()
    {
        assertCheckBatchResponse("check-batch-response-v3-0.hex", new Verdict[0], new Reason[0], new long[0]);
        assertCheckBatchResponse("check-batch-response-v3-3.hex",
            new Verdict[]{Verdict.ALLOW, Verdict.DENY, Verdict.ALLOW},
            new Reason[]{Reason.CONSENT, Reason.NO_CONSENT, Reason.EXEMPT},
            new long[]{0x0001_0000_0000_0007L, 0x0001_0000_0000_0008L, 0x0001_0000_0000_0009L});
    }

    @Test
    void shouldReadVersionOneCheckBatchResponsesAsNotRecorded()
    {
        for (final String file : List.of("check-batch-response-0.hex", "check-batch-response-3.hex"))
        {
            final UnsafeBuffer golden = load(file);
            assertHeader(golden, CheckBatchResponseDecoder.TEMPLATE_ID, CheckBatchResponseDecoder.BLOCK_LENGTH);
            assertEquals(1, header.version());
            final CheckBatchResponseDecoder decoder = new CheckBatchResponseDecoder().wrap(golden,
                FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
            final List<String> results = new ArrayList<>();
            for (final CheckBatchResponseDecoder.ResultsDecoder result : decoder.results())
            {
                results.add(result.verdict() + " " + result.reason() + " " + result.decisionId());
            }
            assertEquals(file.endsWith("-0.hex") ? List.of() :
                List.of("ALLOW CONSENT 0", "DENY NO_CONSENT 0", "ALLOW EXEMPT 0"), results, file);
            assertEquals(golden.capacity(), FrameDescriptor.MESSAGE_OFFSET + decoder.encodedLength(),
                "the 2-byte entries of version 1 are stepped over by their group's blockLength");
        }
    }

    @Test
    void shouldMatchErrors()
    {
        assertError("error-batch-too-large.hex", 7L, ErrorCode.BATCH_TOO_LARGE,
            "batch has too many entries: entries=1001, maxBatchEntries=1000");
        assertError("error-frame-too-large.hex", 0L, ErrorCode.FRAME_TOO_LARGE,
            "frame length exceeds maximum: frameLength=542393671, maxFrameLength=262144");
        assertError("error-batch-trailing-bytes.hex", 0L, ErrorCode.MALFORMED_FRAME,
            "CHECK_BATCH frame carries bytes after its last declared entry: entries=1, end=45, frameLength=62");
        assertError("error-batch-entry-overruns.hex", 0L, ErrorCode.MALFORMED_FRAME,
            "CHECK_BATCH entry 1 of 2 overruns its frame: frameLength=47");
        assertError("error-idle-timeout.hex", 0L, ErrorCode.IDLE_TIMEOUT,
            "no complete frame within the idle timeout: idleTimeoutMs=300000");
        assertError("error-frame-timeout.hex", 0L, ErrorCode.FRAME_TIMEOUT,
            "frame not completed within the frame timeout: frameTimeoutMs=10000");
        assertError("error-unauthorised.hex", 1L, ErrorCode.UNAUTHORISED, "token not accepted");
        assertEquals(11, ErrorCode.UNAUTHORISED.value());
        assertError("error-forbidden.hex", 42L, ErrorCode.FORBIDDEN, "client acme may not ask about brand 600003");
        assertEquals(12, ErrorCode.FORBIDDEN.value());
    }

    private record Entry(Channel channel, RecipientType type, MessageKind kind, String recipient)
    {
    }

    private void assertCheck(final String file, final long correlationId, final long brand, final Channel channel,
        final RecipientType type, final MessageKind kind, final String recipient)
    {
        assertCheck(file, correlationId, brand, channel, type, kind, recipient, CheckDecoder.dealerCodeNullValue());
    }

    /**
     * A vector written before version 4 has the block without the dealer code: it must still decode, as no dealer,
     * and a version-4 encoder writes the same bytes with the dealer code's four zero bytes inserted before the
     * recipient. A version-4 vector is matched byte for byte.
     */
    private void assertCheck(final String file, final long correlationId, final long brand, final Channel channel,
        final RecipientType type, final MessageKind kind, final String recipient, final long dealer)
    {
        final UnsafeBuffer golden = load(file);
        header.wrap(golden, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        final boolean beforeDealers = header.version() < CheckDecoder.dealerCodeSinceVersion();
        assertHeader(golden, CheckDecoder.TEMPLATE_ID,
            beforeDealers ? CheckDecoder.dealerCodeEncodingOffset() : CheckDecoder.BLOCK_LENGTH);
        final CheckDecoder decoder = new CheckDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(correlationId, decoder.correlationId());
        assertEquals(brand, decoder.brandCode());
        assertEquals(channel, decoder.channel());
        assertEquals(type, decoder.recipientType());
        assertEquals(kind, decoder.messageKind());
        assertEquals(dealer, decoder.dealerCode());
        assertEquals(recipient, decoder.recipient());

        final int messageLength = new CheckEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .brandCode(brand)
            .channel(channel)
            .recipientType(type)
            .messageKind(kind)
            .dealerCode(dealer)
            .recipient(recipient)
            .encodedLength();
        if (beforeDealers)
        {
            assertBytes(withDealerCode(golden, CheckDecoder.dealerCodeEncodingOffset()), frameAtCurrentVersion(
                messageLength));
        }
        else
        {
            assertBytes(golden, frame(messageLength));
        }
    }

    /**
     * @return an old vector as a version-4 sender writes it: four zero bytes (no dealer) at the dealer code's
     * offset, the block length grown by four, the current version.
     */
    private static UnsafeBuffer withDealerCode(final UnsafeBuffer old, final int dealerOffset)
    {
        final int at = FrameDescriptor.MESSAGE_OFFSET + dealerOffset;
        final byte[] bytes = new byte[old.capacity() + 4];
        old.getBytes(0, bytes, 0, at);
        old.getBytes(at, bytes, at + 4, old.capacity() - at);
        final UnsafeBuffer grown = new UnsafeBuffer(bytes);
        FrameDescriptor.frameLength(grown, 0, bytes.length);
        new MessageHeaderEncoder().wrap(grown, FrameDescriptor.MESSAGE_HEADER_OFFSET)
            .blockLength(dealerOffset + 4)
            .version(FrameDescriptor.SCHEMA_VERSION);
        return grown;
    }

    private UnsafeBuffer frameAtCurrentVersion(final int messageLength)
    {
        goldenVersion = FrameDescriptor.SCHEMA_VERSION;
        return frame(messageLength);
    }

    private void assertCheckBatch(final String file, final List<Entry> entries)
    {
        assertCheckBatch(file, CheckBatchDecoder.dealerCodeNullValue(), entries);
    }

    private void assertCheckBatch(final String file, final long dealer, final List<Entry> entries)
    {
        final UnsafeBuffer golden = load(file);
        header.wrap(golden, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        final boolean beforeDealers = header.version() < CheckBatchDecoder.dealerCodeSinceVersion();
        assertHeader(golden, CheckBatchDecoder.TEMPLATE_ID,
            beforeDealers ? CheckBatchDecoder.dealerCodeEncodingOffset() : CheckBatchDecoder.BLOCK_LENGTH);
        final CheckBatchDecoder decoder = new CheckBatchDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(9L, decoder.correlationId());
        assertEquals(600_001L, decoder.brandCode());
        assertEquals(dealer, decoder.dealerCode());
        final List<Entry> decoded = new ArrayList<>();
        for (final CheckBatchDecoder.EntriesDecoder entry : decoder.entries())
        {
            decoded.add(new Entry(entry.channel(), entry.recipientType(), entry.messageKind(), entry.recipient()));
        }
        assertEquals(entries, decoded);

        final CheckBatchEncoder encoder = new CheckBatchEncoder();
        final CheckBatchEncoder.EntriesEncoder group = encoder
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(9L)
            .brandCode(600_001L)
            .dealerCode(dealer)
            .entriesCount(entries.size());
        for (final Entry entry : entries)
        {
            group.next()
                .channel(entry.channel())
                .recipientType(entry.type())
                .messageKind(entry.kind())
                .recipient(entry.recipient());
        }
        if (beforeDealers)
        {
            assertBytes(withDealerCode(golden, CheckBatchDecoder.dealerCodeEncodingOffset()),
                frameAtCurrentVersion(encoder.encodedLength()));
        }
        else
        {
            assertBytes(golden, frame(encoder.encodedLength()));
        }
    }

    private void assertCheckBatchResponse(final String file, final Verdict[] verdicts, final Reason[] reasons,
        final long[] decisionIds)
    {
        final UnsafeBuffer golden = load(file);
        assertHeader(golden, CheckBatchResponseDecoder.TEMPLATE_ID, CheckBatchResponseDecoder.BLOCK_LENGTH);
        final CheckBatchResponseDecoder decoder = new CheckBatchResponseDecoder().wrap(golden,
            FrameDescriptor.MESSAGE_OFFSET, header.blockLength(), header.version());
        assertEquals(9L, decoder.correlationId());
        assertEquals(1_763_892_000_000L, decoder.asOf());
        final CheckBatchResponseDecoder.ResultsDecoder results = decoder.results();
        assertEquals(verdicts.length, results.count());
        for (int i = 0; i < verdicts.length; i++)
        {
            results.next();
            assertEquals(verdicts[i], results.verdict());
            assertEquals(reasons[i], results.reason());
            assertEquals(decisionIds[i], results.decisionId());
        }

        final CheckBatchResponseEncoder encoder = new CheckBatchResponseEncoder();
        final CheckBatchResponseEncoder.ResultsEncoder group = encoder
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(9L)
            .asOf(1_763_892_000_000L)
            .resultsCount(verdicts.length);
        for (int i = 0; i < verdicts.length; i++)
        {
            group.next().verdict(verdicts[i]).reason(reasons[i]).decisionId(decisionIds[i]);
        }
        assertBytes(golden, frame(encoder.encodedLength()));
    }

    private void assertError(final String file, final long correlationId, final ErrorCode code, final String text)
    {
        final UnsafeBuffer golden = load(file);
        assertHeader(golden, ErrorDecoder.TEMPLATE_ID, ErrorDecoder.BLOCK_LENGTH);
        final ErrorDecoder decoder = new ErrorDecoder().wrap(golden, FrameDescriptor.MESSAGE_OFFSET,
            header.blockLength(), header.version());
        assertEquals(correlationId, decoder.correlationId());
        assertEquals(code, decoder.code());
        assertEquals(text, decoder.message());

        final UnsafeBuffer encoded = frame(new ErrorEncoder()
            .wrapAndApplyHeader(buffer(), FrameDescriptor.MESSAGE_HEADER_OFFSET, headerEncoder)
            .correlationId(correlationId)
            .code(code)
            .message(text)
            .encodedLength());
        assertBytes(golden, encoded);
    }

    private void assertHeader(final UnsafeBuffer golden, final int templateId, final int blockLength)
    {
        assertEquals(golden.capacity(), FrameDescriptor.frameLength(golden, 0), "frameLength counts the frame");
        header.wrap(golden, FrameDescriptor.MESSAGE_HEADER_OFFSET);
        assertEquals(templateId, header.templateId());
        assertEquals(blockLength, header.blockLength());
        assertEquals(FrameDescriptor.SCHEMA_ID, header.schemaId());
        assertTrue(header.version() >= 1 && header.version() <= FrameDescriptor.SCHEMA_VERSION,
            "a version this schema knows: " + header.version());
        goldenVersion = header.version();
    }

    /**
     * Frame what a version-2 encoder just wrote into {@link #buffer()}, as a version-2 peer would have sent it.
     */
    private UnsafeBuffer frameOld(final int messageLength)
    {
        final int frameLength = FrameDescriptor.MESSAGE_OFFSET + messageLength;
        FrameDescriptor.frameLength(encodeBuffer, 0, frameLength);
        final byte[] bytes = new byte[frameLength];
        encodeBuffer.getBytes(0, bytes);
        return new UnsafeBuffer(bytes);
    }

    private UnsafeBuffer encodeBuffer;
    private int goldenVersion;

    private UnsafeBuffer buffer()
    {
        encodeBuffer = new UnsafeBuffer(new byte[Limits.MAX_FRAME_LENGTH]);
        return encodeBuffer;
    }

    /**
     * Frame what was just encoded into {@link #buffer()}: write its frame length and cut it to size.
     */
    private UnsafeBuffer frame(final int messageLength)
    {
        final int frameLength = FrameDescriptor.MESSAGE_OFFSET + messageLength;
        FrameDescriptor.frameLength(encodeBuffer, 0, frameLength);
        // The vectors written before version 2 stay version-1 encodings: their layouts did not change, only the
        // version a version-2 encoder writes in the header.
        new MessageHeaderEncoder().wrap(encodeBuffer, FrameDescriptor.MESSAGE_HEADER_OFFSET).version(goldenVersion);
        final byte[] bytes = new byte[frameLength];
        encodeBuffer.getBytes(0, bytes);
        return new UnsafeBuffer(bytes);
    }

    private static void assertBytes(final UnsafeBuffer golden, final UnsafeBuffer encoded)
    {
        final byte[] expected = new byte[golden.capacity()];
        golden.getBytes(0, expected);
        final byte[] actual = new byte[encoded.capacity()];
        encoded.getBytes(0, actual);
        assertArrayEquals(expected, actual, () -> "re-encoding differs from the golden vector:\n expected " +
            GoldenHex.format(expected) + "\n actual   " + GoldenHex.format(actual));
    }

    static UnsafeBuffer load(final String name)
    {
        try (InputStream in = GoldenVectorsTest.class.getResourceAsStream("/golden/" + name))
        {
            assertNotNull(in, "missing golden vector " + name);
            final byte[] bytes = GoldenHex.parse(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
            assertFalse(bytes.length == 0, "empty golden vector " + name);
            return new UnsafeBuffer(Arrays.copyOf(bytes, bytes.length));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
