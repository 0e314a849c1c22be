package io.iysfilter.server.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plaintext search of {@link DataAtRestTest} over what the running server writes besides an import: an opt-out
 * recorded over HTTP (its sealed log) and listed, the feed's cursor and quarantine files after the İYS emulator's
 * feed delivered a record for the known recipient and an invalid record holding it, and reconciliations of a day
 * holding it (the upload spooled to a temporary file, and the day fetched from İYS). No file in the data directory
 * holds the recipient in any searched form, the spool is gone afterwards, and no log line the server wrote during
 * those flows holds it either.
 */
@Timeout(120)
class DataAtRestFlowsIT
{
    private static final long IYS_CODE = 700_777;
    private static final String PHONE = "+" + DataAtRestTest.DIGITS;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private IysEmulator emulator;
    private FilterServer server;

    @BeforeEach
    void captureLogs()
    {
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void stop()
    {
        if (server != null)
        {
            server.close();
        }
        if (emulator != null)
        {
            emulator.close();
        }
        root().detachAppender(logs);
    }

    @Test
    void optOutsFeedFilesAndReconcileLeaveNoRecipientInPlain() throws Exception
    {
        final Path dataDir = dir.resolve("data");
        final long brand = DataAtRestTest.BRAND;
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(brand), 20, 5, "iys-user", "secret",
            0, 7_200_000));
        server = FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000))
            .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret",
                List.of(brand), 50, 64, 0, true)));
        server.feed().nextCompletePoll(brand).get();

        // the feed: an invalid record holding the recipient (quarantined), then records for it that apply
        emulator.change(brand, "HS", PHONE, "BIREYSEL", "MESAJ", "ONAY");
        emulator.inject(IysEmulator.Fault.INVALID_RECORD, 1);
        server.feed().nextCompletePoll(brand).get();
        emulator.change(brand, "HS", PHONE, "TACIR", "ARAMA", "ONAY");
        emulator.change(brand, "HS", DataAtRestTest.EMAIL, "BIREYSEL", "EPOSTA", "ONAY");
        server.feed().nextCompletePoll(brand).get();
        final Path brandDir = dataDir.resolve("brands/" + brand);
        final String quarantine = Files.readString(brandDir.resolve("quarantine.log"));
        assertTrue(quarantine.contains("reason=invalid status") && quarantine.contains("+90532*****67"),
            "the invalid record is quarantined, its recipient masked: " + quarantine);
        assertTrue(Files.exists(brandDir.resolve("feed-HS.cursor")), "the cursor is kept");

        // opt-outs recorded through the server, and listed from their log
        for (final String body : new String[]{
            "{\"brand\":" + brand + ",\"channel\":\"MESAJ\",\"recipient\":\"" + PHONE + "\",\"source\":\"SMS_STOP\"}",
            "{\"brand\":" + brand + ",\"channel\":\"EPOSTA\",\"recipient\":\"" + DataAtRestTest.EMAIL + "\"}"})
        {
            final HttpResponse<String> recorded = send(HttpRequest.newBuilder(uri("/v1/optouts"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(201, recorded.statusCode(), recorded.body());
        }
        final HttpResponse<String> listed = send(HttpRequest.newBuilder(uri("/v1/optouts?brand=" + brand)).GET());
        assertTrue(listed.body().contains(PHONE) && listed.body().contains(DataAtRestTest.EMAIL), listed.body());

        // reconcile: the day uploaded (spooled to a temporary file), and the day fetched from İYS
        final Set<Path> spoolsBefore = spools();
        final String day = LocalDate.now(ZoneId.of("Europe/Istanbul")).toString();
        final String creation = IysTime.format(System.currentTimeMillis() / 1000 - 60);
        final HttpResponse<String> uploaded = send(HttpRequest.newBuilder(uri("/v1/reconcile?brand=" + brand +
            "&date=" + day)).POST(HttpRequest.BodyPublishers.ofString(
            "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
            creation + "," + "d".repeat(64) + "," + PHONE + ",BIREYSEL,MESAJ,RET,,\n" +
            creation + "," + "e".repeat(64) + "," + DataAtRestTest.EMAIL + ",BIREYSEL,EPOSTA,RET,,\n",
            StandardCharsets.UTF_8)));
        assertEquals(200, uploaded.statusCode(), uploaded.body());
        final HttpResponse<String> fetched = send(HttpRequest.newBuilder(uri("/v1/reconcile?brand=" + brand +
            "&date=" + day)).POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, fetched.statusCode(), fetched.body());
        assertEquals(spoolsBefore, spools(), "the reconcile spool is deleted once it is read");

        server.close();
        server = null;
        final List<Path> all;
        try (Stream<Path> paths = Files.walk(dataDir))
        {
            all = paths.toList();
        }
        assertTrue(all.contains(brandDir.resolve("optouts.log")), all.toString());
        DataAtRestTest.assertNoRecipientIn(all);

        final List<String> lines = new ArrayList<>();
        for (final ILoggingEvent event : logs.list)
        {
            lines.add(event.getFormattedMessage() +
                (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy())));
        }
        assertTrue(lines.size() > 3, "the flows were logged: " + lines);
        final Path logFile = Files.writeString(dir.resolve("server.log"), String.join("\n", lines));
        DataAtRestTest.assertNoRecipientIn(List.of(logFile));
    }

    private static Set<Path> spools() throws java.io.IOException
    {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir"))))
        {
            return files.filter(p -> p.getFileName().toString().startsWith("iys-reconcile"))
                .collect(Collectors.toSet());
        }
    }

    private static HttpResponse<String> send(final HttpRequest.Builder request) throws Exception
    {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(final String path)
    {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }

    private static Logger root()
    {
        return (Logger)LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
