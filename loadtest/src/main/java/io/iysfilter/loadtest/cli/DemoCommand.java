package io.iysfilter.loadtest.cli;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.cli.ImportCommand;
import io.iysfilter.server.cli.Main;
import io.iysfilter.server.cli.Shutdown;
import io.iysfilter.server.cli.UsageException;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.push.PushCredentials;
import io.iysfilter.server.push.PushSettings;
import io.iysfilter.server.receipts.ReceiptSettings;
import io.iysfilter.server.replication.ReplicationSettings;
import io.iysfilter.server.replication.Role;
import io.iysfilter.server.iys.DailyFileImporter;
import io.iysfilter.server.iys.IysTime;
import io.iysfilter.server.iys.PushRegistrations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * {@code iys-filter demo}: writes sample daily files for two brands, imports them through the real import path,
 * starts a server on them and prints commands that show an ALLOW and each kind of DENY.
 */
@Command(name = "demo", sortOptions = false, description = {
    "generate sample data, start a server on it with the İYS emulator and show what to try",
    "",
    "Generates a sample data set (brand 600001, fresh, with N bulk recipients besides the showcase ones; brand " +
        "600002, last changed 5 days ago), imports it, starts the İYS emulator and a server that serves both and " +
        "follows brand 600003 from the emulator's change feed and takes the emulator's pushes of citizens' changes " +
        "(a receiver on --push-port, registered with the emulator), and prints commands to try. Stops on Ctrl-C. " +
        "Without --data-dir the data goes to a temporary directory removed on exit; a given DIR must be empty or " +
        "new, and is kept.",
    "",
    "With --replicas N the demo also starts a Kafka broker on loopback; the server becomes the fleet's fetcher and " +
        "publishes every change it applies to a compacted topic, and N replica servers build their index from that " +
        "topic (docs/REPLICATION.md): a RET made in the emulator reaches every node."})
final class DemoCommand implements Callable<Integer>
{
    static final long FRESH_BRAND = 600_001;
    static final long STALE_BRAND = 600_002;
    static final long UNKNOWN_BRAND = 999_999;
    static final long FOLLOWED_BRAND = 600_003;
    static final long EMULATED_IYS_CODE = 700_001;
    static final String EMULATED_RECIPIENT = "+905321234567";
    static final String PUSHED_RECIPIENT = "+905321234568";
    static final String PUSH_USER = "demo-push";
    static final int REPLICAS_MAX = 3;
    static final int REPLICA_PORT_STEP = 10;
    static final String DEMO_TOPIC = "iys-filter.demo";
    private static final long SEED = 6563;
    private static final long REPLICA_CATCH_UP_TIMEOUT_MS = 60_000;

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "where the data goes (default: a temporary " +
        "directory, removed on exit)")
    private Path dataDirOption;

    @Option(names = "--recipients", paramLabel = "N", description = "bulk recipients for brand 600001, " +
        "0..50000000 (default 100000)")
    private long bulk = 100_000;

    @Option(names = "--port", paramLabel = "P", description = "binary protocol port (default 7700)")
    private int port = 7700;

    @Option(names = "--http-port", paramLabel = "P", description = "HTTP port (default 7701)")
    private int httpPort = 7701;

    @Option(names = "--milter-port", paramLabel = "P", description = "milter port (default 7702)")
    private int milterPort = 7702;

    @Option(names = "--resp-port", paramLabel = "P", description = "RESP (Redis protocol) port (default 7703)")
    private int respPort = 7703;

    @Option(names = "--emulator-port", paramLabel = "P", description = "İYS emulator port (default 7780); brand " +
        "600003 follows its change feed")
    private int emulatorPort = 7780;

    @Option(names = "--push-port", paramLabel = "P", description = "İYS push receiver port, on 127.0.0.1 " +
        "(default 7704); registered with the emulator for brand 600003")
    private int pushPort = 7704;

    @Option(names = "--replicas", paramLabel = "N", description = "also start a Kafka broker on loopback and N " +
        "replica servers, 0.." + REPLICAS_MAX + " (default 0): this server becomes their fetcher, and replica i " +
        "serves on each port above plus " + REPLICA_PORT_STEP + " × i")
    private int replicas;

    DemoCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        UsageException.inRange("recipients", bulk, 0, 50_000_000);
        UsageException.inRange("port", port, 0, 65535);
        UsageException.inRange("http-port", httpPort, 0, 65535);
        UsageException.inRange("milter-port", milterPort, 0, 65535);
        UsageException.inRange("resp-port", respPort, 0, 65535);
        UsageException.inRange("emulator-port", emulatorPort, 0, 65535);
        UsageException.inRange("push-port", pushPort, 0, 65535);
        UsageException.inRange("replicas", replicas, 0, REPLICAS_MAX);
        final boolean temporary = dataDirOption == null;
        final Path dataDir = temporary ? Files.createTempDirectory("iys-filter-demo") : dataDirOption;
        LoadTestData.createEmptyOrNew("data-dir", dataDir);

        final long entries = Math.max(10_000, bulk * 2);
        // a temporary directory's key lives only as long as it; a given one gets its key file beside it, as serve
        final IndexKey key = temporary ? IndexKey.generate() : IndexKey.forDataDirectory(IndexKey.defaultFile(dataDir),
            dataDir);
        importSamples(dataDir, entries, key);

        final DemoEmulator emulator = DemoEmulator.start(emulatorPort, err);
        if (replicas > 0 && emulator == null)
        {
            throw new UsageException("replicas: needs the İYS emulator, which a fetcher follows: start the demo " +
                "through ./iys-filter");
        }
        KafkaBroker broker = null;
        FilterServer server = null;
        final List<FilterServer> replicaServers = new ArrayList<>();
        try
        {
            ReplicationSettings replication = ReplicationSettings.STANDALONE;
            if (replicas > 0)
            {
                out.println("starting a Kafka broker on loopback for " + replicas + " replica" +
                    (replicas == 1 ? "" : "s") + "...");
                // the broker's log is the demo's alone, outside the fetcher's data directory (which keeps only what
                // the server writes there, owner-only): a temporary directory, removed on exit
                broker = KafkaBroker.start(Files.createTempDirectory("iys-filter-demo-kafka"));
                // one broker: every partition has one replica, and one partition keeps the demo's topic small
                replication = new ReplicationSettings(Role.FETCHER, broker.bootstrapServers(), null, DEMO_TOPIC, 1,
                    (short)1);
            }
            // İYS pushes a citizen's own changes to a receiver registered with it: a password of the demo's, its
            // salted hash in a credentials file (as 'push register' keeps it), the password given to the emulator only
            final String pushPassword = PushCredentials.newPassword();
            final Path pushCredentials = dataDir.resolve("push.credentials");
            if (emulator != null)
            {
                PushCredentials.put(pushCredentials, PUSH_USER, pushPassword);
            }
            server = FilterServer.start(new FilterServer.Context()
                .dataDirectory(dataDir)
                .binaryPort(port)
                .httpPort(httpPort)
                .milterPort(milterPort)
                .respPort(respPort)
                .policy(FilterPolicy.DEFAULT)
                .indexOptions(IndexOptions.withEntries(entries).withKey(key))
                .receipts(ReceiptSettings.defaults(dataDir.resolve("receipts")))
                .replication(replication)
                .feed(emulator == null ? null : emulator.feed(FOLLOWED_BRAND, EMULATED_IYS_CODE))
                .push(emulator == null ? PushSettings.OFF : PushSettings.OFF.withPort(pushPort, pushCredentials)));
            if (emulator != null)
            {
                follow(server, emulator, pushPassword);
            }
            startReplicas(broker, dataDir, entries, key, replicaServers);
            awaitReplicas(server, replicaServers);
        }
        catch (final Exception ex)
        {
            closeAll(replicaServers, server, broker, emulator);
            throw ex;
        }
        out.println(tryThis(server.binaryPort(), server.httpPort(), server.respPort(), dataDir, temporary));
        if (emulator != null)
        {
            out.println(followThis(server.binaryPort(), server.httpPort(), emulator.baseUrl()));
            out.println(pushThis(server.binaryPort(), server.httpPort(), emulator.baseUrl(), pushUrl(server)));
        }
        if (!replicaServers.isEmpty())
        {
            out.println(replicasThis(server, replicaServers, emulator.baseUrl()));
        }
        out.println("Ctrl-C stops the server" + (replicaServers.isEmpty() ? "" : ", its replicas, the broker") +
            (emulator == null ? "." : " and the emulator."));
        out.flush();
        final KafkaBroker startedBroker = broker;
        Shutdown.awaitShutdown(server, () ->
        {
            closeAll(replicaServers, null, startedBroker, emulator);
            if (temporary)
            {
                deleteQuietly(dataDir);
            }
        });
        return Main.EXIT_OK;
    }

    /**
     * Write the two sample brands' daily files and import them through the real import path.
     */
    private void importSamples(final Path dataDir, final long entries, final IndexKey key) throws Exception
    {
        final long nowSec = System.currentTimeMillis() / 1000;
        final Path freshFile = dataDir.resolve("sample-" + FRESH_BRAND + ".csv");
        final Path staleFile = dataDir.resolve("sample-" + STALE_BRAND + ".csv");
        writeFreshBrand(freshFile, nowSec - 3600, bulk);
        writeStaleBrand(staleFile, nowSec - 5 * 86_400);
        for (final Path sample : new Path[]{freshFile, staleFile})
        {
            // they hold (sample) recipients, in the data directory: owner-only like everything the server keeps there
            Files.setPosixFilePermissions(sample, PosixFilePermissions.fromString("rw-------"));
        }
        for (final Path file : new Path[]{freshFile, staleFile})
        {
            final long brand = file == freshFile ? FRESH_BRAND : STALE_BRAND;
            final DailyFileImporter.Report report = ImportCommand.importFile(dataDir, brand, entries, key, file,
                err);
            out.printf("imported %s: %,d lines, %,d applied, %,d superseded, %,d rejected%n", file.getFileName(),
                report.lines(), report.applied(), report.superseded(), report.rejected());
        }
    }

    /**
     * Start the replicas, each in its own data directory under the demo's, on the demo's ports plus a step, with the
     * fetcher's index key (a replica keys its index as the fetcher did: docs/REPLICATION.md).
     */
    private void startReplicas(
        final KafkaBroker broker,
        final Path dataDir,
        final long entries,
        final IndexKey key,
        final List<FilterServer> started) throws IOException, InterruptedException
    {
        for (int i = 1; i <= replicas; i++)
        {
            final Path replicaDir = dataDir.resolve("replica-" + i);
            final int step = REPLICA_PORT_STEP * i;
            started.add(FilterServer.start(new FilterServer.Context()
                .dataDirectory(replicaDir)
                .binaryPort(port == 0 ? 0 : port + step)
                .httpPort(httpPort == 0 ? 0 : httpPort + step)
                .milterPort(-1)
                .respPort(respPort == 0 ? 0 : respPort + step)
                .policy(FilterPolicy.DEFAULT)
                .indexOptions(IndexOptions.withEntries(entries).withKey(key))
                .receipts(ReceiptSettings.defaults(replicaDir.resolve("receipts")))
                .replication(new ReplicationSettings(Role.REPLICA, broker.bootstrapServers(), null, DEMO_TOPIC, 1,
                    (short)1))));
        }
    }

    /**
     * Wait, boundedly, until every replica serves the followed brand at the fetcher's watermark: the watermark record
     * follows every change of its brand in the topic, so the replica then answers as the fetcher does.
     */
    private static void awaitReplicas(final FilterServer fetcher, final List<FilterServer> replicaServers)
        throws IOException
    {
        if (replicaServers.isEmpty())
        {
            return;
        }
        final long watermarkMs = fetcher.store().brand(FOLLOWED_BRAND).watermarkMs();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REPLICA_CATCH_UP_TIMEOUT_MS);
        for (final FilterServer replica : replicaServers)
        {
            while (true)
            {
                final BrandIndex brand = replica.store().brand(FOLLOWED_BRAND);
                if (brand != null && brand.watermarkMs() >= watermarkMs)
                {
                    break;
                }
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IOException("a replica did not catch up with the fetcher in " +
                        REPLICA_CATCH_UP_TIMEOUT_MS + " ms");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    private static void closeAll(
        final List<FilterServer> replicaServers,
        final FilterServer server,
        final KafkaBroker broker,
        final DemoEmulator emulator)
    {
        if (server != null)
        {
            server.close();
        }
        for (final FilterServer replica : replicaServers)
        {
            replica.close();
        }
        if (broker != null)
        {
            broker.close();
            deleteQuietly(broker.directory());
        }
        if (emulator != null)
        {
            emulator.close();
        }
    }

    private static String replicasThis(
        final FilterServer fetcher, final List<FilterServer> replicaServers, final String emulatorUrl)
    {
        final List<String> lines = new ArrayList<>();
        lines.add("Replication: this server is the fleet's fetcher; it publishes every change it applies to the " +
            "Kafka topic " + DEMO_TOPIC + ", and " + replicaServers.size() + " replica" +
            (replicaServers.size() == 1 ? "" : "s") + " build their index from it (docs/REPLICATION.md):");
        lines.add(String.format(Locale.ROOT, "  %-9s binary %-5d http %-5d RESP %d", "fetcher", fetcher.binaryPort(),
            fetcher.httpPort(), fetcher.respPort()));
        for (int i = 0; i < replicaServers.size(); i++)
        {
            final FilterServer replica = replicaServers.get(i);
            lines.add(String.format(Locale.ROOT, "  %-9s binary %-5d http %-5d RESP %d", "replica-" + (i + 1),
                replica.binaryPort(), replica.httpPort(), replica.respPort()));
        }
        lines.add("Make a RET in the emulator (the first curl above), then ask every node: each answers DENY " +
            "REJECTED once the change has reached it:");
        lines.add("  curl -s -X POST " + emulatorUrl + "/emulator/changes -d '{\"brand\":" + FOLLOWED_BRAND +
            ",\"source\":\"HS\",\"recipient\":\"" + EMULATED_RECIPIENT +
            "\",\"type\":\"MESAJ\",\"status\":\"RET\"}'");
        final StringBuilder each = new StringBuilder("  sleep 3; for p in " + fetcher.binaryPort());
        for (final FilterServer replica : replicaServers)
        {
            each.append(' ').append(replica.binaryPort());
        }
        each.append("; do ./iys-filter check --port $p --brand ").append(FOLLOWED_BRAND)
            .append(" --channel MESAJ --recipient ").append(EMULATED_RECIPIENT).append("; done");
        lines.add(each.toString());
        lines.add("  curl -s http://127.0.0.1:" + replicaServers.get(0).httpPort() + "/v1/brands   # a replica: " +
            "role, offset, lag in records and in time, the watermark it serves");
        lines.add("");
        return String.join("\n", lines);
    }

    private static String tryThis(final int port, final int httpPort, final int respPort, final Path dataDir,
        final boolean temporary)
    {
        final String check = "./iys-filter check" + (port == 7700 ? "" : " --port " + port) + " --brand ";
        final String curl = "curl -s 'http://127.0.0.1:" + httpPort + "/v1/check?brand=";
        final String redisCli = "redis-cli -p " + respPort + " ";
        return String.join("\n",
            "",
            "iys-filter demo is serving: binary 127.0.0.1:" + port + ", http http://127.0.0.1:" + httpPort +
                "/, RESP (Redis protocol) 127.0.0.1:" + respPort,
            "data: " + dataDir + (temporary ? " (removed on exit)" : ""),
            "",
            "Try these in another terminal (exit status 0 = ALLOW, 1 = DENY):",
            "  " + check + FRESH_BRAND + " --channel MESAJ --recipient 05321111111            # ALLOW CONSENT",
            "  " + check + FRESH_BRAND + " --channel EPOSTA --recipient Ayse@Example.com.tr  # ALLOW CONSENT",
            "  " + check + FRESH_BRAND + " --channel ARAMA --recipient 5324444444 --recipient-type TACIR" +
                "  # ALLOW CONSENT",
            "  " + check + FRESH_BRAND + " --channel MESAJ --recipient '+90 532 222 22 22'      # DENY REJECTED",
            "  " + check + FRESH_BRAND + " --channel MESAJ --recipient 05323333333            # DENY NO_CONSENT",
            "  " + check + FRESH_BRAND + " --channel MESAJ --recipient 05323333333 --kind TRANSACTIONAL" +
                "  # ALLOW EXEMPT",
            "  " + check + FRESH_BRAND + " --channel ARAMA --recipient 05325555555 --recipient-type TACIR" +
                "  # DENY NO_CONSENT (tacir-requires-record)",
            "  " + check + FRESH_BRAND + " --channel EPOSTA --recipient 05321111111           # DENY INVALID_RECIPIENT",
            "  " + check + UNKNOWN_BRAND + " --channel MESAJ --recipient 05321111111            # DENY UNKNOWN_BRAND",
            "  " + check + STALE_BRAND + " --channel MESAJ --recipient 05321111111            # DENY STALE",
            "",
            "  " + curl + FRESH_BRAND + "&channel=MESAJ&recipient=05321111111'",
            "  " + curl + FRESH_BRAND + "&channel=MESAJ&recipient=05322222222'",
            "  curl -s http://127.0.0.1:" + httpPort + "/v1/brands",
            "  curl -s http://127.0.0.1:" + httpPort + "/metrics | grep iys_decisions",
            "",
            "  " + redisCli + "IYS.CHECK " + FRESH_BRAND + " MESAJ 05321111111                   # ALLOW CONSENT " +
                "(redis-cli: Debian redis-tools)",
            "  " + redisCli + "IYS.MCHECK " + FRESH_BRAND + " MESAJ 05321111111 05322222222 05323333333  # one " +
                "decision each, in order",
            "  " + redisCli + "-3 IYS.CHECK " + FRESH_BRAND + " EPOSTA ayse@example.com.tr         # RESP3: a map",
            "  (any Redis client works the same way: docs/RESP.md)",
            "",
            "Every answer above has a decision id and a receipt in a hash-chained journal (docs/RECEIPTS.md):",
            "  curl -s 'http://127.0.0.1:" + httpPort + "/v1/receipts?brand=" + FRESH_BRAND +
                "&recipient=05321111111'   # what was asked and answered",
            "  ./iys-filter receipts verify --data-dir " + dataDir + "   # the chain, block by block",
            "");
    }

    private static String followThis(final int port, final int httpPort, final String emulatorUrl)
    {
        final String check = "./iys-filter check" + (port == 7700 ? "" : " --port " + port) + " --brand " +
            FOLLOWED_BRAND + " --channel MESAJ --recipient " + EMULATED_RECIPIENT;
        return String.join("\n",
            "Brand " + FOLLOWED_BRAND + " follows İYS's change feed from the İYS emulator at " + emulatorUrl +
                " (polled every 2 s).",
            "Watch the provider's own RET (source HS, which İYS never pushes) reach the server through the pull feed:",
            "  " + check + "      # ALLOW CONSENT",
            "  curl -s -X POST " + emulatorUrl + "/emulator/changes -d '{\"brand\":" + FOLLOWED_BRAND +
                ",\"source\":\"HS\",\"recipient\":\"" + EMULATED_RECIPIENT +
                "\",\"type\":\"MESAJ\",\"status\":\"RET\"}'",
            "  sleep 3; " + check + "   # DENY REJECTED",
            "",
            "  curl -s http://127.0.0.1:" + httpPort + "/v1/brands      # watermark, feed state and cursor progress " +
                "per brand",
            "");
    }

    /**
     * The followed brand's showcase recipients consented in the emulator and brought by the feed, then the server's
     * push receiver registered with the emulator, which posts its test record to it before it answers, as İYS does.
     */
    private static void follow(final FilterServer server, final DemoEmulator emulator, final String pushPassword)
        throws Exception
    {
        emulator.change(FOLLOWED_BRAND, "HS", EMULATED_RECIPIENT, "ONAY");
        emulator.change(FOLLOWED_BRAND, "HS", PUSHED_RECIPIENT, "ONAY");
        server.feed().nextCompletePoll(FOLLOWED_BRAND).get();
        new PushRegistrations(emulator.feed(FOLLOWED_BRAND, EMULATED_IYS_CODE)).register(FOLLOWED_BRAND, "MESAJ",
            pushUrl(server), PUSH_USER, pushPassword);
    }

    private static String pushUrl(final FilterServer server)
    {
        return "http://127.0.0.1:" + server.pushPort() + PushSettings.PATH_DEFAULT + "/" + FOLLOWED_BRAND;
    }

    private static String pushThis(final int port, final int httpPort, final String emulatorUrl, final String pushUrl)
    {
        final String check = "./iys-filter check" + (port == 7700 ? "" : " --port " + port) + " --brand " +
            FOLLOWED_BRAND + " --channel MESAJ --recipient " + PUSHED_RECIPIENT;
        return String.join("\n",
            "İYS push (docs/PUSH.md): the server takes İYS's pushes of citizens' own changes on " + pushUrl,
            "(plaintext on loopback for the demo; İYS posts over HTTPS only), registered with the emulator as " +
                "'./iys-filter push register' registers it with İYS.",
            "Watch a citizen's RET (source IYS: texted to İYS's short number) flip an answer at once, pushed:",
            "  " + check + "      # ALLOW CONSENT",
            "  curl -s -X POST " + emulatorUrl + "/emulator/changes -d '{\"brand\":" + FOLLOWED_BRAND +
                ",\"source\":\"IYS\",\"recipient\":\"" + PUSHED_RECIPIENT +
                "\",\"type\":\"MESAJ\",\"status\":\"RET\"}'; " + check + "   # DENY REJECTED: the push reached the " +
                "server while this JVM started",
            "  curl -s http://127.0.0.1:" + httpPort + "/metrics | grep iys_push_records_total   # applied: 1",
            "İYS's own pull feed withholds its newest hour, so without push that answer would stay ALLOW CONSENT for " +
                "an hour or more;",
            "the demo's emulator withholds nothing, so its feed brings the same RET at its next poll too (one " +
                "change: whichever comes second counts as a duplicate).",
            "");
    }

    static void writeFreshBrand(final Path file, final long baseSec, final long bulk) throws IOException
    {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            out.write(String.join(",", DailyFileImporter.COLUMNS));
            out.newLine();
            final long consentSec = baseSec - 30 * 86_400L;
            row(out, baseSec, "+905321111111", "BIREYSEL", "MESAJ", "ONAY", consentSec, "HS_WEB");
            row(out, baseSec, "+905322222222", "BIREYSEL", "MESAJ", "ONAY", consentSec, "HS_MESAJ");
            row(out, baseSec + 60, "+905322222222", "BIREYSEL", "MESAJ", "RET", consentSec + 86_400, "IYS_KISAMESAJ");
            row(out, baseSec, "ayse@example.com.tr", "BIREYSEL", "EPOSTA", "ONAY", consentSec, "HS_WEB");
            row(out, baseSec, "+905324444444", "TACIR", "ARAMA", "ONAY", 0, "");
            final Random random = new Random(SEED);
            for (long i = 0; i < bulk; i++)
            {
                final boolean email = random.nextInt(4) == 0;
                final String recipient = email ? "user" + i + "@example.com" :
                    String.format(Locale.ROOT, "+9055%08d", random.nextInt(100_000_000));
                final String channel = email ? "EPOSTA" : random.nextBoolean() ? "MESAJ" : "ARAMA";
                final String type = random.nextInt(10) == 0 ? "TACIR" : "BIREYSEL";
                final long creation = baseSec - random.nextInt(86_400);
                row(out, creation, recipient, type, channel, "ONAY", consentSec, "HS_WEB");
                if (random.nextInt(10) < 3)
                {
                    row(out, creation + 30, recipient, type, channel, "RET", consentSec + 86_400, "IYS_WEB");
                }
            }
        }
    }

    static void writeStaleBrand(final Path file, final long baseSec) throws IOException
    {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            out.write(String.join(",", DailyFileImporter.COLUMNS));
            out.newLine();
            row(out, baseSec, "+905321111111", "BIREYSEL", "MESAJ", "ONAY", baseSec - 86_400, "HS_WEB");
        }
    }

    private static long transactionCounter;

    private static void row(
        final BufferedWriter out,
        final long creationSec,
        final String recipient,
        final String type,
        final String channel,
        final String status,
        final long consentSec,
        final String source) throws IOException
    {
        transactionCounter++;
        out.write(IysTime.format(creationSec) + "," + String.format(Locale.ROOT, "%064x", transactionCounter) + "," +
            recipient + "," + type + "," + channel + "," + status + "," +
            (consentSec == 0 ? "" : IysTime.format(consentSec)) + "," + source);
        out.newLine();
    }

    private static void deleteQuietly(final Path dir)
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
        }
        catch (final IOException ignored)
        {
            // best effort: it is a temporary directory
        }
    }
}
