package io.iysfilter.server.net;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class TlsHandshakeWatchTest
{
    @Test
    void shouldNeverLogTheBytesAPlaintextPeerSent()
    {
        final String token = "iysf_plaintext-token-that-must-not-reach-the-log";
        final byte[] sent = ("GET /v1/check?recipient=%2B905321234567 HTTP/1.1\r\nAuthorization: Bearer " + token +
            "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        // as Netty's SslHandler builds it: the message is a hex dump of what the peer sent
        final Throwable cause = new DecoderException(new NotSslRecordException("not an SSL/TLS record: " +
            ByteBufUtil.hexDump(sent)));
        final ServerTls.Failure failure = TlsHandshakeWatch.classify(cause);
        assertEquals(ServerTls.Failure.PLAINTEXT, failure);
        final String logged = TlsHandshakeWatch.causeText(failure, cause);
        assertFalse(logged.contains(ByteBufUtil.hexDump(token.getBytes(StandardCharsets.US_ASCII))), logged);
        assertFalse(logged.contains(ByteBufUtil.hexDump("905321234567".getBytes(StandardCharsets.US_ASCII))), logged);
    }
}
