package io.iysfilter.benchmarks;

import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexOptions;
import io.iysfilter.server.iys.IysSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Fills one brand with N phone and N e-mail consents (maps sized for N) and reports the files' sizes per consent
 * and the insert rate. Usage: {@code java <iys.jvm.flags> -cp benchmarks.jar io.iysfilter.benchmarks.IndexFootprint
 * N DIR}; DIR is kept so that {@code du} can report allocated blocks.
 */
public final class IndexFootprint
{
    private IndexFootprint()
    {
    }

    /**
     * @param args N and an empty or new directory.
     * @throws Exception on I/O failure.
     */
    public static void main(final String[] args) throws Exception
    {
        final int entries = Integer.parseInt(args[0]);
        final Path dir = Path.of(args[1]);
        final long creationSec = System.currentTimeMillis() / 1000;
        final ParsedRecipient recipient = new ParsedRecipient();
        final RecipientParser parser = new RecipientParser();
        final ConsentChange change = new ConsentChange();
        try (ConsentStore store = ConsentStore.open(dir, IndexOptions.withEntries(entries).withKey(BenchmarkKey.KEY)))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(ConsentIndexState.BRAND);
            long startNs = System.nanoTime();
            for (int i = 0; i < entries; i++)
            {
                change.set(ConsentIndexState.BRAND, Channel.MESAJ, RecipientType.BIREYSEL,
                    recipient.phone(ConsentIndexState.FIRST_PHONE + i), ConsentStatus.ONAY, creationSec,
                    creationSec, IysSource.code("HS_WEB"), i, 0);
                writer.apply(change);
            }
            final double phoneRate = entries / ((System.nanoTime() - startNs) / 1e9);
            startNs = System.nanoTime();
            for (int i = 0; i < entries; i++)
            {
                parser.parse(String.format(Locale.ROOT, "user%d@example.com.tr", i), recipient);
                change.set(ConsentIndexState.BRAND, Channel.EPOSTA, RecipientType.BIREYSEL, recipient,
                    ConsentStatus.ONAY, creationSec, creationSec, IysSource.code("HS_WEB"), i, 0);
                writer.apply(change);
            }
            final double emailRate = entries / ((System.nanoTime() - startNs) / 1e9);
            writer.checkpoint();
            final Path brandDir = store.brand(ConsentIndexState.BRAND).directory();
            final long phoneBytes = Files.size(brandDir.resolve("phone.cmap"));
            final long emailBytes = Files.size(brandDir.resolve("email.cmap"));
            System.out.printf(Locale.ROOT, "entries=%d phone.cmap=%d B (%.1f B/consent, %.2f M inserts/s) " +
                "email.cmap=%d B (%.1f B/consent, %.2f M inserts/s incl. formatting)%n", entries, phoneBytes,
                phoneBytes / (double)entries, phoneRate / 1e6, emailBytes, emailBytes / (double)entries,
                emailRate / 1e6);
        }
    }
}
