package io.iysfilter.loadtest.cli;

import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.server.cli.Main;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An iys-filter server in a child process, for load runs that must not share a JVM with the load generator:
 * started through the launcher when there is one (same JVM flags as {@code iys-filter serve}), else with this JVM's
 * flags and class path (Netty's leak detection off, as the launcher has it); ready once it answers HELLO; stopped by
 * its PID.
 */
final class ServerProcess implements AutoCloseable
{
    private static final long READY_TIMEOUT_MS = 120_000;
    private static final long STOP_TIMEOUT_MS = 15_000;

    private final Process process;
    private final int port;
    private final int httpPort;

    private ServerProcess(final Process process, final int port, final int httpPort)
    {
        this.process = process;
        this.port = port;
        this.httpPort = httpPort;
    }

    /**
     * @param serveArgs arguments after {@code serve}; must include the ports given here.
     * @param port      binary port, to wait for.
     * @param httpPort  HTTP port.
     * @param log       where its output goes.
     * @return a server that answers HELLO.
     * @throws IOException when it does not start or exits.
     * @throws InterruptedException when interrupted.
     */
    static ServerProcess start(final List<String> serveArgs, final int port, final int httpPort, final Path log)
        throws IOException, InterruptedException
    {
        return start(List.of(), serveArgs, port, httpPort, log);
    }

    /**
     * @param cpuPrefix a command prefix that pins it, e.g. {@code taskset -c 1} (it execs, so the PID stays the
     *                  server's), or empty.
     * @param serveArgs arguments after {@code serve}; must include the ports given here.
     * @param port      binary port, to wait for.
     * @param httpPort  HTTP port.
     * @param log       where its output goes.
     * @return a server that answers HELLO.
     * @throws IOException when it does not start or exits.
     * @throws InterruptedException when interrupted.
     */
    static ServerProcess start(
        final List<String> cpuPrefix, final List<String> serveArgs, final int port, final int httpPort, final Path log)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(cpuPrefix);
        command.addAll(commandLine(List.of("serve")));
        command.addAll(serveArgs);
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        final ServerProcess server = new ServerProcess(process, port, httpPort);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        while (true)
        {
            if (!process.isAlive())
            {
                throw new IOException("the server exited with status " + process.exitValue() + "; see " + log +
                    ", which ends:\n" + tail(log));
            }
            try (FilterClient client = FilterClient.connect(new FilterClient.Options("127.0.0.1", port, 5_000,
                1_000, 0)))
            {
                client.serverInfo();
                return server;
            }
            catch (final FilterClientException ex)
            {
                if (System.nanoTime() > deadline)
                {
                    server.close();
                    throw new IOException("the server did not answer within " + READY_TIMEOUT_MS + " ms; see " + log,
                        ex);
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    /**
     * @param args an {@code iys-filter} command and its arguments.
     * @return the command line that runs it in a child process: through the launcher when there is one, else this
     * JVM's class path and flags.
     */
    static List<String> commandLine(final List<String> args)
    {
        final List<String> command = new ArrayList<>();
        final String launcher = System.getProperty("iys.launcher");
        if (launcher != null && !launcher.isEmpty())
        {
            command.add(launcher);
        }
        else
        {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
            {
                if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp"))
                {
                    command.add(arg);
                }
            }
            // as the launcher has it: a test JVM's paranoid leak detection records a stack trace at every access to a
            // buffer, which makes the process under load a different, far slower one (tens of microseconds a frame)
            command.add("-Dio.netty.leakDetection.level=disabled");
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        }
        command.addAll(args);
        return command;
    }

    private static String tail(final Path log)
    {
        try
        {
            final List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        }
        catch (final IOException ex)
        {
            return "(unreadable: " + ex.getMessage() + ")";
        }
    }

    /**
     * @return the server's PID.
     */
    long pid()
    {
        return process.pid();
    }

    /**
     * @return binary port.
     */
    int port()
    {
        return port;
    }

    /**
     * @return HTTP port.
     */
    int httpPort()
    {
        return httpPort;
    }

    /**
     * Stop it by its PID: SIGTERM (a graceful close), then SIGKILL after 15 s.
     */
    @Override
    public void close()
    {
        final ProcessHandle handle = process.toHandle();
        handle.destroy();
        try
        {
            if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                handle.destroyForcibly();
                process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            handle.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
