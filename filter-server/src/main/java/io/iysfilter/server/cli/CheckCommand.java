package io.iysfilter.server.cli;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Set;

/**
 * {@code iys-filter check}: one question to a running server over the binary protocol.
 */
final class CheckCommand implements Main.Command
{
    @Override
    public String help()
    {
        return String.join("\n",
            "usage: iys-filter check --brand CODE --channel ARAMA|MESAJ|EPOSTA --recipient R",
            "                        [--recipient-type BIREYSEL|TACIR] [--kind COMMERCIAL|TRANSACTIONAL]",
            "                        [--host H] [--port P] [--timeout-ms MS]",
            "",
            "Asks a running server whether brand CODE may send a message on the channel to R (a phone in any",
            "common Turkish form, or an e-mail) and prints the verdict, the reason and the brand data's as-of time.",
            "Defaults: --kind COMMERCIAL, no recipient type (decided as BIREYSEL), --host 127.0.0.1, --port 7700.",
            "Exit status: 0 for ALLOW, 1 for DENY, 2 for any error.");
    }

    @Override
    public int run(final String[] argv, final PrintStream out, final PrintStream err)
    {
        final Args args = Args.parse(argv,
            Set.of("brand", "channel", "recipient", "recipient-type", "kind", "host", "port", "timeout-ms"), Set.of());
        final long brand = Args.parseLong("brand", args.required("brand"), 1, 0xFFFF_FFFFL);
        final Channel channel = parseEnum("channel", args.required("channel"), Channel.ARAMA, Channel.MESAJ,
            Channel.EPOSTA);
        final String recipient = args.required("recipient");
        final RecipientType type = args.has("recipient-type") ? parseEnum("recipient-type",
            args.get("recipient-type"), RecipientType.BIREYSEL, RecipientType.TACIR) : RecipientType.UNSPECIFIED;
        final MessageKind kind = args.has("kind") ? parseEnum("kind", args.get("kind"), MessageKind.COMMERCIAL,
            MessageKind.TRANSACTIONAL) : MessageKind.COMMERCIAL;
        final String host = args.get("host", "127.0.0.1");
        final int port = (int)Args.parseLong("port", args.get("port", "7700"), 1, 65535);
        final long timeoutMs = Args.parseLong("timeout-ms", args.get("timeout-ms", "5000"), 1, 600_000);

        final FilterClient.Options options = new FilterClient.Options(host, port, timeoutMs, timeoutMs,
            FilterClient.Options.RECONNECT_BACKOFF_MS_DEFAULT);
        try (FilterClient client = FilterClient.connect(options))
        {
            final CheckResult result = client.checkBlocking(brand, channel, type, kind, recipient);
            out.printf("%s %s (brand %d, %s %s, data as of %s)%n", result.verdict(), result.reason(), brand,
                channel, recipient, result.asOfMs() == 0 ? "unknown" : Instant.ofEpochMilli(result.asOfMs()));
            return result.allowed() ? Main.EXIT_OK : Main.EXIT_DENY;
        }
        catch (final FilterClientException ex)
        {
            err.println("iys-filter check: " + ex.getMessage());
            return Main.EXIT_ERROR;
        }
    }

    @SafeVarargs
    static <E extends Enum<E>> E parseEnum(final String name, final String value, final E... allowed)
    {
        for (final E candidate : allowed)
        {
            if (candidate.name().equals(value))
            {
                return candidate;
            }
        }
        final StringBuilder names = new StringBuilder();
        for (final E candidate : allowed)
        {
            names.append(names.length() == 0 ? "" : ", ").append(candidate.name());
        }
        throw new Args.UsageException(name + ": '" + value + "' (expected: " + names + ")");
    }
}
