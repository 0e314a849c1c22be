package io.iysfilter.server.ingest;

import io.iysfilter.server.index.ConsentChange;

/**
 * Told, on the single writer's thread ({@code iys-ingest-writer}), of every change the index now holds and every
 * watermark it advanced, in the order the writer did them: what a fetcher publishes to the replication topic
 * (docs/REPLICATION.md). A standalone server has {@link #NONE}.
 * <p>
 * An implementation runs inside the single writer: it must return quickly, must not allocate per change, and may
 * wait only as long as its consumer keeps draining ({@link ChangeHandOff}).
 */
public interface ChangeTap
{
    /**
     * Hears nothing: a standalone server.
     */
    ChangeTap NONE = new ChangeTap()
    {
        @Override
        public void onChange(final ConsentChange change)
        {
        }

        @Override
        public void onWatermark(final long brandCode, final long watermarkMs)
        {
        }
    };

    /**
     * A change the index now holds: applied, or found exactly equal to what its key held (a page fetched again after
     * a crash, an opt-out replayed at start; what was applied then may never have been published). Its key is
     * filled ({@link ConsentChange#keyKind()}, {@link ConsentChange#key0()}, {@link ConsentChange#key1()}).
     *
     * @param change the change; the writer's own, read it before returning.
     */
    void onChange(ConsentChange change);

    /**
     * A brand's watermark the writer advanced (asked for; the brand's own may stay where it was when this is older).
     *
     * @param brandCode   İYS brand code.
     * @param watermarkMs the watermark asked for, epoch ms.
     */
    void onWatermark(long brandCode, long watermarkMs);
}
