package io.iysfilter.server.metrics;

import io.iysfilter.server.security.Authenticator;
import io.iysfilter.server.security.ClientStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.ArrayList;
import java.util.List;

/**
 * The per-client meters, read from {@link Authenticator}'s counters at each scrape, so that a client added by a
 * reload of the clients file gets its series without anything being registered on the hot path:
 * <ul>
 *   <li>{@code iys_client_decisions_total{client,verdict}}: decisions per client (every endpoint that authenticates:
 *   binary, HTTP check and scrub);</li>
 *   <li>{@code iys_client_refusals_total{client,reason}}: requests refused as {@code unauthorised} (401, ERROR
 *   UNAUTHORISED; {@code client="unknown"} when no client was named) or {@code forbidden} (403, ERROR FORBIDDEN);</li>
 *   <li>{@code iys_auth_failures_total} and {@code iys_auth_refused_unchecked_total}: failed authentications, and
 *   attempts refused unchecked because their source address was past {@code auth-failure-limit};</li>
 *   <li>{@code iys_clients_file_reloads_total{outcome}}: readings of a changed clients file put in force
 *   ({@code applied}) or refused, the old clients kept ({@code failed}).</li>
 * </ul>
 * The {@code client} label takes the ids of the clients file (at most
 * {@link io.iysfilter.server.security.ClientCounters#MAX_CLIENTS}, then {@code other}), {@code anonymous} with
 * authentication off, and {@code unknown}.
 */
public final class ClientMetrics implements MultiCollector
{
    private final Authenticator auth;

    private ClientMetrics(final Authenticator auth)
    {
        this.auth = auth;
    }

    /**
     * @param registry the registry Prometheus scrapes.
     * @param auth     the authenticator whose counters to serve.
     */
    public static void bindTo(final PrometheusRegistry registry, final Authenticator auth)
    {
        registry.register(new ClientMetrics(auth));
    }

    @Override
    public MetricSnapshots collect()
    {
        final CounterSnapshot.Builder decisions = CounterSnapshot.builder().name("iys_client_decisions")
            .help("decisions made, by client and verdict");
        final CounterSnapshot.Builder refusals = CounterSnapshot.builder().name("iys_client_refusals")
            .help("requests refused, by client and reason (unauthorised: 401 or ERROR UNAUTHORISED; forbidden: 403 " +
                "or ERROR FORBIDDEN)");
        for (final ClientStats stats : auth.counters().all())
        {
            decisions.dataPoint(point(stats.allowed(), "client", stats.label(), "verdict", "ALLOW"));
            decisions.dataPoint(point(stats.denied(), "client", stats.label(), "verdict", "DENY"));
            refusals.dataPoint(point(stats.unauthorised(), "client", stats.label(), "reason", "unauthorised"));
            refusals.dataPoint(point(stats.forbidden(), "client", stats.label(), "reason", "forbidden"));
        }
        final long failures = auth.failures() == null ? 0 : auth.failures().failures();
        final long unchecked = auth.failures() == null ? 0 : auth.failures().refusedUnchecked();
        return new MetricSnapshots(decisions.build(), refusals.build(),
            CounterSnapshot.builder().name("iys_auth_failures")
                .help("failed authentications (no token, a wrong one, a request before HELLO)")
                .dataPoint(CounterDataPointSnapshot.builder().value(failures).build()).build(),
            CounterSnapshot.builder().name("iys_auth_refused_unchecked")
                .help("attempts refused without their credential checked: the source address was past " +
                    "auth-failure-limit")
                .dataPoint(CounterDataPointSnapshot.builder().value(unchecked).build()).build(),
            CounterSnapshot.builder().name("iys_clients_file_reloads")
                .help("changed clients files put in force (applied) or refused with the old clients kept (failed)")
                .dataPoint(point(auth.reloads(), "outcome", "applied"))
                .dataPoint(point(auth.reloadFailures(), "outcome", "failed")).build());
    }

    private static CounterDataPointSnapshot point(final long value, final String... labels)
    {
        return CounterDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }

    @Override
    public List<String> getPrometheusNames()
    {
        return new ArrayList<>(List.of("iys_client_decisions", "iys_client_refusals", "iys_auth_failures",
            "iys_auth_refused_unchecked", "iys_clients_file_reloads"));
    }
}
