package io.iysfilter.server.optout;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.ingest.IngestPipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-out service below the HTTP edge: what it validates, what it records, lists and replays.
 */
@Timeout(60)
class OptOutsTest
{
    @TempDir
    Path dataDir;

    @Test
    void shouldRefuseEachInvalidFieldBeforeWritingAnything() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000));
            IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            OptOuts optOuts = new OptOuts(store, pipeline))
        {
            assertInvalid(optOuts, Map.of("brand", "x", "channel", "MESAJ", "recipient", Fixtures.CONSENTED),
                "brand: 'x'");
            assertInvalid(optOuts, valid("channel", "FAX"), "channel: 'FAX'");
            assertInvalid(optOuts, valid("recipientType", "UNSPECIFIED"), "recipientType: 'UNSPECIFIED'");
            assertInvalid(optOuts, valid("recipient", Fixtures.EMAIL), "recipient: '" + Fixtures.EMAIL + "'");
            assertInvalid(optOuts, valid("source", "no spaces"), "source: 'no spaces'");
            assertInvalid(optOuts, valid("time", "2999-01-01T00:00:00Z"), "time: '2999-01-01T00:00:00Z'");

            final OptOuts.Result unknown = optOuts.record(valid("brand", "123")).get(10, TimeUnit.SECONDS);
            assertEquals(OptOuts.Outcome.UNKNOWN_BRAND, unknown.outcome());
            assertEquals("no index for brand 123", unknown.message());

            pipeline.barrier().get(10, TimeUnit.SECONDS);
            assertEquals(0, pipeline.applied(), "nothing reached the writer");
            assertFalse(Files.exists(store.brand(Fixtures.BRAND).directory().resolve(OptOutLog.FILE_NAME)));
        }
    }

    @Test
    void shouldRecordListAndReplayAnOptOut() throws Exception
    {
        Fixtures.write(dataDir);
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000)))
        {
            final IngestPipeline pipeline = new IngestPipeline(store.writer(), 64);
            final OptOuts optOuts = new OptOuts(store, pipeline);
            try
            {
                final OptOuts.Result recorded = optOuts.record(valid("source", "SMS_STOP"))
                    .get(10, TimeUnit.SECONDS);
                assertEquals(OptOuts.Outcome.APPLIED, recorded.outcome(), String.valueOf(recorded.message()));
                final OptOut optOut = recorded.optOuts().get(0);
                assertEquals(Channel.MESAJ, optOut.channel());
                assertEquals("SMS_STOP", optOut.source());

                assertEquals(ConsentIndexWriter.SUPERSEDED, optOuts.write(optOut).get(10, TimeUnit.SECONDS),
                    "the same opt-out again changes nothing in the index");

                final OptOuts.Result listed = optOuts.list(Long.toString(Fixtures.BRAND));
                assertEquals(OptOuts.Outcome.LISTED, listed.outcome());
                assertEquals(List.of(optOut, optOut), listed.optOuts(), "both are in the log");
                assertEquals(OptOuts.Outcome.INVALID, optOuts.list("-1").outcome());
                assertEquals(OptOuts.Outcome.UNKNOWN_BRAND, optOuts.list("123").outcome());

                final OptOutReplay replay = optOuts.replay();
                assertEquals(2, replay.records());
                assertEquals(0, replay.reapplied(), "the index holds them already");
                assertEquals(2, replay.held());
                assertEquals(0, optOuts.logRepairs());
            }
            finally
            {
                pipeline.close();
                optOuts.close();
            }
        }
    }

    private static void assertInvalid(final OptOuts optOuts, final Map<String, String> fields, final String prefix)
        throws Exception
    {
        final OptOuts.Result result = optOuts.record(fields).get(10, TimeUnit.SECONDS);
        assertEquals(OptOuts.Outcome.INVALID, result.outcome(), fields.toString());
        assertTrue(result.message().startsWith(prefix), result.message());
        assertTrue(result.optOuts().isEmpty());
    }

    private static Map<String, String> valid(final String name, final String value)
    {
        final Map<String, String> fields = new HashMap<>(Map.of("brand", Long.toString(Fixtures.BRAND),
            "channel", "MESAJ", "recipient", Fixtures.CONSENTED));
        fields.put(name, value);
        return fields;
    }
}
