package io.iysfilter.server.cli;

import io.iysfilter.client.BatchEntry;
import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.receipts.ReceiptSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A receipt end to end, as an operator would hand one over: a real server with receipts on answers over the binary
 * protocol with decision ids; {@code GET /v1/receipts} finds each decision of a recipient under the id the client was
 * given, with what was answered; after the server stops, {@code receipts verify} finds the day's chain whole and
 * {@code receipts find} returns the same receipts with the day's digest.
 */
class ReceiptsEndToEndIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void aDecisionsReceiptIsFoundUnderItsIdAndItsDayVerifies() throws Exception
    {
        final Path dataDir = dir.resolve("data");
        Fixtures.write(dataDir);
        final Path keyFile = TestKeys.writeKeyFile(dir.resolve("data.key"));
        final CheckResult allowed;
        final CheckResult denied;
        final List<CheckResult> batch;
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)
            .receipts(ReceiptSettings.defaults(dataDir.resolve("receipts"))));
            FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            allowed = client.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, Fixtures.CONSENTED);
            denied = client.checkBlocking(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                MessageKind.COMMERCIAL, Fixtures.REJECTED);
            batch = client.checkBatch(Fixtures.BRAND, List.of(
                new BatchEntry(Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, Fixtures.CONSENTED),
                new BatchEntry(Channel.ARAMA, RecipientType.TACIR, MessageKind.COMMERCIAL, Fixtures.CONSENTED)))
                .get(30, TimeUnit.SECONDS);
            assertEquals(Verdict.ALLOW, allowed.verdict());
            assertEquals(Reason.CONSENT, allowed.reason());
            assertEquals(Reason.REJECTED, denied.reason());
            assertNotEquals(0, allowed.decisionId(), "a recorded decision has an id");
            assertTrue(Long.compareUnsigned(allowed.decisionId(), denied.decisionId()) < 0, "ids are ordered");
            assertTrue(Long.compareUnsigned(denied.decisionId(), batch.get(0).decisionId()) < 0);
            assertTrue(Long.compareUnsigned(batch.get(0).decisionId(), batch.get(1).decisionId()) < 0);

            // the journal seals its open block within a fraction of a second; the search reads sealed blocks
            final String query = "/v1/receipts?brand=" + Fixtures.BRAND + "&recipient=" +
                URLEncoder.encode(Fixtures.CONSENTED, StandardCharsets.UTF_8);
            String body = "";
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!body.contains("\"count\":3,"))
            {
                assertTrue(System.nanoTime() < deadline, "three receipts of " + Fixtures.CONSENTED + " found: " +
                    body);
                final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" +
                    server.httpPort() + query)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
                body = response.body();
            }
            for (final CheckResult result : new CheckResult[]{allowed, batch.get(0), batch.get(1)})
            {
                assertTrue(body.contains("\"decisionId\":\"" + result.decisionIdText() + "\""), body);
            }
            assertFalse(body.contains(denied.decisionIdText()), "another recipient's receipt is not returned");
            assertTrue(body.contains("\"reason\":\"CONSENT\""), body);
            assertTrue(body.contains("\"reason\":\"NO_CONSENT\""), "ARAMA TACIR has no record: " + body);
            assertFalse(body.contains("5321111111"), "the answer never holds the recipient");
        }

        final Run verify = run("receipts", "verify", "--data-dir", dataDir.toString());
        assertEquals(Main.EXIT_OK, verify.exit(), verify.out() + verify.err());
        assertTrue(verify.out().contains("OK"), verify.out());

        final Run find = run("receipts", "find", "--brand", Long.toString(Fixtures.BRAND), "--recipient",
            Fixtures.REJECTED, "--data-dir", dataDir.toString(), "--key-file", keyFile.toString(), "--format", "csv");
        assertEquals(Main.EXIT_OK, find.exit(), find.err());
        assertTrue(find.out().contains(denied.decisionIdText()), find.out());
        assertTrue(find.out().contains("REJECTED"), find.out());
        assertFalse(find.out().contains(allowed.decisionIdText()), find.out());
    }

    private record Run(int exit, String out, String err)
    {
    }

    private static Run run(final String... argv)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
