package io.iysfilter.server.index;

import io.iysfilter.server.TestKeys;
import io.iysfilter.server.decision.BrandState;
import io.iysfilter.server.decision.Channel;
import io.iysfilter.server.decision.ConsentFilter;
import io.iysfilter.server.decision.ConsentStatus;
import io.iysfilter.server.decision.FilterPolicy;
import io.iysfilter.server.decision.MessageKind;
import io.iysfilter.server.decision.ParsedRecipient;
import io.iysfilter.server.decision.Reason;
import io.iysfilter.server.decision.RecipientParser;
import io.iysfilter.server.decision.RecipientType;
import io.iysfilter.server.iys.ConsentRecordParser;
import io.iysfilter.server.iys.DailyFileImporter;
import io.iysfilter.server.ingest.IngestListener;
import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.iys.IysTime;
import io.iysfilter.server.optout.OptOut;
import io.iysfilter.server.optout.OptOuts;
import io.iysfilter.server.iys.Reconciler;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The promise, as a property: over random interleavings of imports, feed pages, reconciliations, local opt-outs,
 * records from the future, duplicates and crashes at random points (a crash drops whatever a delivery had not
 * handed to the writer, and leaves every map to be recovered), no answer is ever ALLOW unless a genuine ONAY justifies
 * it: an ONAY from İYS that no RET or opt-out outranks, except one created after the answer's as-of time and not
 * delivered yet. At the end, with everything delivered and unfinished imports run again, every answer is exact.
 * <p>
 * İYS's truth is a list of genuine records with distinct creation times, delivered in creation order (the feed and
 * the daily files deliver them so); noise (future-dated records, duplicates, records of other days in a day's file)
 * is mixed into every delivery.
 */
class NoAccidentalAllowPropertyTest
{
    private static final long BRAND = 600_001;
    private static final long NOW_MS = IysTime.parseSeconds("2026-11-30 12:00:00") * 1000;
    private static final String[] KEYS = {
        "+905320000001", "+905320000002", "+905320000003", "+905320000004", "ali@example.com", "veli@example.com"};
    private static final String HEADER =
        "creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\n";

    private final ConsentRecordParser parser = new ConsentRecordParser();
    private final ConsentFilter filter = new ConsentFilter(new FilterPolicy(true));

    @Property(tries = 60)
    void noAnswerIsEverAnUnjustifiedAllow(
        @ForAll @Size(min = 1, max = 24) final List<@IntRange(min = 0, max = 99) Integer> operations,
        @ForAll final long seed) throws Exception
    {
        final Path dataDir = Files.createTempDirectory("iys-property");
        try
        {
            new Run(dataDir, new Random(seed)).run(operations);
        }
        finally
        {
            deleteTree(dataDir);
        }
    }

    /**
     * One event of the truth: a genuine İYS record or a local opt-out.
     */
    private record Event(int key, long word0, long word1, String line, boolean optOut)
    {
        long creationSec()
        {
            return ConsentValueDescriptor.creationSec(word0);
        }

        boolean ret()
        {
            return ConsentValueDescriptor.status(word1) == ConsentStatus.RET;
        }

        boolean newerThan(final Event other)
        {
            return ConsentValueDescriptor.compare(word0, word1, other.word0, other.word1) > 0;
        }
    }

    private final class Run
    {
        private final Path dataDir;
        private final Random random;
        private final IndexOptions options = TestKeys.options(1_000).withClock(() -> NOW_MS);
        private final List<Event> truth = new ArrayList<>();
        private final List<Event> optOuts = new ArrayList<>();
        private final Set<Event> delivered = new HashSet<>();
        private final List<List<Event>> unfinishedImports = new ArrayList<>();
        private final ConsentChange change = new ConsentChange();
        private int cursor;
        private int imports;
        private ConsentStore store;
        private IngestPipeline pipeline;
        private OptOuts localOptOuts;

        Run(final Path dataDir, final Random random)
        {
            this.dataDir = dataDir;
            this.random = random;
            final long firstSec = NOW_MS / 1000 - 2 * 86_400;
            final Set<Long> used = new HashSet<>();
            final int records = 10 + random.nextInt(40);
            while (truth.size() < records)
            {
                final long creationSec = firstSec + random.nextInt(2 * 86_400 - 60);
                if (used.add(creationSec))
                {
                    truth.add(record(random.nextInt(KEYS.length), creationSec, random.nextBoolean() ? "ONAY" : "RET"));
                }
            }
            truth.sort(Comparator.comparingLong(Event::creationSec));
        }

        void run(final List<Integer> operations) throws Exception
        {
            open();
            try
            {
                pipeline.createBrand(BRAND).get();
                for (final int operation : operations)
                {
                    final boolean crash = operation >= 85;
                    switch (operation % 6)
                    {
                        case 0 -> importNext(crash);
                        case 1 -> feedNext(crash);
                        case 2 -> reconcileNext();
                        case 3 -> optOut();
                        case 4 -> replayDelivered();
                        default -> crash();
                    }
                    checkEveryAnswer(false);
                }
                for (final List<Event> unfinished : new ArrayList<>(unfinishedImports))
                {
                    runImport(unfinished, unfinished.size(), false);
                }
                unfinishedImports.clear();
                while (cursor < truth.size())
                {
                    feedNext(false);
                }
                reopenCleanly();
                checkEveryAnswer(true);
            }
            finally
            {
                pipeline.close();
                localOptOuts.close();
                store.close();
            }
        }

        private void open() throws Exception
        {
            store = ConsentStore.open(dataDir, options);
            pipeline = new IngestPipeline(store.writer(), 64);
            localOptOuts = new OptOuts(store, pipeline);
            if (store.brand(BRAND) != null)
            {
                localOptOuts.replay();
            }
        }

        private void crash() throws Exception
        {
            pipeline.close();
            localOptOuts.close();
            store.abandon();
            open();
        }

        private void reopenCleanly() throws Exception
        {
            pipeline.close();
            localOptOuts.close();
            store.close();
            open();
        }

        /**
         * Deliver the next records as a daily-file import, marked like the import command marks it; a crash stops it
         * part-way, before its end is recorded.
         */
        private void importNext(final boolean crash) throws Exception
        {
            final List<Event> next = next();
            if (next.isEmpty())
            {
                return;
            }
            final int stopAt = crash ? random.nextInt(next.size() + 1) : next.size();
            runImport(next, stopAt, crash);
        }

        private void runImport(final List<Event> records, final int stopAt, final boolean crash) throws Exception
        {
            final String name = "import " + records.get(0).line().substring(0, 19) + "#" + records.size();
            store.importStarted(BRAND, name);
            if (crash)
            {
                unfinishedImports.add(records);
            }
            final StringBuilder file = new StringBuilder(HEADER);
            final List<Event> sent = records.subList(0, stopAt);
            for (final Event record : sent)
            {
                file.append(record.line()).append('\n');
            }
            file.append(noise());
            final DailyFileImporter.Report report = new DailyFileImporter(pipeline, BRAND, 100, null)
                .importStream(new ByteArrayInputStream(file.toString().getBytes(StandardCharsets.UTF_8)), 0);
            delivered.addAll(sent);
            assertEquals(0, report.rejected() - noiseRejections(report), report.rejections().toString());
            if (crash)
            {
                crash();
            }
            else
            {
                store.importFinished(BRAND, name);
            }
        }

        /**
         * Deliver the next records as a feed page: parsed, published, applied (barrier), then the watermark moved to
         * the newest of them; a crash part-way leaves the watermark where it was.
         */
        private void feedNext(final boolean crash) throws Exception
        {
            final List<Event> next = next();
            if (next.isEmpty())
            {
                return;
            }
            final int stopAt = crash ? random.nextInt(next.size() + 1) : next.size();
            final IngestListener ignore = new Outcomes();
            for (final Event record : next.subList(0, stopAt))
            {
                publish(record.line(), ignore);
            }
            for (final String line : noise().split("\n"))
            {
                if (!line.isEmpty())
                {
                    publish(line, ignore);
                }
            }
            pipeline.barrier().get();
            delivered.addAll(next.subList(0, stopAt));
            if (crash)
            {
                cursor -= next.size() - stopAt;
                crash();
                return;
            }
            pipeline.advanceWatermark(BRAND, next.get(next.size() - 1).creationSec() * 1000).get();
        }

        private void publish(final String line, final IngestListener listener)
        {
            final String[] f = line.split(",", -1);
            final String error = parser.parse(BRAND, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], change);
            assertNull(error, line);
            pipeline.publish(change, 0, listener);
        }

        /**
         * Deliver the next records of one day as that day's file through the reconciler; records of other days in
         * the file are refused by it.
         */
        private void reconcileNext() throws Exception
        {
            if (cursor >= truth.size())
            {
                return;
            }
            final LocalDate day = day(truth.get(cursor));
            final List<Event> next = new ArrayList<>();
            final int limit = 1 + random.nextInt(6);
            while (cursor < truth.size() && next.size() < limit && day(truth.get(cursor)).equals(day))
            {
                next.add(truth.get(cursor++));
            }
            final StringBuilder file = new StringBuilder(HEADER);
            for (final Event record : next)
            {
                file.append(record.line()).append('\n');
            }
            file.append(noise());
            final Event later = truth.get(truth.size() - 1);
            if (cursor < truth.size() && !day(later).equals(day))
            {
                // a genuine record of a later day, not delivered yet: if the file's day did not keep it out, the
                // as-of time would jump past records still undelivered, and the property would fail
                file.append(later.line()).append('\n');
            }
            new Reconciler(store, pipeline, BRAND, day)
                .reconcile(new ByteArrayInputStream(file.toString().getBytes(StandardCharsets.UTF_8)));
            delivered.addAll(next);
        }

        /**
         * A local opt-out, as POST /v1/optouts records it: a RET marked local, at a time up to now.
         */
        private void optOut() throws Exception
        {
            final int key = random.nextInt(KEYS.length);
            final long timeSec = NOW_MS / 1000 - random.nextInt(2 * 86_400);
            final ParsedRecipient recipient = new ParsedRecipient();
            new RecipientParser().parse(KEYS[key], recipient);
            final OptOut record = new OptOut(NOW_MS, timeSec * 1000, BRAND, channel(key), recipient.toString(),
                RecipientType.BIREYSEL, "SMS_STOP");
            final ConsentChange optOut = record.toChange(new ConsentChange(), new RecipientParser(),
                new ParsedRecipient());
            localOptOuts.write(record).get();
            final Event event = new Event(key, optOut.word0(), optOut.word1(), null, true);
            optOuts.add(event);
            delivered.add(event);
        }

        /**
         * Deliver again, through the feed path, records already delivered: duplicates and late, older records.
         */
        private void replayDelivered() throws Exception
        {
            if (cursor == 0)
            {
                return;
            }
            final IngestListener ignore = new Outcomes();
            for (int i = 0; i < 5; i++)
            {
                publish(truth.get(random.nextInt(cursor)).line(), ignore);
            }
            pipeline.barrier().get();
        }

        private List<Event> next()
        {
            final List<Event> next = new ArrayList<>();
            final int limit = 1 + random.nextInt(8);
            while (cursor < truth.size() && next.size() < limit)
            {
                next.add(truth.get(cursor++));
            }
            return next;
        }

        /**
         * Records that must change nothing: from the future (minutes to decades ahead), always ONAY, for any key.
         */
        private String noise()
        {
            final StringBuilder lines = new StringBuilder();
            final int count = random.nextInt(3);
            for (int i = 0; i < count; i++)
            {
                final long aheadSec = random.nextBoolean() ? 301 + random.nextInt(3600) :
                    IysTime.parseSeconds("2099-12-31 00:00:00") - NOW_MS / 1000;
                lines.append(line(random.nextInt(KEYS.length), NOW_MS / 1000 + aheadSec, "ONAY")).append('\n');
            }
            return lines.toString();
        }

        private long noiseRejections(final DailyFileImporter.Report report)
        {
            return report.rejections().stream().filter(r -> r.contains("lies in the future")).count();
        }

        private Event record(final int key, final long creationSec, final String status)
        {
            final String line = line(key, creationSec, status);
            final String[] f = line.split(",", -1);
            final ConsentChange parsed = new ConsentChange();
            assertNull(parser.parse(BRAND, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], parsed));
            return new Event(key, parsed.word0(), parsed.word1(), line, false);
        }

        private String line(final int key, final long creationSec, final String status)
        {
            final String time = IysTime.format(creationSec);
            return time + "," + String.format(Locale.ROOT, "%016x%016x%016x%016x", random.nextLong(),
                random.nextLong(), random.nextLong(), random.nextLong()) + "," + KEYS[key] + ",BIREYSEL," +
                channel(key) + "," + status + "," + time + "," + ("RET".equals(status) ? "IYS_WEB" : "HS_WEB");
        }

        /**
         * Ask about every key and hold each answer against the truth.
         *
         * @param exact whether everything is delivered and the answer must be the exact one.
         */
        private void checkEveryAnswer(final boolean exact)
        {
            final IndexLookup lookup = store.newLookup();
            final BrandState brand = lookup.brand(BRAND);
            final ParsedRecipient recipient = new ParsedRecipient();
            for (int key = 0; key < KEYS.length; key++)
            {
                new RecipientParser().parse(KEYS[key], recipient);
                final Reason answer = filter.decide(lookup, brand, channel(key), RecipientType.BIREYSEL,
                    MessageKind.COMMERCIAL, recipient, NOW_MS);
                final long asOfMs = brand == null ? 0 : brand.asOfMs();
                if (answer.allows() && !justified(key, asOfMs))
                {
                    fail("ALLOW " + answer + " for " + KEYS[key] + " as of " + Instant.ofEpochMilli(asOfMs) +
                        " is not justified by the truth " + history(key));
                }
                if (exact)
                {
                    final Event latest = latest(key);
                    final Reason expected = latest == null ? Reason.NO_CONSENT : latest.ret() ? Reason.REJECTED :
                        Reason.CONSENT;
                    assertEquals(expected, answer, KEYS[key] + ": " + history(key) + ", brand " +
                        (brand == null ? "absent" : brand.unreadyReason()));
                }
            }
        }

        /**
         * An ALLOW is justified by a genuine ONAY that no RET or opt-out outranks, but one created after the as-of
         * time and not delivered yet.
         */
        private boolean justified(final int key, final long asOfMs)
        {
            for (final Event onay : events(key))
            {
                if (onay.optOut() || onay.ret())
                {
                    continue;
                }
                boolean outranked = false;
                for (final Event ret : events(key))
                {
                    if (ret.ret() && ret.newerThan(onay) &&
                        (ret.creationSec() * 1000 <= asOfMs || delivered.contains(ret)))
                    {
                        outranked = true;
                        break;
                    }
                }
                if (!outranked)
                {
                    return true;
                }
            }
            return false;
        }

        private Event latest(final int key)
        {
            Event latest = null;
            for (final Event event : events(key))
            {
                if (latest == null || event.newerThan(latest))
                {
                    latest = event;
                }
            }
            return latest;
        }

        private List<Event> events(final int key)
        {
            final List<Event> events = new ArrayList<>();
            for (final Event event : truth)
            {
                if (event.key() == key)
                {
                    events.add(event);
                }
            }
            for (final Event event : optOuts)
            {
                if (event.key() == key)
                {
                    events.add(event);
                }
            }
            return events;
        }

        private String history(final int key)
        {
            final StringBuilder text = new StringBuilder();
            for (final Event event : events(key))
            {
                text.append(event.optOut() ? "opt-out " : "").append(event.ret() ? "RET " : "ONAY ")
                    .append(Instant.ofEpochSecond(event.creationSec())).append(delivered.contains(event) ?
                    " delivered" : " pending").append("; ");
            }
            return text.toString();
        }
    }

    private static Channel channel(final int key)
    {
        return KEYS[key].contains("@") ? Channel.EPOSTA : Channel.MESAJ;
    }

    private static LocalDate day(final Event event)
    {
        return LocalDate.ofInstant(Instant.ofEpochSecond(event.creationSec()), IysTime.TURKEY);
    }

    private static final class Outcomes implements IngestListener
    {
        @Override
        public void onApplied(final long tag)
        {
        }

        @Override
        public void onSuperseded(final long tag)
        {
        }

        @Override
        public void onFailed(final long tag, final String reason)
        {
        }
    }

    private static void deleteTree(final Path root) throws IOException
    {
        try (var paths = Files.walk(root))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path ->
            {
                try
                {
                    Files.delete(path);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
    }
}
