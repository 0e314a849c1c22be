package io.iysfilter.server;

import io.iysfilter.server.binary.BinaryEndpoint;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.http.HttpEndpoint;
import io.iysfilter.server.http.HttpSettings;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.ingest.ChangeTap;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.CursorPublication;
import io.iysfilter.server.iys.FeedService;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.iys.ReconcileService;
import io.iysfilter.server.logging.Recipients;
import io.iysfilter.server.optout.OptOutReplay;
import io.iysfilter.server.optout.OptOuts;
import io.iysfilter.server.push.PushReceiver;
import io.iysfilter.server.push.PushSettings;
import io.iysfilter.server.receipts.ReceiptRecorder;
import io.iysfilter.server.receipts.ReceiptSettings;
import io.iysfilter.server.replication.FetcherElection;
import io.iysfilter.server.replication.FetcherPublisher;
import io.iysfilter.server.replication.ReplicaFollower;
import io.iysfilter.server.replication.Republication;
import io.iysfilter.server.replication.ReplicaSettings;
import io.iysfilter.server.replication.ReplicationSettings;
import io.iysfilter.server.replication.Role;
import io.iysfilter.server.metrics.ClientMetrics;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServiceMetrics;
import io.iysfilter.server.milter.MilterEndpoint;
import io.iysfilter.server.milter.MilterSettings;
import io.iysfilter.server.net.BindSafety;
import io.iysfilter.server.net.NetworkEndpoints;
import io.iysfilter.server.net.PeerAllowList;
import io.iysfilter.server.net.ServerTls;
import io.iysfilter.server.net.TlsSettings;
import io.iysfilter.server.resp.RespEndpoint;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ClientCounters;
import io.iysfilter.server.security.ClientsFileException;
import io.iysfilter.server.security.FailureLimiter;
import io.iysfilter.server.security.ScrubRates;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The server: opens the data directory, starts the single-writer ingest pipeline, the İYS feed follower (when
 * configured), then the binary, HTTP, RESP and milter endpoints. {@link #close()} stops them in reverse order and
 * closes the index cleanly.
 */
public final class FilterServer implements AutoCloseable
{
    /** Product name and version, as WELCOME reports it. */
    public static final String SERVER_NAME = "iys-filter/" + Objects.requireNonNullElse(
        FilterServer.class.getPackage().getImplementationVersion(), "dev");
    private static final Logger LOG = LoggerFactory.getLogger(FilterServer.class);

    private final Context context;
    private final ConsentStore store;
    private final IngestPipeline ingest;
    private final ServerCounters counters = new ServerCounters();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final FeedService feed;
    private final OptOuts optOuts;
    private final ServiceMetrics metrics;
    private final NetworkEndpoints endpoints;
    private final ServerTls tls;
    private final Authenticator auth;
    private final ReceiptRecorder receipts;
    private final ReplicaFollower replica;
    private final FetcherElection election;
    private PushReceiver push;
    private boolean closed;

    private FilterServer(final Context context) throws IOException, InterruptedException
    {
        this.context = context;
        logRecipients(context);
        // a clients file that does not validate stops the start before the index is opened
        final Authenticator authenticator = authenticator(context);
        store = ConsentStore.open(context.dataDirectory, context.indexOptions.key() != null ? context.indexOptions :
            context.indexOptions.withKey(IndexKey.forDataDirectory(context.keyFile(), context.dataDirectory)));
        IngestPipeline pipeline = null;
        OptOuts localOptOuts = null;
        FeedService following = null;
        NetworkEndpoints network = null;
        ServiceMetrics serviceMetrics = null;
        ServerTls serverTls = null;
        ReceiptRecorder receiptRecorder = null;
        ReplicaFollower follower = null;
        FetcherElection fetcherElection = null;
        try
        {
            // first: a certificate that cannot be served stops the start before anything else is opened
            serverTls = context.tls == null ? null : ServerTls.start(context.tls);
            // a fetcher's writer hands every change to the publisher of its term of office, none while standing by
            fetcherElection = fetcherElection(context);
            pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE,
                fetcherElection == null ? ChangeTap.NONE : fetcherElection.tap());
            localOptOuts = new OptOuts(store, pipeline);
            replayOptOuts(localOptOuts);
            push = pushReceiver(context, store, pipeline);
            // before any endpoint: the run is counted up and the previous run's queue appended before serving
            receiptRecorder = context.receipts == null ? null :
                ReceiptRecorder.open(context.receipts, System.currentTimeMillis());
            final DecisionRecorder recorder = receiptRecorder == null ? DecisionRecorder.NONE : receiptRecorder;
            following = feeds(context, store, pipeline, fetcherElection, localOptOuts);
            follower = startReplica(context, store, pipeline, registry);
            counters.bindTo(registry);
            ClientMetrics.bindTo(registry.getPrometheusRegistry(), authenticator);
            localOptOuts.bindTo(registry);
            if (following != null)
            {
                following.bindTo(registry);
            }
            serviceMetrics = new ServiceMetrics(registry, store, pipeline);
            bindMeters(serviceMetrics, serverTls, fetcherElection);
            if (receiptRecorder != null)
            {
                serviceMetrics.receipts(receiptRecorder);
            }
            final ConsentFilter filter = new ConsentFilter(context.policy);
            final HttpEndpoint http = replication(new HttpEndpoint(filter, store, following, localOptOuts,
                new ReconcileService(store, pipeline, following), counters, serviceMetrics, context.http,
                authenticator, new ScrubRates(context.scrubRowsPerSecond), recorder), follower, fetcherElection);
            servePush(push, http);
            if (context.receipts != null)
            {
                // /v1/receipts and the proof-of-scrub read the journal the recorder writes, keyed as the index is
                http.receipts(context.receipts.directory(), store.key());
            }
            network = new NetworkEndpoints(
                new NetworkEndpoints.Settings(context.bindAddress, context.binaryPort, context.httpPort,
                    context.milterPort, context.ioThreads, context.busyPoll, context.adminBindAddress,
                    context.adminPort, context.milterSocket, context.milterAllow, context.respPort),
                new BinaryEndpoint(filter, store, counters, authenticator, SERVER_NAME, context.maxConnections,
                    context.maxConnectionsPerAddress, context.binaryIdleTimeoutMs, context.binaryFrameTimeoutMs,
                    recorder),
                http,
                context.milterPort < 0 && context.milterSocket == null ? null :
                    new MilterEndpoint(filter, store, context.milter, counters, recorder),
                context.respPort < 0 ? null : new RespEndpoint(filter, store, counters, authenticator, SERVER_NAME,
                    context.respMaxConnections, context.respMaxConnectionsPerAddress, context.respIdleTimeoutMs,
                    context.respCommandTimeoutMs, recorder),
                counters, serverTls);
            bindPush(push, network, serverTls);
        }
        catch (final Throwable ex)
        {
            closeAfterFailedStart(ex, network, serverTls, receiptRecorder, serviceMetrics, following, follower,
                fetcherElection, push, pipeline, localOptOuts, store);
            throw ex;
        }
        store.startBackgroundVerification();
        authenticator.startReloading();
        auth = authenticator;
        ingest = pipeline;
        optOuts = localOptOuts;
        feed = following;
        metrics = serviceMetrics;
        endpoints = network;
        tls = serverTls;
        receipts = receiptRecorder;
        replica = follower;
        election = fetcherElection;
        LOG.info("started: dataDir={}, brands={}, tacirRequiresRecord={}", context.dataDirectory,
            store.brands().size(), context.policy.tacirRequiresRecord());
        if (context.exposure.insecure())
        {
            LOG.warn("INSECURE: insecure-plaintext=true and {} reachable beyond loopback without the protection it " +
                "needs (TLS and authentication; the milter an allow-list): anyone who reaches it may check, list and " +
                "record opt-outs. The gauge iys_insecure_plaintext reads 1 while this lasts (docs/SECURITY.md)",
                String.join(", ", context.exposure.exposed()));
        }
    }

    private void servePush(final PushReceiver receiver, final HttpEndpoint http)
    {
        if (receiver != null)
        {
            receiver.bindTo(registry);
            http.push(receiver);
        }
    }

    private void bindPush(final PushReceiver receiver, final NetworkEndpoints network, final ServerTls serverTls)
        throws InterruptedException
    {
        if (receiver != null)
        {
            network.bindPush(context.push.bindAddress(), context.push.port(), serverTls);
        }
    }

    /**
     * The İYS push receiver when push is on (docs/PUSH.md), its log replayed into the index before anything is
     * served, as the opt-out logs are.
     *
     * @return it, or null when push is off.
     */
    private static PushReceiver pushReceiver(final Context context, final ConsentStore store,
        final IngestPipeline pipeline) throws IOException
    {
        if (!context.push.on())
        {
            return null;
        }
        final PushReceiver receiver = new PushReceiver(store, pipeline, context.push, System::currentTimeMillis);
        try
        {
            receiver.replay();
        }
        catch (final IOException | RuntimeException ex)
        {
            receiver.close();
            throw ex;
        }
        return receiver;
    }

    private static void logRecipients(final Context context)
    {
        Recipients.logWhole(context.logRecipientsWhole);
        if (context.logRecipientsWhole)
        {
            LOG.warn("log-recipients=full: logs, quarantine files and milter audit lines name recipients whole");
        }
    }

    /**
     * A fetcher marks its data directory (offline imports refuse it from then on: what they wrote would never be
     * published) and stands for election (docs/REPLICATION.md §4).
     *
     * @return its election, not started yet, or null when the server is not a fetcher.
     */
    private static FetcherElection fetcherElection(final Context context) throws IOException
    {
        if (context.replication.role() != Role.FETCHER)
        {
            return null;
        }
        FetcherPublisher.markDataDirectory(context.dataDirectory, context.replication.topic());
        return new FetcherElection(context.replication, context.fetcherSessionTimeoutMs);
    }

    private HttpEndpoint replication(final HttpEndpoint http, final ReplicaFollower follower,
        final FetcherElection fetcherElection)
    {
        http.replication(context.replication.role(), follower);
        return fetcherElection == null ? http : http.fetcher(fetcherElection);
    }

    /**
     * A fetcher follows İYS only while elected: its feeds start paused, and it stands for election once they exist.
     *
     * @return the feeds, or null when the server follows none.
     */
    private static FeedService feeds(final Context context, final ConsentStore store, final IngestPipeline pipeline,
        final FetcherElection fetcherElection, final OptOuts optOuts) throws IOException
    {
        if (fetcherElection == null)
        {
            return context.feeds.isEmpty() ? null :
                new FeedService(context.feeds, store, pipeline, CursorPublication.NONE);
        }
        final FeedService feeds = FeedService.paused(context.feeds, store, pipeline);
        try
        {
            fetcherElection.start(store, pipeline, duties(context.dataDirectory, store, pipeline, fetcherElection,
                feeds, optOuts));
        }
        catch (final IOException | RuntimeException ex)
        {
            feeds.close();
            throw ex;
        }
        return feeds;
    }

    /**
     * What a fetcher does on taking office and leaving it: its index published whole when the topic lacks it (an
     * import since, a standalone index, a topic created again: docs/REPLICATION.md §2), its local opt-outs handed to
     * the writer again (the new term publishes them), its feeds resumed from the topic's cursors, and paused.
     */
    private static FetcherElection.Duties duties(final Path dataDirectory, final ConsentStore store,
        final IngestPipeline pipeline, final FetcherElection fetcherElection, final FeedService feeds,
        final OptOuts optOuts)
    {
        return new FetcherElection.Duties()
        {
            @Override
            public void republishLocal() throws IOException
            {
                // the takeover has read the topic to its end into this index: what the index holds beyond it came
                // from this directory alone
                Republication.ifNeeded(dataDirectory, fetcherElection.publisher(), store, pipeline);
                replayOptOuts(optOuts);
            }

            @Override
            public void follow(final CursorPublication publication)
            {
                feeds.resume(publication);
            }

            @Override
            public void stopFollowing()
            {
                feeds.pause();
            }
        };
    }

    /**
     * A replica builds its index from the replication topic alone, through the same single writer.
     *
     * @return its follower, started and its meters bound, or null when the server is not a replica.
     */
    private static ReplicaFollower startReplica(
        final Context context, final ConsentStore store, final IngestPipeline pipeline,
        final PrometheusMeterRegistry registry) throws IOException
    {
        if (context.replication.role() != Role.REPLICA)
        {
            return null;
        }
        final ReplicaFollower follower = new ReplicaFollower(ReplicaSettings.from(context.replication), store,
            pipeline, System::currentTimeMillis);
        follower.bindTo(registry);
        return follower.start();
    }

    private void bindMeters(final ServiceMetrics serviceMetrics, final ServerTls serverTls,
        final FetcherElection fetcherElection)
    {
        if (serverTls != null)
        {
            serverTls.bindTo(registry);
        }
        serviceMetrics.insecurePlaintext(context.exposure.insecure());
        if (fetcherElection != null)
        {
            fetcherElection.bindTo(registry);
            serviceMetrics.replication(fetcherElection::trouble);
        }
    }

    /**
     * Close, in order, what a start that failed had opened (nulls skipped), keeping the start's error first.
     */
    private static void closeAfterFailedStart(final Throwable error, final AutoCloseable... opened)
    {
        for (final AutoCloseable resource : opened)
        {
            try
            {
                if (resource != null)
                {
                    resource.close();
                }
            }
            catch (final Throwable ex)
            {
                error.addSuppressed(ex);
            }
        }
    }

    private static Authenticator authenticator(final Context context) throws IOException
    {
        try
        {
            return context.clientsFile == null ? Authenticator.off(new ClientCounters()) :
                Authenticator.load(context.clientsFile, context.authFailureLimit, new ClientCounters());
        }
        catch (final ClientsFileException | IOException ex)
        {
            throw new IOException("clients-file: " + ex.getMessage(), ex);
        }
    }

    /**
     * Put every brand's logged opt-outs back into the index before anything is served: what a power cut took from
     * the index pages is restored from the forced log. A server that cannot do so does not start: it could answer
     * ALLOW for a recipient who opted out.
     */
    private static void replayOptOuts(final OptOuts optOuts) throws IOException
    {
        final OptOutReplay replay = optOuts.replay();
        LOG.info("opt-out logs replayed: brands={}, records={}, reapplied={}, alreadyHeld={}, dropped={}",
            replay.brands(), replay.records(), replay.reapplied(), replay.held(), replay.dropped());
    }

    /**
     * Start a server.
     *
     * @param context settings; concluded here.
     * @return the running server.
     * @throws IOException          when the data directory cannot be opened or a port cannot be bound.
     * @throws InterruptedException when interrupted while binding.
     */
    public static FilterServer start(final Context context) throws IOException, InterruptedException
    {
        context.conclude();
        return new FilterServer(context);
    }

    /**
     * @return the bound binary protocol port.
     */
    public int binaryPort()
    {
        return endpoints.binaryPort();
    }

    /**
     * @return the bound HTTP port.
     */
    public int httpPort()
    {
        return endpoints.httpPort();
    }

    /**
     * @return the bound milter port, or -1 when the milter endpoint is off.
     */
    public int milterPort()
    {
        return endpoints.milterPort();
    }

    /**
     * @return the bound RESP port, or -1 when the RESP endpoint is off.
     */
    public int respPort()
    {
        return endpoints.respPort();
    }

    /**
     * @return TLS on the binary and HTTP listeners, or null when they are plaintext.
     */
    public ServerTls tls()
    {
        return tls;
    }

    /**
     * @return who may ask what: the clients file in force, or authentication off.
     */
    public Authenticator authenticator()
    {
        return auth;
    }

    /**
     * @return the bound admin port, or -1 when the admin routes are served on the HTTP port.
     */
    public int adminPort()
    {
        return endpoints.adminPort();
    }

    /**
     * @return the bound İYS push port, or -1 when push is off.
     */
    public int pushPort()
    {
        return endpoints.pushPort();
    }

    /**
     * @return the İYS push receiver, or null when push is off.
     */
    public PushReceiver push()
    {
        return push;
    }

    /**
     * @return where decisions are recorded: the receipts' recorder, or {@link DecisionRecorder#NONE} when receipts
     * are off.
     */
    public DecisionRecorder recorder()
    {
        return receipts == null ? DecisionRecorder.NONE : receipts;
    }

    /**
     * @return the İYS feed follower, or null when the server follows no feed.
     */
    public FeedService feed()
    {
        return feed;
    }

    /**
     * @return the replica's follower of the replication topic, or null when the server is not a replica.
     */
    public ReplicaFollower replica()
    {
        return replica;
    }

    /**
     * @return the fetcher's publisher of its term of office, or null (not a fetcher, or not in office).
     */
    public FetcherPublisher publisher()
    {
        return election == null ? null : election.publisher();
    }

    /**
     * @return the fetcher's election, or null unless the role is fetcher.
     */
    public FetcherElection election()
    {
        return election;
    }

    /**
     * @return the index.
     */
    public ConsentStore store()
    {
        return store;
    }

    /**
     * @return the single writer's ring, through which every index mutation goes.
     */
    public IngestPipeline ingest()
    {
        return ingest;
    }

    /**
     * @return the counters.
     */
    public ServerCounters counters()
    {
        return counters;
    }

    /**
     * @return the settings the server runs with.
     */
    public Context context()
    {
        return context;
    }

    /**
     * Stop the endpoints (their graceful drain: see {@link NetworkEndpoints#close()}), then the receipts (every
     * decision answered appended to the journal, sealed and forced), then the feed, drain the ingest
     * ring, close the opt-out logs and close the index cleanly. This is the only place the index is closed: Chronicle
     * Map's own shutdown hook is off for every map, so the drain answers from an open index until the last connection
     * is closed. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        endpoints.close();
        // after the endpoints' drain, so every decision answered is in the queue: appended, sealed, forced
        if (receipts != null)
        {
            receipts.close();
        }
        if (tls != null)
        {
            tls.close();
        }
        auth.close();
        if (feed != null)
        {
            feed.close();
        }
        // before the writer: the follower's last persist needs a barrier
        if (replica != null)
        {
            replica.close();
        }
        // before the writer too: in office, the term's publisher commits what the writer handed over (a writer
        // waiting on a full hand-off, Kafka down, goes on, discarding); standing by, the follower's last persist
        if (election != null)
        {
            election.close();
        }
        // after the endpoints: every push answered 2xx is in its log and in the ring, which the writer drains
        if (push != null)
        {
            push.close();
        }
        ingest.close();
        optOuts.close();
        store.close();
        metrics.close();
        registry.close();
        LOG.info("stopped");
    }

    /**
     * Settings, with fluent setters; {@link #conclude()} validates them once.
     */
    public static final class Context
    {
        /** Default binary protocol port. */
        public static final int BINARY_PORT_DEFAULT = 7700;
        /** Default HTTP port. */
        public static final int HTTP_PORT_DEFAULT = 7701;
        /** Default bind address: loopback only. */
        public static final String BIND_ADDRESS_DEFAULT = "127.0.0.1";
        /** Default most concurrent binary connections. */
        public static final int MAX_CONNECTIONS_DEFAULT = 1024;
        /** Default admin listener address: loopback only. */
        public static final String ADMIN_BIND_ADDRESS_DEFAULT = "127.0.0.1";

        private Path dataDirectory;
        private Path keyFile;
        private Path clientsFile;
        private int authFailureLimit = FailureLimiter.LIMIT_DEFAULT;
        private long scrubRowsPerSecond;
        private long fetcherSessionTimeoutMs = FetcherElection.SESSION_TIMEOUT_MS_DEFAULT;
        private boolean logRecipientsWhole;
        private String bindAddress = BIND_ADDRESS_DEFAULT;
        private int binaryPort = BINARY_PORT_DEFAULT;
        private int httpPort = HTTP_PORT_DEFAULT;
        private int milterPort = MilterEndpoint.PORT_DEFAULT;
        private int respPort = -1;
        private int respMaxConnections = RespEndpoint.MAX_CONNECTIONS_DEFAULT;
        private int respMaxConnectionsPerAddress;
        private long respIdleTimeoutMs = RespEndpoint.IDLE_TIMEOUT_MS_DEFAULT;
        private long respCommandTimeoutMs = RespEndpoint.COMMAND_TIMEOUT_MS_DEFAULT;
        private String adminBindAddress = ADMIN_BIND_ADDRESS_DEFAULT;
        private int adminPort = -1;
        private Path milterSocket;
        private PeerAllowList milterAllow;
        private boolean insecurePlaintext;
        private BindSafety.Resolver resolver = BindSafety.SYSTEM;
        private BindSafety.Decision exposure;
        private MilterSettings milter = MilterSettings.NONE;
        private HttpSettings http = HttpSettings.DEFAULT;
        private final List<FeedSettings> feeds = new ArrayList<>();
        private int ioThreads = Runtime.getRuntime().availableProcessors();
        private int maxConnections = MAX_CONNECTIONS_DEFAULT;
        private int maxConnectionsPerAddress;
        private long binaryIdleTimeoutMs = BinaryEndpoint.IDLE_TIMEOUT_MS_DEFAULT;
        private long binaryFrameTimeoutMs = BinaryEndpoint.FRAME_TIMEOUT_MS_DEFAULT;
        private boolean busyPoll;
        private FilterPolicy policy = FilterPolicy.DEFAULT;
        private TlsSettings tls;
        private IndexOptions indexOptions = IndexOptions.withEntries(IndexOptions.DEFAULT_ENTRIES_PER_MAP);
        private ReceiptSettings receipts;
        private ReplicationSettings replication = ReplicationSettings.STANDALONE;
        private PushSettings push = PushSettings.OFF;

        /**
         * @param dataDirectory where the brand indexes live.
         * @return this.
         */
        public Context dataDirectory(final Path dataDirectory)
        {
            this.dataDirectory = dataDirectory;
            return this;
        }

        /**
         * @param keyFile the index key file (docs/SECURITY.md), created on first use; null for the default,
         *                {@link IndexKey#defaultFile} beside the data directory. Not read when the index options
         *                already hold a key.
         * @return this.
         */
        public Context keyFile(final Path keyFile)
        {
            this.keyFile = keyFile;
            return this;
        }

        /**
         * @param whole true to write recipients whole in logs, quarantine files and milter audit lines
         *              ({@code log-recipients=full}); false, the default, masks them.
         * @return this.
         */
        public Context logRecipientsWhole(final boolean whole)
        {
            this.logRecipientsWhole = whole;
            return this;
        }

        /**
         * @param push the İYS push receiver's settings (docs/PUSH.md); {@link PushSettings#OFF}, the default, for
         *             none.
         * @return this.
         */
        public Context push(final PushSettings push)
        {
            this.push = push;
            return this;
        }

        /**
         * @return the İYS push receiver's settings.
         */
        public PushSettings push()
        {
            return push;
        }

        /**
         * @return the index key file in effect.
         */
        public Path keyFile()
        {
            return keyFile != null ? keyFile : IndexKey.defaultFile(dataDirectory);
        }

        /**
         * @param bindAddress address both endpoints listen on.
         * @return this.
         */
        public Context bindAddress(final String bindAddress)
        {
            this.bindAddress = bindAddress;
            return this;
        }

        /**
         * @param binaryPort binary protocol port, 0 for any free port.
         * @return this.
         */
        public Context binaryPort(final int binaryPort)
        {
            this.binaryPort = binaryPort;
            return this;
        }

        /**
         * @param httpPort HTTP port, 0 for any free port.
         * @return this.
         */
        public Context httpPort(final int httpPort)
        {
            this.httpPort = httpPort;
            return this;
        }

        /**
         * @param respPort RESP (Redis protocol) port on the bind address, 0 for any free port, -1 (the default here;
         *                 {@code serve}'s is {@value RespEndpoint#PORT_DEFAULT}) for no RESP endpoint.
         * @return this.
         */
        public Context respPort(final int respPort)
        {
            this.respPort = respPort;
            return this;
        }

        /**
         * @param maxConnections       most concurrent RESP connections; more get {@code -ERR max number of clients
         *                             reached} and are closed.
         * @param maxPerAddress        most concurrent RESP connections from one peer address, 0 for no such limit.
         * @param idleTimeoutMs        a RESP connection that completes no command for this long is closed; 0 for
         *                             never.
         * @param commandTimeoutMs     a RESP command begun must be complete within this long, else an error and the
         *                             connection is closed; 0 for never.
         * @return this.
         */
        public Context respLimits(
            final int maxConnections, final int maxPerAddress, final long idleTimeoutMs, final long commandTimeoutMs)
        {
            this.respMaxConnections = maxConnections;
            this.respMaxConnectionsPerAddress = maxPerAddress;
            this.respIdleTimeoutMs = idleTimeoutMs;
            this.respCommandTimeoutMs = commandTimeoutMs;
            return this;
        }

        /**
         * @param milterPort milter port, 0 for any free port, -1 for no milter endpoint.
         * @return this.
         */
        public Context milterPort(final int milterPort)
        {
            this.milterPort = milterPort;
            return this;
        }

        /**
         * @param adminBindAddress address the admin listener listens on (default loopback).
         * @return this.
         */
        public Context adminBindAddress(final String adminBindAddress)
        {
            this.adminBindAddress = adminBindAddress;
            return this;
        }

        /**
         * @param adminPort admin listener port, 0 for any free port, -1 (the default) for none: the admin routes
         *                  ({@code /metrics}, {@code /v1/brands}, {@code /health/ready}'s details) stay on the HTTP
         *                  port.
         * @return this.
         */
        public Context adminPort(final int adminPort)
        {
            this.adminPort = adminPort;
            return this;
        }

        /**
         * @param milterSocket a Unix domain socket the milter listens on, or null for none.
         * @return this.
         */
        public Context milterSocket(final Path milterSocket)
        {
            this.milterSocket = milterSocket;
            return this;
        }

        /**
         * @param milterAllow peers allowed to connect to the milter's TCP port, or null (the default) for any; required
         *                    when the milter binds beyond loopback.
         * @return this.
         */
        public Context milterAllow(final PeerAllowList milterAllow)
        {
            this.milterAllow = milterAllow;
            return this;
        }

        /**
         * @param insecurePlaintext true to start even when a port is reachable beyond loopback without the protection
         *                          it needs, with a warning ({@code insecure-plaintext=true}).
         * @return this.
         */
        public Context insecurePlaintext(final boolean insecurePlaintext)
        {
            this.insecurePlaintext = insecurePlaintext;
            return this;
        }

        /**
         * @param resolver how bind host names are resolved for the safe-binding rule: for tests.
         * @return this.
         */
        public Context resolver(final BindSafety.Resolver resolver)
        {
            this.resolver = resolver;
            return this;
        }

        /**
         * @param milter the milter's brand mapping and policy.
         * @return this.
         */
        public Context milter(final MilterSettings milter)
        {
            this.milter = milter;
            return this;
        }

        /**
         * @param http the HTTP endpoint's connection cap, timeouts and body cap.
         * @return this.
         */
        public Context http(final HttpSettings http)
        {
            this.http = http;
            return this;
        }

        /**
         * @param feed a service provider whose İYS change feed to follow, or null for none; may be called again for
         *             more providers.
         * @return this.
         */
        public Context feed(final FeedSettings feed)
        {
            if (feed != null)
            {
                feeds.add(feed);
            }
            return this;
        }

        /**
         * @param providers service providers whose İYS change feeds to follow.
         * @return this.
         */
        public Context feeds(final List<FeedSettings> providers)
        {
            providers.forEach(this::feed);
            return this;
        }

        /**
         * @param clientsFile the clients file (docs/SECURITY.md §8): set, authentication is on; null for off.
         * @return this.
         */
        public Context clientsFile(final Path clientsFile)
        {
            this.clientsFile = clientsFile;
            return this;
        }

        /**
         * @return the clients file, or null when authentication is off.
         */
        public Path clientsFile()
        {
            return clientsFile;
        }

        /**
         * @return whether authentication is on (a clients file is set): what the safe-bind check calls "auth on".
         */
        public boolean authenticationOn()
        {
            return clientsFile != null;
        }

        /**
         * @param limit failed authentications allowed per source address and minute.
         * @return this.
         */
        public Context authFailureLimit(final int limit)
        {
            this.authFailureLimit = limit;
            return this;
        }

        /**
         * @param sessionTimeoutMs a fetcher's session timeout in the fetchers' election group: an active fetcher
         *                         silent this long (killed, paused, cut off) loses office to a standby
         *                         (docs/REPLICATION.md §4).
         * @return this.
         */
        public Context fetcherSessionTimeoutMs(final long sessionTimeoutMs)
        {
            this.fetcherSessionTimeoutMs = sessionTimeoutMs;
            return this;
        }

        /**
         * @return a fetcher's session timeout in the election group, ms.
         */
        public long fetcherSessionTimeoutMs()
        {
            return fetcherSessionTimeoutMs;
        }

        /**
         * @param rowsPerSecond rows a second {@code /v1/scrub} reads per client (per source address without
         *                      authentication); 0 for no limit.
         * @return this.
         */
        public Context scrubRowsPerSecond(final long rowsPerSecond)
        {
            this.scrubRowsPerSecond = rowsPerSecond;
            return this;
        }

        /**
         * @param ioThreads event-loop threads.
         * @return this.
         */
        public Context ioThreads(final int ioThreads)
        {
            this.ioThreads = ioThreads;
            return this;
        }

        /**
         * @param busyPoll true for event loops that poll their sockets without ever sleeping: answers leave tens of
         *                 microseconds sooner where waking a thread is slow (virtual machines), and every event-loop
         *                 thread keeps a core 100% busy, idle or not.
         * @return this.
         */
        public Context busyPoll(final boolean busyPoll)
        {
            this.busyPoll = busyPoll;
            return this;
        }

        /**
         * @param maxConnections most concurrent binary connections.
         * @return this.
         */
        public Context maxConnections(final int maxConnections)
        {
            this.maxConnections = maxConnections;
            return this;
        }

        /**
         * @param maxConnectionsPerAddress most concurrent binary connections from one peer address; 0 (the default
         *                                 here; {@code serve}'s is an eighth of the cap) for no such limit.
         * @return this.
         */
        public Context maxConnectionsPerAddress(final int maxConnectionsPerAddress)
        {
            this.maxConnectionsPerAddress = maxConnectionsPerAddress;
            return this;
        }

        /**
         * @param binaryIdleTimeoutMs a binary connection that completes no frame for this long is sent ERROR
         *                            IDLE_TIMEOUT and closed; 0 for never.
         * @return this.
         */
        public Context binaryIdleTimeoutMs(final long binaryIdleTimeoutMs)
        {
            this.binaryIdleTimeoutMs = binaryIdleTimeoutMs;
            return this;
        }

        /**
         * @param binaryFrameTimeoutMs a binary frame, once begun, must complete within this long, else ERROR
         *                             FRAME_TIMEOUT and the connection is closed; 0 for never.
         * @return this.
         */
        public Context binaryFrameTimeoutMs(final long binaryFrameTimeoutMs)
        {
            this.binaryFrameTimeoutMs = binaryFrameTimeoutMs;
            return this;
        }

        /**
         * @param tls TLS for the binary and HTTP listeners, or null (the default) for plaintext.
         * @return this.
         */
        public Context tls(final TlsSettings tls)
        {
            this.tls = tls;
            return this;
        }

        /**
         * @return TLS for the binary and HTTP listeners, or null for plaintext.
         */
        public TlsSettings tls()
        {
            return tls;
        }

        /**
         * @param policy decision policies.
         * @return this.
         */
        public Context policy(final FilterPolicy policy)
        {
            this.policy = policy;
            return this;
        }

        /**
         * @param receipts the decision receipts' settings, or null (the default here; {@code serve}'s is on) for
         *                 none: every decision then goes unrecorded with id 0.
         * @return this.
         */
        public Context receipts(final ReceiptSettings receipts)
        {
            this.receipts = receipts;
            return this;
        }

        /**
         * @return the decision receipts' settings, or null when receipts are off.
         */
        public ReceiptSettings receipts()
        {
            return receipts;
        }

        /**
         * @param replication the role and the Kafka topic (docs/REPLICATION.md); {@link ReplicationSettings#STANDALONE}
         *                    by default.
         * @return this.
         */
        public Context replication(final ReplicationSettings replication)
        {
            this.replication = Objects.requireNonNull(replication, "replication");
            return this;
        }

        /**
         * @return the role and the Kafka topic.
         */
        public ReplicationSettings replication()
        {
            return replication;
        }

        /**
         * @param indexOptions index sizing and freshness.
         * @return this.
         */
        public Context indexOptions(final IndexOptions indexOptions)
        {
            this.indexOptions = indexOptions;
            return this;
        }

        /**
         * @return the data directory.
         */
        public Path dataDirectory()
        {
            return dataDirectory;
        }

        /**
         * @return the İYS providers to follow.
         */
        public List<FeedSettings> feeds()
        {
            return List.copyOf(feeds);
        }

        /**
         * @return the milter's brand mapping, policy and connection limits.
         */
        public MilterSettings milter()
        {
            return milter;
        }

        /**
         * @return index sizing, freshness and validation.
         */
        public IndexOptions indexOptions()
        {
            return indexOptions;
        }

        /**
         * @return the bind address.
         */
        public String bindAddress()
        {
            return bindAddress;
        }

        /**
         * @return the admin listener's address.
         */
        public String adminBindAddress()
        {
            return adminBindAddress;
        }

        /**
         * @return the milter's Unix domain socket, or null.
         */
        public Path milterSocket()
        {
            return milterSocket;
        }

        /**
         * @return most concurrent binary connections from one peer address, 0 for no such limit.
         */
        public int maxConnectionsPerAddress()
        {
            return maxConnectionsPerAddress;
        }

        /**
         * @return the HTTP endpoint's guards.
         */
        public HttpSettings http()
        {
            return http;
        }

        /**
         * @return the milter's TCP port as set, -1 for none.
         */
        public int milterPort()
        {
            return milterPort;
        }

        /**
         * @return the admin listener's port as set, -1 for none.
         */
        public int adminPort()
        {
            return adminPort;
        }

        /**
         * @return the milter's TCP peer allow-list, or null for any peer.
         */
        public PeerAllowList milterAllow()
        {
            return milterAllow;
        }

        /**
         * @return whether {@code insecure-plaintext=true} is set.
         */
        public boolean insecurePlaintext()
        {
            return insecurePlaintext;
        }

        /**
         * Validate every setting once, naming the one that is wrong.
         */
        public void conclude()
        {
            if (dataDirectory == null)
            {
                throw new IllegalArgumentException("dataDirectory: missing (expected: a directory path)");
            }
            if (replication.role() == Role.FETCHER && feeds.isEmpty())
            {
                throw new IllegalArgumentException("role fetcher: no İYS feed to follow (expected: feeds)");
            }
            if (fetcherSessionTimeoutMs < 1_000 || fetcherSessionTimeoutMs > 300_000)
            {
                throw new IllegalArgumentException("fetcherSessionTimeoutMs: " + fetcherSessionTimeoutMs +
                    " (expected: 1000..300000)");
            }
            if (replication.role() == Role.REPLICA && !feeds.isEmpty())
            {
                throw new IllegalArgumentException("role replica: a replica follows no İYS feed and holds no İYS " +
                    "credentials (expected: no feeds)");
            }
            checkPort("binaryPort", binaryPort);
            checkPort("httpPort", httpPort);
            if (milterPort != -1)
            {
                checkPort("milterPort", milterPort);
            }
            if (binaryPort != 0 && binaryPort == httpPort)
            {
                throw new IllegalArgumentException("httpPort: " + httpPort + " (expected: not the binary port)");
            }
            if (respPort != -1)
            {
                checkPort("respPort", respPort);
                if (respPort != 0 && (respPort == binaryPort || respPort == httpPort || respPort == milterPort))
                {
                    throw new IllegalArgumentException("respPort: " + respPort + " (expected: a port of its own)");
                }
            }
            if (respMaxConnections < 1 || respMaxConnectionsPerAddress < 0 || respIdleTimeoutMs < 0 ||
                respCommandTimeoutMs < 0)
            {
                throw new IllegalArgumentException("respMaxConnections: " + respMaxConnections +
                    ", respMaxConnectionsPerAddress: " + respMaxConnectionsPerAddress + ", respIdleTimeoutMs: " +
                    respIdleTimeoutMs + ", respCommandTimeoutMs: " + respCommandTimeoutMs + " (expected: >= 1, >= 0, " +
                    ">= 0, >= 0)");
            }
            if (ioThreads < 1 || ioThreads > 256)
            {
                throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: 1..256)");
            }
            if (maxConnections < 1)
            {
                throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
            }
            if (maxConnectionsPerAddress < 0)
            {
                throw new IllegalArgumentException("maxConnectionsPerAddress: " + maxConnectionsPerAddress +
                    " (expected: >= 0, 0 for none)");
            }
            if (binaryIdleTimeoutMs < 0 || binaryFrameTimeoutMs < 0)
            {
                throw new IllegalArgumentException("binaryIdleTimeoutMs: " + binaryIdleTimeoutMs +
                    ", binaryFrameTimeoutMs: " + binaryFrameTimeoutMs + " (expected: >= 0, 0 for off)");
            }
            if (adminPort != -1)
            {
                checkPort("adminPort", adminPort);
                if (adminPort != 0 && (adminPort == binaryPort || adminPort == httpPort || adminPort == milterPort ||
                    adminPort == respPort))
                {
                    throw new IllegalArgumentException("adminPort: " + adminPort + " (expected: a port of its own)");
                }
            }
            Objects.requireNonNull(bindAddress, "bindAddress");
            Objects.requireNonNull(adminBindAddress, "adminBindAddress");
            checkPush();
            exposure = bindSafety();
            if (exposure.refusal() != null)
            {
                throw new IllegalArgumentException(exposure.refusal());
            }
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(http, "http");
            Objects.requireNonNull(indexOptions, "indexOptions");
            if (replication.role() == Role.REPLICA && !feeds.isEmpty())
            {
                throw new IllegalArgumentException("role: a replica follows no İYS feed (its index is built from the " +
                    "replication topic alone), but " + feeds.size() + " İYS provider(s) are set");
            }
        }

        /**
         * The safe-binding rule ({@link BindSafety}) over the TCP listeners these settings open.
         */
        private BindSafety.Decision bindSafety()
        {
            final List<BindSafety.Listener> listeners = new ArrayList<>();
            listeners.add(new BindSafety.Listener("bind", bindAddress, BindSafety.Kind.SERVICE));
            if (adminPort >= 0)
            {
                listeners.add(new BindSafety.Listener("admin-bind-address", adminBindAddress,
                    BindSafety.Kind.SERVICE));
            }
            if (respPort >= 0)
            {
                listeners.add(new BindSafety.Listener("bind (resp-port)", bindAddress, BindSafety.Kind.SERVICE));
            }
            if (milterPort >= 0)
            {
                listeners.add(new BindSafety.Listener("bind (milter-port)", bindAddress, BindSafety.Kind.MILTER));
            }
            final boolean tlsOn = tls != null;
            final boolean authOn = clientsFile != null;
            return BindSafety.decide(listeners, tlsOn, authOn, milterAllow != null && !milterAllow.isEmpty(),
                insecurePlaintext, resolver);
        }

        /**
         * The push receiver: a port of its own; HTTPS beyond loopback (İYS posts to HTTPS only, and a plaintext
         * password on the network is a password given away), whatever insecure-plaintext says; none on a replica,
         * whose index is written from the replication topic alone.
         */
        private void checkPush()
        {
            Objects.requireNonNull(push, "push");
            if (!push.on())
            {
                return;
            }
            final int port = push.port();
            if (port != 0 && (port == binaryPort || port == httpPort || port == milterPort || port == respPort ||
                port == adminPort))
            {
                throw new IllegalArgumentException("pushPort: " + port + " (expected: a port of its own)");
            }
            if (tls == null && !BindSafety.isLoopback(push.bindAddress(), resolver))
            {
                throw new IllegalArgumentException("refusing the İYS push receiver beyond loopback without TLS " +
                    "(push-bind-address=" + push.bindAddress() + "): İYS posts to HTTPS only and sends a password; " +
                    "set tls-cert-file, or bind 127.0.0.1 behind a TLS-terminating proxy");
            }
            if (tls != null && tls.clientAuth() == TlsSettings.ClientAuth.REQUIRE)
            {
                throw new IllegalArgumentException("refusing the İYS push receiver under tls-client-auth=require: " +
                    "İYS presents no client certificate; set tls-client-auth=optional (clients then name " +
                    "themselves by certificate or token, docs/SECURITY.md), or terminate İYS's TLS in a proxy on " +
                    "loopback");
            }
            if (replication.role() == Role.REPLICA)
            {
                throw new IllegalArgumentException("push: a replica takes no pushes (its index is written from the " +
                    "replication topic alone); point İYS at the fetchers");
            }
        }

        private static void checkPort(final String name, final int port)
        {
            if (port < 0 || port > 65535)
            {
                throw new IllegalArgumentException(name + ": " + port + " (expected: 0..65535)");
            }
        }
    }
}
