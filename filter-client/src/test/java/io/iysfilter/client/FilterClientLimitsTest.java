package io.iysfilter.client;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Limits;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckBatchDecoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client holds its requests to the limits of the server's WELCOME, each bounded by what the wire can carry
 * (PROTOCOL.md §6): a server announcing more than the wire allows does not make the client send what it cannot,
 * and one announcing less is obeyed. Against a scripted server on 127.0.0.1 that records every request it reads, so
 * a refused request is seen to send nothing: the next request is the first the server reads after HELLO.
 */
@Timeout(30)
class FilterClientLimitsTest
{
    private static final long BRAND = 600_001;
    private static final String PHONE = "05321234567";
    /** The scripted server's decision ids: run 1, and a sequence made of the request's correlation id. */
    private static final long RUN = ScriptedFilterServer.RUN;

    private ScriptedFilterServer server;

    @AfterEach
    void stop() throws IOException
    {
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldNeverSendMoreThanTheWireCarriesWhateverWelcomeAnnounces() throws Exception
    {
        server = new ScriptedFilterServer(0xFFFF_FFFFL, 100_000, 1_000);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final ServerInfo info = client.serverInfo();
            assertEquals(1_000, info.maxAddressLength(), "what the server said");
            assertEquals(Limits.MAX_ADDRESS_LENGTH, info.effectiveMaxAddressLength(), "what it means: 254");
            assertEquals(Limits.WIRE_MAX_GROUP_ENTRIES, info.effectiveMaxBatchEntries(), "65,534");
            assertEquals(Limits.WIRE_MAX_FRAME_LENGTH, info.effectiveMaxFrameLength());

            for (final int length : new int[]{300, 255})
            {
                final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> client.check(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                        "a".repeat(length)));
                assertTrue(refused.getMessage().contains("maxAddressLength=254"), refused.getMessage());
                final List<BatchEntry> batch = List.of(new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, "a".repeat(length)));
                assertThrows(IllegalArgumentException.class, () -> client.checkBatch(BRAND, batch));
            }
            final String longest = "a".repeat(Limits.MAX_ADDRESS_LENGTH);
            assertEquals(Reason.NO_CONSENT, client.checkBlocking(BRAND, Channel.EPOSTA, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, longest).reason());
            assertEquals("CHECK recipientLength=254", server.nextRequest(), "the refused ones sent nothing");

            final List<BatchEntry> large = Collections.nCopies(Limits.MAX_BATCH_ENTRIES + 1,
                new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE));
            assertEquals(Limits.MAX_BATCH_ENTRIES + 1, client.await(client.checkBatch(BRAND, large)).size(),
                "a server announcing more than today's 1,000 entries gets them");
            assertEquals("CHECK_BATCH entries=1001", server.nextRequest());
            final List<BatchEntry> tooMany = Collections.nCopies(Limits.WIRE_MAX_GROUP_ENTRIES + 1,
                new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE));
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> client.checkBatch(BRAND, tooMany));
            assertTrue(refused.getMessage().contains("maxBatchEntries=65534"), refused.getMessage());
        }
    }

    @Test
    void shouldGiveEachAnswerItsOwnDecisionId() throws Exception
    {
        server = new ScriptedFilterServer(0, 0, 0);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final CheckResult one = client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, PHONE);
            assertEquals("CHECK recipientLength=11", server.nextRequest());
            assertEquals(RUN, one.decisionId() & 0xFFFF_0000_0000_0000L, "the id the server wrote: " + one);
            assertTrue(one.decisionId() != RUN, "with the request's correlation id in its sequence");
            assertEquals(String.format("%016x", one.decisionId()), one.decisionIdText());
            final BatchEntry entry = new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                PHONE);
            final List<CheckResult> batch = client.await(client.checkBatch(BRAND, List.of(entry, entry, entry)));
            for (int i = 0; i < batch.size(); i++)
            {
                assertEquals(i, batch.get(i).decisionId() & 0xFFFF, "entry " + i + " has its own id: " + batch);
                assertEquals(RUN, batch.get(i).decisionId() & 0xFFFF_0000_0000_0000L);
            }
        }
        assertEquals("0000000000000000", new CheckResult(Verdict.DENY, Reason.NO_CONSENT, 0).decisionIdText(),
            "an answer of a server before version 3 carries none");
    }

    @Test
    void shouldObeySmallerLimitsAWelcomeAnnounces() throws Exception
    {
        final int maxFrame = FrameDescriptor.MESSAGE_OFFSET + CheckBatchDecoder.BLOCK_LENGTH + 4 + 2 * (3 + 1 + 11);
        server = new ScriptedFilterServer(maxFrame, 2, 11);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final IllegalArgumentException longAddress = assertThrows(IllegalArgumentException.class,
                () -> client.check(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                    "+905321234567"));
            assertTrue(longAddress.getMessage().contains("maxAddressLength=11"), longAddress.getMessage());
            final BatchEntry entry = new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                PHONE);
            final IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> client.checkBatch(BRAND, List.of(entry, entry, entry)));
            assertTrue(tooMany.getMessage().contains("maxBatchEntries=2"), tooMany.getMessage());
            assertEquals(2, client.await(client.checkBatch(BRAND, List.of(entry, entry))).size());
            assertEquals("CHECK_BATCH entries=2", server.nextRequest(), "a frame of exactly maxFrameLength goes");

            server.welcome(maxFrame - 1, 2, 11);
            client.await(client.hello());
            final IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> client.checkBatch(BRAND, List.of(entry, entry)));
            assertTrue(tooLarge.getMessage().contains("maxFrameLength=" + (maxFrame - 1)), tooLarge.getMessage());
            assertEquals("HELLO", server.nextRequest());
            assertEquals(Reason.NO_CONSENT, client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, PHONE).reason());
            assertEquals("CHECK recipientLength=11", server.nextRequest(), "the refused batch sent nothing");
        }
    }

    @Test
    void shouldRefuseWhatNoServerTakesBeforeAnyConnectingWhileTheServerIsDown() throws Exception
    {
        server = new ScriptedFilterServer(0, 0, 0);
        try (FilterClient client = FilterClient.connect(new FilterClient.Options("127.0.0.1", server.port(), 5_000,
            3_000, 0)))
        {
            server.close();
            // the client learns the server is gone: a request fails for want of a connection
            assertThrows(FilterClientException.class, () -> client.await(client.check(BRAND, Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE)));

            // an argument no server takes is said as such, not as "cannot connect", and nothing tries to connect
            final IllegalArgumentException notAscii = assertThrows(IllegalArgumentException.class,
                () -> client.check(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "çağrı"));
            assertTrue(notAscii.getMessage().contains("not ASCII"), notAscii.getMessage());
            final RecipientBatch empty = new RecipientBatch(2)
                .ask(BRAND, FilterClient.NO_DEALER, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL);
            assertThrows(IllegalArgumentException.class, () -> client.checkBatchInto(empty, new BatchResults(2)));
            final BatchEntry entry = new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                PHONE);
            assertThrows(IllegalArgumentException.class, () -> client.checkBatch(BRAND,
                Collections.nCopies(Limits.WIRE_MAX_GROUP_ENTRIES + 1, entry)));
            assertThrows(IllegalArgumentException.class, () -> client.checkBatch(BRAND, -1, List.of(entry)),
                "a dealer code out of range");
        }
    }

    @Test
    void shouldHoldARequestThatReconnectsToTheLimitsOfTheNewConnection() throws Exception
    {
        server = new ScriptedFilterServer(0, 3, 0);
        server.dropAtBatch(2, 0, 2, 0);
        final BatchEntry entry = new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
            PHONE);
        final List<BatchEntry> three = List.of(entry, entry, entry);
        // no back-off: the request after the loss reconnects at once
        try (FilterClient client = FilterClient.connect(new FilterClient.Options("127.0.0.1", server.port(), 5_000,
            3_000, 0)))
        {
            assertEquals(3, client.await(client.checkBatch(BRAND, three)).size());
            assertEquals("CHECK_BATCH entries=3", server.nextRequest());
            final FilterClientException lost = assertThrows(FilterClientException.class,
                () -> client.await(client.checkBatch(BRAND, three)));
            assertEquals("dropped CHECK_BATCH entries=3", server.nextRequest(), lost.getMessage());
            assertEquals(3, client.serverInfo().effectiveMaxBatchEntries(), "the lost connection's WELCOME");

            // within the last WELCOME's limits, over those of the connection it would go on: refused, not sent
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> client.checkBatch(BRAND, three));
            assertTrue(refused.getMessage().contains("maxBatchEntries=2"), refused.getMessage());
            assertEquals("connection 2", server.nextRequest());
            assertEquals(2, client.serverInfo().effectiveMaxBatchEntries());
            final RecipientBatch batch = new RecipientBatch(3)
                .ask(BRAND, FilterClient.NO_DEALER, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL);
            final byte[] phone = PHONE.getBytes(StandardCharsets.US_ASCII);
            batch.add(phone, 0, phone.length);
            batch.add(phone, 0, phone.length);
            assertEquals(2, client.await(client.checkBatchInto(batch, new BatchResults(3))).size());
            assertEquals("CHECK_BATCH entries=2", server.nextRequest(), "the refused batch sent nothing");
            assertEquals(List.of(), server.overLimits());
            assertEquals(2, server.connections());
        }
    }

    @Test
    void shouldHoldARequestRacingAReconnectToTheLimitsOfTheNewConnection() throws Exception
    {
        // recipients of up to 254 bytes on the first connection; it is dropped at the second batch, and the WELCOME
        // of the next, held back until let go, announces 11
        server = new ScriptedFilterServer(0, 0, 0);
        server.dropAtBatch(2, 0, 0, 11);
        server.holdWelcome(2);
        final List<BatchEntry> one = List.of(new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL,
            MessageKind.COMMERCIAL, PHONE));
        // no back-off: the request after the loss reconnects at once
        try (FilterClient client = FilterClient.connect(new FilterClient.Options("127.0.0.1", server.port(), 5_000,
            3_000, 0)))
        {
            assertEquals(1, client.await(client.checkBatch(BRAND, one)).size());
            assertEquals("CHECK_BATCH entries=1", server.nextRequest());
            assertThrows(FilterClientException.class, () -> client.await(client.checkBatch(BRAND, one)));
            assertEquals("dropped CHECK_BATCH entries=1", server.nextRequest());

            // one thread reconnects, connected and waiting for the WELCOME...
            final Call<CheckResult> reconnecting = new Call<>("reconnecting", () -> client.checkBlocking(BRAND,
                Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, PHONE));
            reconnecting.start();
            server.awaitWelcomeHeld();
            // ...while another asks about a recipient the lost connection took and the new one does not take: it
            // either went its way at once or waits for the reconnect, before the WELCOME is let go
            final Call<CompletableFuture<CheckResult>> racing = new Call<>("racing", () -> client.check(BRAND,
                Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, "+905321234567"));
            racing.start();
            awaitEndedOrBlockedBehind(racing, reconnecting);
            server.releaseWelcome();

            final ExecutionException refused = assertThrows(ExecutionException.class,
                () -> racing.result.get(10, TimeUnit.SECONDS), "held to the limits of the connection it goes on");
            assertInstanceOf(IllegalArgumentException.class, refused.getCause());
            assertTrue(refused.getCause().getMessage().contains("maxAddressLength=11"), refused.getMessage());
            assertEquals(Reason.NO_CONSENT, reconnecting.result.get(10, TimeUnit.SECONDS).reason());
            assertEquals("connection 2", server.nextRequest());
            assertEquals("CHECK recipientLength=11", server.nextRequest(), "the refused request sent nothing");
            assertEquals(List.of(), server.overLimits());
        }
    }

    @Test
    void shouldTakeALimitOfZeroAsNoneAnnounced() throws Exception
    {
        server = new ScriptedFilterServer(0, 0, 0);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final ServerInfo info = client.serverInfo();
            assertEquals(Limits.MAX_ADDRESS_LENGTH, info.effectiveMaxAddressLength());
            assertEquals(Limits.MAX_BATCH_ENTRIES, info.effectiveMaxBatchEntries());
            assertEquals(Limits.MAX_FRAME_LENGTH, info.effectiveMaxFrameLength());
            assertEquals(Reason.NO_CONSENT, client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, PHONE).reason());
        }
    }

    /**
     * Wait until a thread has ended, or is blocked on the client's monitor that another thread holds: where a
     * request made while that other reconnects goes, unless it takes the connection being made.
     */
    private static void awaitEndedOrBlockedBehind(final Thread waiter, final Thread holder)
    {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        while (waiter.getState() != Thread.State.TERMINATED)
        {
            final ThreadInfo info = threads.getThreadInfo(waiter.getId());
            if (info != null && info.getThreadState() == Thread.State.BLOCKED &&
                info.getLockOwnerId() == holder.getId() &&
                info.getLockName().startsWith(FilterClient.class.getName() + "@"))
            {
                return;
            }
            Thread.yield();
        }
    }

    /**
     * A call on a thread of its own; {@link #result} completes with what it returned or threw.
     */
    private static final class Call<T> extends Thread
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        private final Supplier<T> call;

        Call(final String name, final Supplier<T> call)
        {
            super(name);
            this.call = call;
            setDaemon(true);
        }

        @Override
        public void run()
        {
            try
            {
                result.complete(call.get());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        }
    }
}
