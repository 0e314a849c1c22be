package io.iysfilter.server.cli;

import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.Fixtures;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.iys.IysTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iys-filter reconcile} against a running server: repairs what the index lacks and reports the drift.
 */
@Timeout(60)
class ReconcileIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final String TX = "ab".repeat(32);

    @TempDir
    Path dataDir;

    @Test
    void shouldRepairARecordTheFeedQuarantinedFromIysDailyFile() throws Exception
    {
        try (IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 50, 5,
            "iys-user", "secret", 0, 7_200_000));
            FilterServer server = FilterServer.start(Fixtures.context(dataDir).feed(FeedSettings.insecureHttp(
                URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret", List.of(BRAND), 50, 999, 0, false))))
        {
            server.feed().nextCompletePoll(BRAND).get();
            final String lost = "+905329990010";
            emulator.change(BRAND, "HS", lost, "BIREYSEL", "MESAJ", "ONAY");
            emulator.inject(IysEmulator.Fault.INVALID_RECORD, 1);
            server.feed().nextCompletePoll(BRAND).get();
            server.feed().nextCompletePoll(BRAND).get();
            try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
            {
                assertEquals(Reason.NO_CONSENT, check(client, lost), "quarantined by the feed");
                final String today = LocalDate.now(IysTime.TURKEY).toString();
                final String[] result = reconcile(server, "--brand", Long.toString(BRAND), "--date", today);
                assertEquals("1", result[0], result[1] + result[2]);
                assertTrue(result[1].contains(" 1 missing,"), result[1]);
                assertTrue(result[1].contains(": missing MESAJ " + lost), result[1]);
                assertEquals(Reason.CONSENT, check(client, lost), "repaired from İYS's daily file");
                assertEquals("0", reconcile(server, "--brand", Long.toString(BRAND), "--date", today)[0],
                    "a second run finds no drift");
            }
        }
    }

    @Test
    void shouldClassifyALocalFileAndApplyWhatIsMissingOrNewer() throws Exception
    {
        Fixtures.write(dataDir);
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            final long nowSec = System.currentTimeMillis() / 1000;
            final String newer = IysTime.format(nowSec - 60);
            final String day = newer.substring(0, 10);
            final Path file = Files.writeString(dataDir.resolveSibling("daily.csv"),
                "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
                newer + "," + TX + ",+905329990020,BIREYSEL,MESAJ,ONAY," + newer + ",HS_WEB\n" +
                newer + "," + TX + "," + Fixtures.bulkPhone(0) + ",BIREYSEL,MESAJ,RET," + newer + ",IYS_WEB\n" +
                newer + "," + TX + ",not-a-phone,BIREYSEL,MESAJ,ONAY," + newer + ",HS_WEB\n");
            final String[] result = reconcile(server, "--brand", "600001", "--date", day, "--file",
                file.toString());
            assertEquals("1", result[0], result[2]);
            assertTrue(result[1].startsWith("reconciled brand 600001 for " + day + ": 3 lines, 1 missing, 1 older, " +
                "0 conflicting, 0 matched, 1 rejected"), result[1]);
            try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
            {
                assertEquals(Reason.CONSENT, check(client, "+905329990020"));
                assertEquals(Reason.REJECTED, check(client, Fixtures.bulkPhone(0)), "the index was behind");
            }
        }
    }

    @Test
    void shouldRejectRecordsFromTheFutureAndFromOtherDaysSoALaterOptOutStillHolds() throws Exception
    {
        Fixtures.write(dataDir);
        try (FilterServer server = FilterServer.start(Fixtures.context(dataDir)))
        {
            final String day = LocalDate.now(IysTime.TURKEY).minusDays(1).toString();
            final String target = "+905329990030";
            final Path file = Files.writeString(dataDir.resolveSibling("daily.csv"),
                "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n" +
                day + " 10:00:00," + TX + "," + target + ",BIREYSEL,MESAJ,RET," + day + " 10:00:00,IYS_WEB\n" +
                "2099-12-31 00:00:00," + TX + "," + target + ",BIREYSEL,MESAJ,ONAY,2099-12-31 00:00:00,HS_WEB\n" +
                day.substring(0, 4) + "-01-01 00:00:00," + TX + ",+905329990031,BIREYSEL,MESAJ,ONAY," +
                day.substring(0, 4) + "-01-01 00:00:00,HS_WEB\n");
            final String[] result = reconcile(server, "--brand", "600001", "--date", day, "--file",
                file.toString());
            assertEquals("1", result[0], result[2]);
            assertTrue(result[1].contains("3 lines, 1 missing, 0 older, 0 conflicting, 0 matched, 2 rejected"),
                result[1]);
            assertTrue(result[1].contains("line 3: creationDate outside the file's day " + day) ||
                result[1].contains("line 3: creationDate 2099-12-31 00:00:00 lies in the future"), result[1]);
            assertTrue(result[1].contains("line 4: creationDate outside the file's day " + day), result[1]);
            try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
            {
                assertEquals(Reason.REJECTED, check(client, target), "the 2099 ONAY did not beat the real RET");
                assertEquals(Reason.NO_CONSENT, check(client, "+905329990031"));
            }
            final String[] tomorrow = reconcile(server, "--brand", "600001", "--date",
                LocalDate.now(IysTime.TURKEY).plusDays(1).toString(), "--file", file.toString());
            assertEquals("2", tomorrow[0], "a day that has not begun has no file: " + tomorrow[1] + tomorrow[2]);

            final HttpResponse<String> optOut = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort() + "/v1/optouts"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"brand\":600001,\"channel\":\"MESAJ\"," +
                    "\"recipient\":\"" + target + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, optOut.statusCode(), optOut.body());
            assertTrue(optOut.body().contains("\"outcome\":\"APPLIED\""), "nothing from the future supersedes a " +
                "STOP received now: " + optOut.body());
        }
    }

    private static Reason check(final FilterClient client, final String phone)
    {
        return client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, phone)
            .reason();
    }

    /**
     * @return exit status, stdout, stderr.
     */
    private static String[] reconcile(final FilterServer server, final String... args) throws Exception
    {
        final String[] argv = new String[args.length + 3];
        argv[0] = "reconcile";
        System.arraycopy(args, 0, argv, 1, args.length);
        argv[args.length + 1] = "--http-port";
        argv[args.length + 2] = Integer.toString(server.httpPort());
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[]{Integer.toString(exit), out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8)};
    }
}
