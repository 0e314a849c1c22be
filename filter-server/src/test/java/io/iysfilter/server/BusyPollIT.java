package io.iysfilter.server;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The busy-polling mode, server and client: the same answers as the sleeping event loops, on clients sharing one
 * group, event loops that spin while idle, and a clean stop.
 */
@Timeout(60)
class BusyPollIT
{
    @Test
    void busyPollingServerAndSharedBusyPollingClientsAnswerAsUsual(@TempDir final Path dataDir) throws Exception
    {
        Fixtures.write(dataDir);
        final EventLoopGroup group = FilterClient.newEventLoopGroup(1, true);
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).ioThreads(1).busyPoll(true)))
        {
            final List<FilterClient> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                clients.add(FilterClient.connect(FilterClient.Options.of("127.0.0.1", server.binaryPort()), group));
            }
            final List<CompletableFuture<CheckResult>> answers = new ArrayList<>();
            for (final FilterClient client : clients)
            {
                assertFalse(client.executor().inEventLoop(), "the test thread is not the client's loop");
                answers.add(client.check(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, Fixtures.CONSENTED));
                answers.add(client.check(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, Fixtures.REJECTED));
            }
            for (int i = 0; i < answers.size(); i++)
            {
                assertEquals(i % 2 == 0 ? Reason.CONSENT : Reason.REJECTED, answers.get(i).get(10, TimeUnit.SECONDS)
                    .reason());
            }
            assertTrue(busiestCpuMs("multiThreadIoEventLoopGroup", "iys-filter-client", 100) >= 100,
                "an idle busy-polling event loop, server's and client's, keeps a core busy");
            clients.get(0).close();
            assertEquals(Reason.CONSENT, clients.get(1).checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED).reason(),
                "closing one client leaves the shared group serving the others");
            clients.get(1).close();
            clients.get(2).close();
        }
        finally
        {
            assertTrue(group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS));
        }
    }

    /**
     * While nothing is sent, whether the busiest thread of each name prefix uses {@code minMs} of CPU within a
     * bounded wait: a sleeping event loop uses next to none however long it waits, a busy-polling one a whole core,
     * or what the machine's other load leaves it. Waiting until the amount is reached, rather than measuring a fixed
     * window, keeps the check true on a loaded machine.
     *
     * @return the smaller of the two busiest threads' CPU time when both reached {@code minMs} or the wait ended, ms.
     */
    private static long busiestCpuMs(final String serverPrefix, final String clientPrefix, final long minMs)
        throws Exception
    {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final Map<Long, Long> before = cpuByThread(threads);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long used;
        do
        {
            TimeUnit.MILLISECONDS.sleep(100);
            used = busiestSince(before, cpuByThread(threads), serverPrefix, clientPrefix);
        }
        while (used < minMs && System.nanoTime() < deadlineNs);
        return used;
    }

    private static long busiestSince(
        final Map<Long, Long> before, final Map<Long, Long> after, final String serverPrefix, final String clientPrefix)
    {
        long server = 0;
        long client = 0;
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            final Long start = before.get(thread.getId());
            final Long end = after.get(thread.getId());
            if (start != null && end != null)
            {
                final long usedMs = (end - start) / 1_000_000;
                if (thread.getName().startsWith(serverPrefix))
                {
                    server = Math.max(server, usedMs);
                }
                else if (thread.getName().startsWith(clientPrefix))
                {
                    client = Math.max(client, usedMs);
                }
            }
        }
        return Math.min(server, client);
    }

    private static Map<Long, Long> cpuByThread(final ThreadMXBean threads)
    {
        final Map<Long, Long> cpu = new HashMap<>();
        for (final long id : threads.getAllThreadIds())
        {
            final long nanos = threads.getThreadCpuTime(id);
            if (nanos >= 0)
            {
                cpu.put(id, nanos);
            }
        }
        return cpu;
    }
}
