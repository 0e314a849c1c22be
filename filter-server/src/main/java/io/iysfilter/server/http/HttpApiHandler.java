package io.iysfilter.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iysfilter.server.decision.Decider;
import io.iysfilter.server.iys.FeedService;
import io.iysfilter.server.replication.ReplicaFollower;
import io.iysfilter.server.replication.Role;
import io.iysfilter.server.iys.FlatJson;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.metrics.ServerCounters;
import io.iysfilter.server.metrics.ServerCounters.Endpoint;
import io.iysfilter.server.metrics.ServerCounters.RequestType;
import io.iysfilter.server.metrics.ServiceMetrics;
import io.iysfilter.server.optout.OptOut;
import io.iysfilter.server.optout.OptOuts;
import io.iysfilter.server.push.PushReceiver;
import io.iysfilter.server.security.Client;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * The HTTP API, one instance per connection:
 * <ul>
 *   <li>{@code GET /v1/check?brand=&channel=&recipient=&recipientType=&kind=}: one decision as JSON;</li>
 *   <li>{@code POST /v1/scrub}: a streamed list, see {@link ScrubHttpHandler} (which serves it);</li>
 *   <li>{@code GET /v1/brands}: the brands this server holds, with entries and as-of time;</li>
 *   <li>{@code GET /health} and {@code /health/live}: liveness, with the number of brands;</li>
 *   <li>{@code GET /health/ready}: 200 only when every brand is open and fresh, else 503 saying which is not;</li>
 *   <li>{@code GET /metrics}: Prometheus text format;</li>
 *   <li>{@code POST /v1/optouts} with {@code {"brand","channel","recipient","recipientType","time","source"}}: a local
 *   opt-out (see {@link OptOuts}), 201 once written ahead to its log and applied (on a fetcher: and committed to the
 *   replication topic; 503 {@code {"error":"replication","retry":true,…}} with {@code Retry-After} when it is
 *   recorded here but not committed in time), 507 when the disk is full, 500 on another failure (then it is in
 *   neither); {@code GET /v1/optouts?brand=}: the brand's opt-outs, each with the date
 *   by which it must be uploaded to İYS.</li>
 * </ul>
 * Bad parameters get 400 with {@code {"error":"bad_request","message":"…"}}. An opt-out that arrives when a graceful
 * stop is about to close the connections gets 503 with {@code {"error":"shutting_down",…}} (see {@link WriteGate}).
 * Beside an admin listener, each listener serves only its {@link HttpEndpoint.Surface}'s routes, the others 404.
 */
final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest>
{
    /** HTTP 507 Insufficient Storage: the disk is full, the opt-out was not recorded. */
    static final int INSUFFICIENT_STORAGE = 507;
    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    private static final String JSON = "application/json; charset=utf-8";
    /** The decision id of a {@code /v1/check} answer, as its JSON's {@code decisionId} gives it. */
    static final String DECISION_ID_HEADER = "X-Iys-Decision-Id";
    /** Why a replica refuses what would write its index from another door than the topic. */
    static final String REPLICA_REFUSES = "this server is a replica: its index is written from the replication " +
        "topic alone, so it takes no opt-out, import or reconcile; send them to the fetcher, which applies and " +
        "publishes them";
    /** Why a fetcher that publishes no more refuses what would write its index from another door than its feed. */
    static final String FETCHER_STOPPED = "this fetcher does not publish to the replication topic now, so a " +
        "change written here would not reach the replicas; it takes no opt-out or reconcile until it does: ";
    /** Seconds a client waits before it sends again an opt-out the replication topic did not commit in time. */
    static final String RETRY_AFTER_SEC = "5";
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final Decider decider;
    private final ConsentStore store;
    private final FeedService feed;
    private final ServerCounters counters;
    private final ServiceMetrics metrics;
    private final OptOuts optOuts;
    private final WriteGate optOutGate;
    private final RequestIdentity identity;
    private final HttpEndpoint.Surface surface;
    private Role role = Role.STANDALONE;
    private Supplier<ReplicaFollower> replicaNow = () -> null;
    private Supplier<String> writesRefused;
    private Supplier<String> fetcherState = () -> null;
    private PushReceiver push;
    /** The follower of the topic for this request (a replica's, a standby fetcher's), or null. */
    private ReplicaFollower replica;

    HttpApiHandler(
        final Decider decider,
        final ConsentStore store,
        final FeedService feed,
        final OptOuts optOuts,
        final ServerCounters counters,
        final ServiceMetrics metrics,
        final WriteGate optOutGate)
    {
        this(decider, store, feed, optOuts, counters, metrics, optOutGate, RequestIdentity.anonymous(),
            HttpEndpoint.Surface.ALL);
    }

    HttpApiHandler(
        final Decider decider,
        final ConsentStore store,
        final FeedService feed,
        final OptOuts optOuts,
        final ServerCounters counters,
        final ServiceMetrics metrics,
        final WriteGate optOutGate,
        final RequestIdentity identity,
        final HttpEndpoint.Surface surface)
    {
        this.identity = identity;
        this.surface = surface;
        this.optOuts = optOuts;
        this.optOutGate = optOutGate;
        this.decider = decider;
        this.store = store;
        this.feed = feed;
        this.counters = counters;
        this.metrics = metrics;
    }

    /**
     * @param serverRole what this server does about the source of truth, shown per brand.
     * @param follower   the replica's follower, or null when the server is not a replica.
     * @return this.
     */
    HttpApiHandler replication(final Role serverRole, final ReplicaFollower follower)
    {
        this.role = serverRole;
        this.replicaNow = () -> follower;
        return this;
    }

    /**
     * @param serverRole what this server does about the source of truth, shown per brand.
     * @param follower   the follower of the topic now (a replica's, a standby fetcher's), or null.
     * @param refused    why opt-outs and reconciles are refused now, or null.
     * @param state      a fetcher's state of office, or null.
     * @return this.
     */
    HttpApiHandler replication(final Role serverRole, final Supplier<ReplicaFollower> follower,
        final Supplier<String> refused, final Supplier<String> state)
    {
        this.role = serverRole;
        this.replicaNow = follower;
        this.writesRefused = refused;
        this.fetcherState = state;
        return this;
    }

    /**
     * @param receiver the İYS push receiver, shown per brand on {@code /v1/brands}; null when push is off.
     * @return this.
     */
    HttpApiHandler push(final PushReceiver receiver)
    {
        this.push = receiver;
        return this;
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        if (!request.decoderResult().isSuccess())
        {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, JSON, error("bad_request", "malformed HTTP request"));
            return;
        }
        final QueryStringDecoder query = new QueryStringDecoder(request.uri());
        final String path = query.path();
        final String elsewhere = elsewhere(path);
        if (elsewhere != null)
        {
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, JSON, error("not_found", "no such path here: " +
                path + " (" + elsewhere + ")"));
            return;
        }
        if ("/v1/optouts".equals(path))
        {
            optOuts(ctx, request, query);
            return;
        }
        if (!HttpMethod.GET.equals(request.method()))
        {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, JSON,
                error("method_not_allowed", "only GET is served: method=" + request.method()));
            return;
        }
        switch (path)
        {
            case "/v1/check" -> check(ctx, request, query.parameters());
            case "/v1/brands" -> respond(ctx, request, HttpResponseStatus.OK, JSON, brands());
            case "/health", "/health/live" -> respond(ctx, request, HttpResponseStatus.OK, JSON,
                "{\"status\":\"UP\",\"brands\":" + store.brands().size() + "}");
            case "/health/ready" -> ready(ctx, request);
            case "/metrics" -> respond(ctx, request, HttpResponseStatus.OK, PROMETHEUS, metrics.scrape());
            default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND, JSON,
                error("not_found", "no such path: " + path +
                    " (expected: /v1/check, /v1/scrub, /v1/optouts, /v1/reconcile, /v1/brands, /health/live, " +
                    "/health/ready or /metrics)"));
        }
    }

    /**
     * @return why a path is not served on this listener, naming where it is; null when it is served here.
     */
    private String elsewhere(final String path)
    {
        // the admin routes: keep in step with HttpAuthHandler.roleOf, which gives them the admin role
        final boolean admin = "/metrics".equals(path) || "/v1/brands".equals(path) ||
            ReceiptsHttpHandler.serves(path);
        final boolean health = "/health".equals(path) || path.startsWith("/health/");
        if (surface == HttpEndpoint.Surface.SERVICE && admin)
        {
            return "served on the admin listener, admin-bind-address:admin-port";
        }
        if (surface == HttpEndpoint.Surface.ADMIN && !admin && !health)
        {
            return "this is the admin listener: /metrics, /v1/brands, /v1/receipts, /health, /health/live and " +
                "/health/ready; the API is on the HTTP port";
        }
        return null;
    }

    private void optOuts(final ChannelHandlerContext ctx, final FullHttpRequest request, final QueryStringDecoder query)
    {
        if (HttpMethod.GET.equals(request.method()))
        {
            final OptOuts.Result listed = optOuts.list(DecisionParameters.first(query.parameters(), "brand"));
            respond(ctx, HttpUtil.isKeepAlive(request), HttpResponseStatus.valueOf(status(listed)), JSON,
                body(listed));
            return;
        }
        if (!HttpMethod.POST.equals(request.method()))
        {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, JSON,
                error("method_not_allowed", "opt-outs take GET or POST: method=" + request.method()));
            return;
        }
        if (role == Role.REPLICA)
        {
            respond(ctx, request, HttpResponseStatus.CONFLICT, JSON, error("replica", REPLICA_REFUSES));
            return;
        }
        // a fetcher not in office, or whose publisher stopped (fenced, stalled): replicas would keep the ONAY
        final String replication = writesRefused != null ? writesRefused.get() :
            metrics == null ? null : metrics.replicationTrouble();
        if (replication != null)
        {
            respond(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, JSON,
                error("replication", FETCHER_STOPPED + replication));
            return;
        }
        if (!optOutGate.admit())
        {
            respond(ctx, false, HttpResponseStatus.SERVICE_UNAVAILABLE, JSON, error("shutting_down",
                "the server is stopping: the opt-out was not recorded (send it again once the server is back)"));
            return;
        }
        final byte[] body = new byte[request.content().readableBytes()];
        request.content().getBytes(request.content().readerIndex(), body);
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        final CompletableFuture<Reply> recorded;
        try
        {
            recorded = recordOptOut(body);
        }
        catch (final RuntimeException | Error ex)
        {
            optOutGate.answered();
            throw ex;
        }
        recorded.whenComplete((reply, error) ->
        {
            final Reply sent = reply != null ? reply : new Reply(500,
                error("internal_error", "the opt-out was not recorded: " + error));
            try
            {
                ctx.executor().execute(() ->
                {
                    try
                    {
                        respond(ctx, keepAlive, HttpResponseStatus.valueOf(sent.status()), JSON, sent.body(), null,
                            sent.status() == 503 ? RETRY_AFTER_SEC : null);
                    }
                    finally
                    {
                        optOutGate.answered();
                    }
                });
            }
            catch (final RejectedExecutionException ex)
            {
                optOutGate.answered();
            }
        });
    }

    private CompletableFuture<Reply> recordOptOut(final byte[] body)
    {
        final Map<String, String> fields;
        try (JsonParser json = JSON_FACTORY.createParser(body))
        {
            if (json.nextToken() != JsonToken.START_OBJECT)
            {
                throw new IOException("expected an object");
            }
            fields = FlatJson.read(json);
        }
        catch (final IOException ex)
        {
            return CompletableFuture.completedFuture(new Reply(400,
                error("bad_request", "body: not a JSON object (" + ex.getMessage() + ")")));
        }
        final Client client = identity.client();
        if (client != null && !client.mayAsk(DecisionParameters.parseCode(fields.get("brand"))))
        {
            // the brand is in the body, which the authorisation before the aggregator cannot read
            client.stats().onForbidden();
            return CompletableFuture.completedFuture(new Reply(403, error("forbidden", "client " + client.id() +
                " may not record opt-outs for brand " + fields.get("brand"))));
        }
        return optOuts.record(fields).thenApply(result -> new Reply(status(result), body(result)));
    }

    /**
     * @return the HTTP status an opt-out request's result maps to.
     */
    private static int status(final OptOuts.Result result)
    {
        return switch (result.outcome())
        {
            case APPLIED, SUPERSEDED -> 201;
            case UNPUBLISHED -> 503;
            case LISTED -> 200;
            case INVALID -> 400;
            case UNKNOWN_BRAND -> 404;
            case DISK_FULL -> INSUFFICIENT_STORAGE;
            case FAILED -> 500;
        };
    }

    /**
     * @return the JSON body an opt-out request's result maps to: the opt-out recorded, with its outcome; the brand's
     *         opt-outs; or an error.
     */
    private static String body(final OptOuts.Result result)
    {
        return switch (result.outcome())
        {
            case APPLIED, SUPERSEDED -> result.optOuts().get(0).toJson(result.outcome().name());
            case LISTED ->
            {
                final StringBuilder json = new StringBuilder("{\"brand\":").append(result.brandCode())
                    .append(",\"optouts\":[");
                boolean first = true;
                for (final OptOut optOut : result.optOuts())
                {
                    json.append(first ? "" : ",").append(optOut.toJson(null));
                    first = false;
                }
                yield json.append("]}").toString();
            }
            case UNPUBLISHED -> "{\"error\":\"replication\",\"retry\":true,\"message\":\"" +
                Json.escape(result.message()) + "\"}";
            case INVALID -> error("bad_request", result.message());
            case UNKNOWN_BRAND -> error("unknown_brand", result.message());
            case DISK_FULL -> error("disk_full", result.message());
            case FAILED -> error("internal_error", result.message());
        };
    }

    /**
     * An answer to an opt-out request.
     */
    private record Reply(int status, String body)
    {
    }

    private void check(final ChannelHandlerContext ctx, final FullHttpRequest httpRequest,
        final Map<String, List<String>> parameters)
    {
        final DecisionParameters request = DecisionParameters.parse(parameters);
        final String recipient = DecisionParameters.first(parameters, "recipient");
        final String problem = request.problem() != null ? request.problem() :
            recipient == null || recipient.isEmpty() ? "recipient: missing (expected: a phone number or e-mail)" :
            null;
        if (problem != null)
        {
            respond(ctx, httpRequest, HttpResponseStatus.BAD_REQUEST, JSON, error("bad_request", problem));
            return;
        }

        final long startNs = System.nanoTime();
        counters.onRequest(Endpoint.HTTP, RequestType.CHECK);
        identity.nameAsker(decider, Door.HTTP);
        final BrandState brand = decider.brand(request.brandCode());
        final Reason reason = decider.decide(request.brandCode(), brand, request.channel(), request.type(),
            request.kind(), recipient, request.dealerCode(), System.currentTimeMillis());
        counters.onDecision(Endpoint.HTTP, reason);
        identity.stats().onDecision(reason.allows());
        final String decisionId = DecisionIds.text(decider.lastDecisionId());
        final String body = "{\"verdict\":\"" + reason.verdict() + "\",\"reason\":\"" + reason.name() +
            "\",\"brand\":" + request.brandCode() + dealerField(request.dealerCode()) + ",\"asOf\":" +
            instant(decider.lastAsOfMs()) + ",\"decisionId\":\"" + decisionId + "\"}";
        counters.onLatency(Endpoint.HTTP, RequestType.CHECK, System.nanoTime() - startNs);
        respond(ctx, HttpUtil.isKeepAlive(httpRequest), HttpResponseStatus.OK, JSON, body, decisionId);
    }

    /**
     * @return {@code ,"dealer":N} when a dealer asked, else nothing: an answer without a dealer keeps its bytes.
     */
    private static String dealerField(final long dealerCode)
    {
        return dealerCode == ConsentFilter.NO_DEALER ? "" : ",\"dealer\":" + dealerCode;
    }

    /**
     * Ready only when every brand's index is open, verified and fresh: not INDEX_DAMAGED, not INDEX_VERIFYING, not
     * STALE and, for followed brands, following its feed (not still starting, not NEEDS_REBOOTSTRAP), and, under
     * {@code receipts-policy deny}, while the receipts journal records (not failed, queue not full). 503 otherwise,
     * naming each brand that is not and why, and the journal; under policy {@code allow} a journal in trouble is
     * named in {@code receipts} without making the server unready.
     */
    private void ready(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        replica = replicaNow.get();
        final long nowMs = System.currentTimeMillis();
        final StringBuilder problems = new StringBuilder();
        final List<BrandIndex> brands = store.brands();
        brands.sort(Comparator.comparingLong(BrandIndex::brandCode));
        for (final BrandIndex brand : brands)
        {
            final FeedService.BrandStatus status = feed == null ? null : feed.status(brand.brandCode());
            final Reason unready = brand.unreadyReason();
            final String why = unready == Reason.INDEX_DAMAGED ? "INDEX_DAMAGED: " + brand.damage() :
                unready == Reason.INDEX_VERIFYING ? "INDEX_VERIFYING: the index is being verified" :
                status != null && !"FOLLOWING".equals(status.state()) &&
                !"BACKING_OFF".equals(status.state()) ? "feed " + status.state() :
                ConsentFilter.isStale(brand, nowMs) ? "STALE: data as of " + asOf(brand).replace("\"", "") +
                " is older than the freshness bound of " + brand.freshnessBoundMs() / 1000 + " s" : null;
            if (why != null)
            {
                problems.append(problems.length() == 0 ? "" : ",").append("{\"brand\":").append(brand.brandCode())
                    .append(",\"reason\":\"").append(Json.escape(why)).append("\"}");
            }
        }
        final String replicaProblem = replicaProblem();
        if (replicaProblem != null)
        {
            problems.append(problems.length() == 0 ? "" : ",").append("{\"replica\":\"").append(replica.state())
                .append("\",\"reason\":\"").append(Json.escape(replicaProblem)).append("\"}");
        }
        // the receipts journal failed or its queue is full: under policy deny every ALLOW is DENY, so not ready
        final String receipts = metrics == null ? null : metrics.receiptsTrouble();
        final boolean receiptsBlock = receipts != null && !metrics.receiptsAllowUnrecorded();
        final boolean receiptsListed = receiptsBlock && !brands.isEmpty();
        if (receiptsListed)
        {
            problems.append(problems.length() == 0 ? "" : ",").append("{\"journal\":\"receipts\",\"reason\":\"")
                .append(Json.escape(receipts)).append("\"}");
        }
        // a fetcher fenced by another (or whose topic stalled) follows İYS no more: its data only ages
        final String replication = metrics == null ? null : metrics.replicationTrouble();
        if (replication != null)
        {
            problems.append(problems.length() == 0 ? "" : ",").append("{\"replication\":\"")
                .append(Json.escape(replication)).append("\"}");
        }
        final boolean ready = problems.length() == 0 && !brands.isEmpty();
        final String status = "{\"status\":\"" + (ready ? "READY" : "NOT_READY") + "\"";
        respond(ctx, request, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, JSON,
            surface == HttpEndpoint.Surface.SERVICE ? status + "}" : status + ",\"brands\":" + brands.size() +
            ",\"notReady\":[" + (brands.isEmpty() ? "{\"reason\":\"no brand index\"}" +
            (problems.length() == 0 ? "" : ",") : "") + problems + "]" +
            (receipts != null && !receiptsListed ? ",\"receipts\":\"" + Json.escape(receipts) + "\"" : "") +
            (metrics != null && metrics.insecurePlaintext() ? ",\"insecurePlaintext\":true" : "") +
            (fetcherState.get() == null ? "" : ",\"fetcher\":\"" + fetcherState.get() + "\"") + "}");
    }

    /**
     * @return why the replica makes the server not ready (its first bootstrap has not reached the topic's end, or it
     * stopped following), or null.
     */
    private String replicaProblem()
    {
        if (replica == null)
        {
            return null;
        }
        if (ReplicaFollower.REFUSED.equals(replica.state()))
        {
            return "the replica stopped following the topic: " + replica.lastError();
        }
        if (!replica.isCaughtUp())
        {
            final String error = replica.lastError();
            return "the replica's bootstrap has not reached the topic's end offsets yet (" + replica.lagRecords() +
                " records behind" + (error == null ? "" : "; " + error) + ")";
        }
        return null;
    }

    private String brands()
    {
        replica = replicaNow.get();
        final String fetcher = fetcherState.get();
        final StringBuilder json = new StringBuilder("{\"brands\":[");
        final List<BrandIndex> brands = store.brands();
        brands.sort(Comparator.comparingLong(BrandIndex::brandCode));
        final long nowMs = System.currentTimeMillis();
        for (int i = 0; i < brands.size(); i++)
        {
            final BrandIndex brand = brands.get(i);
            final Reason unready = brand.unreadyReason();
            final String damage = brand.damage();
            json.append(i == 0 ? "" : ",")
                .append("{\"brand\":").append(brand.brandCode())
                .append(",\"entries\":").append(brand.entries())
                .append(",\"asOf\":").append(asOf(brand))
                .append(",\"freshnessBoundMs\":").append(brand.freshnessBoundMs())
                .append(",\"state\":\"").append(unready != null ? unready.name() :
                    ConsentFilter.isStale(brand, nowMs) ? "STALE" : "FRESH")
                .append('"');
            if (damage != null)
            {
                json.append(",\"damage\":\"").append(Json.escape(damage)).append('"');
            }
            json.append(",\"role\":\"").append(role.settingName()).append('"');
            if (fetcher != null)
            {
                json.append(",\"fetcher\":\"").append(fetcher).append('"');
            }
            final ReplicaFollower.BrandStatus replicated = replica == null ? null : replica.status(brand.brandCode());
            if (replicated != null)
            {
                json.append(",\"offset\":").append(replicated.offset())
                    .append(",\"lagRecords\":").append(replicated.lagRecords() < 0 ? "null" :
                        Long.toString(replicated.lagRecords()))
                    .append(",\"lagMs\":").append(replicated.lagMs() < 0 ? "null" : Long.toString(replicated.lagMs()))
                    .append(",\"watermark\":").append(instant(replicated.watermarkMs()))
                    .append(",\"frozen\":").append(string(replicated.frozen()));
            }
            final PushReceiver.BrandPushes pushed = push == null ? null : push.brand(brand.brandCode());
            if (push != null)
            {
                // pushed RETs are enforced at once; the brand's asOf still comes from the pull feed alone
                json.append(",\"push\":{\"records\":").append(pushed == null ? 0 : pushed.records())
                    .append(",\"rejected\":").append(pushed == null ? 0 : pushed.rejected())
                    .append(",\"lastPush\":").append(instant(pushed == null ? 0 : pushed.lastPushMs())).append('}');
            }
            final FeedService.BrandStatus status = feed == null ? null : feed.status(brand.brandCode());
            if (status != null)
            {
                json.append(",\"feed\":{\"state\":\"").append(status.state())
                    .append("\",\"watermark\":").append(instant(status.watermarkMs()))
                    .append(",\"lastPoll\":").append(instant(status.lastPollMs()))
                    .append(",\"lastError\":").append(status.lastError() == null ? "null" :
                        "\"" + Json.escape(status.lastError()) + "\"")
                    .append(",\"completedPolls\":").append(status.completedPolls())
                    .append(",\"received\":").append(status.received())
                    .append(",\"quarantined\":").append(status.quarantined())
                    .append(",\"sources\":{");
                boolean firstSource = true;
                for (final var source : status.sources().entrySet())
                {
                    final FeedService.SourceStatus feedSource = source.getValue();
                    json.append(firstSource ? "\"" : ",\"").append(source.getKey()).append("\":{\"state\":\"")
                        .append(feedSource.state()).append("\",\"cursor\":").append(string(feedSource.cursor()))
                        .append(",\"accepted\":").append(instant(feedSource.acceptedMs()));
                    if (feedSource.lostReason() != null)
                    {
                        json.append(",\"lost\":{\"since\":").append(instant(feedSource.lostSinceMs()))
                            .append(",\"reason\":").append(string(feedSource.lostReason()))
                            .append(",\"code\":").append(string(feedSource.lostCode()))
                            .append(",\"body\":").append(string(feedSource.lostBody()))
                            .append(",\"nextRetry\":").append(instant(feedSource.nextRetryMs())).append('}');
                    }
                    json.append('}');
                    firstSource = false;
                }
                json.append("}}");
            }
            json.append('}');
        }
        return json.append("]}").toString();
    }

    private static String asOf(final BrandState brand)
    {
        return brand == null ? "null" : instant(brand.asOfMs());
    }

    private static String string(final String value)
    {
        return value == null ? "null" : "\"" + Json.escape(value) + "\"";
    }

    private static String instant(final long epochMs)
    {
        return epochMs == 0 ? "null" : "\"" + Instant.ofEpochMilli(epochMs) + "\"";
    }

    private static String error(final String code, final String message)
    {
        return Json.error(code, message);
    }

    private void respond(
        final ChannelHandlerContext ctx,
        final FullHttpRequest request,
        final HttpResponseStatus status,
        final String contentType,
        final String body)
    {
        respond(ctx, HttpUtil.isKeepAlive(request), status, contentType, body);
    }

    private void respond(
        final ChannelHandlerContext ctx,
        final boolean keepAlive,
        final HttpResponseStatus status,
        final String contentType,
        final String body)
    {
        respond(ctx, keepAlive, status, contentType, body, null);
    }

    private void respond(
        final ChannelHandlerContext ctx,
        final boolean keepAlive,
        final HttpResponseStatus status,
        final String contentType,
        final String body,
        final String decisionId)
    {
        respond(ctx, keepAlive, status, contentType, body, decisionId, null);
    }

    private void respond(
        final ChannelHandlerContext ctx,
        final boolean keepAlive,
        final HttpResponseStatus status,
        final String contentType,
        final String body,
        final String decisionId,
        final String retryAfterSec)
    {
        if (status.code() >= 400 && status.code() < 500)
        {
            counters.onHttpBadRequest();
        }
        final ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, contentType)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        if (decisionId != null)
        {
            response.headers().set(DECISION_ID_HEADER, decisionId);
        }
        if (retryAfterSec != null)
        {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfterSec);
        }
        if (keepAlive)
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response, ctx.voidPromise());
        }
        else
        {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
