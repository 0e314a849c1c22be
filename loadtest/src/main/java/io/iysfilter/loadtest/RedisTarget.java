package io.iysfilter.loadtest;

import io.iysfilter.client.FilterClient;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Redis holding the same recipients ({@link Workload#redisKey}), asked with GET for a single request and MGET for a
 * batch. An answer is wrong when a recorded recipient's key is missing or an unrecorded one's is present.
 */
public final class RedisTarget implements LoadTarget
{
    private static final byte[] GET = "GET".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MGET = "MGET".getBytes(StandardCharsets.US_ASCII);

    private final String host;
    private final int port;
    private final Workload workload;
    private final Workload.Requests requests;
    private final EventLoopGroup group;
    private final List<RespConnection> connections = new CopyOnWriteArrayList<>();

    /**
     * @param host     Redis host.
     * @param port     Redis port.
     * @param workload the model (which recipients are recorded).
     * @param requests the pool.
     * @param threads  client event-loop threads.
     * @param busyPoll whether those threads busy-poll.
     */
    public RedisTarget(
        final String host,
        final int port,
        final Workload workload,
        final Workload.Requests requests,
        final int threads,
        final boolean busyPoll)
    {
        this.host = host;
        this.port = port;
        this.workload = workload;
        this.requests = requests;
        this.group = FilterClient.newEventLoopGroup(threads, busyPoll);
    }

    @Override
    public String name()
    {
        return "redis";
    }

    @Override
    public Connection connect() throws IOException
    {
        final RespConnection resp = RespConnection.connect(group, host, port);
        connections.add(resp);
        return new Connection()
        {
            @Override
            public EventExecutor executor()
            {
                return resp.executor();
            }

            @Override
            public void send(final int first, final int count, final long tagNs, final Answer answer)
            {
                int expectedPresent = 0;
                for (int i = first; i < first + count; i++)
                {
                    expectedPresent += workload.recorded(requests.recipientIndex(i)) ? 1 : 0;
                }
                final int expected = expectedPresent;
                final RespConnection.Reply reply = (present, error) -> answer.onAnswer(tagNs,
                    error == null ? count : 0, error == null ? Math.abs(present - expected) : 0,
                    error == null ? null : new IOException("Redis: " + error));
                if (count == 1)
                {
                    resp.command(reply, GET, requests.redisKey(first));
                }
                else
                {
                    final byte[][] args = new byte[count + 1][];
                    args[0] = MGET;
                    for (int i = 0; i < count; i++)
                    {
                        args[i + 1] = requests.redisKey(first + i);
                    }
                    resp.command(reply, args);
                }
            }

            @Override
            public void close()
            {
                resp.close();
            }
        };
    }

    @Override
    public void close()
    {
        for (final RespConnection connection : connections)
        {
            connection.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
