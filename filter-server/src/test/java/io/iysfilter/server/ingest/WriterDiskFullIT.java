package io.iysfilter.server.ingest;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.SmallTmpfs;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.iys.IysSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The single writer on a file system that really fills up (a small tmpfs) with the disk guard off: the map's growth
 * fails, and once it has failed the next growth touches pages that cannot be backed (SIGBUS, an InternalError,
 * possibly surfacing later in the thread). Every change still gets an answer, the writer stays alive, and the
 * pipeline and store close.
 */
@Timeout(180)
class WriterDiskFullIT
{
    private static final long BRAND = 600_001;
    private static final int MAX_CHANGES = 400_000;
    private static final int FAILURES = 50;

    @TempDir
    Path work;

    @Test
    void shouldAnswerEveryChangeAndStayAliveWhenTheMapCannotGrow() throws Exception
    {
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(work.resolve("mnt"), 8))
        {
            final Counting outcomes = new Counting();
            long published = 0;
            try (ConsentStore store = ConsentStore.open(tmpfs.directory().resolve("data"),
                TestKeys.options(20_000).withDiskReserve(0));
                IngestPipeline pipeline = new IngestPipeline(store.writer(), 1024))
            {
                pipeline.createBrand(BRAND).get(30, TimeUnit.SECONDS);
                final ConsentChange change = new ConsentChange();
                final ParsedRecipient recipient = new ParsedRecipient();
                while (published < MAX_CHANGES && outcomes.storeFailures.get() < FAILURES)
                {
                    recipient.phone(905_500_000_000L + published);
                    change.set(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, recipient, ConsentStatus.ONAY,
                        1_700_000_000L, 1_700_000_000L, IysSource.LOCAL, published + 1, 0);
                    pipeline.publish(change, published, outcomes);
                    published++;
                }
                awaitLiveWriter(pipeline);
                assertTrue(outcomes.storeFailures.get() >= FAILURES, "the 8 MiB file system filled up");
                assertTrue(outcomes.firstReason.get().startsWith("disk full"), outcomes.firstReason.get());
                assertEquals(published, outcomes.answered(), "every change was answered");
                assertEquals(outcomes.storeFailures.get() + outcomes.refused.get(), pipeline.failed());
                if (pipeline.faulted())
                {
                    final Counting after = new Counting();
                    pipeline.publish(change, published, after);
                    awaitLiveWriter(pipeline);
                    assertTrue(after.firstReason.get().contains("refused until the server is restarted"),
                        String.valueOf(after.firstReason.get()));
                }
                System.out.printf("published=%d, applied=%d, failed=%d, faulted=%s, writerRestarts=%d, first=%s%n",
                    published, outcomes.applied.get(), outcomes.storeFailures.get(), pipeline.faulted(),
                    pipeline.writerRestarts(), outcomes.firstReason.get());
            }
        }
    }

    /**
     * A barrier answers once every change before it is handled; it may itself fail when the fault of a mapped page
     * surfaces while it runs (the JVM raises it asynchronously), so a few are tried: one must succeed.
     */
    private static void awaitLiveWriter(final IngestPipeline pipeline) throws Exception
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                pipeline.barrier().get(60, TimeUnit.SECONDS);
                return;
            }
            catch (final java.util.concurrent.ExecutionException ex)
            {
                assertTrue(io.iysfilter.server.index.DiskSpaceGuard.isDiskFull(ex.getCause()), ex.toString());
            }
        }
        throw new AssertionError("the writer answers no barrier");
    }

    private static final class Counting implements IngestListener
    {
        final AtomicLong applied = new AtomicLong();
        final AtomicLong other = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong storeFailures = new AtomicLong();
        final AtomicReference<String> firstReason = new AtomicReference<>();

        long answered()
        {
            return applied.get() + other.get() + refused.get() + storeFailures.get();
        }

        @Override
        public void onApplied(final long tag)
        {
            applied.incrementAndGet();
        }

        @Override
        public void onSuperseded(final long tag)
        {
            other.incrementAndGet();
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            refused.incrementAndGet();
        }

        @Override
        public void onStoreFailure(final long tag, final String reason)
        {
            firstReason.compareAndSet(null, reason);
            storeFailures.incrementAndGet();
        }
    }
}
