package io.iysfilter.server.index;

import java.io.IOException;
import java.nio.file.FileStore;
import java.util.Locale;

/**
 * Keeps the single writer from writing into space that is not there. Chronicle Map grows a map by mapping a new
 * bulk of tiers and zeroing it through the mapping; when the file system cannot back a page, the JVM raises SIGBUS
 * and Java sees an {@link InternalError} ("a fault occurred in a (recent) unsafe memory access operation"), which
 * may even surface later, at an unrelated point, and leaves the writes in between unmade. So the writer refuses
 * changes, with a "disk full" reason, while the data directory's file system has less than a reserve usable, and
 * only a full disk's last resort is to catch the fault.
 * <p>
 * The usable space is read (one {@code statvfs}) at most every {@link #CHECK_EVERY_CHANGES} changes or
 * {@link #CHECK_INTERVAL_NS}, whichever comes first; on every change when it was below twice the reserve at the
 * last reading, and while it is below the reserve, so that the writer resumes as soon as space returns.
 * <p>
 * Threading: {@link #check(long)} and {@link #checkNow(long)} on the writer thread only; {@link #usableBytes()}
 * from any thread.
 */
public final class DiskSpaceGuard
{
    /** Most changes between two readings of the usable space. */
    public static final int CHECK_EVERY_CHANGES = 1024;
    /** Longest time between two readings of the usable space, when changes keep coming. */
    public static final long CHECK_INTERVAL_NS = 100_000_000L;

    private final FileStore fileStore;
    private final String directory;
    private final long reserveBytes;
    private volatile long usableBytes = -1;
    private int changesUntilCheck;
    private long lastCheckNs;
    private String refusal;
    private long refusedAtUsable;

    /**
     * @param fileStore    the file system of the data directory.
     * @param directory    the data directory, for messages.
     * @param reserveBytes usable bytes to keep; 0 switches the guard off.
     */
    public DiskSpaceGuard(final FileStore fileStore, final String directory, final long reserveBytes)
    {
        this.fileStore = fileStore;
        this.directory = directory;
        this.reserveBytes = reserveBytes;
    }

    /**
     * Writer only: may one more change be written? Cheap: usually no system call.
     *
     * @param nowNs {@link System#nanoTime()}.
     * @return null when it may, else why not (a message starting with "disk full").
     */
    public String check(final long nowNs)
    {
        if (reserveBytes <= 0)
        {
            return null;
        }
        if (refusal == null && --changesUntilCheck > 0 && nowNs - lastCheckNs < CHECK_INTERVAL_NS)
        {
            return null;
        }
        return read(nowNs);
    }

    /**
     * Writer only: read the usable space now, e.g. before a write that is acknowledged to a client.
     *
     * @param nowNs {@link System#nanoTime()}.
     * @return null when a change may be written, else why not (a message starting with "disk full").
     */
    public String checkNow(final long nowNs)
    {
        return reserveBytes <= 0 ? null : read(nowNs);
    }

    /**
     * @return usable bytes at the last reading, or -1 before the first.
     */
    public long usableBytes()
    {
        return usableBytes;
    }

    /**
     * @return the reserve, bytes; 0 when the guard is off.
     */
    public long reserveBytes()
    {
        return reserveBytes;
    }

    private String read(final long nowNs)
    {
        lastCheckNs = nowNs;
        long usable;
        try
        {
            usable = fileStore.getUsableSpace();
        }
        catch (final IOException ex)
        {
            usable = 0;
        }
        usableBytes = usable;
        changesUntilCheck = usable / 2 < reserveBytes ? 1 : CHECK_EVERY_CHANGES;
        if (usable >= reserveBytes)
        {
            refusal = null;
        }
        else if (refusal == null || usable != refusedAtUsable)
        {
            refusedAtUsable = usable;
            refusal = "disk full: " + mib(usable) + " usable, below the reserve of " + mib(reserveBytes) +
                " (disk-reserve-mb); changes are refused until space is freed: dir=" + directory;
        }
        return refusal;
    }

    private static String mib(final long bytes)
    {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /**
     * Whether a failure means the file system had no room: a {@link DiskFullException}, an I/O error "No space left
     * on device" or "Disk quota exceeded", Chronicle's "Not enough space to fallocate", or the {@link InternalError}
     * the JVM raises when a page of a mapped file cannot be backed.
     *
     * @param failure what was thrown.
     * @return whether it, or a cause of it, says the disk is full.
     */
    public static boolean isDiskFull(final Throwable failure)
    {
        return diskFullCause(failure) != null;
    }

    /**
     * @param failure what was thrown.
     * @return the failure, or the cause of it, that says the disk is full; null when none does.
     */
    public static Throwable diskFullCause(final Throwable failure)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause())
        {
            final String message = String.valueOf(cause.getMessage());
            if (cause instanceof DiskFullException ||
                message.contains("No space left on device") ||
                message.contains("Disk quota exceeded") ||
                message.contains("Not enough space to fallocate") ||
                cause instanceof InternalError && message.contains("unsafe memory access"))
            {
                return cause;
            }
        }
        return null;
    }
}
