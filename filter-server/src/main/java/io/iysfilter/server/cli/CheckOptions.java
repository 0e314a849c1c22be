package io.iysfilter.server.cli;

import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

    @Option(names = "--host", paramLabel = "H", description = "the server (default 127.0.0.1)")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "P", converter = Converters.Port.class,
        description = "its binary protocol port (default 7700)")
    int port = 7700;

    @Mixin
    TlsClientOptions tls = new TlsClientOptions();
}
