package io.iysfilter.loadtest;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.ClientTls;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.Verdicts;
import io.iysfilter.protocol.codecs.Reason;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * iys-filter through the Java client users have: one {@link FilterClient} per connection, all on one shared group.
 */
public final class FilterTarget implements LoadTarget
{
    private final String host;
    private final int port;
    private final Workload.Requests requests;
    private final EventLoopGroup group;
    private final ClientTls tls;
    private final List<FilterClient> clients = new CopyOnWriteArrayList<>();

    /**
     * @param host     server host.
     * @param port     binary protocol port.
     * @param requests the pool, with expected answers.
     * @param threads  client event-loop threads.
     * @param busyPoll whether those threads busy-poll.
     */
    public FilterTarget(
        final String host, final int port, final Workload.Requests requests, final int threads, final boolean busyPoll)
    {
        this(host, port, requests, threads, busyPoll, null);
    }

    /**
     * @param host     server host.
     * @param port     binary protocol port.
     * @param requests the pool, with expected answers.
     * @param threads  client event-loop threads.
     * @param busyPoll whether those threads busy-poll.
     * @param tls      TLS to the server, or null for plaintext.
     */
    public FilterTarget(
        final String host, final int port, final Workload.Requests requests, final int threads, final boolean busyPoll,
        final ClientTls tls)
    {
        this.tls = tls;
        this.host = host;
        this.port = port;
        this.requests = requests;
        this.group = FilterClient.newEventLoopGroup(threads, busyPoll);
    }

    @Override
    public String name()
    {
        return "iys-filter";
    }

    @Override
    public Connection connect()
    {
        final FilterClient client = FilterClient.connect(new FilterClient.Options(host, port, 30_000,
            FilterClient.Options.CONNECT_TIMEOUT_MS_DEFAULT, FilterClient.Options.RECONNECT_BACKOFF_MS_DEFAULT)
            .withTls(tls), group);
        clients.add(client);
        return new Connection()
        {
            @Override
            public EventExecutor executor()
            {
                return client.executor();
            }

            @Override
            public void send(final int first, final int count, final long tagNs, final Answer answer)
            {
                if (count == 1)
                {
                    client.check(Workload.BRAND, requests.channel(first), requests.type(first), requests.kind(first),
                        requests.recipient(first)).whenComplete((result, error) ->
                            answer.onAnswer(tagNs, error == null ? 1 : 0,
                                error == null && !matches(result, first) ? 1 : 0, error));
                }
                else
                {
                    client.checkBatch(Workload.BRAND, requests.batch(first, count)).whenComplete((results, error) ->
                    {
                        int wrong = 0;
                        if (error == null)
                        {
                            for (int i = 0; i < count; i++)
                            {
                                wrong += matches(results.get(i), first + i) ? 0 : 1;
                            }
                        }
                        answer.onAnswer(tagNs, error == null ? count : 0, wrong, error);
                    });
                }
            }

            @Override
            public void close()
            {
                client.close();
            }
        };
    }

    private boolean matches(final CheckResult result, final int request)
    {
        final Reason expected = requests.expected(request);
        return result.reason() == expected && result.verdict() == Verdicts.verdictOf(expected);
    }

    @Override
    public void close()
    {
        for (final FilterClient client : clients)
        {
            client.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
