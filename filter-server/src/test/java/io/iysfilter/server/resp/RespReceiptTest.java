package io.iysfilter.server.resp;

import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.decision.RecordingRecorder;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.BearerTokens;
import io.iysfilter.server.security.ClientCounters;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static io.iysfilter.server.ReceiptAssertions.assertAsked;
import static io.iysfilter.server.ReceiptAssertions.assertRecipient;
import static io.iysfilter.server.ReceiptAssertions.assertRecord;
import static io.iysfilter.server.resp.RespTestIndex.command;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * IYS.CHECK and IYS.MCHECK replies carry the id of their decisions' receipts (RESP2's 4th element, RESP3's
 * {@code id}), the receipts name the asker (the client once authenticated), and the policy applies.
 */
class RespReceiptTest
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

    private static EmbeddedChannel connect(final DecisionRecorder recorder, final Authenticator auth)
    {
        return new EmbeddedChannel(RespEndpoint.newConnection(
            new Decider(new ConsentFilter(FilterPolicy.DEFAULT), store.newLookup(), recorder), new ServerCounters(),
            auth, "iys-filter/test", () -> 1));
    }

    private static Object one(final EmbeddedChannel channel, final String... args)
    {
        channel.writeInbound(Unpooled.wrappedBuffer(command(args)));
        final List<Object> replies = RespReplyReader.all(RespReplyReader.drain(channel));
        assertEquals(1, replies.size(), replies.toString());
        return replies.get(0);
    }

    @Test
    void shouldReplyWithTheIdsOfTheReceiptsInRespTwoAndThree()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final EmbeddedChannel channel = connect(recorder, Authenticator.off(new ClientCounters()));
        final String brand = Long.toString(Fixtures.BRAND);
        final List<?> reply = (List<?>)one(channel, "IYS.CHECK", brand, "MESAJ", Fixtures.CONSENTED);
        final RecordingRecorder.Receipt receipt = recorder.last();
        assertEquals(List.of("ALLOW", "CONSENT", asOf, DecisionIds.text(receipt.id())), reply);
        assertAsked(receipt, Door.RESP, "peer:embedded", Fixtures.BRAND, Channel.MESAJ, RecipientType.UNSPECIFIED,
            MessageKind.COMMERCIAL, Reason.CONSENT, asOf);
        assertRecipient(receipt, Fixtures.CONSENTED, true);
        assertRecord(receipt, store, Fixtures.CONSENTED, true);

        final List<?> many = (List<?>)one(channel, "IYS.MCHECK", brand, "MESAJ", Fixtures.CONSENTED,
            Fixtures.REJECTED, Fixtures.CONSENTED);
        final List<RecordingRecorder.Receipt> receipts = recorder.receipts().subList(1, 4);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(DecisionIds.text(receipts.get(i).id()), ((List<?>)many.get(i)).get(3), "recipient " + i);
        }
        assertEquals(3, new HashSet<>(receipts.stream().map(RecordingRecorder.Receipt::id).toList()).size());
        assertRecord(receipts.get(1), store, Fixtures.REJECTED, true);

        one(channel, "HELLO", "3");
        final Map<?, ?> map = (Map<?, ?>)one(channel, "IYS.CHECK", brand, "MESAJ", Fixtures.REJECTED);
        assertEquals(Map.of("verdict", "DENY", "reason", "REJECTED", "asof", asOf, "id",
            DecisionIds.text(recorder.last().id())), map);
        one(channel, "HELLO", "2");
        final Object refused = one(channel, "IYS.CHECK", "0", "MESAJ", Fixtures.CONSENTED);
        assertEquals(List.of("DENY", "INVALID_REQUEST", 0L, DecisionIds.text(recorder.last().id())), refused,
            "brand 0 is a decision with its receipt too");
        assertEquals(0, recorder.last().brandCode());
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldNameTheDealerARequestNamedInItsReceiptsEvenWhenRefusedBeforeTheRules()
    {
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final EmbeddedChannel channel = connect(recorder, Authenticator.off(new ClientCounters()));
        final String brand = Long.toString(Fixtures.BRAND);
        one(channel, "IYS.CHECK", brand, "MESAJ", Fixtures.CONSENTED, "DEALER", "4000000123");
        assertEquals(4_000_000_123L, recorder.last().dealerCode());
        one(channel, "IYS.CHECK", brand, "MESAJ", Fixtures.CONSENTED);
        assertEquals(0, recorder.last().dealerCode(), "no DEALER: the brand itself");

        // brand 0 is refused before the rules: its receipt names the dealer as the binary and HTTP doors' do
        one(channel, "IYS.CHECK", "0", "MESAJ", Fixtures.CONSENTED, "DEALER", "77");
        assertEquals(Reason.INVALID_REQUEST, recorder.last().reason());
        assertEquals(77, recorder.last().dealerCode(), "a CHECK refused before the rules");
        one(channel, "IYS.MCHECK", "0", "MESAJ", "DEALER", "78", Fixtures.CONSENTED, Fixtures.REJECTED);
        final List<RecordingRecorder.Receipt> refused = recorder.receipts().subList(3, 5);
        for (final RecordingRecorder.Receipt receipt : refused)
        {
            assertEquals(Reason.INVALID_REQUEST, receipt.reason());
            assertEquals(78, receipt.dealerCode(), "each recipient of an MCHECK refused before the rules");
        }
        one(channel, "IYS.MCHECK", brand, "MESAJ", "DEALER", "79", Fixtures.CONSENTED);
        assertEquals(79, recorder.last().dealerCode());
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldNameTheClientOnceItAuthenticates() throws Exception
    {
        final String token = BearerTokens.generate(new SecureRandom());
        final Path clients = Files.writeString(dataDir.resolve("clients.conf"), "[acme]\nroles = check\nbrands = " +
            Fixtures.BRAND + "\ntoken = " + BearerTokens.hash(token) + "\n");
        final RecordingRecorder recorder = new RecordingRecorder(false);
        final EmbeddedChannel channel = connect(recorder, Authenticator.load(clients, 10, new ClientCounters()));
        assertEquals("OK", one(channel, "AUTH", token));
        one(channel, "IYS.CHECK", Long.toString(Fixtures.BRAND), "MESAJ", Fixtures.CONSENTED);
        assertEquals("client:acme", recorder.last().party());
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldDenyAnUnrecordedAllowUnderPolicyDenyAndServeItUnderAllow()
    {
        final String brand = Long.toString(Fixtures.BRAND);
        final EmbeddedChannel denying = connect(new RecordingRecorder(false).failing(true),
            Authenticator.off(new ClientCounters()));
        assertEquals(List.of(List.of("DENY", "RECEIPT_UNAVAILABLE", asOf, "0000000000000000"),
            List.of("DENY", "REJECTED", asOf, "0000000000000000")),
            one(denying, "IYS.MCHECK", brand, "MESAJ", Fixtures.CONSENTED, Fixtures.REJECTED));
        denying.finishAndReleaseAll();
        final EmbeddedChannel serving = connect(new RecordingRecorder(true).failing(true),
            Authenticator.off(new ClientCounters()));
        assertEquals(List.of("ALLOW", "CONSENT", asOf, "0000000000000000"),
            one(serving, "IYS.CHECK", brand, "MESAJ", Fixtures.CONSENTED));
        serving.finishAndReleaseAll();
    }
}
