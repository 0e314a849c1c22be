package io.iysfilter.server.cli;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.optout.OptOutLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real {@code iys-filter serve} process gets SIGTERM while a binary client pipelines CHECKs, a keep-alive HTTP
 * connection asks {@code /v1/check}, a milter connection filters messages and another keep-alive HTTP connection
 * records opt-outs. Through the whole drain every answer must be the right one: no LOOKUP_ERROR (the index closed
 * under the drain), no 500 for an opt-out, and every opt-out acknowledged with 201 is in the index afterwards.
 * Requests the drain cannot take any more end with the connection closed, which no client mistakes for an ALLOW.
 */
@Timeout(180)
class ShutdownDrainIT
{
    private static final long BRAND = Fixtures.BRAND;
    private static final long LOAD_LIMIT_MS = 60_000;
    private static final long AWAIT_MS = 60_000;
    private static final int BINARY_WINDOW = 256;
    private static final long BINARY_MAX = 20_000_000;
    private static final long SEQUENTIAL_MAX = 1_000_000;
    private static final int OPT_OUT_MAX = 20_000;
    private static final int OPT_OUT_BASE = 90_000_000;
    private static final Pattern SERVING = Pattern.compile(
        "binary 127\\.0\\.0\\.1:(\\d+), http http://127\\.0\\.0\\.1:(\\d+)/, milter 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path work;

    private volatile long signalNs;

    @Test
    void shouldAnswerEveryRequestRightAndLoseNoOptOutThroughTheDrainAfterSigterm() throws Exception
    {
        final Path dataDir = work.resolve("data");
        Fixtures.write(dataDir);
        final Path brandMap = work.resolve("milter-brands.map");
        Files.writeString(brandMap, "domain:brand.example = " + BRAND + "\n");
        final Process server = startServe(dataDir, brandMap);
        final ChildOutput output = new ChildOutput(server.getInputStream());
        try
        {
            final Matcher ports = output.await(SERVING);
            final int binaryPort = Integer.parseInt(ports.group(1));
            final int httpPort = Integer.parseInt(ports.group(2));
            final int milterPort = Integer.parseInt(ports.group(3));

            final List<Load> loads = List.of(
                new BinaryLoad(binaryPort, 5_000),
                new HttpCheckLoad(httpPort, 100),
                new MilterLoad(milterPort, 20),
                new OptOutLoad(httpPort, 10));
            final List<Thread> threads = new ArrayList<>();
            for (final Load load : loads)
            {
                final Thread thread = new Thread(load, load.name);
                thread.start();
                threads.add(thread);
            }
            for (final Load load : loads)
            {
                assertTrue(load.warm.await(AWAIT_MS, TimeUnit.MILLISECONDS), () -> load.name +
                    " never warmed up: " + load.summary() + "\n" + output.text());
            }

            signalNs = System.nanoTime();
            server.toHandle().destroy();
            for (final Thread thread : threads)
            {
                thread.join(AWAIT_MS);
                assertFalse(thread.isAlive(), thread.getName() + " ended");
            }
            assertTrue(server.waitFor(AWAIT_MS, TimeUnit.MILLISECONDS), "the server stopped");
            output.join();
            assertEquals(128 + 15, server.exitValue(), "ended by SIGTERM, after its shutdown hooks:\n" +
                output.text());

            for (final Load load : loads)
            {
                System.out.println("ShutdownDrainIT " + load.name + ": " + load.summary());
            }
            for (final Load load : loads)
            {
                assertEquals(0, load.lookupErrors.get(), () -> load.name + " got LOOKUP_ERROR: " + load.summary() +
                    "\n" + output.text());
                assertEquals(0, load.wrong.get(), () -> load.name + " got wrong answers: " + load.summary());
                assertTrue(load.answeredSentAfterSignal.get() > 0, () -> load.name +
                    " got no answer to a request sent after SIGTERM, so the drain was not exercised: " +
                    load.summary());
                assertNull(load.crashed, () -> load.name + " crashed: " + load.crashed);
            }
            assertTrue(Files.readString(dataDir.resolve("brands/" + BRAND + "/brand.meta")).contains("state=closed"),
                "the index was closed cleanly, by the server's own shutdown");
            assertOptOutsKept((OptOutLoad)loads.get(3), dataDir);
        }
        finally
        {
            server.destroyForcibly();
            server.waitFor(AWAIT_MS, TimeUnit.MILLISECONDS);
        }
    }

    private static void assertOptOutsKept(final OptOutLoad optOuts, final Path dataDir) throws Exception
    {
        // the log's records as the server reads them (sealed on disk, docs/SECURITY.md §6)
        final String log = String.join("\n", OptOutLog.read(dataDir.resolve("brands/" + BRAND + "/" +
            OptOutLog.FILE_NAME), TestKeys.KEY, BRAND).records());
        try (FilterServer restarted = FilterServer.start(Fixtures.context(dataDir));
            FilterClient client = FilterClient.connect("127.0.0.1", restarted.binaryPort()))
        {
            assertFalse(restarted.store().brand(BRAND).wasRecovered(), "closed cleanly, nothing to recover");
            final List<CompletableFuture<CheckResult>> answers = new ArrayList<>();
            for (final String phone : optOuts.acknowledged)
            {
                answers.add(client.check(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                    phone));
                assertTrue(log.contains(phone), "logged: " + phone);
            }
            for (int i = 0; i < answers.size(); i++)
            {
                assertEquals(Reason.REJECTED, client.await(answers.get(i)).reason(),
                    "acknowledged with 201, so kept: " + optOuts.acknowledged.get(i));
            }
            final String unanswered = optOuts.unanswered;
            if (unanswered != null)
            {
                assertEquals(Reason.NO_CONSENT, client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, unanswered).reason(), "an opt-out the server read is answered, so " +
                    "one left without an answer was never read and is not applied: " + unanswered);
                assertFalse(log.contains(unanswered), "not logged: " + unanswered);
            }
        }
    }

    private static Process startServe(final Path dataDir, final Path brandMap) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp"))
            {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
            "--data-dir", dataDir.toString(), "--port", "0", "--http-port", "0", "--milter-port", "0",
            "--resp-port", "0", "--milter-brand-map", brandMap.toString(), "--io-threads", "2",
            "--entries-per-map", "10000"));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static boolean expectConsent(final long i)
    {
        return i % Fixtures.BULK % 2 == 0;
    }

    /**
     * One client's loop and its tally. Each loop is bounded in count and in time and ends at the first request the
     * server no longer takes (connection closed or refused).
     */
    private abstract class Load implements Runnable
    {
        final String name;
        final CountDownLatch warm = new CountDownLatch(1);
        final long warmAnswers;
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOAD_LIMIT_MS);
        final AtomicLong answered = new AtomicLong();
        final AtomicLong answeredSentAfterSignal = new AtomicLong();
        final AtomicLong lookupErrors = new AtomicLong();
        final AtomicLong wrong = new AtomicLong();
        final List<String> examples = Collections.synchronizedList(new ArrayList<>());
        volatile String ended = "still running";
        volatile Throwable crashed;

        Load(final String name, final long warmAnswers)
        {
            this.name = name;
            this.warmAnswers = warmAnswers;
        }

        @Override
        public final void run()
        {
            try
            {
                ended = loop();
            }
            catch (final Throwable ex)
            {
                crashed = ex;
            }
            finally
            {
                warm.countDown();
            }
        }

        abstract String loop() throws Exception;

        boolean running()
        {
            return System.nanoTime() - deadlineNs < 0;
        }

        void onAnswer(final boolean sentAfterSignal, final boolean right, final boolean lookupError,
            final String what)
        {
            if (lookupError)
            {
                lookupErrors.incrementAndGet();
            }
            else if (!right)
            {
                wrong.incrementAndGet();
            }
            if ((lookupError || !right) && examples.size() < 5)
            {
                examples.add(what);
            }
            if (sentAfterSignal)
            {
                answeredSentAfterSignal.incrementAndGet();
            }
            if (answered.incrementAndGet() == warmAnswers)
            {
                warm.countDown();
            }
        }

        String summary()
        {
            return "answered=" + answered + ", answeredSentAfterSignal=" + answeredSentAfterSignal +
                ", lookupErrors=" + lookupErrors + ", wrong=" + wrong + ", examples=" + examples +
                ", ended=" + ended;
        }
    }

    private final class BinaryLoad extends Load
    {
        private final int port;

        BinaryLoad(final int port, final long warmAnswers)
        {
            super("binary", warmAnswers);
            this.port = port;
        }

        @Override
        String loop() throws Exception
        {
            final Semaphore window = new Semaphore(BINARY_WINDOW);
            final String[] failure = new String[1];
            try (FilterClient client = FilterClient.connect(new FilterClient.Options("127.0.0.1", port, 10_000,
                3_000, LOAD_LIMIT_MS)))
            {
                for (long i = 0; i < BINARY_MAX && running(); i++)
                {
                    if (!window.tryAcquire(10, TimeUnit.SECONDS))
                    {
                        return "no answer for 10 s with " + BINARY_WINDOW + " requests in flight";
                    }
                    synchronized (failure)
                    {
                        if (failure[0] != null)
                        {
                            window.release();
                            break;
                        }
                    }
                    final boolean sentAfterSignal = signalNs != 0;
                    final long request = i;
                    client.check(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL,
                        Fixtures.bulkPhone((int)(i % Fixtures.BULK))).whenComplete((result, error) ->
                        {
                            if (error != null)
                            {
                                synchronized (failure)
                                {
                                    failure[0] = failure[0] == null ? "request " + request + ": " + error : failure[0];
                                }
                            }
                            else
                            {
                                final Reason expected = expectConsent(request) ? Reason.CONSENT : Reason.REJECTED;
                                onAnswer(sentAfterSignal, result.reason() == expected,
                                    result.reason() == Reason.LOOKUP_ERROR,
                                    "request " + request + ": " + result.reason() + ", expected " + expected);
                            }
                            window.release();
                        });
                }
                if (!window.tryAcquire(BINARY_WINDOW, 30, TimeUnit.SECONDS))
                {
                    return "requests still unanswered 30 s after the last was sent";
                }
            }
            synchronized (failure)
            {
                return failure[0] == null ? "bounds reached" : "connection ended: " + failure[0];
            }
        }
    }

    private final class HttpCheckLoad extends Load
    {
        private final int port;

        HttpCheckLoad(final int port, final long warmAnswers)
        {
            super("http-check", warmAnswers);
            this.port = port;
        }

        @Override
        String loop() throws Exception
        {
            try (HttpConnection http = new HttpConnection(port))
            {
                for (long i = 0; i < SEQUENTIAL_MAX && running(); i++)
                {
                    final boolean sentAfterSignal = signalNs != 0;
                    final String phone = Fixtures.bulkPhone((int)(i % Fixtures.BULK));
                    final HttpConnection.Response response;
                    try
                    {
                        response = http.exchange("GET", "/v1/check?brand=" + BRAND + "&channel=MESAJ&recipient=" +
                            phone.replace("+", "%2B") + "&recipientType=BIREYSEL&kind=COMMERCIAL", null);
                    }
                    catch (final IOException ex)
                    {
                        return "connection ended at request " + i + ": " + ex;
                    }
                    final String expected = "\"reason\":\"" + (expectConsent(i) ? "CONSENT" : "REJECTED") + "\"";
                    onAnswer(sentAfterSignal, response.status == 200 && response.body.contains(expected),
                        response.body.contains("LOOKUP_ERROR"),
                        "request " + i + ": " + response.status + " " + response.body + ", expected " + expected);
                }
            }
            return "bounds reached";
        }
    }

    private final class OptOutLoad extends Load
    {
        final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
        volatile String unanswered;
        private final int port;

        OptOutLoad(final int port, final long warmAnswers)
        {
            super("opt-out", warmAnswers);
            this.port = port;
        }

        @Override
        String loop() throws Exception
        {
            try (HttpConnection http = new HttpConnection(port))
            {
                for (int i = 0; i < OPT_OUT_MAX && running(); i++)
                {
                    final boolean sentAfterSignal = signalNs != 0;
                    final String phone = String.format(Locale.ROOT, "+9055%08d", OPT_OUT_BASE + i);
                    final HttpConnection.Response response;
                    try
                    {
                        response = http.exchange("POST", "/v1/optouts", "{\"brand\":" + BRAND +
                            ",\"channel\":\"MESAJ\",\"recipient\":\"" + phone + "\",\"source\":\"DRAIN_IT\"}");
                    }
                    catch (final IOException ex)
                    {
                        unanswered = phone;
                        return "connection ended at opt-out " + i + ": " + ex;
                    }
                    final boolean applied = response.status == 201 && response.body.contains("\"outcome\":\"APPLIED\"");
                    if (applied)
                    {
                        acknowledged.add(phone);
                    }
                    final boolean refused = response.status == 503 && response.body.startsWith("{\"error\":\"");
                    onAnswer(sentAfterSignal, applied || refused, false,
                        "opt-out " + i + ": " + response.status + " " + response.body);
                    if (refused)
                    {
                        return "refused with 503 at opt-out " + i;
                    }
                }
            }
            return "bounds reached";
        }
    }

    private final class MilterLoad extends Load
    {
        private static final String BOB_REMOVED = "<" + Fixtures.BOB + ">\0";
        private final int port;

        MilterLoad(final int port, final long warmAnswers)
        {
            super("milter", warmAnswers);
            this.port = port;
        }

        @Override
        String loop() throws Exception
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 3_000);
                socket.setSoTimeout(10_000);
                final OutputStream out = new BufferedOutputStream(socket.getOutputStream());
                final DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
                // Postfix's option negotiation: version 6, every action, every protocol step offered
                out.write(packet('O', new byte[]{0, 0, 0, 6, 0, 0, 1, (byte)0xff, 0, 0x1f, (byte)0xff, (byte)0xff}));
                out.flush();
                final byte[] negotiated = readPacket(in);
                assertEquals('O', negotiated[0], "option negotiation answered");
                final byte[] message = message();
                for (long i = 0; i < SEQUENTIAL_MAX && running(); i++)
                {
                    final boolean sentAfterSignal = signalNs != 0;
                    final List<String> replies = new ArrayList<>();
                    try
                    {
                        out.write(message);
                        out.flush();
                        while (replies.isEmpty() || "cmh-+".indexOf(replies.get(replies.size() - 1).charAt(0)) >= 0)
                        {
                            final byte[] reply = readPacket(in);
                            replies.add((char)reply[0] + new String(reply, 1, reply.length - 1,
                                StandardCharsets.US_ASCII));
                        }
                    }
                    catch (final IOException ex)
                    {
                        return "connection ended at message " + i + " after replies " + replies + ": " + ex;
                    }
                    final boolean right = replies.size() == 6 && replies.get(0).equals("c") &&
                        replies.get(1).equals("c") && replies.get(2).equals("c") &&
                        replies.get(3).equals("-" + BOB_REMOVED) &&
                        replies.get(4).startsWith("hX-IYS-Filter\0brand=" + BRAND + " kind=COMMERCIAL kept=1 " +
                        "removed=1 ") && replies.get(5).equals("a");
                    onAnswer(sentAfterSignal, right, String.join("|", replies).contains("LOOKUP_ERROR"),
                        "message " + i + ": " + replies);
                }
            }
            return "bounds reached";
        }

        /**
         * One message to ALICE (ONAY) and BOB (RET) from a mapped sender, as Postfix sends it once NR_CONN, NR_HDR,
         * NR_EOH and NR_DATA are negotiated: replies c (MAIL), c, c (RCPTs), then at the end - (BOB), h, a.
         */
        private byte[] message()
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(packet('C', strings("localhost", "4")));
            out.writeBytes(packet('D', concat(new byte[]{'M'}, strings("{mail_addr}", "news@brand.example"))));
            out.writeBytes(packet('M', strings("<news@brand.example>")));
            for (final String recipient : new String[]{Fixtures.ALICE, Fixtures.BOB})
            {
                out.writeBytes(packet('D', concat(new byte[]{'R'}, strings("{rcpt_addr}", recipient))));
                out.writeBytes(packet('R', strings("<" + recipient + ">")));
            }
            out.writeBytes(packet('T', new byte[0]));
            out.writeBytes(packet('L', strings("Subject", "drain")));
            out.writeBytes(packet('N', new byte[0]));
            out.writeBytes(packet('E', new byte[0]));
            return out.toByteArray();
        }

        private static byte[] strings(final String... values)
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (final String value : values)
            {
                out.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
                out.write(0);
            }
            return out.toByteArray();
        }

        private static byte[] concat(final byte[] a, final byte[] b)
        {
            final byte[] joined = new byte[a.length + b.length];
            System.arraycopy(a, 0, joined, 0, a.length);
            System.arraycopy(b, 0, joined, a.length, b.length);
            return joined;
        }

        private static byte[] packet(final char command, final byte[] data)
        {
            final int length = 1 + data.length;
            final byte[] packet = new byte[4 + length];
            packet[0] = (byte)(length >>> 24);
            packet[1] = (byte)(length >>> 16);
            packet[2] = (byte)(length >>> 8);
            packet[3] = (byte)length;
            packet[4] = (byte)command;
            System.arraycopy(data, 0, packet, 5, data.length);
            return packet;
        }

        private static byte[] readPacket(final DataInputStream in) throws IOException
        {
            final int length = in.readInt();
            if (length < 1 || length > 65_536)
            {
                throw new IOException("bad milter packet length " + length);
            }
            final byte[] packet = new byte[length];
            in.readFully(packet);
            return packet;
        }
    }

    /**
     * HTTP/1.1 requests one after another on one keep-alive connection.
     */
    private static final class HttpConnection implements AutoCloseable
    {
        private final Socket socket = new Socket();
        private final OutputStream out;
        private final InputStream in;

        record Response(int status, String body)
        {
        }

        HttpConnection(final int port) throws IOException
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 3_000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            out = new BufferedOutputStream(socket.getOutputStream());
            in = new BufferedInputStream(socket.getInputStream());
        }

        Response exchange(final String method, final String target, final String body) throws IOException
        {
            final byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            out.write((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                (body == null ? "" : "Content-Type: application/json\r\n") +
                "Content-Length: " + content.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(content);
            out.flush();
            final String statusLine = line();
            final String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.1"))
            {
                throw new IOException("not an HTTP response: " + statusLine);
            }
            int length = -1;
            for (String header = line(); !header.isEmpty(); header = line())
            {
                if (header.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                {
                    length = Integer.parseInt(header.substring("content-length:".length()).strip());
                }
            }
            if (length < 0)
            {
                throw new IOException("no Content-Length in the response to " + target);
            }
            final byte[] received = in.readNBytes(length);
            if (received.length < length)
            {
                throw new EOFException("response body cut short");
            }
            return new Response(Integer.parseInt(parts[1]), new String(received, StandardCharsets.UTF_8));
        }

        private String line() throws IOException
        {
            final StringBuilder line = new StringBuilder();
            for (int b = in.read(); b != '\n'; b = in.read())
            {
                if (b < 0)
                {
                    throw new EOFException("connection closed" + (line.length() == 0 ? "" : " mid-line: " + line));
                }
                if (b != '\r')
                {
                    line.append((char)b);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }

    /**
     * Reads the child's output (stdout and stderr) as it comes, so its pipe never fills.
     */
    private static final class ChildOutput extends Thread
    {
        private final BufferedReader lines;
        private final List<String> seen = new ArrayList<>();

        ChildOutput(final InputStream output)
        {
            super("serve-output");
            lines = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8));
            setDaemon(true);
            start();
        }

        @Override
        public void run()
        {
            try
            {
                for (String line = lines.readLine(); line != null; line = lines.readLine())
                {
                    synchronized (seen)
                    {
                        seen.add(line);
                        seen.notifyAll();
                    }
                }
            }
            catch (final IOException ex)
            {
                synchronized (seen)
                {
                    seen.add("(output unreadable: " + ex + ")");
                }
            }
            finally
            {
                synchronized (seen)
                {
                    seen.add(null);
                    seen.notifyAll();
                }
            }
        }

        Matcher await(final Pattern pattern) throws InterruptedException
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS);
            int next = 0;
            synchronized (seen)
            {
                while (true)
                {
                    for (; next < seen.size(); next++)
                    {
                        final String line = seen.get(next);
                        if (line == null)
                        {
                            throw new AssertionError("serve ended before printing " + pattern + ":\n" + text());
                        }
                        final Matcher matcher = pattern.matcher(line);
                        if (matcher.find())
                        {
                            return matcher;
                        }
                    }
                    final long leftNs = deadlineNs - System.nanoTime();
                    if (leftNs <= 0)
                    {
                        throw new AssertionError("serve did not print " + pattern + ":\n" + text());
                    }
                    TimeUnit.NANOSECONDS.timedWait(seen, leftNs);
                }
            }
        }

        /**
         * @return the last lines of the child's output, without the milter's audit lines.
         */
        String text()
        {
            synchronized (seen)
            {
                final List<String> kept = new ArrayList<>();
                for (final String line : seen)
                {
                    if (line != null && !line.contains("] audit - "))
                    {
                        kept.add(line);
                    }
                }
                return String.join("\n", kept.subList(Math.max(0, kept.size() - 40), kept.size()));
            }
        }
    }
}
