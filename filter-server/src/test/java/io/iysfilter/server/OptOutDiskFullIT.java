package io.iysfilter.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.iysfilter.server.optout.OptOutLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local opt-outs while the data directory's file system fills up (a small tmpfs): every POST gets an answer, 201 only
 * for what is in the log and the index, 507 for what is in neither; the log never holds a torn record, the list is
 * always valid JSON, and the server goes on when space returns.
 */
@Timeout(120)
class OptOutDiskFullIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final JsonFactory JSON = new JsonFactory();
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path work;

    @Test
    void shouldRefuseOptOutsBelowTheReserveWith507AndAcceptThemWhenSpaceReturns() throws Exception
    {
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(work.resolve("mnt"), 16))
        {
            final Path dataDir = tmpfs.directory().resolve("data");
            Fixtures.write(dataDir);
            final Path filler = tmpfs.directory().resolve("filler");
            try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)
                .indexOptions(TestKeys.options(10_000).withDiskReserve(4 * MIB))))
            {
                tmpfs.fill(filler, 2 * MIB);
                final HttpResponse<String> refused = post(server, Fixtures.CONSENTED);
                assertEquals(507, refused.statusCode(), refused.body());
                assertValidJson(refused.body());
                assertTrue(refused.body().contains("\"error\":\"disk_full\"") &&
                    refused.body().contains("the opt-out was not recorded: disk full"), refused.body());
                assertEquals("ALLOW", verdict(server, Fixtures.CONSENTED), "not recorded, so not in the index");
                assertEquals(1.0, Scrape.series(server.httpPort()).get("iys_ingest_changes_total{outcome=\"failed\"}"));
                assertEquals("{\"brand\":600001,\"optouts\":[]}", list(server));

                Files.delete(filler);
                final HttpResponse<String> recorded = post(server, Fixtures.CONSENTED);
                assertEquals(201, recorded.statusCode(), recorded.body());
                assertEquals("DENY", verdict(server, Fixtures.CONSENTED));
                assertTrue(list(server).contains(Fixtures.CONSENTED));
            }
        }
    }

    @Test
    void shouldNeverTearTheLogWhenItsAppendRunsOutOfSpace() throws Exception
    {
        try (SmallTmpfs tmpfs = SmallTmpfs.mount(work.resolve("mnt"), 16))
        {
            final Path dataDir = tmpfs.directory().resolve("data");
            Fixtures.write(dataDir);
            final Path log = dataDir.resolve("brands/600001/" + OptOutLog.FILE_NAME);
            final Path filler = tmpfs.directory().resolve("filler");
            try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)
                .indexOptions(TestKeys.options(10_000).withDiskReserve(0))))
            {
                tmpfs.fill(filler, 0);
                final List<String> recorded = new ArrayList<>();
                String refused = null;
                for (int i = 0; i < 200 && refused == null; i += 2)
                {
                    final String phone = Fixtures.bulkPhone(i);
                    final HttpResponse<String> answer = post(server, phone);
                    assertValidJson(answer.body());
                    assertTrue(answer.statusCode() == 201 || answer.statusCode() == 507, answer.body());
                    if (answer.statusCode() == 201)
                    {
                        recorded.add(phone);
                    }
                    else
                    {
                        refused = phone;
                    }
                    assertValidJson(list(server));
                    final OptOutLog.Contents contents = OptOutLog.read(log, TestKeys.KEY, Fixtures.BRAND);
                    assertEquals(0, contents.tornBytes(), "no torn record after answer " + answer.body());
                    assertEquals(recorded.size(), contents.records().size());
                }
                assertTrue(refused != null, "the log ran out of space within 100 opt-outs: recorded=" + recorded);
                assertEquals("ALLOW", verdict(server, refused), "a 507 opt-out is not in the index either");
                assertFalse(list(server).contains(refused), "nor listed for upload");

                Files.delete(filler);
                final HttpResponse<String> after = post(server, refused);
                assertEquals(201, after.statusCode(), after.body());
                recorded.add(refused);
                final String listed = list(server);
                assertValidJson(listed);
                for (final String phone : recorded)
                {
                    assertTrue(listed.contains(phone), phone + " in " + listed);
                    assertEquals("DENY", verdict(server, phone), phone);
                }
                final OptOutLog.Contents contents = OptOutLog.read(log, TestKeys.KEY, Fixtures.BRAND);
                assertEquals(recorded.size(), contents.records().size());
                assertEquals(0, contents.corrupt());
            }
        }
    }

    private static void assertValidJson(final String text) throws Exception
    {
        try (JsonParser json = JSON.createParser(text))
        {
            while (json.nextToken() != null)
            {
                json.skipChildren();
            }
        }
    }

    private static HttpResponse<String> post(final FilterServer server, final String phone) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri(server, "/v1/optouts")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"brand\":600001,\"channel\":\"MESAJ\",\"recipient\":\"" +
                phone + "\",\"source\":\"SMS_STOP\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String list(final FilterServer server) throws Exception
    {
        final HttpResponse<String> list = HTTP.send(HttpRequest.newBuilder(uri(server, "/v1/optouts?brand=600001"))
            .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, list.statusCode(), list.body());
        return list.body();
    }

    static String verdict(final FilterServer server, final String phone) throws Exception
    {
        final String body = HTTP.send(HttpRequest.newBuilder(uri(server, "/v1/check?brand=600001&channel=MESAJ&" +
            "recipient=" + phone.replace("+", "%2B"))).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        return body.contains("\"verdict\":\"ALLOW\"") ? "ALLOW" : "DENY";
    }

    private static URI uri(final FilterServer server, final String path)
    {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }
}
