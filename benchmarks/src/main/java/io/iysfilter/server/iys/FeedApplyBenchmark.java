package io.iysfilter.server.iys;

import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.benchmarks.BenchmarkKey;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.ingest.IngestPipeline;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Feed apply: one İYS change-feed page of 999 records, from its JSON bytes to the index — parse, validate,
 * publish to the single writer, barrier (all applied). Each iteration applies {@value #PAGES} fresh pages whose
 * records are newer than everything stored, so every record is a real write. Reports time per iteration;
 * changes per second = {@value #PAGES} × 999 / time. Durability is "process" (no fsync), to measure the path itself.
 * In the server's package so it can drive the package-private {@link BrandFeed}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 5, batchSize = FeedApplyBenchmark.PAGES)
@Measurement(iterations = 8, batchSize = FeedApplyBenchmark.PAGES)
public class FeedApplyBenchmark
{
    static final int PAGES = 200;
    static final int PAGE_SIZE = 999;
    private static final long BRAND = 600_001;

    private Path dataDir;
    private ConsentStore store;
    private IngestPipeline pipeline;
    private BrandFeed feed;
    private byte[][] pages;
    private int next;
    private long round;

    @Setup(Level.Trial)
    public void open() throws Exception
    {
        dataDir = Files.createTempDirectory("iys-feed-bench");
        store = ConsentStore.open(dataDir, IndexOptions.withEntries(PAGES * PAGE_SIZE).withKey(BenchmarkKey.KEY));
        pipeline = new IngestPipeline(store.writer(), IngestPipeline.DEFAULT_RING_SIZE);
        pipeline.createBrand(BRAND).get();
        feed = new BrandFeed(BRAND, null, pipeline, new FeedFiles(store.brand(BRAND).directory()), 0, () ->
        {
        });
        pages = new byte[PAGES][];
    }

    /**
     * Fresh pages, each round a minute newer than the last, so nothing is superseded.
     */
    @Setup(Level.Iteration)
    public void generate()
    {
        round++;
        final long creationSec = System.currentTimeMillis() / 1000 - 86_400 + round * 60;
        final String creation = IysTime.format(creationSec);
        final String consent = IysTime.format(creationSec - 3_600);
        for (int p = 0; p < PAGES; p++)
        {
            final StringBuilder json = new StringBuilder(PAGE_SIZE * 260).append("{\"after\":\"")
                .append(creationSec * 1000).append('_').append(String.format(Locale.ROOT, "%064x", round * PAGES + p))
                .append("\",\"list\":[");
            for (int r = 0; r < PAGE_SIZE; r++)
            {
                final int i = p * PAGE_SIZE + r;
                json.append(r == 0 ? "{" : ",{")
                    .append("\"consentDate\":\"").append(consent)
                    .append("\",\"creationDate\":\"").append(creation)
                    .append("\",\"source\":\"").append(round % 2 == 0 ? "IYS_WEB" : "HS_WEB")
                    .append("\",\"recipient\":\"").append(String.format(Locale.ROOT, "+9056%08d", i))
                    .append("\",\"recipientType\":\"BIREYSEL\",\"status\":\"").append(round % 2 == 0 ? "RET" : "ONAY")
                    .append("\",\"type\":\"MESAJ\",\"transactionId\":\"")
                    .append(String.format(Locale.ROOT, "%016x%048x", round, i)).append("\"}");
            }
            pages[p] = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        }
        next = 0;
    }

    /**
     * @return records in the page.
     */
    @Benchmark
    public int applyPage() throws Exception
    {
        return feed.applyPage("HS", new ByteArrayInputStream(pages[next++ % PAGES])).records;
    }

    @TearDown(Level.Trial)
    public void close() throws Exception
    {
        pipeline.close();
        store.close();
        try (Stream<Path> paths = Files.walk(dataDir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
        }
    }
}
