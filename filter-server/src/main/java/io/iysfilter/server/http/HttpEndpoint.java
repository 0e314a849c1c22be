package io.iysfilter.server.http;

import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.index.RecipientProtection;
import io.iysfilter.server.iys.FeedService;
import io.iysfilter.server.iys.ReconcileService;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServiceMetrics;
import io.iysfilter.server.optout.OptOuts;
import io.iysfilter.server.push.PushReceiver;
import io.iysfilter.server.push.PushSettings;
import io.iysfilter.server.receipts.JournalReceiptSource;
import io.iysfilter.server.receipts.ReceiptRecorder;
import io.iysfilter.server.receipts.ReceiptSearch;
import io.iysfilter.server.receipts.ScrubProofs;
import io.iysfilter.server.replication.FetcherElection;
import io.iysfilter.server.replication.ReplicaFollower;
import io.iysfilter.server.replication.Role;
import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ScrubRates;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What the network layer needs to run the HTTP endpoint: the handlers of one connection, and the writes' part of a
 * graceful stop, opt-outs and İYS pushes ({@link #refuseWrites()}, {@link #writesInFlight()}). A connection past
 * {@link HttpSettings#maxConnections()} is refused (503) before anything is read; the {@link HttpGuard} refuses
 * malformed and oversized requests (4xx, then close), times out idle connections and slow requests, and answers a
 * handler's failure with 500. The streamed requests ({@code /v1/scrub}, {@code /v1/reconcile}) sit before the
 * aggregator, every other request is read whole, up to {@link #MAX_REQUEST_LENGTH} bytes.
 * <p>
 * The admin routes ({@code /metrics}, {@code /v1/brands}, {@code /v1/receipts}, {@code /health/ready}'s details)
 * are served on the HTTP port unless an admin listener is set ({@code admin-port}); then each listener mounts its own
 * {@link Surface}.
 */
public final class HttpEndpoint
{
    /**
     * Which routes a listener serves.
     */
    public enum Surface
    {
        /** Every route: the HTTP port when there is no admin listener (the default). */
        ALL,
        /**
         * The HTTP port beside an admin listener: the API, liveness ({@code /health}, {@code /health/live}) and a
         * bare readiness ({@code /health/ready}, its status without the details); the admin routes answer 404.
         */
        SERVICE,
        /**
         * The admin listener: {@code /metrics}, {@code /v1/brands}, {@code /v1/receipts} and {@code /health*} with
         * details; no API.
         */
        ADMIN
    }

    /** Largest HTTP request read whole, headers and body; /v1/scrub and /v1/reconcile stream theirs. */
    public static final int MAX_REQUEST_LENGTH = 16 * 1024;
    /** Longest request line (method, path and query, version). */
    public static final int MAX_REQUEST_LINE_LENGTH = 4096;
    /** Most bytes of headers per request. */
    public static final int MAX_HEADER_LENGTH = 8192;

    private final ConsentFilter filter;
    private final ConsentStore store;
    private final FeedService feed;
    private final OptOuts optOuts;
    private final ReconcileService reconciliations;
    private final ServerCounters counters;
    private final ServiceMetrics metrics;
    private final WriteGate optOutGate = new WriteGate();
    private final WriteGate pushGate = new WriteGate();
    private final HttpSettings settings;
    private final HttpConnectionLimiter limiter;
    private final Authenticator auth;
    private final ScrubRates scrubRates;
    private final DecisionRecorder recorder;
    private ReceiptSearch receiptSearch;
    private ScrubProofs scrubProofs;
    private final AtomicInteger receiptSearches = new AtomicInteger();
    private Role role = Role.STANDALONE;
    private Supplier<ReplicaFollower> replica = () -> null;
    private Supplier<String> writesRefused;
    private Supplier<String> fetcherState = () -> null;
    private PushReceiver push;
    private HttpConnectionLimiter pushLimiter;
    private HttpSettings pushGuards;

    /**
     * @param filter          the rules.
     * @param store           the index.
     * @param feed            the İYS feed follower, or null.
     * @param optOuts         local opt-outs.
     * @param reconciliations reconciling a day with İYS.
     * @param counters        the counters.
     * @param metrics         the meters served on /metrics.
     * @param settings        the connection cap, timeouts and body cap.
     * @param auth            who may ask what; {@link Authenticator#off} for everyone.
     * @param scrubRates      the rows a second {@code /v1/scrub} reads per client or address.
     * @param recorder        where each connection's decisions are recorded (receipts), or
     *                        {@link DecisionRecorder#NONE}.
     */
    public HttpEndpoint(
        final ConsentFilter filter,
        final ConsentStore store,
        final FeedService feed,
        final OptOuts optOuts,
        final ReconcileService reconciliations,
        final ServerCounters counters,
        final ServiceMetrics metrics,
        final HttpSettings settings,
        final Authenticator auth,
        final ScrubRates scrubRates,
        final DecisionRecorder recorder)
    {
        this.filter = filter;
        this.store = store;
        this.feed = feed;
        this.optOuts = optOuts;
        this.reconciliations = reconciliations;
        this.counters = counters;
        this.metrics = metrics;
        this.settings = settings;
        this.limiter = new HttpConnectionLimiter(settings.maxConnections(), settings.maxConnectionsPerAddress(),
            counters);
        this.auth = auth;
        this.scrubRates = scrubRates;
        this.recorder = recorder;
    }

    /**
     * Serve the receipts' admin routes ({@code /v1/receipts}) and file a proof-of-scrub for each {@code /v1/scrub}
     * run; without this call (the receipts off) those routes answer 404 and runs are not filed. Call before the
     * first connection is mounted.
     *
     * @param search the search over the journal.
     * @param proofs the proof-of-scrub files.
     * @return this.
     */
    public HttpEndpoint receipts(final ReceiptSearch search, final ScrubProofs proofs)
    {
        this.receiptSearch = search;
        this.scrubProofs = proofs;
        return this;
    }

    /**
     * {@link #receipts(ReceiptSearch, ScrubProofs)} over the journal in a receipts directory, its recipients keyed
     * with the data directory's index key.
     *
     * @param receiptsDirectory the receipts directory ({@code receipts-dir}).
     * @param key               the data directory's index key.
     * @return this.
     * @throws IOException when the directory cannot be read.
     */
    public HttpEndpoint receipts(final Path receiptsDirectory, final IndexKey key) throws IOException
    {
        if (recorder instanceof ReceiptRecorder live)
        {
            // the open day's head as the journal published it at its last seal, and a wait woken by the seal
            final JournalReceiptSource journal = JournalReceiptSource.open(receiptsDirectory, live::journalHead);
            return receipts(new ReceiptSearch(journal, RecipientProtection.of(key)::protect),
                new ScrubProofs(receiptsDirectory, journal, live::awaitSealed));
        }
        final JournalReceiptSource journal = JournalReceiptSource.open(receiptsDirectory);
        return receipts(new ReceiptSearch(journal, RecipientProtection.of(key)::protect),
            new ScrubProofs(receiptsDirectory, journal));
    }

    /**
     * Name the server's role per brand on {@code /v1/brands}; on a replica, show its place in the topic there, hold
     * {@code /health/ready} until its first bootstrap reached the topic's end, and refuse opt-outs and reconciles
     * (409: its index is written from the topic alone); a fetcher whose publisher stopped refuses them too
     * (503, {@code "replication"}: see {@link ServiceMetrics#replicationTrouble()}).
     * Call before the first connection is mounted.
     *
     * @param serverRole what this server does about the source of truth.
     * @param follower   the replica's follower, or null when the server is not a replica.
     * @return this.
     */
    public HttpEndpoint replication(final Role serverRole, final ReplicaFollower follower)
    {
        this.role = serverRole;
        this.replica = () -> follower;
        return this;
    }

    /**
     * A fetcher (docs/REPLICATION.md §4): {@code /v1/brands} and {@code /health/ready} show its state of office;
     * standing by, it shows and awaits its follower of the topic as a replica does; opt-outs and reconciles are
     * refused (503, {@code "replication"}) unless it is the active fetcher and publishes. Call before the first
     * connection is mounted.
     *
     * @param election the fetcher's election.
     * @return this.
     */
    public HttpEndpoint fetcher(final FetcherElection election)
    {
        this.role = Role.FETCHER;
        this.replica = election::follower;
        this.writesRefused = election::refusal;
        this.fetcherState = () -> election.state().wireName();
        return this;
    }

    /**
     * @return why opt-outs and reconciles are refused now (a fetcher not in office, or whose publisher stopped), or
     * null.
     */
    private Supplier<String> writesRefused()
    {
        if (writesRefused != null)
        {
            return writesRefused;
        }
        return metrics == null ? () -> null : metrics::replicationTrouble;
    }

    /**
     * Add one connection's handlers.
     *
     * @param pipeline the connection's pipeline.
     * @param workers  where blocking work (reconciliations) runs, off the event loop.
     */
    public void mount(final ChannelPipeline pipeline, final Executor workers)
    {
        mount(pipeline, workers, Surface.ALL);
    }

    /**
     * Add one connection's handlers, serving only the routes of one surface.
     *
     * @param pipeline the connection's pipeline.
     * @param workers  where blocking work (reconciliations) runs, off the event loop.
     * @param surface  the routes this listener serves.
     */
    public void mount(final ChannelPipeline pipeline, final Executor workers, final Surface surface)
    {
        final HttpGuard guard = new HttpGuard(settings, counters);
        pipeline.addLast("limiter", limiter);
        pipeline.addLast("reads", guard.rawReads());
        // RFC 9112 framing: a request with both Content-Length and Transfer-Encoding is a decoder failure, which the
        // guard refuses, rather than a body framed one way by us and another by a proxy in front
        pipeline.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
            .setMaxInitialLineLength(MAX_REQUEST_LINE_LENGTH)
            .setMaxHeaderSize(MAX_HEADER_LENGTH)
            .setUseRfc9112TransferEncoding(true)));
        pipeline.addLast("guard", guard);
        final RequestIdentity identity = new RequestIdentity();
        pipeline.addLast("auth", new HttpAuthHandler(auth, identity, counters, surface));
        if (surface != Surface.ADMIN)
        {
            pipeline.addLast("scrub", new ScrubHttpHandler(new Decider(filter, store.newLookup(), recorder), counters,
                identity, scrubRates, settings.requestTimeoutMs()).proofs(scrubProofs, workers));
            pipeline.addLast("reconcile", new ReconcileHttpHandler(reconciliations, workers, settings.maxBodyBytes(),
                counters).replica(role == Role.REPLICA ? HttpApiHandler.REPLICA_REFUSES : null)
                .replication(writesRefused()));
        }
        pipeline.addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_LENGTH, true));
        if (surface != Surface.SERVICE)
        {
            pipeline.addLast("receipts", new ReceiptsHttpHandler(receiptSearch, scrubProofs, workers, counters,
                receiptSearches, System::currentTimeMillis));
        }
        pipeline.addLast("api", new HttpApiHandler(new Decider(filter, store.newLookup(), recorder), store, feed,
            optOuts, counters, metrics, optOutGate, identity, surface).replication(role, replica, writesRefused(),
            fetcherState).push(push));
        pipeline.addLast("errors", guard.errors());
    }

    /**
     * Serve İYS's pushes on the push listener ({@link #mountPush}) and show each brand's pushes on
     * {@code /v1/brands}. Call before the first connection is mounted.
     *
     * @param receiver the push receiver.
     * @return this.
     */
    public HttpEndpoint push(final PushReceiver receiver)
    {
        final PushSettings pushSettings = receiver.settings();
        this.push = receiver;
        this.pushGuards = new HttpSettings(pushSettings.maxConnections(), pushSettings.idleTimeoutMs(),
            pushSettings.requestTimeoutMs(), pushSettings.maxBodyBytes());
        this.pushLimiter = new HttpConnectionLimiter(pushSettings.maxConnections(), 0, counters);
        return this;
    }

    /**
     * Add the handlers of one connection to the push listener: its own connection cap, the guard's timeouts, a body
     * read whole up to {@link PushSettings#maxBodyBytes()} (more: 413 and close), and the one push route.
     *
     * @param pipeline the connection's pipeline.
     */
    public void mountPush(final ChannelPipeline pipeline)
    {
        final HttpGuard guard = new HttpGuard(pushGuards, counters);
        pipeline.addLast("limiter", pushLimiter);
        pipeline.addLast("reads", guard.rawReads());
        pipeline.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
            .setMaxInitialLineLength(MAX_REQUEST_LINE_LENGTH)
            .setMaxHeaderSize(MAX_HEADER_LENGTH)
            .setUseRfc9112TransferEncoding(true)));
        pipeline.addLast("guard", guard);
        pipeline.addLast("aggregator", new HttpObjectAggregator(pushGuards.maxBodyBytes() > Integer.MAX_VALUE ?
            Integer.MAX_VALUE : (int)pushGuards.maxBodyBytes(), true));
        pipeline.addLast("push", new PushHttpHandler(push, counters, pushGate));
        pipeline.addLast("errors", guard.errors());
    }

    /**
     * Graceful stop: refuse every opt-out and İYS push read from now on (503).
     */
    public void refuseWrites()
    {
        optOutGate.refuse();
        pushGate.refuse();
    }

    /**
     * @return opt-outs and İYS pushes admitted and not answered yet.
     */
    public int writesInFlight()
    {
        return optOutGate.inFlight() + pushGate.inFlight();
    }

    /**
     * @return opt-outs and İYS pushes admitted since start: the drain counts them as requests.
     */
    public long writesAdmitted()
    {
        return optOutGate.admitted() + pushGate.admitted();
    }
}
