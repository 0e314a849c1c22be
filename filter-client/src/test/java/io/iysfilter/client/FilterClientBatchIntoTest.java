package io.iysfilter.client;

import io.iysfilter.client.ScriptedFilterServer.BatchAnswer;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FilterClient#checkBatchInto}: reusable requests and results, an answer that does not carry one result per
 * entry fails its request (never a partial answer), and a late answer to a request that timed out is dropped, not
 * written into results that a retry already reuses. Against a {@link ScriptedFilterServer} told, before each batch,
 * how to answer it.
 */
@Timeout(30)
class FilterClientBatchIntoTest
{
    private static final long BRAND = 600_001;
    private static final String[] PHONES = {"05321234567", "+905321234568", "5321234569"};

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
    void shouldFillReusableResultsInEntryOrderAndSendTheRecipientsBytes() throws Exception
    {
        server = new ScriptedFilterServer(0, 0, 0);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final RecipientBatch batch = batch(PHONES);
            final BatchResults results = new BatchResults(8);
            answer(BatchAnswer.EXACT, Reason.CONSENT);
            assertSame(results, client.checkBatchInto(batch, results).get(10, TimeUnit.SECONDS));
            assertEquals("CHECK_BATCH entries=3", server.nextRequest());
            assertEquals("MESAJ BIREYSEL COMMERCIAL " + String.join(" ", PHONES), server.batches().get(0));
            assertEquals(PHONES.length, results.size());
            for (int i = 0; i < PHONES.length; i++)
            {
                assertEquals(Verdict.ALLOW, results.verdict(i));
                assertEquals(Reason.CONSENT, results.reason(i));
                assertEquals(ScriptedFilterServer.RUN, results.decisionId(i) & 0xFFFF_0000_0000_0000L,
                    "the id the server wrote");
                assertEquals(i, results.decisionId(i) & 0xFFFF, "result " + i + " is entry " + i + "'s");
                assertEquals(ScriptedFilterServer.AS_OF, results.asOfMs(i));
            }

            batch.clear();
            final byte[] row = "x,05321111111,y".getBytes(StandardCharsets.US_ASCII);
            batch.add(row, 2, 11);
            answer(BatchAnswer.EXACT, Reason.REJECTED);
            client.checkBatchInto(batch, results).get(10, TimeUnit.SECONDS);
            assertEquals("CHECK_BATCH entries=1", server.nextRequest());
            assertEquals("MESAJ BIREYSEL COMMERCIAL 05321111111", server.batches().get(1),
                "the same batch, refilled");
            assertEquals(1, results.size());
            assertEquals(Reason.REJECTED, results.reason(0));
            assertThrows(IndexOutOfBoundsException.class, () -> results.reason(1), "only what this answer holds");
        }
    }

    @Test
    void shouldFailARequestWhoseAnswerHasTooFewOrTooManyResults() throws Exception
    {
        server = new ScriptedFilterServer(0, 0, 0);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final RecipientBatch batch = batch(PHONES);
            for (final BatchAnswer answer : new BatchAnswer[]{BatchAnswer.SHORT, BatchAnswer.LONG})
            {
                answer(answer, Reason.CONSENT);
                final ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> client.checkBatchInto(batch, new BatchResults(8)).get(10, TimeUnit.SECONDS));
                assertInstanceOf(FilterClientException.class, failed.getCause());
                final int count = answer == BatchAnswer.SHORT ? 2 : 4;
                assertTrue(failed.getCause().getMessage().contains("answered a batch of 3 entries with " + count +
                    " results"), failed.getCause().getMessage());
                server.nextRequest();

                answer(answer, Reason.CONSENT);
                final List<BatchEntry> entries = new ArrayList<>();
                for (final String phone : PHONES)
                {
                    entries.add(new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, phone));
                }
                final ExecutionException listFailed = assertThrows(ExecutionException.class,
                    () -> client.checkBatch(BRAND, entries).get(10, TimeUnit.SECONDS));
                assertTrue(listFailed.getCause().getMessage().contains("with " + count + " results"),
                    "the List API too: " + listFailed.getCause().getMessage());
                server.nextRequest();
            }
            answer(BatchAnswer.EXACT, Reason.CONSENT);
            final BatchResults results = new BatchResults(3);
            client.checkBatchInto(batch, results).get(10, TimeUnit.SECONDS);
            assertEquals(3, results.size(), "the connection still serves");
        }
    }

    @Test
    void shouldFailABatchAnsweredWithAnotherKindOfAnswer() throws Exception
    {
        // a single CHECK's answer to a batch's correlation id: a server that does not speak the protocol
        server = new ScriptedFilterServer(0, 0, 0);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            answer(BatchAnswer.WRONG_TYPE, Reason.CONSENT);
            final ExecutionException failed = assertThrows(ExecutionException.class,
                () -> client.checkBatchInto(batch(PHONES), new BatchResults(8)).get(10, TimeUnit.SECONDS));
            assertInstanceOf(FilterClientException.class, failed.getCause(), "a clear error, not a result of " +
                "another type: " + failed.getCause());
            assertTrue(failed.getCause().getMessage().contains("with a CHECK_RESPONSE"),
                failed.getCause().getMessage());
        }
    }

    @Test
    void shouldDropTheLateAnswerOfATimedOutRequestInsteadOfFillingTheResultsARetryReuses() throws Exception
    {
        server = new ScriptedFilterServer(0, 0, 0);
        try (FilterClient client = FilterClient.connect(new FilterClient.Options("127.0.0.1", server.port(), 200,
            3_000, 1_000)))
        {
            final RecipientBatch batch = batch(PHONES);
            final BatchResults results = new BatchResults(3);
            answer(BatchAnswer.HOLD, Reason.CONSENT);
            final CompletableFuture<BatchResults> first = client.checkBatchInto(batch, results);
            final ExecutionException timedOut = assertThrows(ExecutionException.class,
                () -> first.get(10, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, timedOut.getCause());
            server.nextRequest();

            answer(BatchAnswer.EXACT, Reason.REJECTED);
            client.checkBatchInto(batch, results).get(10, TimeUnit.SECONDS);
            server.nextRequest();
            assertEquals(Reason.REJECTED, results.reason(0));

            server.releaseHeld();
            // answered after the late frame on the same connection, so that frame was handled before this returns
            client.hello().get(10, TimeUnit.SECONDS);
            assertEquals("late answer sent", server.nextRequest());
            assertEquals("HELLO", server.nextRequest());
            for (int i = 0; i < PHONES.length; i++)
            {
                assertEquals(Reason.REJECTED, results.reason(i), "the retry's answer stands");
                assertEquals(Verdict.DENY, results.verdict(i));
            }
        }
    }

    @Test
    void shouldRefuseWhatCannotBeSent()
    {
        final RecipientBatch batch = new RecipientBatch(2);
        final byte[] phone = PHONES[0].getBytes(StandardCharsets.US_ASCII);
        assertThrows(IllegalArgumentException.class, () -> batch.add(phone, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> batch.add(new byte[300], 0, 255));
        final IllegalArgumentException notAscii = assertThrows(IllegalArgumentException.class,
            () -> batch.add("05321234ı67".getBytes(StandardCharsets.UTF_8), 0, 12));
        assertTrue(notAscii.getMessage().contains("not ASCII"), notAscii.getMessage());
        batch.add(phone, 0, phone.length);
        batch.add(phone, 0, phone.length);
        assertThrows(IllegalStateException.class, () -> batch.add(phone, 0, phone.length));
        assertEquals(PHONES[0], batch.recipient(1));
        assertThrows(IllegalArgumentException.class, () -> new RecipientBatch(1_001));
        assertThrows(IllegalArgumentException.class, () -> new BatchResults(0));
    }

    private static RecipientBatch batch(final String... recipients)
    {
        final RecipientBatch batch = new RecipientBatch(8)
            .ask(BRAND, FilterClient.NO_DEALER, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL);
        for (final String recipient : recipients)
        {
            final byte[] bytes = recipient.getBytes(StandardCharsets.US_ASCII);
            batch.add(bytes, 0, bytes.length);
        }
        return batch;
    }

    /**
     * Have the server answer every batch from now on as given, each entry with the reason given.
     */
    private void answer(final BatchAnswer answer, final Reason reason)
    {
        server.answerBatches(answer);
        server.answerWith((recipient) -> reason);
    }
}
