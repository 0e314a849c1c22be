package io.iysfilter.server.receipts;

import io.iysfilter.server.index.DurableFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The run counter, {@code <receipts-dir>/run}: one decimal number, counted up and forced to the device (file and
 * directory) at each start of the server before anything is served, so that every run's decision ids (run in the
 * high 16 bits) differ from every earlier run's and are greater, even after a power loss.
 */
public final class ReceiptRun
{
    /** The file's name. */
    public static final String FILE_NAME = "run";
    /** The greatest run: a decision id keeps 16 bits for it. */
    public static final int MAX_RUN = 0xFFFF;

    private ReceiptRun()
    {
    }

    /**
     * Count the run up, durably.
     *
     * @param directory the receipts directory, which exists.
     * @return the new run, 1 at the first start.
     * @throws IOException when the file cannot be read or written, holds no run, or the runs are spent (never a
     *                     run given before).
     */
    public static int next(final Path directory) throws IOException
    {
        final Path file = directory.resolve(FILE_NAME);
        int last = 0;
        if (Files.exists(file))
        {
            final String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            try
            {
                last = Integer.parseInt(text);
            }
            catch (final NumberFormatException ex)
            {
                last = -1;
            }
            if (last < 0 || last > MAX_RUN)
            {
                throw new IOException(file + ": '" + text + "' is not a run (expected: 0.." + MAX_RUN + "); " +
                    "refusing to start rather than give decision ids that an earlier run may have given");
            }
        }
        if (last == MAX_RUN)
        {
            throw new IOException(file + ": all " + MAX_RUN + " runs of this receipts directory are spent (a " +
                "decision id holds the run in 16 bits); archive the directory and start with a new, empty " +
                "receipts-dir (docs/OPERATIONS.md)");
        }
        final int run = last + 1;
        DurableFiles.replace(directory, FILE_NAME, run + "\n");
        return run;
    }
}
