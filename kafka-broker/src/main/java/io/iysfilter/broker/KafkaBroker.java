package io.iysfilter.broker;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Apache Kafka broker (KRaft, broker and controller in one node, no ZooKeeper) inside the test's
 * JVM, on two free loopback ports, with its log in a directory the test owns. It can be stopped and started again on
 * the same ports and data (a broker restart), and is closed by the test. Only tests start a broker: the server
 * holds the client alone.
 */
public final class KafkaBroker implements AutoCloseable
{
    private static final long READY_TIMEOUT_MS = 60_000;

    private final Path directory;
    private final int brokerPort;
    private final int controllerPort;
    private final Properties properties;
    private KafkaRaftServer server;

    private KafkaBroker(final Path directory) throws IOException
    {
        this.directory = directory;
        this.brokerPort = freePort();
        this.controllerPort = freePort();
        this.properties = properties();
    }

    /**
     * Format a new log directory under {@code directory} and start a broker on it.
     *
     * @param directory owned by the test, e.g. a {@code @TempDir}.
     * @return the broker, ready to answer.
     * @throws Exception when it cannot be formatted or started.
     */
    public static KafkaBroker start(final Path directory) throws Exception
    {
        final KafkaBroker broker = new KafkaBroker(directory);
        broker.format();
        broker.startServer();
        return broker;
    }

    /**
     * @return the {@code bootstrap.servers} value for clients: {@code 127.0.0.1:<port>}.
     */
    public String bootstrapServers()
    {
        return "127.0.0.1:" + brokerPort;
    }

    /**
     * @return the directory the broker was started in: its settings and its log.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * Stop the broker (a controlled shutdown) and keep its data and ports.
     */
    public void stop()
    {
        if (server != null)
        {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /**
     * Start the broker again on the same data and ports, after {@link #stop()}.
     *
     * @throws Exception when it does not become ready in time.
     */
    public void restart() throws Exception
    {
        stop();
        startServer();
    }

    @Override
    public void close()
    {
        stop();
    }

    private void format() throws IOException
    {
        Files.createDirectories(directory);
        final Path file = directory.resolve("server.properties");
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            properties.store(out, "iys-filter test broker");
        }
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
        {
            StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", file.toString(),
                "--ignore-formatted"}, quiet);
        }
    }

    private void startServer() throws Exception
    {
        server = new KafkaRaftServer(KafkaConfig.fromProps(properties, false), Time.SYSTEM);
        server.startup();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int)READY_TIMEOUT_MS)))
        {
            while (admin.describeCluster().nodes().get(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS).isEmpty())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("the test broker did not become ready in " + READY_TIMEOUT_MS +
                        " ms");
                }
                Thread.onSpinWait();
            }
        }
    }

    private Properties properties()
    {
        final Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", directory.resolve("data").toString());
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // the cleaner's dedupe buffer is on the heap: 128 MiB by default
        p.put("log.cleaner.dedupe.buffer.size", "16777216");
        p.put("log.cleaner.backoff.ms", "1000");
        return p;
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
