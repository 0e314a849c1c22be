package io.iysfilter.server.replication;

import io.iysfilter.broker.KafkaBroker;
import io.iysfilter.client.FilterClient;
import io.iysfilter.emulator.Change;
import io.iysfilter.emulator.IysEmulator;
import io.iysfilter.protocol.codecs.Channel;
import io.iysfilter.protocol.codecs.MessageKind;
import io.iysfilter.protocol.codecs.Reason;
import io.iysfilter.protocol.codecs.RecipientType;
import io.iysfilter.server.FilterServer;
import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.iys.FeedSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One fetcher following the İYS emulator and publishing to a real broker, two replicas building their indexes from
 * the topic alone: once each replica has applied the fetcher's watermark, every answer is the same on all three, and
 * a RET made in the emulator reaches both replicas. A consent's dealer list (retailerAccess) travels with its record,
 * read from the topic's beginning (bootstrap) and as it is followed, so a dealer's check is answered alike on all
 * three (every node trusts the brand's feed for dealer access, as a fleet must agree: docs/REPLICATION.md).
 */
class ReplicationEndToEndIT
{
    private static final long IYS_CODE = 700_001;
    private static final long BRAND = 600_001;
    private static final String TOPIC = "iys-filter.changes";
    private static final Channel[] CHANNELS = {Channel.MESAJ, Channel.ARAMA, Channel.EPOSTA};
    private static final long DEALER = 22_233_344L;
    private static final long OTHER_DEALER = 44_222_419L;

    @TempDir
    Path dir;

    @Test
    void everyAnswerIsTheSameOnTheFetcherAndBothReplicasAfterConvergence() throws Exception
    {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker"));
            IysEmulator emulator = new IysEmulator(new IysEmulator.Settings(0, IYS_CODE, List.of(BRAND), 300, 42,
                "iys-user", "secret", 0, 7_200_000));
            FilterServer fetcher = FilterServer.start(context("fetcher", broker, Role.FETCHER)
                .feed(FeedSettings.insecureHttp(URI.create(emulator.baseUrl()), IYS_CODE, "iys-user", "secret",
                    List.of(BRAND), 50, 64, 0, true))))
        {
            // read by the replicas from the topic's beginning
            emulator.change(BRAND, "HS", "+905559990001", "BIREYSEL", "MESAJ", "ONAY", DEALER,
                List.of(DEALER, 7L));
            fetcher.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
            try (FilterServer first = FilterServer.start(context("replica-1", broker, Role.REPLICA));
                FilterServer second = FilterServer.start(context("replica-2", broker, Role.REPLICA)))
            {
                converge(fetcher, first, second);
                assertSameAnswers(emulator, fetcher, first, second);
                assertDealerAnswers("+905559990001", fetcher, first, second);

                final Change consented = firstOnay(emulator);
                emulator.change(BRAND, "IYS", consented.recipient(), consented.recipientType(), consented.type(),
                    "RET");
                // followed by the replicas as it is published
                emulator.change(BRAND, "HS", "+905559990002", "BIREYSEL", "MESAJ", "ONAY", null, List.of(DEALER));
                fetcher.feed().nextCompletePoll(BRAND).get(60, TimeUnit.SECONDS);
                converge(fetcher, first, second);
                try (FilterClient client = FilterClient.connect("127.0.0.1", second.binaryPort()))
                {
                    assertEquals(Reason.REJECTED, client.checkBlocking(BRAND, Channel.valueOf(consented.type()),
                        RecipientType.valueOf(consented.recipientType()), MessageKind.COMMERCIAL,
                        consented.recipient()).reason(), "the RET made in İYS reached the replica");
                }
                assertSameAnswers(emulator, fetcher, first, second);
                assertDealerAnswers("+905559990002", fetcher, first, second);
                assertEquals(0, first.replica().quarantined() + second.replica().quarantined());
            }
        }
    }

    private FilterServer.Context context(final String name, final KafkaBroker broker, final Role role)
    {
        return new FilterServer.Context()
            .dataDirectory(dir.resolve(name))
            .binaryPort(0)
            .httpPort(0)
            .milterPort(-1)
            .ioThreads(1)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000).withDealerAccessTrusted((brand) -> brand == BRAND))
            .replication(new ReplicationSettings(role, broker.bootstrapServers(), null, TOPIC, 3, (short)1));
    }

    /**
     * Wait, boundedly, until each replica has applied the fetcher's watermark: the watermark follows every change of
     * the brand published before it, in the brand's partition.
     */
    private static void converge(final FilterServer fetcher, final FilterServer... replicas)
    {
        final long watermarkMs = fetcher.store().brand(BRAND).watermarkMs();
        assertTrue(watermarkMs > 0, "the fetcher has a watermark");
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (final FilterServer replica : replicas)
        {
            while (true)
            {
                final BrandIndex brand = replica.store().brand(BRAND);
                if (brand != null && brand.watermarkMs() >= watermarkMs)
                {
                    break;
                }
                assertTrue(System.nanoTime() - deadlineNs < 0, "a replica did not reach the fetcher's watermark " +
                    watermarkMs + ": " + (brand == null ? "no brand" : brand.watermarkMs()));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    private static void assertSameAnswers(final IysEmulator emulator, final FilterServer... servers) throws Exception
    {
        final Map<String, Change> recipients = new LinkedHashMap<>();
        for (final Change change : emulator.movements(BRAND))
        {
            recipients.put(change.recipientType() + "/" + change.recipient(), change);
        }
        final List<List<Reason>> answers = new ArrayList<>();
        for (final FilterServer server : servers)
        {
            final List<Reason> reasons = new ArrayList<>();
            try (FilterClient client = FilterClient.connect("127.0.0.1", server.binaryPort()))
            {
                for (final Change change : recipients.values())
                {
                    for (final Channel channel : CHANNELS)
                    {
                        reasons.add(client.checkBlocking(BRAND, channel, RecipientType.valueOf(change.recipientType()),
                            MessageKind.COMMERCIAL, change.recipient()).reason());
                    }
                }
            }
            answers.add(reasons);
        }
        assertTrue(answers.get(0).contains(Reason.CONSENT) && answers.get(0).contains(Reason.REJECTED),
            "the data set has both answers: " + answers.get(0));
        assertEquals(answers.get(0), answers.get(1), "the first replica answers as the fetcher");
        assertEquals(answers.get(0), answers.get(2), "the second replica answers as the fetcher");
    }

    /**
     * A listed dealer is allowed and another is not, on every node: a replica without the list would answer
     * DEALER_NOT_AUTHORISED to the listed dealer.
     */
    private static void assertDealerAnswers(final String recipient, final FilterServer... servers)
    {
        for (int i = 0; i < servers.length; i++)
        {
            final String node = i == 0 ? "the fetcher" : "replica " + i;
            try (FilterClient client = FilterClient.connect("127.0.0.1", servers[i].binaryPort()))
            {
                assertEquals(Reason.DEALER_ACCESS, client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, recipient, DEALER).reason(), "the listed dealer on " + node);
                assertEquals(Reason.DEALER_NOT_AUTHORISED, client.checkBlocking(BRAND, Channel.MESAJ,
                    RecipientType.BIREYSEL, MessageKind.COMMERCIAL, recipient, OTHER_DEALER).reason(),
                    "a dealer the list does not name, on " + node);
                assertEquals(Reason.CONSENT, client.checkBlocking(BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, recipient).reason(), "the brand itself, on " + node);
            }
        }
    }

    private static Change firstOnay(final IysEmulator emulator)
    {
        final Map<String, Change> latest = new LinkedHashMap<>();
        for (final Change change : emulator.movements(BRAND))
        {
            latest.merge(change.recipientType() + "/" + change.type() + "/" + change.recipient(), change,
                (known, next) -> next.creationMs() > known.creationMs() || next.creationMs() == known.creationMs() &&
                    next.transactionId().compareTo(known.transactionId()) > 0 ? next : known);
        }
        for (final Change change : latest.values())
        {
            if ("ONAY".equals(change.status()))
            {
                return change;
            }
        }
        throw new AssertionError("no ONAY in the emulator's data");
    }
}
