package io.iysfilter.server.receipts;

import io.iysfilter.server.index.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who asked: the party numbers of receipts, per run. {@link #party} numbers a name ({@code client:<id>} when the
 * connection is authenticated, else {@code peer:<ip address>}) from 1 the first time the run sees it, appends
 * {@code NUMBER<TAB>NAME} to {@code <receipts-dir>/parties-<run>} before the number is returned, so a receipt never
 * carries a number the file cannot name after a kill -9 (the page cache keeps what was written); the file is forced
 * ({@link #force}) before each force of the journal (on the journal's forcer thread, while event loops may number
 * names), so no receipt on the device outlives its party's name in a power loss either (one appended while the
 * journal is forced is named by the journal's own {@code PARTIES} block, {@code ReceiptJournal.startForce}). A run
 * numbers at most {@link #MAX_PARTIES} names; past that a new name gets 0 (unknown: its receipts are still
 * recorded, with no name) and a warning is logged once. Names of earlier runs are read from their files when first
 * asked ({@link PartyNames}); a line torn by a crash was never handed out and is ignored.
 * <p>
 * Thread-safe; {@link #party} writes to the page cache only (it runs on event loops, once per connection and name,
 * never per decision).
 */
public final class Parties implements PartyNames, AutoCloseable
{
    /** Most names a run numbers; the receipt keeps a party in 16 bits. */
    public static final int MAX_PARTIES = 0xFFFF;
    /** What {@link #name} answers for a number no file names. */
    public static final String UNKNOWN = "unknown";
    private static final Logger LOG = LoggerFactory.getLogger(Parties.class);
    private static final String PREFIX = "parties-";

    private final Path directory;
    private final int run;
    private final int maxParties;
    private final Map<String, Integer> numbers = new HashMap<>();
    private final List<String> names = new ArrayList<>();
    private final Map<Integer, List<String>> earlierRuns = new HashMap<>();
    private final FileChannel channel;
    private boolean fullWarned;

    /**
     * @param directory the receipts directory.
     * @param run       this run.
     * @throws IOException when this run's file cannot be created.
     */
    public Parties(final Path directory, final int run) throws IOException
    {
        this(directory, run, MAX_PARTIES);
    }

    Parties(final Path directory, final int run, final int maxParties) throws IOException
    {
        this.directory = directory;
        this.run = run;
        this.maxParties = maxParties;
        final Path file = file(directory, run);
        // a run is never given twice (ReceiptRun), so no receipt names a number of a file already there
        channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING), DurableFiles.FILE_ATTRIBUTE);
        DurableFiles.ownerOnly(file);
        DurableFiles.forceDirectory(directory);
    }

    /**
     * @param directory the receipts directory.
     * @param run       a run.
     * @return the file naming that run's parties.
     */
    public static Path file(final Path directory, final int run)
    {
        return directory.resolve(PREFIX + run);
    }

    /**
     * Number a name in this run, persisting it first when new.
     *
     * @param name {@code client:<id>} or {@code peer:<ip address>}.
     * @return its number, 1..{@link #MAX_PARTIES}, or 0 when the run has numbered as many names as it may.
     * @throws IOException when the name cannot be written.
     */
    public synchronized int party(final String name) throws IOException
    {
        final String clean = clean(name);
        final Integer known = numbers.get(clean);
        if (known != null)
        {
            return known;
        }
        if (names.size() >= maxParties)
        {
            if (!fullWarned)
            {
                fullWarned = true;
                LOG.warn("receipts: run {} has numbered {} parties, the most a receipt can name; receipts of new " +
                    "parties in this run carry party 0 (unknown) until the server restarts", run, maxParties);
            }
            return 0;
        }
        final int number = names.size() + 1;
        final ByteBuffer line = StandardCharsets.UTF_8.encode(number + "\t" + clean + "\n");
        while (line.hasRemaining())
        {
            channel.write(line);
        }
        names.add(clean);
        numbers.put(clean, number);
        return number;
    }

    /**
     * A name as a file line can hold it: control characters (a line break, a tab) become {@code ?}.
     */
    private static String clean(final String name)
    {
        final StringBuilder text = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            text.append(Character.isISOControl(c) ? '?' : c);
        }
        return text.toString();
    }

    @Override
    public String name(final int run, final int party)
    {
        final List<String> runNames;
        synchronized (this)
        {
            runNames = run == this.run ? names : earlierRuns.computeIfAbsent(run, this::readQuietly);
            if (party >= 1 && party <= runNames.size())
            {
                return runNames.get(party - 1);
            }
        }
        return UNKNOWN;
    }

    private List<String> readQuietly(final int run)
    {
        try
        {
            return read(file(directory, run));
        }
        catch (final IOException ex)
        {
            LOG.warn("receipts: cannot read the parties of run {}: {}", run, ex.toString());
            return List.of();
        }
    }

    /**
     * @return the names of a parties file, in number order; lines out of order or torn end it.
     */
    static List<String> read(final Path file) throws IOException
    {
        final List<String> names = new ArrayList<>();
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return names;
        }
        int start = 0;
        for (int i = 0; i < bytes.length; i++)
        {
            if (bytes[i] == '\n')
            {
                final String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                final int tab = line.indexOf('\t');
                if (tab < 0 || !line.substring(0, tab).equals(Integer.toString(names.size() + 1)))
                {
                    break;
                }
                names.add(line.substring(tab + 1));
            }
        }
        return names;
    }

    /**
     * Force the names written so far to the device: called before each force of the journal, from the journal's
     * forcer thread (or the drain's, at close). Safe while {@link #party} writes: a file channel's force takes none
     * of its write's locks, and a name written meanwhile is forced by the next force.
     *
     * @throws IOException when the device fails.
     */
    public void force() throws IOException
    {
        channel.force(false);
    }

    /**
     * @return this run.
     */
    public int run()
    {
        return run;
    }

    @Override
    public synchronized void close() throws IOException
    {
        channel.close();
    }
}
