package io.iysfilter.server;

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
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-out log is written ahead of the index and replayed into it at start: an acknowledged opt-out survives the
 * loss of the index pages that held it (a power cut), a torn tail is truncated, and a log of the format before
 * checksums is read and rewritten.
 */
@Timeout(120)
class OptOutReplayIT
{
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String[] INDEX_FILES = {"phone.cmap", "email.cmap", "brand.meta"};

    @TempDir
    Path dataDir;
    @TempDir
    Path backup;

    @Test
    void shouldPutBackAnAcknowledgedOptOutWhoseIndexPagesWereLost() throws Exception
    {
        Fixtures.write(dataDir);
        final Path brand = dataDir.resolve("brands/600001");
        for (final String file : INDEX_FILES)
        {
            Files.copy(brand.resolve(file), backup.resolve(file));
        }
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            assertEquals(201, post(server, Fixtures.CONSENTED).statusCode());
            assertEquals("DENY", OptOutDiskFullIT.verdict(server, Fixtures.CONSENTED));
        }
        for (final String file : INDEX_FILES)
        {
            Files.copy(backup.resolve(file), brand.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        final String torn = OptOutLog.encode("{\"recordedAt\":\"2026-11-30T07:00:00Z\"").substring(0, 30);
        Files.writeString(brand.resolve(OptOutLog.FILE_NAME), torn, StandardOpenOption.APPEND);

        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            assertEquals("DENY", OptOutDiskFullIT.verdict(server, Fixtures.CONSENTED),
                "replayed from the log although the index had lost it");
            assertEquals(1.0, Scrape.series(server.httpPort()).get("iys_optout_log_repairs_total"),
                "the torn tail is counted");
            assertEquals(201, post(server, Fixtures.REJECTED).statusCode());
            final OptOutLog.Contents contents = OptOutLog.read(brand.resolve(OptOutLog.FILE_NAME), TestKeys.KEY,
                Fixtures.BRAND);
            assertEquals(2, contents.records().size(), "the torn tail was truncated, not glued to the next record");
            assertEquals(0, contents.tornBytes() + contents.corrupt());
            final String listed = list(server);
            assertTrue(listed.contains(Fixtures.CONSENTED) && listed.contains(Fixtures.REJECTED), listed);
        }
    }

    @Test
    void shouldReadALogOfTheFormatBeforeChecksumsReplayItAndRewriteIt() throws Exception
    {
        Fixtures.write(dataDir);
        final Path log = dataDir.resolve("brands/600001/" + OptOutLog.FILE_NAME);
        final String now = java.time.Instant.now().toString();
        final String first = oldRecord(now, Fixtures.CONSENTED);
        final String second = oldRecord(now, Fixtures.bulkPhone(0));
        Files.writeString(log, first + "\n" + second.substring(0, 40) + second + "\n");

        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            assertEquals("DENY", OptOutDiskFullIT.verdict(server, Fixtures.CONSENTED));
            assertEquals("DENY", OptOutDiskFullIT.verdict(server, Fixtures.bulkPhone(0)),
                "the record glued behind a torn line is recovered");
            final String listed = list(server);
            assertTrue(listed.startsWith("{\"brand\":600001,\"optouts\":[{\"recordedAt\":") &&
                listed.contains(Fixtures.CONSENTED) && listed.contains(Fixtures.bulkPhone(0)), listed);
        }
        assertEquals(List.of(first, second), OptOutLog.read(log, TestKeys.KEY, Fixtures.BRAND).records());
        final String sealed = Files.readString(log);
        assertTrue(sealed.matches("(?s)([0-9a-f]{8} [A-Za-z0-9+/]+=*\n){2}") &&
            !sealed.contains(Fixtures.CONSENTED.substring(1)), "rewritten sealed: " + sealed);
        try (var files = Files.list(log.getParent()))
        {
            assertEquals(0, files.filter(p -> p.getFileName().toString().startsWith(
                OptOutLog.ORIGINAL_COPY_PREFIX)).count(), "no plain copy is kept: nothing acknowledged was dropped");
        }
    }

    @Test
    void shouldRefuseToStartWhenARecordOfTheLogDoesNotOpen() throws Exception
    {
        Fixtures.write(dataDir);
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            assertEquals(201, post(server, Fixtures.CONSENTED).statusCode());
            assertEquals(201, post(server, Fixtures.REJECTED).statusCode());
        }
        final Path log = dataDir.resolve("brands/600001/" + OptOutLog.FILE_NAME);
        final List<String> lines = Files.readAllLines(log);
        Files.writeString(log, lines.get(1) + "\n" + lines.get(0) + "\n");

        final java.io.IOException refused = assertThrows(java.io.IOException.class,
            () -> FilterServer.start(Fixtures.context(dataDir)).close());
        assertTrue(refused.getMessage().contains("does not open") && refused.getMessage().contains("line=1"),
            refused.getMessage());
        assertEquals(lines.get(1) + "\n" + lines.get(0) + "\n", Files.readString(log), "the log is left as it was");
    }

    /**
     * The rotation of docs/SECURITY.md §2: the opt-outs listed under the old key, one JSON object a line, put in
     * place as the log of the brand rebuilt under a new key, are replayed and sealed under the new key at start.
     */
    @Test
    void shouldCarryOptOutsListedUnderTheOldKeyIntoADataDirectoryUnderANewOne(@TempDir final Path rotated)
        throws Exception
    {
        Fixtures.write(dataDir);
        final List<String> listed = new java.util.ArrayList<>();
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            assertEquals(201, post(server, Fixtures.CONSENTED).statusCode());
            assertEquals(201, post(server, Fixtures.bulkPhone(0)).statusCode());
            final java.util.regex.Matcher objects = java.util.regex.Pattern.compile("\\{\"recordedAt\"[^}]*\\}")
                .matcher(list(server));
            while (objects.find())
            {
                listed.add(objects.group());
            }
        }
        assertEquals(2, listed.size(), listed.toString());

        final io.iysfilter.server.index.IndexKey newKey = io.iysfilter.server.index.IndexKey.generate();
        final io.iysfilter.server.index.IndexOptions options =
            io.iysfilter.server.index.IndexOptions.withEntries(10_000).withKey(newKey);
        try (io.iysfilter.server.index.ConsentStore store =
            io.iysfilter.server.index.ConsentStore.open(rotated, options))
        {
            store.writer().createBrand(Fixtures.BRAND);
        }
        final Path log = rotated.resolve("brands/600001/" + OptOutLog.FILE_NAME);
        Files.writeString(log, String.join("\n", listed) + "\n");
        try (FilterServer server = FilterServer.start(Fixtures.context(rotated).indexOptions(options)))
        {
            final String relisted = list(server);
            assertTrue(relisted.contains(Fixtures.CONSENTED) && relisted.contains(Fixtures.bulkPhone(0)), relisted);
        }
        assertEquals(2, OptOutLog.read(log, newKey, Fixtures.BRAND).records().size(), "sealed under the new key");
        assertFalse(Files.readString(log).contains(Fixtures.CONSENTED.substring(1)), "no longer in plain");
        assertThrows(java.io.IOException.class, () -> OptOutLog.read(log, TestKeys.KEY, Fixtures.BRAND),
            "the old key opens nothing");
    }

    private static String oldRecord(final String time, final String phone)
    {
        return "{\"recordedAt\":\"" + time + "\",\"time\":\"" + time + "\",\"brand\":600001,\"channel\":\"MESAJ\"," +
            "\"recipient\":\"" + phone + "\",\"recipientType\":\"BIREYSEL\",\"source\":\"SMS_STOP\"," +
            "\"outcome\":\"APPLIED\",\"uploadBy\":\"2030-01-01\"}";
    }

    private static HttpResponse<String> post(final FilterServer server, final String phone) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri(server, "/v1/optouts")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"brand\":600001,\"channel\":\"MESAJ\",\"recipient\":\"" +
                phone + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String list(final FilterServer server) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(uri(server, "/v1/optouts?brand=600001")).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body();
    }

    private static URI uri(final FilterServer server, final String path)
    {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }
}
