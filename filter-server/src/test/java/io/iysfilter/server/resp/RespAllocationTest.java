package io.iysfilter.server.resp;

import io.iysfilter.server.metrics.ServerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static io.iysfilter.server.resp.RespTestIndex.BRAND;
import static io.iysfilter.server.resp.RespTestIndex.CONSENTED;
import static io.iysfilter.server.resp.RespTestIndex.DEALER;
import static io.iysfilter.server.resp.RespTestIndex.OTHER_DEALER;
import static io.iysfilter.server.resp.RespTestIndex.REJECTED;
import static io.iysfilter.server.resp.RespTestIndex.command;
import static io.iysfilter.server.resp.RespTestIndex.concat;
import static io.iysfilter.server.resp.RespTestIndex.decider;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IYS.CHECK and IYS.MCHECK allocate nothing per decision: measured on this thread alone (so the machine's load and
 * other threads do not count), over many reads of many commands, the bytes allocated per decision stay below what
 * one allocation per decision would cost. What remains is per read (the write of the one reply buffer). Not
 * warmed up for C2 on purpose: the interpreter and C1 allocate whatever the code asks for, so this holds for the
 * code as written, not only once escape analysis has removed something.
 */
class RespAllocationTest
{
    private static final int COMMANDS_PER_READ = 64;
    private static final int READS = 2_000;
    /** Less than the smallest object a decision could allocate (16 bytes): one per decision would exceed it. */
    private static final double MAX_BYTES_PER_DECISION = 8;

    @TempDir
    static Path storeDir;

    private static ResourceLeakDetector.Level leakDetection;

    @BeforeAll
    static void createIndex() throws IOException
    {
        RespTestIndex.open(storeDir);
        // the tests run Netty's leak detection at paranoid, which records a stack trace at every buffer access: the
        // allocation measured would be the detector's; the server runs with it off, as here
        leakDetection = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterAll
    static void closeIndex()
    {
        ResourceLeakDetector.setLevel(leakDetection);
        RespTestIndex.close();
    }

    @Test
    void shouldAllocateNothingPerPipelinedCheck()
    {
        final byte[][] commands = new byte[COMMANDS_PER_READ][];
        for (int i = 0; i < COMMANDS_PER_READ; i++)
        {
            commands[i] = command("IYS.CHECK", Long.toString(BRAND), "MESAJ", i % 2 == 0 ? CONSENTED : REJECTED);
        }
        final double perDecision = bytesPerDecision(concat(commands), COMMANDS_PER_READ);
        assertTrue(perDecision < MAX_BYTES_PER_DECISION, "allocated " + perDecision + " bytes per IYS.CHECK");
    }

    @Test
    void shouldAllocateNothingPerPipelinedDealerCheck()
    {
        final byte[][] commands = new byte[COMMANDS_PER_READ][];
        for (int i = 0; i < COMMANDS_PER_READ; i++)
        {
            // the consent with a list (one more lookup into the reader's own DealerList), another dealer, a RET
            commands[i] = command("IYS.CHECK", Long.toString(BRAND), "MESAJ", i % 3 == 2 ? REJECTED : CONSENTED,
                "DEALER", Long.toString(i % 3 == 1 ? OTHER_DEALER : DEALER));
        }
        final double perDecision = bytesPerDecision(concat(commands), COMMANDS_PER_READ);
        assertTrue(perDecision < MAX_BYTES_PER_DECISION, "allocated " + perDecision + " bytes per dealer IYS.CHECK");
    }

    @Test
    void shouldAllocateNothingPerRecipientOfAMultiCheck()
    {
        final String[] args = new String[3 + 100];
        args[0] = "IYS.MCHECK";
        args[1] = Long.toString(BRAND);
        args[2] = "MESAJ";
        for (int i = 3; i < args.length; i++)
        {
            args[i] = i % 2 == 0 ? CONSENTED : REJECTED;
        }
        final double perDecision = bytesPerDecision(command(args), 100);
        assertTrue(perDecision < MAX_BYTES_PER_DECISION, "allocated " + perDecision + " bytes per recipient");
    }

    private static double bytesPerDecision(final byte[] read, final int decisionsPerRead)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(RespEndpoint.newConnection(decider(),
            new ServerCounters(), "iys-filter/test"));
        final ByteBuf bytes = PooledByteBufAllocator.DEFAULT.directBuffer(read.length);
        bytes.writeBytes(read);
        try
        {
            for (int i = 0; i < READS / 4; i++)
            {
                feed(channel, bytes);
            }
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            final long thread = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < READS; i++)
            {
                feed(channel, bytes);
            }
            final long allocated = threads.getThreadAllocatedBytes(thread) - before;
            return (double)allocated / ((long)READS * decisionsPerRead);
        }
        finally
        {
            bytes.release();
            channel.finishAndReleaseAll();
        }
    }

    private static void feed(final EmbeddedChannel channel, final ByteBuf read)
    {
        channel.pipeline().fireChannelRead(read.retainedDuplicate()).fireChannelReadComplete();
        final ByteBuf replies = channel.readOutbound();
        replies.release();
    }
}
