package io.iysfilter.server.resp;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client program outside the JVM (redis-cli, Debian's Python with python3-redis) run as a child process with a
 * bounded wait, its output read from files so that a large answer cannot block it.
 */
final class ExternalClient
{
    /** Longest a client run may take; each asks a few thousand questions on loopback, in well under a second. */
    static final long RUN_TIMEOUT_SECONDS = 60;

    private ExternalClient()
    {
    }

    /**
     * @param exit   the exit status.
     * @param out    what it wrote to standard output.
     * @param err    what it wrote to standard error.
     */
    record Run(int exit, String out, String err)
    {
        List<String> lines()
        {
            return out.lines().toList();
        }

        @Override
        public String toString()
        {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /**
     * Skip when a tool is missing here, but fail on CI ({@code CI} set), where .ci/run installs it: a test that
     * silently skipped there would prove nothing.
     *
     * @param present whether the tool is there.
     * @param why     what is missing and how to get it.
     */
    static void require(final boolean present, final String why)
    {
        if (!present)
        {
            if (System.getenv("CI") != null)
            {
                fail(why);
            }
            Assumptions.abort(why);
        }
    }

    /**
     * @param command program and arguments.
     * @param stdin   standard input, or null for none.
     * @param env     variables added to the environment.
     * @param work    where the input and output files go.
     * @return how it ended.
     */
    static Run run(final List<String> command, final String stdin, final Map<String, String> env, final Path work)
        throws IOException, InterruptedException
    {
        final Path in = Files.writeString(Files.createTempFile(work, "stdin", ".txt"), stdin == null ? "" : stdin);
        final Path out = Files.createTempFile(work, "stdout", ".txt");
        final Path err = Files.createTempFile(work, "stderr", ".txt");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectInput(in.toFile())
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("REDISCLI_AUTH");
        builder.environment().putAll(env);
        final Process process = builder.start();
        if (!process.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor();
            fail(command.get(0) + " did not end within " + RUN_TIMEOUT_SECONDS + " s: " + command + "\n" +
                Files.readString(out, StandardCharsets.UTF_8) + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    }

    /**
     * @param program a program's name.
     * @return whether it is an executable on the PATH.
     */
    static boolean onPath(final String program)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return false;
        }
        for (final String dir : path.split(":"))
        {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program)))
            {
                return true;
            }
        }
        return false;
    }
}
