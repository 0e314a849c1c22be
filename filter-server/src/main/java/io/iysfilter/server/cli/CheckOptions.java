package io.iysfilter.server.cli;

import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a client command asks a running server, and which server: the options {@code check} and {@code scrub}
 * share, declared once and mixed into both ({@code @Mixin}).
 */
final class CheckOptions
{
    @Option(names = "--brand", required = true, paramLabel = "CODE", converter = Converters.Code.class,
        description = "the brand's İYS code")
    long brand;

    @Option(names = "--channel", required = true, paramLabel = "ARAMA|MESAJ|EPOSTA",
        converter = Converters.ChannelName.class, description = "the channel")
    Channel channel;

    @Option(names = "--recipient-type", paramLabel = "BIREYSEL|TACIR", converter = Converters.RecipientTypeName.class,
        description = "the recipient's type (default: none given, decided as BIREYSEL)")
    RecipientType type = RecipientType.UNSPECIFIED;

    @Option(names = "--kind", paramLabel = "COMMERCIAL|TRANSACTIONAL", converter = Converters.KindName.class,
        description = "the message's kind (default COMMERCIAL)")
    MessageKind kind = MessageKind.COMMERCIAL;

    @Option(names = "--dealer", paramLabel = "CODE", converter = Converters.Code.class,
        description = "the İYS number of the dealer (bayi) that would send (default: none, the brand sends; needs a " +
            "server of protocol version 4)")
    long dealer = FilterClient.NO_DEALER;

    @Option(names = "--host", paramLabel = "H", description = "the server (default 127.0.0.1)")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "P", converter = Converters.Port.class,
        description = "its binary protocol port (default 7700)")
    int port = 7700;

    @Mixin
    TlsClientOptions tls = new TlsClientOptions();

    @Option(names = "--token-file", paramLabel = "FILE", description = "file whose first line is the bearer token " +
        "to send (a server with a clients file requires one; never on the command line, where `ps` shows it)")
    String tokenFile;

    /**
     * @return the token of {@code --token-file}, or null when none is given.
     * @throws UsageException when the file cannot be read or holds no token.
     */
    String token()
    {
        if (tokenFile == null)
        {
            return null;
        }
        try
        {
            final List<String> lines = Files.readAllLines(Path.of(tokenFile), StandardCharsets.US_ASCII);
            final String token = lines.isEmpty() ? "" : lines.get(0).strip();
            if (token.isEmpty())
            {
                throw new UsageException("token-file: " + tokenFile + " is empty (expected: the token on its first " +
                    "line, as `iys-filter token new` printed it)");
            }
            return token;
        }
        catch (final IOException ex)
        {
            throw new UsageException("token-file: cannot read " + tokenFile + ": " + ex.getMessage());
        }
    }

    /**
     * @param options connection options.
     * @return them with the token of {@code --token-file}, if one is given.
     */
    FilterClient.Options withToken(final FilterClient.Options options)
    {
        final String token = token();
        try
        {
            return token == null ? options : options.withToken(token);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UsageException("token-file: " + tokenFile + ": " + ex.getMessage());
        }
    }
}
