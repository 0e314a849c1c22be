package io.iysfilter.client;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.CheckBatchDecoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseEncoder;
import io.iysfilter.protocol.codecs.CheckResponseEncoder;
import io.iysfilter.protocol.codecs.HelloDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.protocol.codecs.WelcomeEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FilterClient#checkBatchInto}: reusable requests and results, an answer that does not carry one result per
 * entry fails its request (never a partial answer), and a late answer to a request that timed out is dropped, not
 * written into results that a retry already reuses. Against a scripted server on 127.0.0.1 told, batch by batch,
 * how to answer.
 */
@Timeout(30)
class FilterClientBatchIntoTest
{
    private static final long BRAND = 600_001;
    private static final String[] PHONES = {"05321234567", "+905321234568", "5321234569"};

    private ScriptedServer server;

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
        server = new ScriptedServer();
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final RecipientBatch batch = batch(PHONES);
            final BatchResults results = new BatchResults(8);
            server.answer(Answer.EXACT, Reason.CONSENT);
            assertSame(results, client.checkBatchInto(batch, results).get(10, TimeUnit.SECONDS));
            assertEquals("MESAJ BIREYSEL COMMERCIAL " + String.join(" ", PHONES), server.nextRequest());
            assertEquals(PHONES.length, results.size());
            for (int i = 0; i < PHONES.length; i++)
            {
                assertEquals(Verdict.ALLOW, results.verdict(i));
                assertEquals(Reason.CONSENT, results.reason(i));
                assertEquals(i + 1, results.decisionId(i), "result " + i + " is entry " + i + "'s");
                assertEquals(7L, results.asOfMs(i));
            }

            batch.clear();
            final byte[] row = "x,05321111111,y".getBytes(StandardCharsets.US_ASCII);
            batch.add(row, 2, 11);
            server.answer(Answer.EXACT, Reason.REJECTED);
            client.checkBatchInto(batch, results).get(10, TimeUnit.SECONDS);
            assertEquals("MESAJ BIREYSEL COMMERCIAL 05321111111", server.nextRequest(), "the same batch, refilled");
            assertEquals(1, results.size());
            assertEquals(Reason.REJECTED, results.reason(0));
            assertThrows(IndexOutOfBoundsException.class, () -> results.reason(1), "only what this answer holds");
        }
    }

    @Test
    void shouldFailARequestWhoseAnswerHasTooFewOrTooManyResults() throws Exception
    {
        server = new ScriptedServer();
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            final RecipientBatch batch = batch(PHONES);
            for (final Answer answer : new Answer[]{Answer.SHORT, Answer.LONG})
            {
                server.answer(answer, Reason.CONSENT);
                final ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> client.checkBatchInto(batch, new BatchResults(8)).get(10, TimeUnit.SECONDS));
                assertInstanceOf(FilterClientException.class, failed.getCause());
                final int count = answer == Answer.SHORT ? 2 : 4;
                assertTrue(failed.getCause().getMessage().contains("answered a batch of 3 entries with " + count +
                    " results"), failed.getCause().getMessage());
                server.nextRequest();

                server.answer(answer, Reason.CONSENT);
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
            server.answer(Answer.EXACT, Reason.CONSENT);
            final BatchResults results = new BatchResults(3);
            client.checkBatchInto(batch, results).get(10, TimeUnit.SECONDS);
            assertEquals(3, results.size(), "the connection still serves");
        }
    }

    @Test
    void shouldFailABatchAnsweredWithAnotherKindOfAnswer() throws Exception
    {
        // a single CHECK's answer to a batch's correlation id: a server that does not speak the protocol
        server = new ScriptedServer();
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.port()))
        {
            server.answer(Answer.WRONG_TYPE, Reason.CONSENT);
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
        server = new ScriptedServer();
        try (FilterClient client = FilterClient.connect(new FilterClient.Options("127.0.0.1", server.port(), 200,
            3_000, 1_000)))
        {
            final RecipientBatch batch = batch(PHONES);
            final BatchResults results = new BatchResults(3);
            server.answer(Answer.HOLD, Reason.CONSENT);
            final CompletableFuture<BatchResults> first = client.checkBatchInto(batch, results);
            final ExecutionException timedOut = assertThrows(ExecutionException.class,
                () -> first.get(10, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, timedOut.getCause());
            server.nextRequest();

            server.answer(Answer.EXACT, Reason.REJECTED);
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

    private enum Answer
    {
        EXACT, SHORT, LONG, HOLD, WRONG_TYPE
    }

    /**
     * Answers HELLO with a WELCOME, and each CHECK_BATCH as the next {@link #answer} says: one result per entry,
     * one too few or too many, or held until {@link #releaseHeld}. Records each batch as its entries' text.
     */
    private static final class ScriptedServer implements AutoCloseable
    {
        private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
        private final BlockingQueue<Object[]> answers = new LinkedBlockingQueue<>();
        private final CompletableFuture<Void> release = new CompletableFuture<>();
        private volatile Socket socket;

        ScriptedServer() throws IOException
        {
            final Thread thread = new Thread(this::serve, "scripted-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port()
        {
            return listener.getLocalPort();
        }

        void answer(final Answer answer, final Reason reason)
        {
            answers.add(new Object[]{answer, reason});
        }

        void releaseHeld()
        {
            release.complete(null);
        }

        String nextRequest() throws InterruptedException
        {
            final String request = requests.poll(10, TimeUnit.SECONDS);
            assertNotNull(request, "the server read no request");
            return request;
        }

        private void serve()
        {
            try (Socket accepted = listener.accept())
            {
                socket = accepted;
                final DataInputStream in = new DataInputStream(accepted.getInputStream());
                final OutputStream out = accepted.getOutputStream();
                final MessageHeaderDecoder header = new MessageHeaderDecoder();
                byte[] held = null;
                boolean first = true;
                while (true)
                {
                    final UnsafeBuffer buffer = new UnsafeBuffer(readFrame(in));
                    header.wrap(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET);
                    final int offset = FrameDescriptor.MESSAGE_OFFSET;
                    if (header.templateId() == HelloDecoder.TEMPLATE_ID)
                    {
                        final HelloDecoder hello = new HelloDecoder().wrap(buffer, offset, header.blockLength(),
                            header.version());
                        if (held != null && release.isDone())
                        {
                            out.write(held);
                            held = null;
                            requests.add("late answer sent");
                        }
                        out.write(welcomeFrame(hello.correlationId()));
                        if (!first)
                        {
                            requests.add("HELLO");
                        }
                        first = false;
                    }
                    else if (header.templateId() == CheckBatchDecoder.TEMPLATE_ID)
                    {
                        final CheckBatchDecoder batch = new CheckBatchDecoder().wrap(buffer, offset,
                            header.blockLength(), header.version());
                        final long correlationId = batch.correlationId();
                        final StringBuilder text = new StringBuilder();
                        final CheckBatchDecoder.EntriesDecoder entries = batch.entries();
                        final int count = entries.count();
                        while (entries.hasNext())
                        {
                            entries.next();
                            if (text.isEmpty())
                            {
                                text.append(entries.channel()).append(' ').append(entries.recipientType())
                                    .append(' ').append(entries.messageKind());
                            }
                            text.append(' ').append(entries.recipient());
                        }
                        final Object[] script = answers.poll(10, TimeUnit.SECONDS);
                        final Answer answer = script == null ? Answer.EXACT : (Answer)script[0];
                        final Reason reason = script == null ? Reason.NO_CONSENT : (Reason)script[1];
                        final int results = count + (answer == Answer.SHORT ? -1 : answer == Answer.LONG ? 1 : 0);
                        final byte[] response = answer == Answer.WRONG_TYPE ? checkResponseFrame(correlationId) :
                            batchResponseFrame(correlationId, results, reason);
                        requests.add(text.toString());
                        if (answer == Answer.HOLD)
                        {
                            held = response;
                        }
                        else
                        {
                            out.write(response);
                        }
                    }
                    else
                    {
                        requests.add("unexpected templateId=" + header.templateId());
                    }
                    out.flush();
                }
            }
            catch (final IOException | InterruptedException ex)
            {
                requests.add("closed: " + ex);
            }
        }

        private static byte[] welcomeFrame(final long correlationId)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
            final WelcomeEncoder welcome = new WelcomeEncoder()
                .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
                .correlationId(correlationId)
                .protocolVersion(FrameDescriptor.SCHEMA_VERSION)
                .maxFrameLength(0)
                .maxBatchEntries(0)
                .maxAddressLength(0)
                .serverName("scripted/1");
            return frame(buffer, welcome.encodedLength());
        }

        private static byte[] checkResponseFrame(final long correlationId)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
            final CheckResponseEncoder response = new CheckResponseEncoder()
                .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
                .correlationId(correlationId)
                .asOf(7L)
                .verdict(Verdict.ALLOW)
                .reason(Reason.CONSENT);
            return frame(buffer, response.encodedLength());
        }

        private static byte[] batchResponseFrame(final long correlationId, final int count, final Reason reason)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 +
                CheckBatchResponseEncoder.ResultsEncoder.sbeBlockLength() * count]);
            final CheckBatchResponseEncoder response = new CheckBatchResponseEncoder();
            final CheckBatchResponseEncoder.ResultsEncoder results = response
                .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
                .correlationId(correlationId)
                .asOf(7L)
                .resultsCount(count);
            for (int i = 0; i < count; i++)
            {
                results.next().verdict(reason == Reason.CONSENT ? Verdict.ALLOW : Verdict.DENY).reason(reason)
                    .decisionId(i + 1);
            }
            return frame(buffer, response.encodedLength());
        }

        private static byte[] frame(final UnsafeBuffer buffer, final int messageLength)
        {
            final int frameLength = FrameDescriptor.MESSAGE_OFFSET + messageLength;
            FrameDescriptor.frameLength(buffer, 0, frameLength);
            return Arrays.copyOf(buffer.byteArray(), frameLength);
        }

        private static byte[] readFrame(final DataInputStream in) throws IOException
        {
            final byte[] length = new byte[4];
            in.readFully(length);
            final int frameLength = (int)FrameDescriptor.frameLength(new UnsafeBuffer(length), 0);
            final byte[] frame = Arrays.copyOf(length, frameLength);
            in.readFully(frame, 4, frameLength - 4);
            return frame;
        }

        @Override
        public void close() throws IOException
        {
            listener.close();
            final Socket accepted = socket;
            if (accepted != null)
            {
                accepted.close();
            }
        }
    }
}
