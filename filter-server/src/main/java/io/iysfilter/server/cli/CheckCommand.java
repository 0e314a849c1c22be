package io.iysfilter.server.cli;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code iys-filter check}: one question to a running server over the binary protocol.
 */
@Command(name = "check", sortOptions = false, description = {
    "ask a running server whether a message may be sent",
    "",
    "Asks a running server whether brand CODE may send a message on the channel to R (a phone in any common " +
        "Turkish form, or an e-mail) and prints the verdict, the reason and the brand data's as-of time.",
    "Exit status: 0 for ALLOW, 1 for DENY, 2 for any error."})
final class CheckCommand implements Callable<Integer>
{
    private final PrintStream out;
    private final PrintStream err;

    @Mixin
    private CheckOptions ask = new CheckOptions();

    @Option(names = "--recipient", required = true, paramLabel = "R", converter = Converters.NonBlank.class,
        description = "phone number or e-mail address")
    private String recipient;

    @Option(names = "--timeout-ms", paramLabel = "MS", description = "connect and answer timeout, 1..600000 " +
        "(default 5000)")
    private long timeoutMs = 5000;

    CheckCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call()
    {
        UsageException.inRange("timeout-ms", timeoutMs, 1, 600_000);
        final FilterClient.Options options = ask.withToken(new FilterClient.Options(ask.host, ask.port, timeoutMs,
            timeoutMs, FilterClient.Options.RECONNECT_BACKOFF_MS_DEFAULT).withTls(ask.tls.clientTls()));
        try (FilterClient client = FilterClient.connect(options))
        {
            final CheckResult result = client.checkBlocking(ask.brand, ask.channel, ask.type, ask.kind,
                recipient, ask.dealer);
            out.printf("%s %s (brand %d, %s %s, data as of %s%s)%n", result.verdict(), result.reason(),
                ask.brand, ask.channel, recipient,
                result.asOfMs() == 0 ? "unknown" : Instant.ofEpochMilli(result.asOfMs()),
                result.decisionId() == 0 ? "" : ", decision " + result.decisionIdText());
            return result.allowed() ? Main.EXIT_OK : Main.EXIT_DENY;
        }
        catch (final FilterClientException ex)
        {
            err.println("iys-filter check: " + ex.getMessage());
            return Main.EXIT_ERROR;
        }
    }
}
