package io.iysfilter.server.iys;

import io.iysfilter.server.ingest.IngestPipeline;
import io.iysfilter.server.index.ConsentChange;
import io.iysfilter.server.index.ConsentStore;
import io.iysfilter.server.index.ConsentValueDescriptor;
import io.iysfilter.server.index.IndexLookup;

import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares a brand's daily change file (İYS's "Günlük İzin Hareket Dosyası") with the index and applies what the
 * index lacks, through the single writer. Each valid record is classified against what its key held before:
 * <ul>
 *   <li><b>missing</b>: the key held nothing — applied;</li>
 *   <li><b>older</b>: the key held an older movement — applied (the index was behind);</li>
 *   <li><b>conflicting</b>: the key held the same movement (creationDate and transactionId) with other content —
 *   reported; the record wins only if it orders higher;</li>
 *   <li><b>matched</b>: the key held this very movement, or a newer one.</li>
 * </ul>
 */
public final class Reconciler
{
    private static final int LISTED = 20;

    private final ConsentStore store;
    private final IngestPipeline pipeline;
    private final long brandCode;
    private final LocalDate day;

    /**
     * The drift found.
     *
     * @param lines       records read.
     * @param missing     records whose key held nothing.
     * @param older       records newer than what their key held.
     * @param conflicting records whose movement the key held with other content.
     * @param matched     records the index already held, or held something newer for.
     * @param rejected    lines that failed validation.
     * @param examples    the first drifted or rejected lines, described.
     */
    public record Report(
        long lines, long missing, long older, long conflicting, long matched, long rejected, List<String> examples)
    {
    }

    /**
     * @param store     the index, read to classify.
     * @param pipeline  the single writer, to apply.
     * @param brandCode the brand the file belongs to.
     * @param day       the day the file is of (Turkey time): a record created on another day is rejected.
     */
    public Reconciler(
        final ConsentStore store, final IngestPipeline pipeline, final long brandCode, final LocalDate day)
    {
        this.store = store;
        this.pipeline = pipeline;
        this.brandCode = brandCode;
        this.day = day;
    }

    /**
     * @param text a day as {@code YYYY-MM-DD}.
     * @return the day, or null when it does not parse or lies after today in Turkey (no file can hold movements of
     * a day that has not begun).
     */
    public static LocalDate parseDay(final String text)
    {
        if (text == null || !text.matches("\\d{4}-\\d{2}-\\d{2}"))
        {
            return null;
        }
        try
        {
            final LocalDate parsed = LocalDate.parse(text);
            return parsed.isAfter(LocalDate.now(IysTime.TURKEY)) ? null : parsed;
        }
        catch (final DateTimeParseException ex)
        {
            return null;
        }
    }

    /**
     * @param file the daily file, CSV.
     * @return the drift report, once everything missing is applied.
     * @throws IOException when the file cannot be read or has no header.
     */
    public Report reconcile(final InputStream file) throws IOException
    {
        final IndexLookup lookup = store.newLookup();
        final long[] stored = new long[2];
        final long[] counts = new long[4];
        final List<String> examples = new ArrayList<>();
        final long daySec = day.atStartOfDay(IysTime.TURKEY).toEpochSecond();
        final long nextDaySec = day.plusDays(1).atStartOfDay(IysTime.TURKEY).toEpochSecond();
        final DailyFileImporter importer = new DailyFileImporter(pipeline, brandCode, LISTED, null)
            .creationWindow(daySec, nextDaySec, "the file's day " + day)
            .inspector((lineNumber, change) ->
            {
                final int drift = classify(lookup, change, stored);
                counts[drift]++;
                if (drift != MATCHED && examples.size() < LISTED)
                {
                    examples.add("line " + lineNumber + ": " + NAMES[drift] + " " + change.channel() + " " +
                        change.recipient());
                }
            });
        final DailyFileImporter.Report imported = importer.importStream(file, 0);
        for (final String rejection : imported.rejections())
        {
            if (examples.size() < 2 * LISTED)
            {
                examples.add(rejection);
            }
        }
        return new Report(imported.lines(), counts[MISSING], counts[OLDER], counts[CONFLICTING], counts[MATCHED],
            imported.rejected(), examples);
    }

    private static final int MISSING = 0;
    private static final int OLDER = 1;
    private static final int CONFLICTING = 2;
    private static final int MATCHED = 3;
    private static final String[] NAMES = {"missing", "older", "conflicting", "matched"};

    private static int classify(final IndexLookup lookup, final ConsentChange change, final long[] stored)
    {
        if (!lookup.storedValue(change, stored))
        {
            return MISSING;
        }
        // the daily file carries no dealer fields: a record the feed gave with its dealer list is the file's record
        final long storedWord1 = stored[1] & ~(long)ConsentValueDescriptor.FLAG_DEALERS;
        if (stored[0] == change.word0() && storedWord1 == change.word1())
        {
            return MATCHED;
        }
        if (stored[0] == change.word0() && ConsentValueDescriptor.txDigest(stored[0], storedWord1) ==
            ConsentValueDescriptor.txDigest(change.word0(), change.word1()))
        {
            return CONFLICTING;
        }
        return ConsentValueDescriptor.compare(change.word0(), change.word1(), stored[0], storedWord1) > 0 ?
            OLDER : MATCHED;
    }
}
