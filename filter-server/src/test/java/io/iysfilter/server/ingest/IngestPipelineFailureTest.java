package io.iysfilter.server.ingest;

import com.lmax.disruptor.RingBuffer;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.DiskFullException;
import io.iysfilter.server.index.DiskSpaceGuard;
import io.iysfilter.server.iys.IysSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The single writer survives whatever its store throws, Errors included, and tells whoever waits.
 */
@Timeout(30)
class IngestPipelineFailureTest
{
    /** What the JVM throws when a page of a memory-mapped file cannot be backed (SIGBUS). */
    private static final String SIGBUS = "a fault occurred in an unsafe memory access operation";

    @TempDir
    Path dir;

    @Test
    void shouldReportAChangeThatFailsWithAnErrorAndGoOn() throws Exception
    {
        final FailingWriter writer = new FailingWriter(guard(0));
        try (IngestPipeline pipeline = new IngestPipeline(writer, 64))
        {
            writer.failure = new LinkageError("boom");
            final Outcome first = new Outcome();
            pipeline.publish(change(), 7, first);
            assertEquals("store 7 boom", first.result.get(10, TimeUnit.SECONDS));

            writer.failure = null;
            final Outcome second = new Outcome();
            pipeline.publish(change(), 8, second);
            assertEquals("applied 8", second.result.get(10, TimeUnit.SECONDS), "the writer is still alive");
            assertEquals(1, pipeline.failed());
            assertEquals(1, pipeline.applied());
            assertFalse(pipeline.faulted());
        }
    }

    @Test
    void shouldRefuseEveryChangeUntilRestartAfterAFaultInAMappedFile() throws Exception
    {
        final FailingWriter writer = new FailingWriter(guard(0));
        try (IngestPipeline pipeline = new IngestPipeline(writer, 64))
        {
            writer.failure = new InternalError(SIGBUS);
            final Outcome first = new Outcome();
            pipeline.publish(change(), 7, first);
            assertEquals("store 7 disk full: a page of a memory-mapped index file could not be backed (" + SIGBUS + ")",
                first.result.get(10, TimeUnit.SECONDS));

            writer.failure = null;
            final Outcome second = new Outcome();
            pipeline.publish(change(), 8, second);
            final String refused = second.result.get(10, TimeUnit.SECONDS);
            assertTrue(refused.startsWith("store 8 disk full") &&
                refused.contains("refused until the server is restarted"), refused);
            assertCause(DiskFullException.class, pipeline.writeAhead(change(), "{\"n\":1}", writer));
            assertCause(DiskFullException.class, pipeline.advanceWatermark(1, 1000));
            assertEquals(List.of(), writer.logCalls, "nothing written after the fault");
            assertEquals(0, writer.applied);
            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertTrue(pipeline.faulted());
            assertEquals(3, pipeline.failed());
            assertEquals(1, writer.faults.size(), "the store is told once, to hold every brand damaged");
            assertTrue(writer.faults.get(0).startsWith("disk full: a page of a memory-mapped index file"),
                writer.faults.get(0));
        }
    }

    @Test
    void shouldAnswerEveryControlEventThatFailsWithAnError() throws Exception
    {
        final FailingWriter writer = new FailingWriter(guard(0));
        try (IngestPipeline pipeline = new IngestPipeline(writer, 64))
        {
            writer.failure = new LinkageError("boom");
            assertCause(LinkageError.class, pipeline.createBrand(1));
            assertCause(LinkageError.class, pipeline.advanceWatermark(1, 1000));
            assertCause(LinkageError.class, pipeline.barrier());
            assertCause(LinkageError.class, pipeline.runOnWriter(index -> index.apply(change())));
            writer.failure = null;
            pipeline.barrier().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldRunATaskOnTheWriterAfterWhatWasPublishedBeforeItAndAnswerIt() throws Exception
    {
        final FailingWriter writer = new FailingWriter(guard(0));
        try (IngestPipeline pipeline = new IngestPipeline(writer, 64))
        {
            final Outcome published = new Outcome();
            pipeline.publish(change(), 1, published);
            final CompletableFuture<String> answer = pipeline.runOnWriter(index ->
                Thread.currentThread().getName() + " " + writer.applied + " " + index.apply(change()));
            assertEquals("iys-ingest-writer 1 " + ConsentIndexWriter.APPLIED, answer.get(10, TimeUnit.SECONDS));
            assertEquals("applied 1", published.result.get(10, TimeUnit.SECONDS));
            assertEquals(2, writer.applied);
            assertEquals(1, pipeline.applied(), "a task's changes are its own to count");
        }
    }

    @Test
    void shouldTakeBackTheLogRecordOfAnOptOutWhoseChangeFails() throws Exception
    {
        final FailingWriter writer = new FailingWriter(guard(0));
        try (IngestPipeline pipeline = new IngestPipeline(writer, 64))
        {
            writer.failApplyOnly = true;
            writer.failure = new LinkageError("boom");
            final CompletableFuture<Integer> failed = pipeline.writeAhead(change(), "{\"n\":1}", writer);
            assertCause(LinkageError.class, failed);
            assertEquals(List.of("append {\"n\":1}", "truncate 0"), writer.logCalls);
            assertEquals(1, pipeline.failed());

            writer.failure = null;
            assertEquals(ConsentIndexWriter.APPLIED,
                pipeline.writeAhead(change(), "{\"n\":2}", writer).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldRefuseChangesAndOptOutsBelowTheDiskReserveBeforeWritingAnything() throws Exception
    {
        final FailingWriter writer = new FailingWriter(guard(Long.MAX_VALUE));
        try (IngestPipeline pipeline = new IngestPipeline(writer, 64))
        {
            final Outcome refused = new Outcome();
            pipeline.publish(change(), 3, refused);
            final String result = refused.result.get(10, TimeUnit.SECONDS);
            assertTrue(result.startsWith("store 3 disk full: ") && result.contains("below the reserve"), result);

            assertCause(DiskFullException.class, pipeline.writeAhead(change(), "{\"n\":1}", writer));
            assertEquals(List.of(), writer.logCalls, "nothing written");
            assertEquals(0, writer.applied);
            assertEquals(2, pipeline.failed());
        }
    }

    private DiskSpaceGuard guard(final long reserveBytes) throws IOException
    {
        return new DiskSpaceGuard(Files.getFileStore(dir), dir.toString(), reserveBytes);
    }

    private static void assertCause(final Class<? extends Throwable> expected, final CompletableFuture<?> future)
    {
        final ExecutionException ex = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
        assertInstanceOf(expected, ex.getCause());
    }

    private static ConsentChange change()
    {
        final ParsedRecipient recipient = new ParsedRecipient();
        new RecipientParser().parse("+905321111111", recipient);
        return new ConsentChange().set(1, Channel.MESAJ, RecipientType.BIREYSEL, recipient, ConsentStatus.RET,
            1_700_000_000L, 1_700_000_000L, IysSource.LOCAL, 42, 0);
    }

    @Test
    void shouldNeverSkipASlotItsPublisherHasNotPublishedYet() throws Exception
    {
        final RingBuffer<IngestEvent> ring = RingBuffer.createMultiProducer(IngestEvent::new, 8);
        final IngestPipeline.Backstop backstop =
            new IngestPipeline.Backstop(new IngestEventHandler(new FailingWriter(guard(0))), ring);
        final long claimed = ring.next();
        final Outcome outcome = new Outcome();
        ring.get(claimed).type = IngestEvent.CHANGE;
        ring.get(claimed).listener = outcome;
        final InternalError late = new InternalError(SIGBUS);

        assertSame(late, assertThrows(InternalError.class, () -> backstop.handleEventException(late, claimed, null)),
            "raised while waiting for the slot: handed on, so that the loop restarts at that same sequence");
        assertSame(outcome, ring.get(claimed).listener, "the slot is left to its publisher");
        assertFalse(outcome.result.isDone());

        ring.publish(claimed);
        backstop.handleEventException(late, claimed, ring.get(claimed));
        assertTrue(outcome.result.get(1, TimeUnit.SECONDS).startsWith("store " + claimed),
            "a published event the processor skips is answered");
    }

    private static final class Outcome implements IngestListener
    {
        final CompletableFuture<String> result = new CompletableFuture<>();

        @Override
        public void onApplied(final long tag)
        {
            result.complete("applied " + tag);
        }

        @Override
        public void onSuperseded(final long tag)
        {
            result.complete("superseded " + tag);
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
            result.complete("failed " + tag + " " + reason);
        }

        @Override
        public void onStoreFailure(final long tag, final String reason)
        {
            result.complete("store " + tag + " " + reason);
        }
    }

    /**
     * Throws {@link #failure} from every method while it is set (from apply only, with {@link #failApplyOnly}).
     */
    private static final class FailingWriter implements ConsentIndexWriter, WriteAheadLog
    {
        final List<String> logCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> faults = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final DiskSpaceGuard guard;
        volatile Error failure;
        volatile boolean failApplyOnly;
        volatile int applied;

        FailingWriter(final DiskSpaceGuard guard)
        {
            this.guard = guard;
        }

        private void maybeFail(final boolean apply)
        {
            final Error error = failure;
            if (error != null && (apply || !failApplyOnly))
            {
                throw error;
            }
        }

        @Override
        public BrandIndex createBrand(final long brandCode)
        {
            maybeFail(false);
            return null;
        }

        @Override
        public int apply(final ConsentChange change)
        {
            maybeFail(true);
            applied++;
            return APPLIED;
        }

        @Override
        public void advanceWatermark(final long brandCode, final long watermarkMs)
        {
            maybeFail(false);
        }

        @Override
        public long append(final long brandCode, final String record)
        {
            maybeFail(false);
            logCalls.add("append " + record);
            return 0;
        }

        @Override
        public void truncate(final long brandCode, final long position)
        {
            maybeFail(false);
            logCalls.add("truncate " + position);
        }

        @Override
        public DiskSpaceGuard diskSpace()
        {
            return guard;
        }

        @Override
        public void checkpoint()
        {
            maybeFail(false);
        }

        @Override
        public void faulted(final String cause)
        {
            faults.add(cause);
        }
    }
}
