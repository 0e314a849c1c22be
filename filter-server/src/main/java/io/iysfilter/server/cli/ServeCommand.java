package io.iysfilter.server.cli;

import io.iysfilter.server.FilterServer;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code iys-filter serve}: runs until SIGINT or SIGTERM, then closes the index cleanly. Public for
 * {@link #awaitShutdown}, which the demo (module loadtest) shares.
 */
public final class ServeCommand implements Main.Command
{
    @Override
    public String help()
    {
        return String.join("\n",
            "usage: iys-filter serve --data-dir DIR [--config FILE] [options]",
            "",
            "Serves consent checks from the brand indexes in DIR: the binary protocol (docs/PROTOCOL.md) and the",
            "HTTP API (GET /v1/check, /v1/brands, /health, /metrics). Stops cleanly on SIGINT or SIGTERM.",
            "Settings come from FILE (key=value lines, same names as the options), overridden by environment",
            "variables IYS_FILTER_<NAME> (e.g. IYS_FILTER_HTTP_PORT), overridden by options. --print-config",
            "validates them and prints each with its source (passwords masked) instead of serving.",
            "",
            "  --data-dir DIR                 brand indexes (created if missing)",
            "  --bind ADDR                    listen address (default 127.0.0.1; 0.0.0.0 for all)",
            "  --port N                       binary protocol port (default 7700)",
            "  --http-port N                  HTTP port (default 7701)",
            "  --io-threads N                 event-loop threads (default: number of cores)",
            "  --max-connections N            concurrent binary connections (default 1024)",
            "  --tacir-requires-record B      true (default): TACIR without a record is DENY/NO_CONSENT;",
            "                                 false: ALLOW/TACIR_NO_RECORD",
            "  --freshness-bound D            e.g. 72h (default), 30m, 2d, or off: older data answers STALE",
            "  --unbounded-brands C,C         brands with imported data only: no freshness bound",
            "  --entries-per-map N            sizing of new brand maps (default 10000000)",
            "  --disk-reserve-mb N            refuse changes and opt-outs (disk full) below N MiB usable (default 256)",
            "  --milter-port N|off            milter endpoint for Postfix/Sendmail (default 7702)",
            "  --milter-brand-map FILE        auth:USER / sender:ADDRESS / domain:DOMAIN = BRAND [KIND] lines",
            "  --milter-brand-header B        let an X-IYS-Brand header name the brand (default false)",
            "  --milter-reject-at-rcpt B      refuse recipients without consent at RCPT time (default false)",
            "  --iys-base-url URL             follow İYS's change feed (e.g. https://api.iys.org.tr)",
            "  --iys-code N --iys-brands B,B  the provider and the brands to follow",
            "  --iys-username U --iys-password P   API login (or IYS_USERNAME / IYS_PASSWORD in the environment)",
            "  --iys-poll-interval D          time between polls (default 60s)",
            "  --iys-page-size N              1..999 (default 999)",
            "  --iys-recent-exclusion D       İYS withholds the newest hour (default 1h; off for the emulator)",
            "  --iys-durability fsync|process  sync the index before each cursor write (default fsync)");
    }

    @Override
    public int run(final String[] argv, final PrintStream out, final PrintStream err) throws Exception
    {
        final Set<String> valued = new HashSet<>(ServeSettings.NAMES);
        valued.add("config");
        final Args args = Args.parse(argv, valued, Set.of("print-config"));
        if (!args.positionals().isEmpty())
        {
            throw new Args.UsageException("unexpected argument: " + args.positionals().get(0));
        }
        if (args.has("print-config"))
        {
            out.print(ServeSettings.describe(ServeSettings.read(args, System.getenv())));
            return Main.EXIT_OK;
        }
        final FilterServer.Context context = ServeSettings.resolve(args);
        final FilterServer server = FilterServer.start(context);
        out.printf("iys-filter serving %d brand(s) from %s: binary %s:%d, http http://%s:%d/, milter %s%n",
            server.store().brands().size(), context.dataDirectory(), context.bindAddress(), server.binaryPort(),
            context.bindAddress(), server.httpPort(),
            server.milterPort() < 0 ? "off" : context.bindAddress() + ":" + server.milterPort());
        awaitShutdown(server, null);
        return Main.EXIT_OK;
    }

    /**
     * Block until the JVM is asked to stop, then close the server and run {@code afterClose}, in that order, in
     * one shutdown hook (the JVM runs separate hooks concurrently). {@code afterClose} may be null. A second
     * SIGTERM or SIGINT during the stop exits at once ({@link SignalEscalation}).
     * <p>
     * This hook is the only one that closes the index. Chronicle registers one JVM hook of its own, run at the same
     * time as this one: its Chronicle Map part closes only maps built without {@code skipCloseOnExitHook}, and every
     * brand map is built with it; its other part stops Chronicle's background releaser, which frees only buffers
     * already released (Chronicle Map does not use it) and from then on frees them on the releasing thread.
     *
     * @param server     the running server.
     * @param afterClose what to stop after the server, or null.
     * @throws InterruptedException when interrupted while waiting.
     */
    public static void awaitShutdown(final FilterServer server, final Runnable afterClose) throws InterruptedException
    {
        final CountDownLatch stopped = new CountDownLatch(1);
        SignalEscalation.install();
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            server.close();
            if (afterClose != null)
            {
                afterClose.run();
            }
            stopped.countDown();
        }, "iys-filter-shutdown"));
        stopped.await();
    }
}
