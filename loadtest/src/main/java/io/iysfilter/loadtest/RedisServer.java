package io.iysfilter.loadtest;

import io.iysfilter.client.FilterClient;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;

/**
 * A throw-away Redis for the side-by-side comparison: installed from Debian packages when missing, started on
 * 127.0.0.1 with persistence off, loaded with the workload's recipients ({@link RedisBenchmark} measures it) and
 * stopped by its PID.
 */
public final class RedisServer implements AutoCloseable
{
    private static final long START_TIMEOUT_MS = 10_000;
    private static final long INSTALL_TIMEOUT_MS = 600_000;
    private static final int MSET_PAIRS = 500;
    private static final int MSET_WINDOW = 32;

    private final int port;
    private final Path directory;
    private final long pid;
    private final Path serverBinary;

    private RedisServer(final int port, final Path directory, final long pid, final Path serverBinary)
    {
        this.port = port;
        this.directory = directory;
        this.pid = pid;
        this.serverBinary = serverBinary;
    }

    /**
     * @param program e.g. {@code redis-server}.
     * @return where it is on the PATH (or in /usr/bin), if anywhere.
     */
    public static Optional<Path> which(final String program)
    {
        final List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/bin");
        for (final String dir : dirs)
        {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate))
            {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Install {@code redis-server} (which brings {@code redis-benchmark} and {@code redis-cli}) from Debian packages
     * when either is missing: as root, or through {@code sudo -n}. The packaged service is kept from starting.
     *
     * @param log where apt's progress goes.
     * @throws IOException when it cannot be installed.
     * @throws InterruptedException when interrupted.
     */
    public static void ensureInstalled(final PrintStream log) throws IOException, InterruptedException
    {
        if (which("redis-server").isPresent() && which("redis-benchmark").isPresent())
        {
            return;
        }
        final boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && which("sudo").isEmpty())
        {
            throw new IOException("Redis is not installed and this user can neither install packages nor sudo; " +
                "install it with: apt-get install redis-server");
        }
        log.println("installing redis-server from Debian packages...");
        final String script = String.join("\n",
            "set -e",
            "created=0",
            "if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d;" +
                " chmod +x /usr/sbin/policy-rc.d; created=1; fi",
            "trap '[ \"$created\" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT",
            "apt-get update -qq",
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server");
        final List<String> command = new ArrayList<>();
        if (!root)
        {
            command.addAll(List.of("sudo", "-n"));
        }
        command.addAll(List.of("bash", "-c", script));
        final int status = run(command, INSTALL_TIMEOUT_MS, log);
        if (status != 0 || which("redis-benchmark").isEmpty())
        {
            throw new IOException("installing redis-server failed: exit status " + status);
        }
    }

    /**
     * Start {@code redis-server} on 127.0.0.1 with persistence off and wait until it answers.
     *
     * @param port      its port.
     * @param directory for its pid file and log.
     * @return the running server.
     * @throws IOException when it does not start.
     * @throws InterruptedException when interrupted.
     */
    public static RedisServer start(final int port, final Path directory) throws IOException, InterruptedException
    {
        return start(port, directory, 1, List.of());
    }

    /**
     * Start {@code redis-server} on 127.0.0.1 with persistence off and wait until it answers.
     *
     * @param port      its port.
     * @param directory for its pid file and log.
     * @param ioThreads its {@code io-threads}; above 1 with {@code io-threads-do-reads yes}.
     * @param cpuPrefix a command prefix that pins it (e.g. {@code taskset -c 1}; the daemon inherits it), or empty.
     * @return the running server.
     * @throws IOException when it does not start.
     * @throws InterruptedException when interrupted.
     */
    public static RedisServer start(final int port, final Path directory, final int ioThreads,
        final List<String> cpuPrefix) throws IOException, InterruptedException
    {
        final Path binary = which("redis-server").orElseThrow(() -> new IOException("redis-server is not installed"));
        Files.createDirectories(directory);
        final Path pidFile = directory.resolve("redis-" + port + ".pid");
        Files.deleteIfExists(pidFile);
        final List<String> command = new ArrayList<>(cpuPrefix);
        command.addAll(List.of(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidFile.toString(),
            "--logfile", directory.resolve("redis-" + port + ".log").toString(), "--dir", directory.toString()));
        if (ioThreads > 1)
        {
            command.addAll(List.of("--io-threads", Integer.toString(ioThreads), "--io-threads-do-reads", "yes"));
        }
        final int status = run(command, START_TIMEOUT_MS, System.err);
        if (status != 0)
        {
            throw new IOException("redis-server exited with status " + status + "; see " + directory);
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank())
        {
            if (System.nanoTime() > deadline)
            {
                throw new IOException("redis-server wrote no pid file " + pidFile);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        final RedisServer server = new RedisServer(port, directory,
            Long.parseLong(Files.readString(pidFile).trim()), binary);
        server.awaitReady(deadline);
        return server;
    }

    private void awaitReady(final long deadlineNs) throws IOException, InterruptedException
    {
        while (true)
        {
            final Optional<String> pong = cli("PING");
            if (pong.isPresent() && pong.get().contains("PONG"))
            {
                return;
            }
            if (System.nanoTime() > deadlineNs)
            {
                throw new IOException("redis-server on port " + port + " does not answer PING");
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    /**
     * @return the server's PID.
     */
    public long pid()
    {
        return pid;
    }

    /**
     * @return its port.
     */
    public int port()
    {
        return port;
    }

    /**
     * @return {@code redis-server --version}'s line.
     * @throws IOException when it cannot be run.
     * @throws InterruptedException when interrupted.
     */
    public String version() throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(serverBinary.toString(), "--version").redirectErrorStream(true)
            .start();
        final String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        process.waitFor(5, TimeUnit.SECONDS);
        return text;
    }

    /**
     * Store every recorded recipient of the workload as {@code c:%012d} → a 16-byte value, and every recorded
     * recipient of its e-mail brand as {@code e:%012d} ({@link Workload#emailRecorded}), with pipelined MSETs.
     *
     * @param workload the model.
     * @return how many keys were stored.
     * @throws Exception when Redis refuses or the connection fails.
     */
    public long load(final Workload workload) throws Exception
    {
        final EventLoopGroup group = FilterClient.newEventLoopGroup(1, false);
        try
        {
            final RespConnection resp = RespConnection.connect(group, "127.0.0.1", port);
            final Semaphore window = new Semaphore(MSET_WINDOW);
            final AtomicReference<String> failure = new AtomicReference<>();
            final long n = workload.recipients();
            long stored = mset(resp, window, failure, n, (index) -> Workload.redisKey(index),
                workload::rejected);
            stored += mset(resp, window, failure, n,
                (index) -> workload.emailRecorded(index) ? Workload.emailRedisKey(index) : null, workload::rejected);
            window.acquire(MSET_WINDOW);
            resp.close();
            if (failure.get() != null)
            {
                throw new IOException("Redis refused MSET: " + failure.get());
            }
            return stored;
        }
        finally
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static long mset(
        final RespConnection resp,
        final Semaphore window,
        final AtomicReference<String> failure,
        final long n,
        final LongFunction<String> keyOf,
        final LongPredicate rejected) throws InterruptedException
    {
        final byte[] mset = "MSET".getBytes(StandardCharsets.US_ASCII);
        final List<byte[]> args = new ArrayList<>(1 + 2 * MSET_PAIRS);
        long stored = 0;
        for (long index = 0; index < n && failure.get() == null; index++)
        {
            final String key = keyOf.apply(index);
            if (key != null)
            {
                if (args.isEmpty())
                {
                    args.add(mset);
                }
                args.add(key.getBytes(StandardCharsets.US_ASCII));
                args.add(value(index, rejected.test(index)));
                stored++;
            }
            if (args.size() == 1 + 2 * MSET_PAIRS || index == n - 1 && !args.isEmpty())
            {
                final byte[][] command = args.toArray(new byte[0][]);
                args.clear();
                window.acquire();
                resp.executor().execute(() -> resp.command((present, error) ->
                {
                    if (error != null)
                    {
                        failure.compareAndSet(null, error);
                    }
                    window.release();
                }, command));
            }
        }
        return stored;
    }

    private static byte[] value(final long index, final boolean rejected)
    {
        final byte[] value = new byte[16];
        value[0] = (byte)(rejected ? 'R' : 'O');
        for (int i = 1; i < 16; i++)
        {
            value[i] = (byte)('0' + (index >>> (i * 3) & 7));
        }
        return value;
    }

    /**
     * @return {@code used_memory} from INFO, bytes, or -1 when it cannot be read.
     * @throws IOException when redis-cli cannot be run.
     * @throws InterruptedException when interrupted.
     */
    public long usedMemory() throws IOException, InterruptedException
    {
        final Optional<String> info = cli("INFO", "memory");
        if (info.isEmpty())
        {
            return -1;
        }
        for (final String line : info.get().split("\r?\n"))
        {
            if (line.startsWith("used_memory:"))
            {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        return -1;
    }

    /**
     * @param args a command.
     * @return what {@code redis-cli} printed for it against this server, or empty when it failed.
     * @throws IOException when redis-cli cannot be run.
     * @throws InterruptedException when interrupted.
     */
    public Optional<String> cli(final String... args) throws IOException, InterruptedException
    {
        return cli(port, args);
    }

    /**
     * @param port a RESP server on 127.0.0.1.
     * @param args a command.
     * @return what {@code redis-cli} printed for it, or empty when it failed or is not installed.
     * @throws IOException when redis-cli cannot be run.
     * @throws InterruptedException when interrupted.
     */
    public static Optional<String> cli(final int port, final String... args) throws IOException, InterruptedException
    {
        final Optional<Path> cli = which("redis-cli");
        if (cli.isEmpty())
        {
            return Optional.empty();
        }
        final List<String> command = new ArrayList<>(List.of(cli.get().toString(), "-h", "127.0.0.1", "-p",
            Integer.toString(port)));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(START_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            return Optional.empty();
        }
        return process.exitValue() == 0 ? Optional.of(text) : Optional.empty();
    }

    /**
     * Stop the server by its PID: SIGTERM, then SIGKILL after 10 s.
     */
    @Override
    public void close()
    {
        ProcessHandle.of(pid).ifPresent((handle) ->
        {
            handle.destroy();
            try
            {
                handle.onExit().get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final Exception ex)
            {
                handle.destroyForcibly();
            }
        });
    }

    /**
     * @return the directory with its pid file and log.
     */
    public Path directory()
    {
        return directory;
    }

    private static int run(final List<String> command, final long timeoutMs, final PrintStream log)
        throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final Thread pump = new Thread(() ->
        {
            try
            {
                process.getInputStream().transferTo(log);
            }
            catch (final IOException ignored)
            {
                // the process went away; its status says how
            }
        }, "redis-output");
        pump.setDaemon(true);
        pump.start();
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within " + timeoutMs + " ms");
        }
        pump.join(1_000);
        return process.exitValue();
    }
}
