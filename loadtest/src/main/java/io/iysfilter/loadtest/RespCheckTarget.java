package io.iysfilter.loadtest;

import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Reason;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * iys-filter's RESP endpoint, asked about the e-mail brand ({@link Workload#EMAIL_BRAND}) through the rig's own RESP
 * client (the same as for Redis): request {@code i} of the pool asks about e-mail recipient
 * {@code recipientIndex(i) mod N}, with IYS.CHECK for a single request and IYS.MCHECK for a batch. An answer is
 * wrong when its count of ALLOW verdicts differs from the workload's.
 */
public final class RespCheckTarget implements LoadTarget
{
    private static final byte[] CHECK = "IYS.CHECK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MCHECK = "IYS.MCHECK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BRAND = Long.toString(Workload.EMAIL_BRAND).getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EPOSTA = "EPOSTA".getBytes(StandardCharsets.US_ASCII);

    private final String host;
    private final int port;
    private final byte[][] address;
    private final boolean[] allowed;
    private final EventLoopGroup group;
    private final List<RespConnection> connections = new CopyOnWriteArrayList<>();

    /**
     * @param host     the server.
     * @param port     its RESP port.
     * @param workload the model.
     * @param requests the pool.
     * @param threads  client event-loop threads.
     */
    public RespCheckTarget(
        final String host, final int port, final Workload workload, final Workload.Requests requests,
        final int threads)
    {
        this.host = host;
        this.port = port;
        address = new byte[requests.size()][];
        allowed = new boolean[requests.size()];
        for (int i = 0; i < requests.size(); i++)
        {
            final long index = requests.recipientIndex(i) % workload.recipients();
            address[i] = Workload.emailAddress(index).getBytes(StandardCharsets.US_ASCII);
            allowed[i] = workload.emailExpected(index) == Reason.CONSENT;
        }
        this.group = FilterClient.newEventLoopGroup(threads, false);
    }

    @Override
    public String name()
    {
        return "iys-filter-resp";
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
                int allows = 0;
                for (int i = first; i < first + count; i++)
                {
                    allows += allowed[i] ? 1 : 0;
                }
                final int expected = allows;
                final RespConnection.Reply reply = (present, error) -> answer.onAnswer(tagNs,
                    error == null ? count : 0, error == null ? Math.abs(present - expected) : 0,
                    error == null ? null : new IOException("iys-filter RESP: " + error));
                if (count == 1)
                {
                    resp.command(reply, CHECK, BRAND, EPOSTA, address[first]);
                }
                else
                {
                    final byte[][] args = new byte[count + 3][];
                    args[0] = MCHECK;
                    args[1] = BRAND;
                    args[2] = EPOSTA;
                    System.arraycopy(address, first, args, 3, count);
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
