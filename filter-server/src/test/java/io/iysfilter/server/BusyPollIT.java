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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The busy-polling mode, server and client: the same answers as the sleeping event loops, on clients sharing one
 * group, and a clean stop (the spinning threads end).
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
}
