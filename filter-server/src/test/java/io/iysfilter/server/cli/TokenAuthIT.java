package io.iysfilter.server.cli;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.client.FilterClientException;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.ErrorCode;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: {@code token new} makes a token and its clients-file lines, a server with that clients file answers
 * the Java client and {@code check --token-file} that send it, and refuses those that do not (UNAUTHORISED) or ask
 * about another brand (FORBIDDEN).
 */
class TokenAuthIT
{
    @TempDir
    Path dataDir;
    @TempDir
    Path conf;

    @Test
    void shouldAnswerTheHolderOfATokenMadeByTokenNewAndNoOneElse() throws Exception
    {
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, Main.run(new String[]{"token", "new", "acme"}, print(printed),
            print(new ByteArrayOutputStream())));
        final List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        final String token = lines.get(1);
        assertTrue(token.startsWith("iysf_"), token);
        final String hashLine = lines.stream().filter((line) -> line.startsWith("token = sha256:")).findFirst()
            .orElseThrow();
        assertFalse(printed.toString(StandardCharsets.UTF_8).lines().skip(2).anyMatch((line) -> line.contains(token)),
            "the token is printed once, the file gets only its digest");
        final Path clients = conf.resolve("clients.conf");
        Files.writeString(clients, "[acme]\nroles = check\nbrands = " + Fixtures.BRAND + "\n" + hashLine + "\n");
        final Path tokenFile = conf.resolve("acme.token");
        Files.writeString(tokenFile, token + "\n");

        Fixtures.write(dataDir);
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir).clientsFile(clients)))
        {
            final FilterClient.Options options = new FilterClient.Options("127.0.0.1", server.binaryPort(), 5_000,
                5_000, 0);
            try (FilterClient client = FilterClient.connect(options.withToken(token)))
            {
                final CheckResult allowed = client.checkBlocking(Fixtures.BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED);
                assertTrue(allowed.allowed());
                final FilterClientException forbidden = assertThrows(FilterClientException.class,
                    () -> client.checkBlocking(Fixtures.STALE_BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                        MessageKind.COMMERCIAL, Fixtures.CONSENTED));
                assertEquals(ErrorCode.FORBIDDEN, forbidden.errorCode(), forbidden.getMessage());
                assertTrue(client.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, Fixtures.CONSENTED).allowed(), "the connection stayed open");
            }
            assertFalse(options.withToken(token).toString().contains(token), "options never print the token");

            final FilterClientException refused = assertThrows(FilterClientException.class, () ->
            {
                try (FilterClient client = FilterClient.connect(options.withToken("iysf_not-a-token")))
                {
                    client.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                        MessageKind.COMMERCIAL, Fixtures.CONSENTED);
                }
            });
            assertEquals(ErrorCode.UNAUTHORISED, refused.errorCode(), refused.getMessage());

            final String port = Integer.toString(server.binaryPort());
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(Main.EXIT_OK, Main.run(new String[]{"check", "--port", port, "--brand",
                Long.toString(Fixtures.BRAND), "--channel", "MESAJ", "--recipient", Fixtures.CONSENTED,
                "--token-file", tokenFile.toString()}, print(out), print(err)), err.toString(StandardCharsets.UTF_8));
            assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("ALLOW CONSENT"), out.toString());

            final ByteArrayOutputStream noTokenErr = new ByteArrayOutputStream();
            assertEquals(Main.EXIT_ERROR, Main.run(new String[]{"check", "--port", port, "--brand",
                Long.toString(Fixtures.BRAND), "--channel", "MESAJ", "--recipient", Fixtures.CONSENTED},
                print(new ByteArrayOutputStream()), print(noTokenErr)));
            assertTrue(noTokenErr.toString(StandardCharsets.UTF_8).contains("authentication required"),
                noTokenErr.toString(StandardCharsets.UTF_8));
        }
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
