package io.iysfilter.server;

import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentIndexWriter;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.IndexKey;
import io.iysfilter.server.iys.ConsentRecordParser;
import io.iysfilter.server.iys.IysTime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A known data set for end-to-end tests, written through the real writer before a server opens it.
 */
public final class Fixtures
{
    /** A fresh brand. */
    public static final long BRAND = 600_001;
    /** A brand whose data is 5 days old. */
    public static final long STALE_BRAND = 600_002;
    /** ONAY on MESAJ, BIREYSEL. */
    public static final String CONSENTED = "+905321111111";
    /** ONAY then RET on MESAJ, BIREYSEL. */
    public static final String REJECTED = "+905322222222";
    /** ONAY on EPOSTA, BIREYSEL. */
    public static final String EMAIL = "ayse@example.com.tr";
    /** ONAY on ARAMA, TACIR. */
    public static final String TACIR = "+905324444444";
    /** Phones 0..BULK-1 of {@link #bulkPhone(int)}: even ONAY, odd RET, on MESAJ. */
    public static final int BULK = 2_000;
    /** ONAY on EPOSTA (the milter tests' Postfix mailbox). */
    public static final String ALICE = "alice@test.local";
    /** ONAY then RET on EPOSTA. */
    public static final String BOB = "bob@test.local";
    /** Consents the fresh brand holds. */
    public static final int ENTRIES = BULK + 6;

    private Fixtures()
    {
    }

    /**
     * @param i index.
     * @return a bulk phone number.
     */
    public static String bulkPhone(final int i)
    {
        return String.format(Locale.ROOT, "+9055%08d", i);
    }

    /**
     * Write the data set, under the tests' key ({@link TestKeys}), which is also written as the data directory's
     * default key file for a server started as its own process.
     *
     * @param dataDir the data directory.
     * @return the fresh brand's as-of time, epoch ms.
     * @throws IOException when the store cannot be written.
     */
    public static long write(final Path dataDir) throws IOException
    {
        final long nowSec = System.currentTimeMillis() / 1000;
        final String fresh = IysTime.format(nowSec - 600);
        final String old = IysTime.format(nowSec - 5 * 86_400);
        TestKeys.writeKeyFile(IndexKey.defaultFile(dataDir));
        try (ConsentStore store = ConsentStore.open(dataDir, TestKeys.options(10_000)))
        {
            final ConsentIndexWriter writer = store.writer();
            writer.createBrand(BRAND);
            writer.createBrand(STALE_BRAND);
            final Recorder record = new Recorder(writer);
            record.apply(BRAND, fresh, CONSENTED, "BIREYSEL", "MESAJ", "ONAY");
            record.apply(BRAND, IysTime.format(nowSec - 900), REJECTED, "BIREYSEL", "MESAJ", "ONAY");
            record.apply(BRAND, fresh, REJECTED, "BIREYSEL", "MESAJ", "RET");
            record.apply(BRAND, fresh, EMAIL, "BIREYSEL", "EPOSTA", "ONAY");
            record.apply(BRAND, fresh, TACIR, "TACIR", "ARAMA", "ONAY");
            record.apply(BRAND, fresh, ALICE, "BIREYSEL", "EPOSTA", "ONAY");
            record.apply(BRAND, IysTime.format(nowSec - 900), BOB, "BIREYSEL", "EPOSTA", "ONAY");
            record.apply(BRAND, fresh, BOB, "BIREYSEL", "EPOSTA", "RET");
            for (int i = 0; i < BULK; i++)
            {
                record.apply(BRAND, IysTime.format(nowSec - 3600), bulkPhone(i), "BIREYSEL", "MESAJ",
                    i % 2 == 0 ? "ONAY" : "RET");
            }
            record.apply(STALE_BRAND, old, CONSENTED, "BIREYSEL", "MESAJ", "ONAY");
            writer.checkpoint();
            return store.brand(BRAND).asOfMs();
        }
    }

    /**
     * @param dataDir where {@link #write(Path)} wrote.
     * @return a server context on ephemeral loopback ports with the default policy.
     */
    public static FilterServer.Context context(final Path dataDir)
    {
        return new FilterServer.Context()
            .dataDirectory(dataDir)
            .binaryPort(0)
            .httpPort(0)
            .milterPort(0)
            .respPort(0)
            .ioThreads(2)
            .policy(FilterPolicy.DEFAULT)
            .indexOptions(TestKeys.options(10_000));
    }

    private static final class Recorder
    {
        private final ConsentIndexWriter writer;
        private final ConsentRecordParser parser = new ConsentRecordParser();
        private final ConsentChange change = new ConsentChange();
        private long transaction;

        Recorder(final ConsentIndexWriter writer)
        {
            this.writer = writer;
        }

        void apply(final long brand, final String creation, final String recipient, final String recipientType,
            final String type, final String status)
        {
            final boolean tacir = "TACIR".equals(recipientType);
            final String error = parser.parse(brand, creation, String.format(Locale.ROOT, "%064x", ++transaction),
                recipient, recipientType, type, status, tacir ? "" : creation, tacir ? "" : "HS_WEB", change);
            assertNull(error, error);
            writer.apply(change);
        }
    }
}
