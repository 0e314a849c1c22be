package io.iysfilter.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TLS handshake that fails at once is told as a TLS failure, never as a closed plaintext connection: the failure
 * closes the connection on the client's event loop, which empties its pipeline, and the connecting thread looked
 * for the TLS handler there (found none, took the connection for plaintext, and failed its HELLO on a closed
 * connection). A server on 127.0.0.1 that answers every connection with bytes that are no TLS record, and closes,
 * makes the handshake fail as soon as the connection is made: the race the connecting thread loses most often.
 */
@Timeout(60)
class FilterClientTlsFailureTest
{
    private static final int ATTEMPTS = 200;

    @Test
    void shouldReportAHandshakeThatFailsAtOnceAsATlsFailureEveryTime() throws Exception
    {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()))
        {
            final Thread answering = new Thread(() -> answerWithGarbage(server), "not-tls");
            answering.setDaemon(true);
            answering.start();
            final FilterClient.Options options = FilterClient.Options.of("127.0.0.1", server.getLocalPort())
                .withTls(ClientTls.builder().build());
            for (int attempt = 0; attempt < ATTEMPTS; attempt++)
            {
                final FilterClientException refused =
                    assertThrows(FilterClientException.class, () -> FilterClient.connect(options).close());
                assertTrue(refused.getMessage().contains("TLS handshake"), "attempt " + attempt + ": " +
                    refused.getMessage());
            }
        }
    }

    private static void answerWithGarbage(final ServerSocket server)
    {
        final byte[] notTls =
            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        while (!server.isClosed())
        {
            try (Socket peer = server.accept())
            {
                final OutputStream out = peer.getOutputStream();
                out.write(notTls);
                out.flush();
            }
            catch (final IOException ex)
            {
                // closed at the test's end, or a peer gone: the next accept tells
            }
        }
    }
}
