package io.iysfilter.server.http;

import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.FeedService;
import io.iysfilter.server.iys.ReconcileService;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServiceMetrics;
import io.iysfilter.server.optout.OptOuts;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

import java.util.concurrent.Executor;

/**
 * What the network layer needs to run the HTTP endpoint: the handlers of one connection, and the opt-outs' part of a
 * graceful stop ({@link #refuseOptOuts()}, {@link #optOutsInFlight()}). The streamed requests ({@code /v1/scrub},
 * {@code /v1/reconcile}) sit before the aggregator, every other request is read whole, up to
 * {@link #MAX_REQUEST_LENGTH} bytes.
 */
public final class HttpEndpoint
{
    /** Largest HTTP request read whole, headers and body; /v1/scrub and /v1/reconcile stream theirs. */
    public static final int MAX_REQUEST_LENGTH = 16 * 1024;

    private final ConsentFilter filter;
    private final ConsentStore store;
    private final FeedService feed;
    private final OptOuts optOuts;
    private final ReconcileService reconciliations;
    private final ServerCounters counters;
    private final ServiceMetrics metrics;
    private final OptOutGate optOutGate = new OptOutGate();

    /**
     * @param filter          the rules.
     * @param store           the index.
     * @param feed            the İYS feed follower, or null.
     * @param optOuts         local opt-outs.
     * @param reconciliations reconciling a day with İYS.
     * @param counters        the counters.
     * @param metrics         the meters served on /metrics.
     */
    public HttpEndpoint(
        final ConsentFilter filter,
        final ConsentStore store,
        final FeedService feed,
        final OptOuts optOuts,
        final ReconcileService reconciliations,
        final ServerCounters counters,
        final ServiceMetrics metrics)
    {
        this.filter = filter;
        this.store = store;
        this.feed = feed;
        this.optOuts = optOuts;
        this.reconciliations = reconciliations;
        this.counters = counters;
        this.metrics = metrics;
    }

    /**
     * Add one connection's handlers.
     *
     * @param pipeline the connection's pipeline.
     * @param workers  where blocking work (reconciliations) runs, off the event loop.
     */
    public void mount(final ChannelPipeline pipeline, final Executor workers)
    {
        pipeline.addLast("http", new HttpServerCodec());
        pipeline.addLast("scrub", new ScrubHttpHandler(new Decider(filter, store.newLookup()), counters));
        pipeline.addLast("reconcile", new ReconcileHttpHandler(reconciliations, workers));
        pipeline.addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_LENGTH));
        pipeline.addLast("api", new HttpApiHandler(new Decider(filter, store.newLookup()), store, feed, optOuts,
            counters, metrics, optOutGate));
    }

    /**
     * Graceful stop: refuse every opt-out read from now on (503).
     */
    public void refuseOptOuts()
    {
        optOutGate.refuse();
    }

    /**
     * @return opt-outs admitted and not answered yet.
     */
    public int optOutsInFlight()
    {
        return optOutGate.inFlight();
    }

    /**
     * @return opt-outs admitted since start: the drain counts them as requests.
     */
    public long optOutsAdmitted()
    {
        return optOutGate.admitted();
    }
}
