package io.iysfilter.benchmarks;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.BrandIndex;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.iys.IysSource;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What entry checksums and verification cost: the insert rate of N phone consents with checksums on or off, and
 * for an existing index the time to reopen it (until a first answer) and to verify every entry.
 * <pre>
 *   java &lt;iys.jvm.flags&gt; -cp benchmarks.jar io.iysfilter.benchmarks.IndexVerification build N DIR on|off
 *   java &lt;iys.jvm.flags&gt; -cp benchmarks.jar io.iysfilter.benchmarks.IndexVerification reopen DIR
 * </pre>
 * {@code build} fills a new DIR through the store's writer (the import's path without CSV parsing) and prints the
 * rate; {@code reopen} opens DIR as the server does (large brands verified in the background) and prints the time to
 * the first answer, then the verification's time and rate.
 */
public final class IndexVerification
{
    private static final long BRAND = 600_001;
    private static final long FIRST_PHONE = 905_500_000_000L;

    private IndexVerification()
    {
    }

    /**
     * @param args {@code build N DIR on|off} or {@code reopen DIR}.
     * @throws Exception on I/O failure.
     */
    public static void main(final String[] args) throws Exception
    {
        if ("build".equals(args[0]))
        {
            build(Integer.parseInt(args[1]), Path.of(args[2]), "on".equals(args[3]));
        }
        else
        {
            reopen(Path.of(args[1]));
        }
    }

    private static void build(final int entries, final Path dir, final boolean checksums) throws Exception
    {
        if (Files.exists(dir) && Files.list(dir).findAny().isPresent())
        {
            throw new IllegalArgumentException("not empty: " + dir);
        }
        final long creationSec = System.currentTimeMillis() / 1000 - 60;
        final ConsentChange change = new ConsentChange();
        final ParsedRecipient recipient = new ParsedRecipient();
        try (ConsentStore store = ConsentStore.open(dir,
            IndexOptions.withEntries(entries).withKey(BenchmarkKey.KEY).withChecksums(checksums)))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            final long startNs = System.nanoTime();
            for (int i = 0; i < entries; i++)
            {
                final int status = i % 2 == 0 ? ConsentStatus.ONAY : ConsentStatus.RET;
                change.set(BRAND, Channel.MESAJ, RecipientType.BIREYSEL, recipient.phone(FIRST_PHONE + i), status,
                    creationSec, creationSec - 86_400, IysSource.code("HS_WEB"), i, 0);
                writer.apply(change);
            }
            writer.checkpoint();
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            System.out.printf("build: %,d entries, checksums %s, %.2f s, %,.0f inserts/s%n", entries,
                checksums ? "on" : "off", seconds, entries / seconds);
        }
    }

    private static void reopen(final Path dir) throws Exception
    {
        final long startNs = System.nanoTime();
        try (ConsentStore store = ConsentStore.open(dir,
            IndexOptions.withEntries(1_000).withKey(BenchmarkKey.KEY).withSyncVerifyEntries(0)))
        {
            final BrandIndex brand = store.brand(BRAND);
            final Reason first = brand.unreadyReason();
            final double openSeconds = (System.nanoTime() - startNs) / 1e9;
            final long verifyStartNs = System.nanoTime();
            store.startBackgroundVerification();
            store.awaitVerification();
            final double verifySeconds = (System.nanoTime() - verifyStartNs) / 1e9;
            System.out.printf("reopen: %,d entries, open %.2f s (state then: %s), verification %.2f s " +
                "(%,.0f entries/s), state after: %s%n", brand.entries(), openSeconds,
                first == null ? "READY" : first, verifySeconds, brand.entries() / verifySeconds,
                brand.unreadyReason() == null ? "READY" : brand.unreadyReason());
        }
    }
}
