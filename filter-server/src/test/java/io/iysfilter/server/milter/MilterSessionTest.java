package io.iysfilter.server.milter;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.decision.RecordingRecorder;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.iysfilter.server.ReceiptAssertions.assertAsked;
import static io.iysfilter.server.ReceiptAssertions.assertRecipient;
import static io.iysfilter.server.ReceiptAssertions.assertRecord;
import static io.iysfilter.server.ReceiptAssertions.idText;
import static io.iysfilter.server.milter.MilterPackets.frame;
import static io.iysfilter.server.milter.MilterPackets.macro;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole Postfix-like milter conversations against a real index, frame by frame.
 */
class MilterSessionTest
{
    private static final long DEALER = 22_233_344L;
    private static final byte[] POSTFIX_OPTNEG = HexFormat.of().parseHex("0000000d4f00000006000001ff001fffff");
    private static final MilterBrandMap BRANDS = new MilterBrandMap(Map.of(
        "domain:brand.example", new MilterBrandMap.Mapping(Fixtures.BRAND, null),
        "sender:billing@brand.example", new MilterBrandMap.Mapping(Fixtures.BRAND, MessageKind.TRANSACTIONAL),
        "auth:brand-a", new MilterBrandMap.Mapping(Fixtures.BRAND, null),
        "domain:stale.example", new MilterBrandMap.Mapping(Fixtures.STALE_BRAND, null),
        "sender:kadikoy@dealer.example", new MilterBrandMap.Mapping(Fixtures.BRAND, null, DEALER),
        "sender:billing@dealer.example", new MilterBrandMap.Mapping(Fixtures.BRAND, MessageKind.TRANSACTIONAL,
            DEALER)));
    private static final String CAROL = "carol@test.local";

    @TempDir
    static Path dataDir;
    private static ConsentStore store;

    private final ServerCounters counters = new ServerCounters();
    private EmbeddedChannel channel;

    @BeforeAll
    static void createIndex() throws Exception
    {
        Fixtures.write(dataDir);
        store = ConsentStore.open(dataDir, TestKeys.options(10_000));
    }

    @AfterAll
    static void closeIndex()
    {
        store.close();
    }

    @AfterEach
    void finish()
    {
        if (channel != null)
        {
            channel.finishAndReleaseAll();
        }
    }

    private void connect(final MilterSettings settings)
    {
        connect(settings, DecisionRecorder.NONE);
    }

    private void connect(final MilterSettings settings, final DecisionRecorder recorder)
    {
        channel = new EmbeddedChannel(MilterEndpoint.newPacketDecoder(),
            MilterEndpoint.newSession(new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
                recorder), settings, Runnable::run, counters));
    }

    @Test
    void shouldNameTheDecisionIdsOfItsRecipientsInTheHeader()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        connect(new MilterSettings(BRANDS, false, false), recorder);
        final List<Reply> replies = converse(message("news@brand.example", null, List.of(),
            Fixtures.ALICE, Fixtures.BOB, CAROL));
        final List<RecordingRecorder.Receipt> receipts = recorder.receipts();
        assertEquals(3, receipts.size(), "one receipt per recipient");
        final String header = replies.get(replies.size() - 2).text();
        assertTrue(header.startsWith("X-IYS-Filter\0brand=600001 kind=COMMERCIAL kept=1 removed=2 asOf="), header);
        assertTrue(header.endsWith(" ids=" + idText(receipts.get(0)) + "," + idText(receipts.get(1)) + "," +
            idText(receipts.get(2)) + "\0"), header);
        final long asOf = store.brand(Fixtures.BRAND).asOfMs();
        assertAsked(receipts.get(0), Door.MILTER, "peer:embedded", Fixtures.BRAND, Channel.EPOSTA,
            RecipientType.UNSPECIFIED, MessageKind.COMMERCIAL, Reason.CONSENT, asOf);
        assertRecipient(receipts.get(0), Fixtures.ALICE, true);
        assertRecord(receipts.get(0), store, Fixtures.ALICE, true);
        assertEquals(Reason.REJECTED, receipts.get(1).reason());
        assertRecord(receipts.get(1), store, Fixtures.BOB, true);
        assertEquals(Reason.NO_CONSENT, receipts.get(2).reason());
        assertRecord(receipts.get(2), store, CAROL, false);
    }

    @Test
    void shouldTempfailAConsentItCouldNotRecordUnderPolicyDenyAndServeItUnderAllow()
    {
        connect(new MilterSettings(BRANDS, false, false), new RecordingRecorder(false).failing(true));
        final List<Reply> refused = converse(message("news@brand.example", null, List.of(), Fixtures.ALICE,
            Fixtures.BOB));
        assertEquals("451 4.7.1 IYS consent cannot be checked now (RECEIPT_UNAVAILABLE), try again later\0",
            last(refused).text(), "retried later rather than the consented recipient removed");

        connect(new MilterSettings(BRANDS, false, false), new RecordingRecorder(true).failing(true));
        final List<Reply> served = converse(message("news@brand.example", null, List.of(), Fixtures.ALICE,
            Fixtures.BOB));
        final String header = served.get(served.size() - 2).text();
        assertTrue(header.startsWith("X-IYS-Filter\0brand=600001 kind=COMMERCIAL kept=1 removed=1 asOf="), header);
        assertTrue(header.endsWith(" ids=0000000000000000,0000000000000000\0"), header);
    }

    @Test
    void shouldNegotiateOnlyWhatItNeedsOfWhatPostfixOffers()
    {
        connect(new MilterSettings(BRANDS, false, false));
        channel.writeInbound(Unpooled.wrappedBuffer(POSTFIX_OPTNEG));
        assertEquals("0000000d4f000000060000000900051192", HexFormat.of().formatHex(readAll()),
            "version 6, ADDHDRS|DELRCPT, NOHELO|NOBODY|NOUNKNOWN|NR_CONN|NR_HDR|NR_EOH|NR_DATA");

        connect(new MilterSettings(BRANDS, false, false));
        channel.writeInbound(Unpooled.wrappedBuffer(HexFormat.of().parseHex("0000000d4f00000002000000080000003f")));
        assertEquals("0000000d4f000000020000000800000012", HexFormat.of().formatHex(readAll()),
            "an older MTA: its version, only the offered action and protocol bits");
    }

    @Test
    void shouldRemoveRecipientsWithoutConsentAndRecordTheDecision()
    {
        connect(new MilterSettings(BRANDS, false, false));
        final List<Reply> replies = converse(message("news@brand.example", null, List.of(),
            Fixtures.ALICE, Fixtures.BOB, CAROL));
        assertEquals(List.of("c", "c", "c", "c"), commands(replies.subList(0, 4)), "MAIL and three RCPTs continue");
        final List<Reply> eom = replies.subList(4, replies.size());
        assertEquals(List.of("-", "-", "h", "a"), commands(eom));
        assertEquals("2d3c626f6240746573742e6c6f63616c3e00", HexFormat.of().formatHex(eom.get(0).frame, 4,
            eom.get(0).frame.length), "DELRCPT echoes the address exactly as received (docs/MILTER-PROTOCOL.md §4)");
        assertEquals("<carol@test.local>\0", eom.get(1).text());
        assertTrue(eom.get(2).text().startsWith("X-IYS-Filter\0brand=600001 kind=COMMERCIAL kept=1 removed=2 asOf="),
            eom.get(2).text());
        assertEquals(3, counters.decisions(ServerCounters.Endpoint.MILTER, Reason.CONSENT) +
            counters.decisions(ServerCounters.Endpoint.MILTER, Reason.REJECTED) +
            counters.decisions(ServerCounters.Endpoint.MILTER, Reason.NO_CONSENT));
    }

    @Test
    void shouldDecideADealersMappingAsThatDealerAndSaySoInTheReplyAndTheHeader()
    {
        // the brand's dealer lists are not trusted here (no dealer-access-trust-feed): Alice's ONAY, which the brand
        // may use, is DEALER_ACCESS_UNKNOWN for its dealer
        connect(new MilterSettings(BRANDS, false, false));
        assertEquals("a", last(converse(message("news@brand.example", null, List.of(), Fixtures.ALICE))).command(),
            "the brand itself may send to Alice");
        final Reply dealer = last(converse(message("kadikoy@dealer.example", null, List.of(), Fixtures.ALICE,
            Fixtures.BOB)));
        assertEquals("y", dealer.command());
        assertEquals("550 5.7.1 No IYS consent for any recipient (brand 600001 dealer=22233344)\0", dealer.text());
        assertEquals(1, counters.decisions(ServerCounters.Endpoint.MILTER, Reason.DEALER_ACCESS_UNKNOWN));
        assertEquals(1, counters.decisions(ServerCounters.Endpoint.MILTER, Reason.REJECTED));

        final List<Reply> billing = converse(message("billing@dealer.example", null, List.of(), Fixtures.ALICE));
        final Reply header = billing.get(billing.size() - 2);
        assertEquals("h", header.command());
        assertTrue(header.text().startsWith("X-IYS-Filter\0brand=600001 dealer=22233344 kind=TRANSACTIONAL kept=1 " +
            "removed=0 asOf="), header.text());
    }

    @Test
    void shouldRefuseADealersRecipientAtRcptTimeAsThatDealer()
    {
        connect(new MilterSettings(BRANDS, false, true));
        final List<Reply> replies = converse(message("kadikoy@dealer.example", null, List.of(), Fixtures.ALICE));
        assertEquals("550 5.7.1 <alice@test.local>: no IYS consent (DEALER_ACCESS_UNKNOWN)\0", replies.get(1).text());
    }

    @Test
    void shouldRejectAMessageNobodyMayReceive()
    {
        connect(new MilterSettings(BRANDS, false, false));
        final List<Reply> replies = converse(message("news@brand.example", null, List.of(), Fixtures.BOB, CAROL));
        final Reply last = replies.get(replies.size() - 1);
        assertEquals("y", last.command());
        assertEquals("550 5.7.1 No IYS consent for any recipient (brand 600001)\0", last.text());
    }

    @Test
    void shouldTempfailWhatItCannotDecide()
    {
        connect(new MilterSettings(BRANDS, false, false));
        List<Reply> replies = converse(message("news@unknown.example", null, List.of(), Fixtures.ALICE));
        assertEquals("451 4.7.1 Sender is not mapped to an IYS brand, try again later\0", last(replies).text());

        replies = converse(message("news@stale.example", null, List.of(), Fixtures.ALICE));
        assertEquals("451 4.7.1 IYS consent cannot be checked now (STALE), try again later\0", last(replies).text());
    }

    @Test
    void shouldTempfailTransactionalMailOfAnUnknownBrandButPassThatOfAStaleOne()
    {
        final MilterBrandMap brands = new MilterBrandMap(Map.of(
            "sender:billing@gone.example", new MilterBrandMap.Mapping(999_999, MessageKind.TRANSACTIONAL),
            "sender:billing@stale.example",
            new MilterBrandMap.Mapping(Fixtures.STALE_BRAND, MessageKind.TRANSACTIONAL)));
        connect(new MilterSettings(brands, false, false));
        List<Reply> replies = converse(message("billing@gone.example", null, List.of(), CAROL));
        assertEquals("451 4.7.1 IYS consent cannot be checked now (UNKNOWN_BRAND), try again later\0",
            last(replies).text(), "PROTOCOL.md §3: an unknown brand is refused before the exemption, as on every door");

        replies = converse(message("billing@stale.example", null, List.of(), CAROL));
        assertTrue(replies.get(2).text().contains("kind=TRANSACTIONAL kept=1 removed=0"), replies.get(2).text());
    }

    @Test
    void shouldTakeTheKindFromTheHeaderOnlyWhenAllowedOrFromTheMapping()
    {
        final List<String[]> transactional = List.<String[]>of(new String[]{"X-IYS-Kind", "TRANSACTIONAL"});
        connect(new MilterSettings(BRANDS, false, false));
        List<Reply> replies = converse(message("news@brand.example", null, transactional, Fixtures.BOB, CAROL));
        assertEquals("550 5.7.1 No IYS consent for any recipient (brand 600001)\0", last(replies).text(),
            "by default the header is ignored: any sender can write it, and the mapping's kind (COMMERCIAL) applies");

        connect(new MilterSettings(BRANDS, false, false).withKindHeader(true));
        replies = converse(message("news@brand.example", null, transactional, Fixtures.BOB, CAROL));
        assertEquals(List.of("h", "a"), commands(replies.subList(3, replies.size())));
        assertTrue(replies.get(3).text().contains("kind=TRANSACTIONAL kept=2 removed=0"), replies.get(3).text());

        connect(new MilterSettings(BRANDS, false, false));
        replies = converse(message("billing@brand.example", null, List.of(), CAROL));
        assertTrue(replies.get(2).text().contains("kind=TRANSACTIONAL kept=1"), replies.get(2).text());
    }

    @Test
    void shouldAcceptMailFromTheNullSenderWithoutAConsentCheck()
    {
        connect(new MilterSettings(BRANDS, false, false));
        final List<Reply> replies = converse(message("", null, List.of(), Fixtures.BOB, CAROL));
        assertEquals(List.of("c", "c", "c", "h", "a"), commands(replies),
            "a bounce or DSN is no commercial message: nobody removed, nothing tempfailed");
        assertEquals("X-IYS-Filter\0null-sender kind=NOT_COMMERCIAL kept=2 removed=0\0", replies.get(3).text());
        assertEquals(1, counters.milterNullSenders());
        for (final Reason reason : Reason.values())
        {
            assertEquals(0, counters.decisions(ServerCounters.Endpoint.MILTER, reason), reason.name());
        }

        connect(new MilterSettings(BRANDS, false, true));
        final List<Reply> atRcpt = converse(message("", null, List.of(), Fixtures.BOB));
        assertEquals(List.of("c", "c", "h", "a"), commands(atRcpt), "nor refused at RCPT time");
    }

    @Test
    void shouldTempfailAMessageSentWithoutOptionNegotiationAndLogItRateLimited()
    {
        connect(new MilterSettings(BRANDS, false, false));
        final byte[] unnegotiated = message("news@brand.example", null, List.of(), Fixtures.ALICE, CAROL);
        for (int i = 0; i < 3; i++)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(unnegotiated));
            assertEquals("451 4.7.1 IYS consent filter cannot remove recipients here, try again later\0",
                last(parse(readAll())).text());
        }
        assertEquals(3, counters.milterErrors(ServerCounters.MilterError.NO_NEGOTIATION),
            "counted each time; logged once per interval (MilterSessionHandler's LogLimiter)");
    }

    @Test
    void shouldAcceptAPacketOfExactlyTheStatedLimitAndCloseOnOneByteMore()
    {
        connect(new MilterSettings(BRANDS, false, false));
        channel.writeInbound(Unpooled.wrappedBuffer(POSTFIX_OPTNEG));
        readAll();
        final ByteBuf largest = Unpooled.buffer(4 + MilterEndpoint.MAX_PACKET_LENGTH)
            .writeInt(MilterEndpoint.MAX_PACKET_LENGTH).writeByte('B')
            .writeZero(MilterEndpoint.MAX_PACKET_LENGTH - 1);
        channel.writeInbound(largest);
        assertTrue(channel.isActive(), "a packet of MAX_PACKET_LENGTH bytes (command and payload) is accepted");
        assertEquals(List.of("c"), commands(parse(readAll())));

        final ByteBuf over = Unpooled.buffer().writeInt(MilterEndpoint.MAX_PACKET_LENGTH + 1).writeByte('B');
        try
        {
            channel.writeInbound(over);
        }
        catch (final RuntimeException expected)
        {
            // the frame decoder reports the oversized packet; the handler closes the connection
        }
        assertFalse(channel.isActive(), "one byte more closes");
    }

    @Test
    void shouldCloseOnAnEmptyPacketAsOnAnUnknownCommand()
    {
        // found by MilterPacketFuzzTest: a packet of length 0 has no command byte, and reading one threw
        connect(new MilterSettings(BRANDS, false, false));
        channel.writeInbound(Unpooled.wrappedBuffer(POSTFIX_OPTNEG));
        readAll();
        channel.writeInbound(Unpooled.buffer().writeInt(0));
        channel.checkException();
        assertFalse(channel.isActive(), "an empty packet closes the connection");
        assertEquals(1, counters.milterErrors(ServerCounters.MilterError.UNKNOWN_COMMAND));
        assertEquals(0, counters.milterErrors(ServerCounters.MilterError.CONNECTION_ERROR),
            "refused as a protocol error, not through the last-resort error path");
    }

    @Test
    void shouldBoundTheAuditLineOfAMessageWithManyRecipients()
    {
        final String[] recipients = new String[10_000];
        for (int i = 0; i < recipients.length; i++)
        {
            recipients[i] = "r" + i + "@test.local";
        }
        final MilterSessionHandler.Message message = new MilterSessionHandler.Message();
        message.sender = "news@brand.example";
        for (final String recipient : recipients)
        {
            message.recipients.add(new MilterSessionHandler.Recipient(recipient.getBytes(StandardCharsets.UTF_8),
                recipient));
        }
        final Decider decider = new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(),
            DecisionRecorder.NONE);
        final MilterOutcome outcome = MilterOutcome.decide(message, null, new MilterSettings(BRANDS, false, false),
            decider, counters, System.currentTimeMillis());
        assertTrue(outcome.audit().length() < 8_192, "audit line of " + outcome.audit().length() + " chars");
        assertTrue(outcome.audit().contains("r***@test.local:NO_CONSENT"), "recipients masked: " + outcome.audit());
        assertFalse(outcome.audit().contains("r0@test.local"), outcome.audit());
        assertTrue(outcome.audit().contains("removed=10000"), outcome.audit());
        assertTrue(outcome.audit().contains("(+" + (10_000 - MilterOutcome.AUDIT_RECIPIENTS) + " more)"),
            outcome.audit());
        assertTrue(outcome.replyCode().startsWith("550 5.7.1"), "the bound is on the log line, not on the decision");

        final MilterSessionHandler.Message unmapped = new MilterSessionHandler.Message();
        unmapped.sender = "news@unknown.example";
        unmapped.recipients.addAll(message.recipients);
        final MilterOutcome tempfailed = MilterOutcome.decide(unmapped, null, new MilterSettings(BRANDS, false, false),
            decider, counters, System.currentTimeMillis());
        assertTrue(tempfailed.audit().length() < 8_192, "audit line of " + tempfailed.audit().length() + " chars");
    }

    @Test
    void shouldTakeTheBrandFromAuthOrFromTheHeaderOnlyWhenAllowed()
    {
        connect(new MilterSettings(BRANDS, false, false));
        List<Reply> replies = converse(message("anyone@elsewhere.example", "brand-a", List.of(), Fixtures.ALICE));
        assertEquals("a", last(replies).command(), "{auth_authen} maps the brand");

        final List<String[]> brandHeader = List.<String[]>of(new String[]{"X-IYS-Brand", "600001"});
        replies = converse(message("anyone@elsewhere.example", null, brandHeader, Fixtures.ALICE));
        assertTrue(last(replies).text().startsWith("451 4.7.1 Sender is not mapped"), "header not allowed");

        connect(new MilterSettings(BRANDS, true, false));
        replies = converse(message("anyone@elsewhere.example", null, brandHeader, Fixtures.ALICE));
        assertEquals("a", last(replies).command(), "header allowed");
    }

    @Test
    void shouldRefuseAtRcptTimeWhenConfigured()
    {
        connect(new MilterSettings(BRANDS, false, true));
        final List<Reply> replies = converse(message("news@brand.example", null, List.of(), Fixtures.ALICE, CAROL,
            Fixtures.BOB));
        assertEquals("c", replies.get(1).command());
        assertEquals("550 5.7.1 <carol@test.local>: no IYS consent (NO_CONSENT)\0", replies.get(2).text());
        assertEquals("550 5.7.1 <bob@test.local>: no IYS consent (REJECTED)\0", replies.get(3).text());
        assertEquals(List.of("h", "a"), commands(replies.subList(4, replies.size())),
            "refused recipients are not part of the message any more");
    }

    @Test
    void shouldSurviveRepeatedAbortsAndServeTheNextMessage()
    {
        connect(new MilterSettings(BRANDS, false, false));
        converse(message("news@brand.example", null, List.of(), Fixtures.ALICE, Fixtures.BOB));
        channel.writeInbound(Unpooled.wrappedBuffer(concat(frame('A'), frame('A'))));
        assertEquals(0, readAll().length, "ABORT gets no reply");
        final List<Reply> second = converse(message("news@brand.example", null, List.of(), CAROL, Fixtures.ALICE));
        assertEquals(List.of("-", "h", "a"), commands(second.subList(3, second.size())));
        assertEquals("<carol@test.local>\0", second.get(3).text());
    }

    @Test
    void shouldHandleAConversationCoalescedOrFedByteByByte()
    {
        final byte[] conversation = concat(POSTFIX_OPTNEG, message("news@brand.example", null, List.of(),
            Fixtures.ALICE, CAROL));
        connect(new MilterSettings(BRANDS, false, false));
        channel.writeInbound(Unpooled.wrappedBuffer(conversation));
        final byte[] coalesced = readAll();

        connect(new MilterSettings(BRANDS, false, false));
        final ByteArrayOutputStream trickled = new ByteArrayOutputStream();
        for (final byte b : conversation)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{b}));
            trickled.writeBytes(readAll());
        }
        assertEquals(HexFormat.of().formatHex(coalesced), HexFormat.of().formatHex(trickled.toByteArray()));
        assertEquals(List.of("O", "c", "c", "c", "-", "h", "a"), commands(parse(coalesced)));
    }

    @Test
    void shouldCloseOnQuitUnknownCommandsAndOversizedPackets()
    {
        connect(new MilterSettings(BRANDS, false, false));
        channel.writeInbound(Unpooled.wrappedBuffer(frame('Q')));
        assertFalse(channel.isActive(), "QUIT closes");

        connect(new MilterSettings(BRANDS, false, false));
        channel.writeInbound(Unpooled.wrappedBuffer(frame('Z')));
        assertFalse(channel.isActive(), "an unknown command closes");
        assertEquals(1, counters.milterErrors(ServerCounters.MilterError.UNKNOWN_COMMAND));

        connect(new MilterSettings(BRANDS, false, false));
        final ByteBuf huge = Unpooled.buffer().writeInt(MilterEndpoint.MAX_PACKET_LENGTH + 1).writeByte('B');
        try
        {
            channel.writeInbound(huge);
        }
        catch (final RuntimeException expected)
        {
            // the frame decoder reports the oversized packet; the handler closes the connection
        }
        assertFalse(channel.isActive(), "an oversized packet closes");
        assertEquals(1, counters.milterErrors(ServerCounters.MilterError.CONNECTION_ERROR));
        assertEquals(0, counters.milterErrors(ServerCounters.MilterError.BAD_NEGOTIATION));
    }

    private record Reply(byte[] frame)
    {
        String command()
        {
            return String.valueOf((char)frame[4]);
        }

        String text()
        {
            return new String(frame, 5, frame.length - 5, StandardCharsets.UTF_8);
        }
    }

    /**
     * One message the way Postfix sends it once options are negotiated with NR_CONN/NR_DATA/NR_HDR/NR_EOH.
     */
    private static byte[] message(final String sender, final String authUser, final List<String[]> headers,
        final String... recipients)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(macro('C', "j", "mx.test.local", "{daemon_addr}", "127.0.0.1"));
        out.writeBytes(frame('C', "localhost", "4"));
        out.writeBytes(authUser == null ? macro('M', "{mail_addr}", sender) :
            macro('M', "{mail_addr}", sender, "{auth_authen}", authUser));
        out.writeBytes(frame('M', "<" + sender + ">", "BODY=8BITMIME"));
        for (int i = 0; i < recipients.length; i++)
        {
            out.writeBytes(i == 0 ? macro('R', "{rcpt_addr}", recipients[i]) :
                macro('R', "i", "QID" + i, "{rcpt_addr}", recipients[i]));
            out.writeBytes(frame('R', "<" + recipients[i] + ">"));
        }
        out.writeBytes(macro('T', "i", "C99AE1600A5"));
        out.writeBytes(frame('T'));
        out.writeBytes(frame('L', "Subject", "weekly offers"));
        for (final String[] header : headers)
        {
            out.writeBytes(frame('L', header[0], header[1]));
        }
        out.writeBytes(frame('N'));
        out.writeBytes(macro('E', "i", "C99AE1600A5"));
        out.writeBytes(frame('E'));
        return out.toByteArray();
    }

    private List<Reply> converse(final byte[] conversation)
    {
        if (!channel.isActive() || channel.attr(NEGOTIATED).get() == null)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(POSTFIX_OPTNEG));
            readAll();
            channel.attr(NEGOTIATED).set(Boolean.TRUE);
        }
        channel.writeInbound(Unpooled.wrappedBuffer(conversation));
        return parse(readAll());
    }

    private static final io.netty.util.AttributeKey<Boolean> NEGOTIATED =
        io.netty.util.AttributeKey.valueOf("testNegotiated");

    private byte[] readAll()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null)
        {
            final byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    private static List<Reply> parse(final byte[] stream)
    {
        final List<Reply> replies = new ArrayList<>();
        int offset = 0;
        while (offset < stream.length)
        {
            final int length = Unpooled.wrappedBuffer(stream, offset, 4).readInt();
            final byte[] frame = new byte[4 + length];
            System.arraycopy(stream, offset, frame, 0, frame.length);
            replies.add(new Reply(frame));
            offset += frame.length;
        }
        return replies;
    }

    private static List<String> commands(final List<Reply> replies)
    {
        final List<String> commands = new ArrayList<>();
        for (final Reply reply : replies)
        {
            commands.add(reply.command());
        }
        return commands;
    }

    private static Reply last(final List<Reply> replies)
    {
        return replies.get(replies.size() - 1);
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
