package io.iysfilter.server.metrics;

import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.receipts.ReceiptRecorder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.agrona.collections.LongHashSet;

import java.util.function.Supplier;

/**
 * The meters that are not the endpoints' or the feed's own: the index per brand, the ingest ring, and the JVM and
 * process. Each meter is bound once; a brand that appears after start-up (created by the feed or an import) is
 * bound at the first scrape that sees it, so {@link #scrape()} is the only way /metrics is rendered.
 */
public final class ServiceMetrics implements AutoCloseable
{
    private static final double MS_PER_SECOND = 1000.0;

    private final PrometheusMeterRegistry registry;
    private final ConsentStore store;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final LongHashSet boundBrands = new LongHashSet();
    private volatile boolean insecurePlaintext;
    private volatile ReceiptRecorder receipts;
    private volatile Supplier<String> replicationTrouble = () -> null;

    /**
     * Bind the ingest, JVM and process meters, and the index meters of every brand the store holds now.
     *
     * @param registry where the meters live.
     * @param store    the index.
     * @param ingest   the single writer's ring.
     */
    public ServiceMetrics(final PrometheusMeterRegistry registry, final ConsentStore store, final IngestPipeline ingest)
    {
        this.registry = registry;
        this.store = store;
        Gauge.builder("iys_ingest_ring_depth", ingest, IngestPipeline::backlog)
            .description("Events published to the ingest ring and not yet consumed by the writer")
            .register(registry);
        Gauge.builder("iys_ingest_ring_capacity", ingest, IngestPipeline::ringCapacity)
            .description("Events the ingest ring holds")
            .register(registry);
        FunctionCounter.builder("iys_ingest_changes", ingest, IngestPipeline::applied)
            .description("Consent changes handled by the single writer, by outcome")
            .tag("outcome", "applied")
            .register(registry);
        FunctionCounter.builder("iys_ingest_changes", ingest, IngestPipeline::superseded)
            .tag("outcome", "superseded")
            .register(registry);
        FunctionCounter.builder("iys_ingest_changes", ingest, IngestPipeline::failed)
            .tag("outcome", "failed")
            .register(registry);
        FunctionCounter.builder("iys_ingest_changes", ingest, IngestPipeline::rejected)
            .tag("outcome", "rejected")
            .register(registry);
        Gauge.builder("iys_index_damaged_brands", store, ServiceMetrics::damagedBrands)
            .description("Brands whose index is INDEX_DAMAGED: every commercial answer for them is DENY")
            .register(registry);
        FunctionCounter.builder("iys_ingest_writer_restarts", ingest, IngestPipeline::writerRestarts)
            .description("Times the single writer's loop was restarted after an error escaped it")
            .register(registry);
        Gauge.builder("iys_ingest_writer_faulted", ingest, (i) -> i.faulted() ? 1 : 0)
            .description("1 after a fault in a memory-mapped index file (disk full): every change is refused until " +
                "restart")
            .register(registry);
        Gauge.builder("iys_disk_usable_bytes", ingest.diskSpace(), DiskSpaceGuard::usableBytes)
            .description("Usable bytes of the data directory's file system at the writer's last reading " +
                "(-1 before it, or with the guard off)")
            .baseUnit("bytes")
            .register(registry);
        Gauge.builder("iys_disk_reserve_bytes", ingest.diskSpace(), DiskSpaceGuard::reserveBytes)
            .description("Usable bytes below which the writer refuses changes (disk full); 0: no guard")
            .baseUnit("bytes")
            .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder("iys_insecure_plaintext", this, (metrics) -> metrics.insecurePlaintext ? 1 : 0)
            .description("1 when a port is reachable beyond loopback without the protection it needs, started with " +
                "insecure-plaintext=true (docs/SECURITY.md)")
            .register(registry);
        bindNewBrands();
    }

    /**
     * Say that the server runs with {@code insecure-plaintext=true} in effect: the gauge {@code
     * iys_insecure_plaintext} reads 1 and {@code /health/ready}'s details say so.
     *
     * @param insecure whether it does.
     */
    public void insecurePlaintext(final boolean insecure)
    {
        this.insecurePlaintext = insecure;
    }

    /**
     * Bind the receipts' meters, and let {@code /health/ready} name the journal when it fails or its queue fills.
     *
     * @param recorder the receipts' recorder.
     */
    public void receipts(final ReceiptRecorder recorder)
    {
        recorder.bindTo(registry);
        this.receipts = recorder;
    }

    /**
     * Let {@code /health/ready} name the replication when it stops (a fetcher fenced by another).
     *
     * @param trouble why replication stopped, or null while it runs.
     */
    public void replication(final Supplier<String> trouble)
    {
        this.replicationTrouble = trouble;
    }

    /**
     * @return why replication stopped (e.g. {@code fenced: ...}), or null while it runs or on a standalone server.
     */
    public String replicationTrouble()
    {
        return replicationTrouble.get();
    }

    /**
     * @return why decisions are not being recorded (journal failed, queue full), or null when they are or receipts
     * are off.
     */
    public String receiptsTrouble()
    {
        final ReceiptRecorder recorder = receipts;
        return recorder == null ? null : recorder.trouble();
    }

    /**
     * @return whether unrecorded decisions are served as decided (policy {@code allow}): then a journal in trouble
     * does not make the server unready.
     */
    public boolean receiptsAllowUnrecorded()
    {
        final ReceiptRecorder recorder = receipts;
        return recorder == null || recorder.allowsUnrecorded();
    }

    /**
     * @return whether the server runs with {@code insecure-plaintext=true} in effect.
     */
    public boolean insecurePlaintext()
    {
        return insecurePlaintext;
    }

    /**
     * Bind any brand not yet bound, then render every meter.
     *
     * @return the Prometheus text exposition.
     */
    public synchronized String scrape()
    {
        bindNewBrands();
        return registry.scrape();
    }

    private synchronized void bindNewBrands()
    {
        for (final BrandIndex brand : store.brands())
        {
            if (boundBrands.add(brand.brandCode()))
            {
                final String code = Long.toString(brand.brandCode());
                Gauge.builder("iys_index_entries", brand, BrandIndex::entries)
                    .description("Consents the brand's index holds, phones and e-mails")
                    .tag("brand", code)
                    .register(registry);
                Gauge.builder("iys_index_age_seconds", brand, ServiceMetrics::ageSeconds)
                    .description("Seconds since the time the brand's index is known to be current to")
                    .tag("brand", code)
                    .register(registry);
                Gauge.builder("iys_index_damaged", brand,
                        (b) -> b.unreadyReason() == Reason.INDEX_DAMAGED ? 1 : 0)
                    .description("1 when the brand's index is damaged (verification failed, a map file is missing, " +
                        "recovery lost entries, an import did not finish): every commercial answer is DENY")
                    .tag("brand", code)
                    .register(registry);
                Gauge.builder("iys_dealer_map_damaged", brand, (b) -> b.dealerDamage() == null ? 0 : 1)
                    .description("1 when the brand's dealer map failed verification: every dealer decision is DENY " +
                        "INDEX_DAMAGED, brand decisions are unaffected")
                    .tag("brand", code)
                    .register(registry);
                Gauge.builder("iys_dealer_lists_dropped", brand, BrandIndex::droppedDealerLists)
                    .description("Dealer lists dropped since start because the brand's dealer map was full: " +
                        "dealer decisions that find no list are DENY DEALER_ACCESS_UNKNOWN")
                    .tag("brand", code)
                    .register(registry);
                Gauge.builder("iys_index_verifying", brand,
                        (b) -> b.unreadyReason() == Reason.INDEX_VERIFYING ? 1 : 0)
                    .description("1 while the brand's index is being verified after start-up: answers are DENY")
                    .tag("brand", code)
                    .register(registry);
                Gauge.builder("iys_index_freshness_bound_seconds", brand,
                        (b) -> b.freshnessBoundMs() / MS_PER_SECOND)
                    .description("Age beyond which the brand's answers become DENY STALE")
                    .tag("brand", code)
                    .register(registry);
            }
        }
    }

    private static double damagedBrands(final ConsentStore store)
    {
        int damaged = 0;
        for (final BrandIndex brand : store.brands())
        {
            damaged += brand.unreadyReason() == Reason.INDEX_DAMAGED ? 1 : 0;
        }
        return damaged;
    }

    private static double ageSeconds(final BrandIndex brand)
    {
        final long asOfMs = brand.asOfMs();
        return asOfMs <= 0 ? Double.NaN : (System.currentTimeMillis() - asOfMs) / MS_PER_SECOND;
    }

    @Override
    public void close()
    {
        gc.close();
    }
}
