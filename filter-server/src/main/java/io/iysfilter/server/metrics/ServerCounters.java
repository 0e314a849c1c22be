package io.iysfilter.server.metrics;

import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.server.decision.Reason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.FastThreadLocal;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every counter the endpoints keep. Event-loop threads increment striped {@link LongAdder}s (no shared cache line,
 * no allocation once warm); Micrometer reads them only when Prometheus scrapes, through meters bound once.
 */
public final class ServerCounters
{
    /** Where a request came in. */
    public enum Endpoint
    {
        /** The binary protocol. */
        BINARY,
        /** The HTTP API. */
        HTTP,
        /** The milter endpoint, one decision per recipient. */
        MILTER,
        /** The RESP (Redis protocol) endpoint. */
        RESP
    }

    /** What was asked. */
    public enum RequestType
    {
        /** HELLO. */
        HELLO,
        /** One CHECK (or GET /v1/check). */
        CHECK,
        /** One CHECK_BATCH. */
        CHECK_BATCH,
        /** One POST /v1/scrub. */
        SCRUB,
        /** Any other command of the RESP endpoint (PING, CLIENT, COMMAND, INFO, ...). */
        OTHER
    }

    /** Why the RESP endpoint answered an error, or closed a connection on its own. */
    public enum RespError
    {
        /** Malformed RESP framing (bad type byte, length out of range, missing CRLF): the connection closed. */
        PROTOCOL,
        /** A command the endpoint does not know ({@code -ERR unknown command}). */
        UNKNOWN_COMMAND,
        /** Wrong arity, a bad argument or too many recipients ({@code -ERR}); the connection stays open. */
        BAD_ARGUMENTS,
        /** A command before authentication ({@code -NOAUTH}). */
        NOAUTH,
        /** A token that names no client, or a refused attempt past the failure limit ({@code -WRONGPASS}). */
        WRONGPASS,
        /** A client without the check role or the brand ({@code -NOPERM}). */
        NOPERM,
        /** A connection past {@code resp-max-connections} or the per-address cap: refused and closed. */
        TOO_MANY_CONNECTIONS,
        /** No complete command for {@code resp-idle-timeout}: closed. */
        IDLE_TIMEOUT,
        /** A command begun and not complete within {@code resp-command-timeout}: closed. */
        COMMAND_TIMEOUT,
        /** A command that failed inside the server (e.g. an I/O error of the index): {@code -ERR}, then closed. */
        INTERNAL
    }

    /** Why a milter connection was closed or a message tempfailed on our side. */
    public enum MilterError
    {
        /** A command the protocol does not define. */
        UNKNOWN_COMMAND,
        /** Option negotiation too short or an MTA below milter version 6. */
        BAD_NEGOTIATION,
        /** A packet over the length limit, or any other error on the connection. */
        CONNECTION_ERROR,
        /** A decision that threw; the message was tempfailed. */
        DECISION_ERROR,
        /** A connection past {@code milter-max-connections}: closed at once. */
        TOO_MANY_CONNECTIONS,
        /** A connection with no packet for {@code milter-idle-timeout}: closed. */
        IDLE_TIMEOUT,
        /** A packet begun and not finished within {@code milter-packet-timeout}: the connection closed. */
        PACKET_TIMEOUT,
        /** A message that ended before any option negotiation (no OPTNEG): tempfailed. */
        NO_NEGOTIATION,
        /** A TCP connection from a peer outside {@code milter-allow}: closed at accept, unread. */
        NOT_ALLOWED
    }

    /** Why the server closed an HTTP connection on its own. */
    public enum HttpClose
    {
        /** Over {@code http-max-connections}: answered 503. */
        REFUSED,
        /** No request for {@code http-idle-timeout}. */
        IDLE_TIMEOUT,
        /** A request not complete within {@code http-request-timeout} (or a streamed body that paused as long). */
        REQUEST_TIMEOUT,
        /** A malformed or oversized request: answered 4xx. */
        MALFORMED,
        /** A handler failed: answered 500 when no answer had begun. */
        INTERNAL_ERROR
    }

    private static final int MAX_ERROR_CODE = 16;
    private static final String LATENCY_NAME = "iys_request_latency_seconds";

    private final LongAdder[][] requests = adders(Endpoint.values().length, RequestType.values().length);
    private final LongAdder[][] decisions = adders(Endpoint.values().length, Reason.values().length);
    private final LongAdder[] protocolErrors = adders(1, MAX_ERROR_CODE)[0];
    private final LongAdder httpBadRequests = new LongAdder();
    private final LongAdder[] milterErrors = adders(1, MilterError.values().length)[0];
    private final LongAdder milterNullSenders = new LongAdder();
    private final AtomicInteger[] connections = counters(Endpoint.values().length);
    private final AddressConnections[] addressConnections = addressTables(Endpoint.values().length);
    private final LongAdder[] readPauses = adders(1, Endpoint.values().length)[0];
    private final LongAdder[] httpCloses = adders(1, HttpClose.values().length)[0];
    private final LongAdder[] respErrors = adders(1, RespError.values().length)[0];
    private volatile boolean latencyBound;
    private final List<LatencyHistogram> latencyHistograms = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<LatencyHistogram[][]> latency = new FastThreadLocal<>()
    {
        @Override
        protected LatencyHistogram[][] initialValue()
        {
            return new LatencyHistogram[Endpoint.values().length][RequestType.values().length];
        }
    };

    private static AtomicInteger[] counters(final int count)
    {
        final AtomicInteger[] counters = new AtomicInteger[count];
        for (int i = 0; i < count; i++)
        {
            counters[i] = new AtomicInteger();
        }
        return counters;
    }

    private static AddressConnections[] addressTables(final int count)
    {
        final AddressConnections[] tables = new AddressConnections[count];
        for (int i = 0; i < count; i++)
        {
            tables[i] = new AddressConnections();
        }
        return tables;
    }

    private static LongAdder[][] adders(final int rows, final int columns)
    {
        final LongAdder[][] adders = new LongAdder[rows][columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                adders[r][c] = new LongAdder();
            }
        }
        return adders;
    }

    /**
     * @param endpoint where.
     * @param type     what.
     */
    public void onRequest(final Endpoint endpoint, final RequestType type)
    {
        requests[endpoint.ordinal()][type.ordinal()].increment();
    }

    /**
     * @param endpoint where.
     * @param reason   the decision.
     */
    public void onDecision(final Endpoint endpoint, final Reason reason)
    {
        decisions[endpoint.ordinal()][reason.ordinal()].increment();
    }

    /**
     * Count several decisions of one reason at once (a batch's, tallied by its handler): one update instead of one
     * per decision.
     *
     * @param endpoint where.
     * @param reason   the decision.
     * @param count    how many, at least 0.
     */
    public void onDecisions(final Endpoint endpoint, final Reason reason, final long count)
    {
        decisions[endpoint.ordinal()][reason.ordinal()].add(count);
    }

    /**
     * Record how long the server took over one request, from its decoded form to its encoded answer (network and
     * queueing excluded). Not recorded until {@link #bindTo(MeterRegistry)}.
     * <p>
     * Each thread records into histograms of its own (tagged with the thread's name, bound on its first request of
     * a kind), so event loops never share a cache line here; Prometheus sums them by {@code le}.
     *
     * @param endpoint where.
     * @param type     what.
     * @param nanos    elapsed {@link System#nanoTime()} nanoseconds.
     */
    public void onLatency(final Endpoint endpoint, final RequestType type, final long nanos)
    {
        if (!latencyBound)
        {
            return;
        }
        final LatencyHistogram[] byType = latency.get()[endpoint.ordinal()];
        LatencyHistogram histogram = byType[type.ordinal()];
        if (histogram == null)
        {
            histogram = newLatencyHistogram(endpoint, type);
            byType[type.ordinal()] = histogram;
        }
        histogram.record(nanos);
    }

    /**
     * A histogram for the calling thread, labelled with its name; when another thread of the same name already has
     * one (a pool whose threads share a name), with its name and id, so no two series carry the same labels (the
     * Prometheus registry refuses to scrape those).
     */
    private synchronized LatencyHistogram newLatencyHistogram(final Endpoint endpoint, final RequestType type)
    {
        final String endpointName = endpoint.name().toLowerCase();
        final String typeName = type.name().toLowerCase();
        final Thread thread = Thread.currentThread();
        String label = thread.getName();
        for (final LatencyHistogram existing : latencyHistograms)
        {
            if (existing.hasLabels(endpointName, typeName, label))
            {
                label = thread.getName() + "#" + thread.getId();
                break;
            }
        }
        final LatencyHistogram histogram = new LatencyHistogram(endpointName, typeName, label);
        latencyHistograms.add(histogram);
        return histogram;
    }

    /**
     * @param code the error sent.
     */
    public void onProtocolError(final ErrorCode code)
    {
        final int index = code.value();
        protocolErrors[index >= 0 && index < MAX_ERROR_CODE ? index : 0].increment();
    }

    /**
     * @param kind what went wrong on a milter connection.
     */
    public void onMilterError(final MilterError kind)
    {
        milterErrors[kind.ordinal()].increment();
    }

    /**
     * @param kind what went wrong.
     * @return how often since start.
     */
    public long milterErrors(final MilterError kind)
    {
        return milterErrors[kind.ordinal()].sum();
    }

    /**
     * A milter message from the null sender ({@code <>}: a bounce or DSN, not commercial) accepted unchecked.
     */
    public void onMilterNullSender()
    {
        milterNullSenders.increment();
    }

    /**
     * @return milter messages from the null sender accepted without a consent check.
     */
    public long milterNullSenders()
    {
        return milterNullSenders.sum();
    }

    /**
     * An HTTP request refused with a 4xx status.
     */
    public void onHttpBadRequest()
    {
        httpBadRequests.increment();
    }

    /**
     * A connection stopped reading requests because its peer left more answers unread than the write-buffer
     * high-water mark (back-pressure); it reads again once they drain.
     *
     * @param endpoint whose connection.
     */
    public void onReadPaused(final Endpoint endpoint)
    {
        readPauses[endpoint.ordinal()].increment();
    }

    /**
     * @param endpoint which endpoint.
     * @return how often one of its connections stopped reading for back-pressure since start.
     */
    public long readPauses(final Endpoint endpoint)
    {
        return readPauses[endpoint.ordinal()].sum();
    }

    /**
     * @param why the server closed an HTTP connection on its own.
     */
    public void onHttpClose(final HttpClose why)
    {
        httpCloses[why.ordinal()].increment();
    }

    /**
     * @param why a reason.
     * @return HTTP connections the server closed for it since start.
     */
    public long httpCloses(final HttpClose why)
    {
        return httpCloses[why.ordinal()].sum();
    }

    /**
     * @param kind why the RESP endpoint answered an error or closed a connection.
     */
    public void onRespError(final RespError kind)
    {
        respErrors[kind.ordinal()].increment();
    }

    /**
     * @param kind a kind.
     * @return RESP errors of that kind since start.
     */
    public long respErrors(final RespError kind)
    {
        return respErrors[kind.ordinal()].sum();
    }

    /**
     * @return the live count of HTTP connections, for the HTTP connection limit: {@link #connections(Endpoint)}.
     */
    public AtomicInteger httpConnections()
    {
        return connections(Endpoint.HTTP);
    }

    /**
     * @return the live count of binary connections, for the connection limit: {@link #connections(Endpoint)}.
     */
    public AtomicInteger activeConnections()
    {
        return connections(Endpoint.BINARY);
    }

    /**
     * @return every request and decision counted so far, on every endpoint: a measure of activity.
     */
    public long totalRequests()
    {
        long total = 0;
        for (final LongAdder[] row : requests)
        {
            for (final LongAdder adder : row)
            {
                total += adder.sum();
            }
        }
        for (final LongAdder[] row : decisions)
        {
            for (final LongAdder adder : row)
            {
                total += adder.sum();
            }
        }
        return total;
    }

    /**
     * @param endpoint where.
     * @param reason   the decision.
     * @return decisions so far.
     */
    public long decisions(final Endpoint endpoint, final Reason reason)
    {
        return decisions[endpoint.ordinal()][reason.ordinal()].sum();
    }

    /**
     * @param code an error code.
     * @return errors of that code sent so far.
     */
    public long protocolErrors(final ErrorCode code)
    {
        return protocolErrors[code.value()].sum();
    }

    /**
     * Bind every counter to a registry, once, at start-up.
     *
     * @param registry the registry Prometheus scrapes.
     */
    public void bindTo(final MeterRegistry registry)
    {
        for (final Endpoint endpoint : Endpoint.values())
        {
            final String endpointName = endpoint.name().toLowerCase();
            for (final RequestType type : RequestType.values())
            {
                FunctionCounter.builder("iys_requests", requests[endpoint.ordinal()][type.ordinal()], LongAdder::sum)
                    .description("requests received")
                    .tag("endpoint", endpointName)
                    .tag("type", type.name().toLowerCase())
                    .register(registry);
            }
            for (final Reason reason : Reason.values())
            {
                FunctionCounter.builder("iys_decisions", decisions[endpoint.ordinal()][reason.ordinal()],
                    LongAdder::sum)
                    .description("decisions made, by verdict and reason")
                    .tag("endpoint", endpointName)
                    .tag("verdict", reason.verdict())
                    .tag("reason", reason.name())
                    .register(registry);
            }
        }
        for (final ErrorCode code : ErrorCode.values())
        {
            if (code != ErrorCode.NULL_VAL && code != ErrorCode.SBE_UNKNOWN)
            {
                FunctionCounter.builder("iys_protocol_errors", protocolErrors[code.value()], LongAdder::sum)
                    .description("binary protocol errors sent, by code")
                    .tag("code", code.name())
                    .register(registry);
            }
        }
        for (final MilterError kind : MilterError.values())
        {
            FunctionCounter.builder("iys_milter_errors", milterErrors[kind.ordinal()], LongAdder::sum)
                .description("milter connections closed, or messages tempfailed, for an error, by kind")
                .tag("kind", kind.name())
                .register(registry);
        }
        FunctionCounter.builder("iys_milter_null_sender_messages", milterNullSenders, LongAdder::sum)
            .description("milter messages from the null sender <> (bounces, DSNs: not commercial) accepted unchecked")
            .register(registry);
        FunctionCounter.builder("iys_http_bad_requests", httpBadRequests, LongAdder::sum)
            .description("HTTP requests refused with a 4xx status")
            .register(registry);
        for (final HttpClose why : HttpClose.values())
        {
            FunctionCounter.builder("iys_http_closes", httpCloses[why.ordinal()], LongAdder::sum)
                .description("HTTP connections the server closed on its own, by why")
                .tag("why", why.name())
                .register(registry);
        }
        for (final RespError kind : RespError.values())
        {
            FunctionCounter.builder("iys_resp_errors", respErrors[kind.ordinal()], LongAdder::sum)
                .description("RESP errors answered, or connections the RESP endpoint closed on its own, by kind")
                .tag("kind", kind.name())
                .register(registry);
        }
        if (registry instanceof PrometheusMeterRegistry prometheus)
        {
            prometheus.getPrometheusRegistry().register(new LatencyCollector());
            latencyBound = true;
        }
        for (final Endpoint endpoint : Endpoint.values())
        {
            FunctionCounter.builder("iys_read_pauses", readPauses[endpoint.ordinal()], LongAdder::sum)
                .description("times a connection stopped being read because its peer left its answers unread")
                .tag("endpoint", endpoint.name().toLowerCase())
                .register(registry);
        }
        for (final Endpoint endpoint : Endpoint.values())
        {
            Gauge.builder("iys_connections_active", connections(endpoint), AtomicInteger::get)
                .description("open connections, by endpoint")
                .tag("endpoint", endpoint.name().toLowerCase())
                .register(registry);
            FunctionCounter.builder("iys_connections_refused_per_address", addressConnections(endpoint),
                    AddressConnections::refused)
                .description("connections refused because their peer address already held " +
                    "max-connections-per-address, by endpoint")
                .tag("endpoint", endpoint.name().toLowerCase())
                .register(registry);
        }
    }

    /**
     * @param endpoint an endpoint.
     * @return its open connections per peer address, for {@code max-connections-per-address}.
     */
    public AddressConnections addressConnections(final Endpoint endpoint)
    {
        return addressConnections[endpoint.ordinal()];
    }

    /**
     * The live count of an endpoint's connections, which its connection limit keeps (counting in on
     * {@code channelActive}, out on {@code channelInactive}) and {@code iys_connections_active{endpoint}} shows. A new
     * {@link Endpoint} gets its own.
     *
     * @param endpoint an endpoint.
     * @return its open connections.
     */
    public AtomicInteger connections(final Endpoint endpoint)
    {
        return connections[endpoint.ordinal()];
    }

    /**
     * Serves every thread's latency histogram to the Prometheus registry behind Micrometer's.
     */
    private final class LatencyCollector implements MultiCollector
    {
        @Override
        public MetricSnapshots collect()
        {
            final HistogramSnapshot.Builder histogram = HistogramSnapshot.builder()
                .name(LATENCY_NAME)
                .unit(Unit.SECONDS)
                .help("time from a decoded request to its encoded answer, network excluded, per thread");
            for (final LatencyHistogram perThread : latencyHistograms)
            {
                histogram.dataPoint(perThread.snapshot());
            }
            return new MetricSnapshots(histogram.build());
        }

        @Override
        public List<String> getPrometheusNames()
        {
            return new ArrayList<>(List.of(LATENCY_NAME));
        }
    }
}
