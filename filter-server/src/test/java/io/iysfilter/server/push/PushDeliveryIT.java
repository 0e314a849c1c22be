package io.iysfilter.server.push;

import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.emulator.PushDelivery;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.protocol.codecs.Verdict;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.iys.FeedSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end with the emulator: the server's push URL registered through İYS's registration call, a citizen's RET
 * pushed and enforced within a bounded wait while the pull feed still withholds its hour, and the deliveries İYS does
 * not document: duplicates, reordering, lost attempts with retries, wrong credentials.
 */
@Timeout(120)
class PushDeliveryIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final long HOUR_MS = 3_600_000;
    private static final long BOUND_MS = 5_000;
    private static final String USER = "iys-push";
    private static final String PASSWORD = PushCredentials.newPassword();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AtomicInteger NEXT_PHONE = new AtomicInteger();
    private static final int POPULATION = 60;

    @TempDir
    static Path dataDir;
    @TempDir
    static Path etc;
    private static IysEmulator emulator;
    private static FilterServer server;
    private static FilterClient client;
    private static String token;

    @BeforeAll
    static void start() throws Exception
    {
        // the emulator withholds its last hour from the pull feed, as İYS does
        emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), POPULATION, 5, "iys-user",
            "secret", HOUR_MS, 7_200_000));
        final Path credentials = etc.resolve("push.credentials");
        PushCredentials.put(credentials, USER, PASSWORD);
        server = FilterServer.start(new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000))
            .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret",
                List.of(BRAND), 50, 64, HOUR_MS, false))
            .push(PushSettings.OFF.withPort(0, credentials)));
        server.feed().nextCompletePoll(BRAND).get();
        client = FilterClient.connect("127.0.0.1", server.binaryPort());
        token = token();
        final HttpResponse<String> registered = registration("registration", "{\"connection\":[{\"url\":\"" +
            pushUrl() + "\",\"type\":\"MESAJ\",\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}]}");
        assertEquals(200, registered.statusCode(), registered.body());
        assertEquals(1, server.push().testRecords(), "İYS's test record came at registration and was dropped");
    }

    @AfterAll
    static void stop() throws Exception
    {
        client.close();
        server.close();
        emulator.close();
    }

    @BeforeEach
    void prompt()
    {
        emulator.pushes().behaviour(PushDelivery.Behaviour.PROMPT);
    }

    @Test
    void shouldFlipToDenyWithinTheBoundWhileThePullFeedWithholdsIt() throws Exception
    {
        final String phone = newConsentedPhone();
        final long appliedBefore = server.push().applied();
        final long startNs = System.nanoTime();
        emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
        await(() -> verdict(phone) == Verdict.DENY, "the pushed RET is enforced");
        final long tookMs = (System.nanoTime() - startNs) / 1_000_000;
        assertTrue(tookMs < BOUND_MS, tookMs + " ms");
        assertEquals(appliedBefore + 1, server.push().applied(), "through the push, not the feed");

        // a whole poll later the feed still withholds the hour: the index holds the RET only through the push
        server.feed().nextCompletePoll(BRAND).get();
        assertEquals(Verdict.DENY, verdict(phone));
        final String registrations = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.baseUrl() + "/sps/" +
            IYS_CODE + "/brands/" + BRAND + "/push/registration")).header("Authorization", "Bearer " + token).GET()
            .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(registrations.contains("\"type\":\"MESAJ\"") && registrations.contains("Bağlantı Oluşturuldu"),
            registrations);
    }

    @Test
    void shouldApplyDuplicatedAndReorderedPushesInIysOrder() throws Exception
    {
        final String phone = newConsentedPhone();
        emulator.pushes().behaviour(new PushDelivery.Behaviour(0, 1.0, true, 3, 100));
        final long duplicatesBefore = server.push().duplicates();
        final long appliedBefore = server.push().applied();
        // the citizen refuses, then consents again: delivered ONAY first, then the RET, each twice
        emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
        emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "ONAY");
        await(() -> server.push().applied() + server.push().duplicates() - appliedBefore - duplicatesBefore >= 4,
            "four deliveries taken");
        assertEquals(Verdict.ALLOW, verdict(phone), "the newer ONAY stands though the older RET came after it");
        assertEquals(appliedBefore + 1, server.push().applied(), "one change");
        assertEquals(duplicatesBefore + 3, server.push().duplicates(), "the rest repeated or older");
    }

    @Test
    void shouldRetryLostDeliveries() throws Exception
    {
        final String phone = newConsentedPhone();
        emulator.pushes().behaviour(new PushDelivery.Behaviour(0, 0, false, 3, 100));
        final long failedBefore = emulator.pushes().failedAttempts();
        emulator.pushes().loseNext(2);
        emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
        await(() -> verdict(phone) == Verdict.DENY, "the third attempt delivers");
        assertEquals(failedBefore + 2, emulator.pushes().failedAttempts());
    }

    @Test
    void shouldRefuseARegistrationWhoseCredentialsTheServerDoesNotHold() throws Exception
    {
        final long failuresBefore = server.push().authFailures();
        final HttpResponse<String> refused = registration("registration", "{\"connection\":[{\"url\":\"" +
            pushUrl() + "\",\"type\":\"ARAMA\",\"username\":\"" + USER + "\",\"password\":\"wrong\"}]}");
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("H191") && refused.body().contains("401"), refused.body());
        assertEquals(failuresBefore + 1, server.push().authFailures());
        assertEquals(1, emulator.pushes().connections(BRAND).size(), "only the MESAJ connection");
    }

    /**
     * @return a phone of the emulator's population whose ONAY on MESAJ the pull feed delivered (days old) and no test
     *         has used yet.
     */
    private static synchronized String newConsentedPhone()
    {
        while (NEXT_PHONE.get() < POPULATION)
        {
            final int i = NEXT_PHONE.getAndIncrement();
            final String phone = String.format(Locale.ROOT, "+9055%08d", i);
            if (i % 2 == 0 && i % 4 != 3 && verdict(phone) == Verdict.ALLOW)
            {
                return phone;
            }
        }
        throw new AssertionError("the population has no consented MESAJ phone left");
    }

    private static Verdict verdict(final String phone)
    {
        try
        {
            return client.check(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, phone)
                .get().verdict();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + BOUND_MS * 1_000_000;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError(what + ": not within " + BOUND_MS + " ms");
            }
            Thread.onSpinWait();
        }
    }

    private static String pushUrl()
    {
        return "http://127.0.0.1:" + server.pushPort() + PushSettings.PATH_DEFAULT + "/" + BRAND;
    }

    private static String token() throws Exception
    {
        final String body = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.baseUrl() + "/oauth2/token"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                "{\"username\":\"iys-user\",\"password\":\"secret\",\"grant_type\":\"password\"}")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        final int start = body.indexOf("\"access_token\":\"") + 16;
        return body.substring(start, body.indexOf('"', start));
    }

    private static HttpResponse<String> registration(final String action, final String json) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create(emulator.baseUrl() + "/sps/" + IYS_CODE + "/brands/" +
            BRAND + "/push/" + action)).header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
