package io.iysfilter.benchmarks;

import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.iys.FeedSettings;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.IndexOptions;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Freshness: the time from a RET being served by the İYS emulator's feed to the first DENY from the server, over
 * the binary protocol, with a poll interval of N ms and no recent-movement exclusion (İYS adds its one hour on top).
 * Each RET is made at a random moment of the poll cycle, after a poll has ended.
 * Usage: {@code java <iys.jvm.flags> -cp benchmarks.jar io.iysfilter.benchmarks.FeedFreshness [pollMs] [samples]}.
 */
public final class FeedFreshness
{
    private static final long BRAND = 600_001;
    private static final long TIMEOUT_NS = 60_000_000_000L;

    private FeedFreshness()
    {
    }

    /**
     * @param args poll interval in ms (default 1000) and samples (default 20).
     * @throws Exception on failure.
     */
    public static void main(final String[] args) throws Exception
    {
        final long pollMs = args.length > 0 ? Long.parseLong(args[0]) : 1_000;
        final int samples = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        final Path dataDir = Files.createTempDirectory("iys-freshness");
        try (IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(0, 700_001, List.of(BRAND), 10_000, 1,
            "user", "secret", 0, 7_200_000));
            FilterServer server = FilterServer.start(new FilterServer.Context().dataDirectory(dataDir).binaryPort(0)
                .httpPort(0).milterPort(-1).policy(FilterPolicy.DEFAULT)
                .indexOptions(IndexOptions.withEntries(50_000).withKey(BenchmarkKey.KEY))
                .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), 700_001, "user", "secret",
                    List.of(BRAND), pollMs, 999, 0, true)));
            FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
        {
            server.feed().nextCompletePoll(BRAND).get();
            final double[] millis = new double[samples];
            final java.util.Random random = new java.util.Random(42);
            for (int s = 0; s < samples; s++)
            {
                final String phone = String.format(Locale.ROOT, "+90577%07d", s);
                emulator.change(BRAND, "HS", phone, "BIREYSEL", "MESAJ", "ONAY");
                await(client, phone, Reason.CONSENT);
                server.feed().nextCompletePoll(BRAND).get();
                Thread.sleep(random.nextLong(pollMs));
                final long startNs = System.nanoTime();
                emulator.change(BRAND, "IYS", phone, "BIREYSEL", "MESAJ", "RET");
                await(client, phone, Reason.REJECTED);
                millis[s] = (System.nanoTime() - startNs) / 1e6;
            }
            Arrays.sort(millis);
            System.out.printf(Locale.ROOT, "freshness, poll every %d ms, %d samples: min %.0f ms, median %.0f ms, " +
                "p90 %.0f ms, max %.0f ms%n", pollMs, samples, millis[0], millis[samples / 2],
                millis[(int)(samples * 0.9)], millis[samples - 1]);
        }
    }

    private static void await(final FilterClient client, final String phone, final Reason expected)
    {
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        while (client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, MessageKind.COMMERCIAL, phone)
            .reason() != expected)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("no " + expected + " for " + phone + " within 60 s");
            }
            Thread.onSpinWait();
        }
    }
}
