package io.iysfilter.server.receipts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A process recording decisions is killed with SIGKILL while its drain thread writes the journal: at the next start
 * every decision it answered (printed after {@code record} returned) is in the journal, once, in id order, and the
 * journal verifies.
 */
class ReceiptKillIT
{
    private static final int ANSWERED_BEFORE_KILL = 20_000;

    @TempDir
    Path dir;

    @Test
    void aKill9LosesNoAnsweredDecision() throws Exception
    {
        final Path receipts = dir.resolve("receipts");
        final Path answers = dir.resolve("answers.txt");
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.addAll(List.of(ReceiptKillChild.class.getName(), receipts.toString()));
        final Process child = new ProcessBuilder(command).redirectOutput(answers.toFile())
            .redirectError(dir.resolve("child.log").toFile()).start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (child.isAlive() && Files.size(answers) < ANSWERED_BEFORE_KILL * 17L)
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                // the child's log says why (a journal that stopped draining answers nothing under policy deny)
                fail("the child answered too little: " + Files.size(answers) + " bytes; its log: " +
                    Files.readString(dir.resolve("child.log")) + "\nits threads:\n" + threadDump(child));
            }
            Thread.onSpinWait();
        }
        assertTrue(child.isAlive(), "still recording when killed: " + Files.readString(dir.resolve("child.log")));
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), "killed with SIGKILL");

        final Set<Long> answered = new HashSet<>();
        for (final String line : Files.readAllLines(answers, StandardCharsets.US_ASCII))
        {
            if (line.length() == 16)
            {
                answered.add(Long.parseUnsignedLong(line, 16));
            }
        }
        assertTrue(answered.size() >= ANSWERED_BEFORE_KILL, "answered " + answered.size());

        // the next start: the queue's receipts above the journal's last id are appended before anything is served
        try (ReceiptRecorder restarted = ReceiptRecorder.open(new ReceiptSettings(receipts, false, 730, 4096),
            System.currentTimeMillis(), 256 * 1024))
        {
            assertEquals(2, restarted.parties().run());
        }

        final List<Long> journal = new ArrayList<>();
        final Set<String> parties = new HashSet<>();
        try (ReceiptReader reader = ReceiptReader.open(receipts))
        {
            for (final LocalDate day : reader.days())
            {
                reader.scan(day, (id, timeMs, party, receipt) ->
                {
                    journal.add(id);
                    parties.add(party);
                    return true;
                });
            }
            final Verification verification = reader.verifyAll();
            assertTrue(verification.ok(), verification.describe());
        }
        for (int i = 1; i < journal.size(); i++)
        {
            assertTrue(Long.compareUnsigned(journal.get(i - 1), journal.get(i)) < 0, "in id order, once each");
        }
        final Set<Long> missing = new HashSet<>(answered);
        missing.removeAll(journal);
        assertEquals(Set.of(), missing, "answered decisions missing from the journal after the kill");
        assertEquals(Set.of("peer:127.0.0.1", "peer:127.0.0.2"), parties, "named after the crash");
    }

    /**
     * The child's threads as {@code jcmd PID Thread.print} prints them (the JDK's jcmd beside this JVM's java), to see
     * where a journal that stopped draining waits; what went wrong instead when it cannot be had.
     */
    private static String threadDump(final Process child)
    {
        try
        {
            final Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
            final Path jcmd = java.resolveSibling("jcmd");
            final Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(child.pid()), "Thread.print")
                .redirectErrorStream(true).start();
            final byte[] text = dump.getInputStream().readAllBytes();
            dump.waitFor(30, TimeUnit.SECONDS);
            return new String(text, StandardCharsets.UTF_8);
        }
        catch (final IOException | RuntimeException ex)
        {
            return "(no thread dump: " + ex + ")";
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "(no thread dump: interrupted)";
        }
    }
}
