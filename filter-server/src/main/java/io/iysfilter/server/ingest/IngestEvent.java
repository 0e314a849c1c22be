package io.iysfilter.server.ingest;

import io.iysfilter.server.optout.OptOutReplay;
import io.iysfilter.server.index.ConsentChange;

import java.util.concurrent.CompletableFuture;

/**
 * A pre-allocated slot in the ingest ring. Publishers copy into it; the writer reads it.
 */
final class IngestEvent
{
    /** A slot already handled (cleared): nothing to do. */
    static final int NONE = 0;
    static final int CHANGE = 1;
    static final int CREATE_BRAND = 2;
    static final int BARRIER = 3;
    static final int WATERMARK = 4;
    static final int OPT_OUT = 5;
    static final int REPLAY_OPT_OUTS = 6;

    final ConsentChange change = new ConsentChange();
    int type;
    long tag;
    long brandCode;
    long watermarkMs;
    IngestListener listener;
    CompletableFuture<Void> completion;
    CompletableFuture<Integer> outcome;
    CompletableFuture<OptOutReplay> replay;
    String line;
    long[] brands;

    void clear()
    {
        type = NONE;
        listener = null;
        completion = null;
        outcome = null;
        replay = null;
        line = null;
        brands = null;
    }
}
