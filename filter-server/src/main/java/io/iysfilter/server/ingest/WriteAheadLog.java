package io.iysfilter.server.ingest;

/**
 * A log a change is written to, and forced to disk, before the single writer applies it to the index (see
 * {@link IngestPipeline#writeAhead}). Its methods are called on the writer thread only.
 */
public interface WriteAheadLog
{
    /**
     * Append one record to a brand's log and force it to disk. When that fails the log is left as it was before.
     *
     * @param brandCode İYS brand code.
     * @param record    the record.
     * @return the log's length before the record, for {@link #truncate(long, long)}.
     * @throws io.iysfilter.server.index.DiskFullException when the file system has no room for it.
     * @throws java.io.UncheckedIOException               when it cannot be written for another reason.
     */
    long append(long brandCode, String record);

    /**
     * Take back the records appended to a brand's log from a position on, e.g. the one whose change could not be
     * applied.
     *
     * @param brandCode İYS brand code.
     * @param position  what {@link #append(long, String)} returned.
     * @throws java.io.UncheckedIOException when the log cannot be truncated.
     */
    void truncate(long brandCode, long position);
}
