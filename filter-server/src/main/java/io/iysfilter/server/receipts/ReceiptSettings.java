package io.iysfilter.server.receipts;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The receipts' settings ({@code receipts-*} of {@code serve}).
 *
 * @param directory        where the run, the queue, the parties and the journal's days live.
 * @param allowsUnrecorded the policy for a decision the journal cannot record: true ({@code allow}) to serve it as
 *                         decided, false ({@code deny}, the default) to turn its ALLOW into DENY
 *                         {@code RECEIPT_UNAVAILABLE}.
 * @param retentionDays    days kept: days before today minus this are deleted, at start and once a day.
 * @param queueSlots       slots of the queue, a power of two.
 */
public record ReceiptSettings(Path directory, boolean allowsUnrecorded, int retentionDays, int queueSlots)
{
    /** Default days kept: two years, since claims about the İYS era can come years later. */
    public static final int RETENTION_DAYS_DEFAULT = 730;
    /** Default slots of the queue (16 MiB of file). */
    public static final int QUEUE_SLOTS_DEFAULT = 262_144;
    /** The receipts directory's name in the data directory, by default. */
    public static final String DIRECTORY_DEFAULT = "receipts";

    /**
     * @param directory        where the receipts live.
     * @param allowsUnrecorded the policy.
     * @param retentionDays    days kept, at least 1.
     * @param queueSlots       slots, a power of two in {@link ReceiptQueue#MIN_SLOTS}..{@link ReceiptQueue#MAX_SLOTS}.
     */
    public ReceiptSettings
    {
        Objects.requireNonNull(directory, "directory");
        if (retentionDays < 1)
        {
            throw new IllegalArgumentException("receipts-retention-days: " + retentionDays + " (expected: >= 1)");
        }
        if (Integer.bitCount(queueSlots) != 1 || queueSlots < ReceiptQueue.MIN_SLOTS ||
            queueSlots > ReceiptQueue.MAX_SLOTS)
        {
            throw new IllegalArgumentException("receipts-queue-size: " + queueSlots + " (expected: a power of two, " +
                ReceiptQueue.MIN_SLOTS + ".." + ReceiptQueue.MAX_SLOTS + ")");
        }
    }

    /**
     * @param directory where the receipts live.
     * @return the defaults there: policy deny, 730 days, 262144 slots.
     */
    public static ReceiptSettings defaults(final Path directory)
    {
        return new ReceiptSettings(directory, false, RETENTION_DAYS_DEFAULT, QUEUE_SLOTS_DEFAULT);
    }
}
