package io.iysfilter.server;

import io.iysfilter.client.CheckResult;
import io.iysfilter.client.FilterClient;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.index.BrandIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the server answers every request already sent before it closes connections, then closes the index
 * cleanly.
 */
@Timeout(60)
class GracefulShutdownIT
{
    @TempDir
    Path dataDir;

    @Test
    void shouldAnswerEverythingInFlightThenCloseCleanly() throws Exception
    {
        Fixtures.write(dataDir);
        final FilterServer server = FilterServer.start(Fixtures.context(dataDir));
        final BrandIndex brand = server.store().brand(Fixtures.BRAND);
        final int requests = 20_000;
        final List<CompletableFuture<CheckResult>> answers = new ArrayList<>(requests);
        try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            for (int i = 0; i < requests; i++)
            {
                answers.add(client.check(Fixtures.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, Fixtures.bulkPhone(i % Fixtures.BULK)));
            }
            // check() hands each write to the client's event loop: two turns of it (the second after the flush the
            // writes schedule) and every request is on the wire, sent, before the server is told to stop. The drain
            // answers what was sent; a client still queueing after 100 ms of silence is not in flight.
            for (int turn = 0; turn < 2; turn++)
            {
                client.executor().submit(() ->
                {
                }).get(30, TimeUnit.SECONDS);
            }
            server.close();
            for (int i = 0; i < requests; i++)
            {
                assertEquals(i % Fixtures.BULK % 2 == 0 ? Reason.CONSENT : Reason.REJECTED,
                    answers.get(i).get().reason(), "request " + i + " was in flight at close and is answered");
            }
        }
        assertTrue(Files.readString(brand.directory().resolve("brand.meta")).contains("state=closed"),
            "the index was closed cleanly");
    }
}
