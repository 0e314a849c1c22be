package io.iysfilter.server.receipts;

import io.iysfilter.server.decision.DecisionIds;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.DecisionFacts;
import io.iysfilter.server.decision.DecisionRecorder;
import io.iysfilter.server.decision.Door;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The process {@link ReceiptKillIT} kills: two threads record decisions as deciders do and "answer" each recorded one
 * by printing its id after {@code record} returned, until killed (bounded: a million ids or a minute, then it waits
 * to be killed without closing anything). A decision the full queue left unrecorded does not count towards the
 * bound: on a loaded machine the drain falls behind (a slow fsync), and the recorder then answers unrecorded at once
 * until the drain releases slots, so counting those ran the threads out of work in seconds with the test still
 * waiting for answers.
 */
final class ReceiptKillChild
{
    private ReceiptKillChild()
    {
    }

    /**
     * @param args the receipts directory.
     * @throws Exception when the recorder cannot be opened.
     */
    public static void main(final String[] args) throws Exception
    {
        final ReceiptRecorder recorder = ReceiptRecorder.open(new ReceiptSettings(Path.of(args[0]), false, 730, 4096),
            System.currentTimeMillis(), 256 * 1024);
        final BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII));
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final Thread[] threads = new Thread[2];
        for (int t = 0; t < threads.length; t++)
        {
            final String peer = "peer:127.0.0." + (t + 1);
            threads[t] = new Thread(() ->
            {
                final int party = recorder.party(Door.BINARY, peer);
                final DecisionFacts facts = new DecisionFacts();
                int recorded = 0;
                while (recorded < 500_000 && System.nanoTime() - deadlineNs < 0)
                {
                    final long nowMs = System.currentTimeMillis();
                    facts.begin(nowMs, 600_001, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL)
                        .asker(Door.BINARY, party).answer(Reason.CONSENT, nowMs);
                    final long id = recorder.record(facts);
                    if (id == DecisionRecorder.NOT_RECORDED)
                    {
                        // the queue is full: leave the cores to the drain rather than spin against it
                        LockSupport.parkNanos(100_000);
                    }
                    else
                    {
                        recorded++;
                        synchronized (out)
                        {
                            try
                            {
                                out.write(DecisionIds.text(id));
                                out.write('\n');
                                out.flush();
                            }
                            catch (final java.io.IOException ex)
                            {
                                throw new java.io.UncheckedIOException(ex);
                            }
                        }
                    }
                }
            });
            threads[t].start();
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
}
