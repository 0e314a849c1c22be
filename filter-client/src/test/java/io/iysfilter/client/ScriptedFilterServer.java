package io.iysfilter.client;

import io.iysfilter.protocol.FrameDescriptor;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.CheckBatchDecoder;
import io.iysfilter.protocol.codecs.CheckBatchResponseEncoder;
import io.iysfilter.protocol.codecs.CheckDecoder;
import io.iysfilter.protocol.codecs.CheckResponseEncoder;
import io.iysfilter.protocol.codecs.HelloDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderDecoder;
import io.iysfilter.protocol.codecs.MessageHeaderEncoder;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.WelcomeEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A stand-in for the server on 127.0.0.1, for tests of what a client sends: it answers HELLO with a WELCOME of the
 * limits it is given (so a client can be shown limits smaller, or larger, than any real server announces), CHECK and
 * CHECK_BATCH with the reason its answer function gives each recipient (DENY NO_CONSENT unless told), and records
 * what each request was after the first HELLO, every recipient it was asked about, in order, each batch's size and
 * entries, and any request over the limits it announced. Connections are served one after another on a thread of
 * its own, so a client that lost its connection can make another; {@link #dropAtBatch} has the server drop one
 * mid-run, {@link #answerBatches} has it answer a CHECK_BATCH wrongly, or late, and {@link #holdWelcome} has it keep a
 * client waiting for a connection's WELCOME as long as a test likes.
 * <p>
 * The decision ids it answers are {@link #RUN} with the request's correlation id in their sequence: a CHECK's is
 * {@code RUN | correlationId}, a batch entry's {@code RUN | correlationId << 16 | index}. Every answer is as of
 * {@link #AS_OF}.
 */
public final class ScriptedFilterServer implements AutoCloseable
{
    /** The run part of every decision id it answers. */
    public static final long RUN = 1L << 48;
    /** The {@code asOf} of every answer it writes. */
    public static final long AS_OF = 1L;

    /**
     * How it answers a CHECK_BATCH, each result's reason being the answer function's for its entry.
     */
    public enum BatchAnswer
    {
        /** One result per entry, as a server does. */
        EXACT(0),
        /** One result fewer than the batch has entries. */
        SHORT(-1),
        /** One result more than the batch has entries, the last DENY NO_CONSENT. */
        LONG(1),
        /** A CHECK_RESPONSE (the answer to a single CHECK, of the first entry) with the batch's correlation id. */
        WRONG_TYPE(0),
        /** One result per entry, held back until {@link ScriptedFilterServer#releaseHeld()} and the next HELLO. */
        HOLD(0);

        private final int moreResults;

        BatchAnswer(final int moreResults)
        {
            this.moreResults = moreResults;
        }
    }

    private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
    private final List<String> recipients = new ArrayList<>();
    private final List<String> overLimits = new ArrayList<>();
    private final List<Integer> batchSizes = new ArrayList<>();
    private final List<String> batches = new ArrayList<>();
    private final Thread thread;
    private volatile long[] limits;
    private volatile Function<String, Reason> answers = (recipient) -> Reason.NO_CONSENT;
    private volatile BatchAnswer batchAnswer = BatchAnswer.EXACT;
    private volatile boolean heldReleased;
    private volatile Socket socket;
    private final List<long[]> drops = new CopyOnWriteArrayList<>();
    private final CountDownLatch welcomeHeld = new CountDownLatch(1);
    private final CountDownLatch welcomeReleased = new CountDownLatch(1);
    private volatile int heldConnection;
    private int batchesRead;
    private int connections;
    private byte[] held;

    /**
     * Listen on an ephemeral port of 127.0.0.1 and serve the first connection.
     *
     * @param maxFrameLength   announced in WELCOME; 0 announces none.
     * @param maxBatchEntries  announced in WELCOME; 0 announces none.
     * @param maxAddressLength announced in WELCOME; 0 announces none.
     * @throws IOException when it cannot listen.
     */
    public ScriptedFilterServer(final long maxFrameLength, final long maxBatchEntries, final long maxAddressLength)
        throws IOException
    {
        welcome(maxFrameLength, maxBatchEntries, maxAddressLength);
        thread = new Thread(this::serve, "scripted-server");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Announce other limits in the WELCOMEs from now on.
     *
     * @param maxFrameLength   announced in WELCOME.
     * @param maxBatchEntries  announced in WELCOME.
     * @param maxAddressLength announced in WELCOME.
     */
    public void welcome(final long maxFrameLength, final long maxBatchEntries, final long maxAddressLength)
    {
        limits = new long[]{maxFrameLength, maxBatchEntries, maxAddressLength};
    }

    /**
     * Drop the connection on reading the {@code batch}-th CHECK_BATCH (counted over all connections, from 1),
     * without answering it or anything after it (the answers written before still arrive), and announce the limits
     * given in the WELCOMEs from then on: a client that reconnects is told them. Called again, it drops again at
     * another batch. The dropped batch is not counted as read: it shows in {@link #nextRequest()} as
     * {@code dropped CHECK_BATCH entries=N}, and in neither {@link #recipients()} nor {@link #batchSizes()}.
     *
     * @param batch            which CHECK_BATCH, from 1.
     * @param maxFrameLength   announced in WELCOME after the drop.
     * @param maxBatchEntries  announced in WELCOME after the drop.
     * @param maxAddressLength announced in WELCOME after the drop.
     */
    public void dropAtBatch(
        final int batch, final long maxFrameLength, final long maxBatchEntries, final long maxAddressLength)
    {
        drops.add(new long[]{batch, maxFrameLength, maxBatchEntries, maxAddressLength});
    }

    /**
     * Hold back the WELCOME answering the first HELLO of a connection until {@link #releaseWelcome()} (10 s at
     * most): a client making that connection waits in its HELLO exchange, connected, until then. The WELCOME
     * announces the limits of when it is let go.
     *
     * @param connection which connection, counted from 1.
     */
    public void holdWelcome(final int connection)
    {
        heldConnection = connection;
    }

    /**
     * Wait until the HELLO whose WELCOME is {@link #holdWelcome held} is read: its client is then connected and
     * waits for the WELCOME.
     *
     * @throws InterruptedException when interrupted waiting.
     * @throws AssertionError       when no such HELLO came within 10 s.
     */
    public void awaitWelcomeHeld() throws InterruptedException
    {
        if (!welcomeHeld.await(10, TimeUnit.SECONDS))
        {
            throw new AssertionError("the server read no HELLO of connection " + heldConnection);
        }
    }

    /**
     * Let the {@link #holdWelcome held} WELCOME go.
     */
    public void releaseWelcome()
    {
        welcomeReleased.countDown();
    }

    /**
     * @return how many connections it accepted so far.
     */
    public int connections()
    {
        synchronized (recipients)
        {
            return connections;
        }
    }

    /**
     * Answer each recipient from now on with the reason given (the verdict is the reason's).
     *
     * @param answers the reason for a recipient, given as text.
     */
    public void answerWith(final Function<String, Reason> answers)
    {
        this.answers = answers;
    }

    /**
     * Answer each CHECK_BATCH from now on as given (the answer function still giving the reasons).
     *
     * @param answer how.
     */
    public void answerBatches(final BatchAnswer answer)
    {
        batchAnswer = answer;
    }

    /**
     * Let the answer held back by {@link BatchAnswer#HOLD} go: it is written just before the WELCOME that answers
     * the next HELLO on its connection, so a client has read it once that HELLO is answered, and shows in
     * {@link #nextRequest()} as {@code late answer sent}, before that {@code HELLO}.
     */
    public void releaseHeld()
    {
        heldReleased = true;
    }

    /**
     * @return the port it listens on.
     */
    public int port()
    {
        return listener.getLocalPort();
    }

    /**
     * @return the next request read after the first HELLO: {@code HELLO}, {@code CHECK recipientLength=N} or
     * {@code CHECK_BATCH entries=N}; waits up to 10 s.
     * @throws InterruptedException when interrupted waiting.
     * @throws AssertionError       when no request came.
     */
    public String nextRequest() throws InterruptedException
    {
        final String request = requests.poll(10, TimeUnit.SECONDS);
        if (request == null)
        {
            throw new AssertionError("the server read no request");
        }
        return request;
    }

    /**
     * @return every recipient asked about so far, in the order read.
     */
    public List<String> recipients()
    {
        synchronized (recipients)
        {
            return List.copyOf(recipients);
        }
    }

    /**
     * @return the entries of each CHECK_BATCH read so far, in order.
     */
    public List<Integer> batchSizes()
    {
        synchronized (recipients)
        {
            return List.copyOf(batchSizes);
        }
    }

    /**
     * @return each CHECK_BATCH read so far, in order, as text: its first entry's channel, recipient type and message
     * kind, then every entry's recipient, separated by spaces.
     */
    public List<String> batches()
    {
        synchronized (recipients)
        {
            return List.copyOf(batches);
        }
    }

    /**
     * @return a line for each request that was over the limits announced when it was read: larger frame, more
     * batch entries or a longer recipient than announced (a limit of 0 taken as none announced).
     */
    public List<String> overLimits()
    {
        synchronized (overLimits)
        {
            return List.copyOf(overLimits);
        }
    }

    private void serve()
    {
        while (!listener.isClosed())
        {
            try (Socket accepted = listener.accept())
            {
                socket = accepted;
                final int connection;
                synchronized (recipients)
                {
                    connection = ++connections;
                }
                if (connection > 1)
                {
                    requests.add("connection " + connection);
                }
                serve(accepted, connection);
            }
            catch (final IOException ex)
            {
                requests.add("closed: " + ex);
            }
        }
    }

    private void serve(final Socket accepted, final int connection) throws IOException
    {
        final DataInputStream in = new DataInputStream(accepted.getInputStream());
        final OutputStream out = accepted.getOutputStream();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        held = null;
        boolean first = true;
        while (true)
        {
            final byte[] frame = Frames.read(in);
            final UnsafeBuffer buffer = new UnsafeBuffer(frame);
            header.wrap(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET);
            final int offset = FrameDescriptor.MESSAGE_OFFSET;
            final long[] announced = limits;
            if (announced[0] != 0 && frame.length > announced[0])
            {
                overLimit("frame of " + frame.length + " bytes, maxFrameLength=" + announced[0]);
            }
            switch (header.templateId())
            {
                case HelloDecoder.TEMPLATE_ID ->
                {
                    final HelloDecoder hello = new HelloDecoder().wrap(buffer, offset, header.blockLength(),
                        header.version());
                    if (first && connection == heldConnection)
                    {
                        awaitRelease();
                    }
                    if (held != null && heldReleased)
                    {
                        out.write(held);
                        held = null;
                        heldReleased = false;
                        requests.add("late answer sent");
                    }
                    out.write(welcomeFrame(hello.correlationId()));
                    if (!first)
                    {
                        requests.add("HELLO");
                    }
                    first = false;
                }
                case CheckDecoder.TEMPLATE_ID ->
                {
                    final CheckDecoder check = new CheckDecoder().wrap(buffer, offset, header.blockLength(),
                        header.version());
                    final long correlationId = check.correlationId();
                    final String recipient = check.recipient();
                    asked(recipient, announced);
                    requests.add("CHECK recipientLength=" + recipient.length());
                    out.write(checkResponseFrame(correlationId, answers.apply(recipient)));
                }
                case CheckBatchDecoder.TEMPLATE_ID ->
                {
                    final CheckBatchDecoder batch = new CheckBatchDecoder().wrap(buffer, offset,
                        header.blockLength(), header.version());
                    if (!answerBatch(batch, announced, out))
                    {
                        // answers already written go first: closing with requests unread would reset the
                        // connection, and a client could lose them
                        accepted.shutdownOutput();
                        in.transferTo(OutputStream.nullOutputStream());
                        return;
                    }
                }
                default -> requests.add("unexpected templateId=" + header.templateId());
            }
            out.flush();
        }
    }

    private void awaitRelease() throws IOException
    {
        welcomeHeld.countDown();
        try
        {
            if (!welcomeReleased.await(10, TimeUnit.SECONDS))
            {
                requests.add("held WELCOME never released");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException(ex);
        }
    }

    /**
     * Record a CHECK_BATCH and answer it as {@link #batchAnswer} says, or hold its answer back.
     *
     * @return false when the connection is to be dropped at it instead.
     */
    private boolean answerBatch(final CheckBatchDecoder batch, final long[] announced, final OutputStream out)
        throws IOException
    {
        final long correlationId = batch.correlationId();
        final CheckBatchDecoder.EntriesDecoder entries = batch.entries();
        final int count = entries.count();
        if (drop(count))
        {
            return false;
        }
        if (announced[1] != 0 && count > announced[1])
        {
            overLimit("batch of " + count + " entries, maxBatchEntries=" + announced[1]);
        }
        final StringBuilder text = new StringBuilder();
        final Reason[] reasons = new Reason[count];
        for (int i = 0; i < count; i++)
        {
            entries.next();
            if (i == 0)
            {
                text.append(entries.channel()).append(' ').append(entries.recipientType()).append(' ')
                    .append(entries.messageKind());
            }
            final String recipient = entries.recipient();
            text.append(' ').append(recipient);
            asked(recipient, announced);
            reasons[i] = answers.apply(recipient);
        }
        synchronized (recipients)
        {
            batchSizes.add(count);
            batches.add(text.toString());
        }
        final BatchAnswer answer = batchAnswer;
        final byte[] response = answer == BatchAnswer.WRONG_TYPE ?
            checkResponseFrame(correlationId, count == 0 ? Reason.NO_CONSENT : reasons[0]) :
            batchResponseFrame(correlationId, results(reasons, answer.moreResults));
        requests.add("CHECK_BATCH entries=" + count);
        if (answer == BatchAnswer.HOLD)
        {
            held = response;
        }
        else
        {
            out.write(response);
        }
        return true;
    }

    /**
     * @return the reasons, with {@code more} results more (DENY NO_CONSENT) or fewer.
     */
    private static Reason[] results(final Reason[] reasons, final int more)
    {
        final Reason[] results = Arrays.copyOf(reasons, Math.max(0, reasons.length + more));
        Arrays.fill(results, Math.min(reasons.length, results.length), results.length, Reason.NO_CONSENT);
        return results;
    }

    /**
     * @return whether this CHECK_BATCH is the one to drop the connection on; the limits to announce are taken then.
     */
    private boolean drop(final int count)
    {
        batchesRead++;
        for (final long[] drop : drops)
        {
            if (drop[0] == batchesRead)
            {
                welcome(drop[1], drop[2], drop[3]);
                requests.add("dropped CHECK_BATCH entries=" + count);
                return true;
            }
        }
        return false;
    }

    private void asked(final String recipient, final long[] announced)
    {
        synchronized (recipients)
        {
            recipients.add(recipient);
        }
        if (announced[2] != 0 && recipient.length() > announced[2])
        {
            overLimit("recipient of " + recipient.length() + " bytes, maxAddressLength=" + announced[2]);
        }
    }

    private void overLimit(final String what)
    {
        synchronized (overLimits)
        {
            overLimits.add(what);
        }
    }

    private byte[] welcomeFrame(final long correlationId)
    {
        final long[] current = limits;
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final WelcomeEncoder welcome = new WelcomeEncoder()
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .protocolVersion(FrameDescriptor.SCHEMA_VERSION)
            .maxFrameLength(current[0])
            .maxBatchEntries(current[1])
            .maxAddressLength(current[2])
            .serverName("scripted/1");
        return frame(buffer, welcome.encodedLength());
    }

    private static byte[] checkResponseFrame(final long correlationId, final Reason reason)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final CheckResponseEncoder response = new CheckResponseEncoder()
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .asOf(AS_OF)
            .verdict(Verdicts.verdictOf(reason))
            .reason(reason)
            .decisionId(RUN | correlationId);
        return frame(buffer, response.encodedLength());
    }

    private static byte[] batchResponseFrame(final long correlationId, final Reason[] reasons)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 +
            CheckBatchResponseEncoder.ResultsEncoder.sbeBlockLength() * reasons.length]);
        final CheckBatchResponseEncoder response = new CheckBatchResponseEncoder();
        final CheckBatchResponseEncoder.ResultsEncoder results = response
            .wrapAndApplyHeader(buffer, FrameDescriptor.MESSAGE_HEADER_OFFSET, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .asOf(AS_OF)
            .resultsCount(reasons.length);
        for (int i = 0; i < reasons.length; i++)
        {
            results.next().verdict(Verdicts.verdictOf(reasons[i])).reason(reasons[i])
                .decisionId(RUN | correlationId << 16 | i);
        }
        return frame(buffer, response.encodedLength());
    }

    private static byte[] frame(final UnsafeBuffer buffer, final int messageLength)
    {
        final int frameLength = FrameDescriptor.MESSAGE_OFFSET + messageLength;
        FrameDescriptor.frameLength(buffer, 0, frameLength);
        return Arrays.copyOf(buffer.byteArray(), frameLength);
    }

    /**
     * Stop listening and close the connection.
     *
     * @throws IOException when closing fails.
     */
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
